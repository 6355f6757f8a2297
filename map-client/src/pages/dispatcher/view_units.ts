//! The OPD's unit list: call sign, status colour, glyph and word, by call sign. Redrawn only when a row would
//! change, never for a position fix.

import type { Unit } from '../../api/types';
import { tk } from '../../i18n';
import { UNIT_STATUS_COLOUR, UNIT_STATUS_GLYPH } from '../../map/symbology';
import { h, replace } from '../../ui/dom';
import type { DispatcherState } from './state';

export function mountUnitList(list: HTMLElement) {
  let shown: string | null = null;
  return {
    render(state: DispatcherState): void {
      const rows = [...state.units.values()].sort((a, b) => a.call_sign.localeCompare(b.call_sign));
      const key = rows.map((u) => `${u.id}\u0000${u.call_sign}\u0000${u.status}`).join('\u0001');
      if (key === shown) return;
      shown = key;
      replace(list, rows.map(row));
    },
  };
}

function row(u: Unit): HTMLElement {
  return h(
    'li',
    { 'data-unit-id': u.id, 'data-status': u.status },
    h('span', { class: 'dot', style: `background:${UNIT_STATUS_COLOUR[u.status] ?? '#424242'}`, 'aria-hidden': 'true' }),
    h('strong', {}, u.call_sign),
    ' ',
    `${UNIT_STATUS_GLYPH[u.status] ?? ''} `,
    h('span', { class: 'unit-status' }, tk('unit_status', u.status)),
  );
}
