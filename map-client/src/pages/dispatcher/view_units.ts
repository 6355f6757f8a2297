//! The OPD's unit list: call sign, status colour, glyph and word, by call sign; each row a button that selects
//! the unit. The selected unit's card shows the assignment it works (with a way to its incident), lets the map
//! follow it as it moves, and takes it out of service or back. Redrawn only when a row or the card would
//! change, never for a position fix.

import type { Unit } from '../../api/types';
import { t, tk } from '../../i18n';
import { UNIT_STATUS_COLOUR, UNIT_STATUS_GLYPH } from '../../map/symbology';
import { h, replace } from '../../ui/dom';
import { assignmentOfUnit, type DispatcherState } from './state';

export interface UnitHandlers {
  select(unitId: string): void;
  follow(follow: boolean): void;
  openIncident(incidentId: string): void;
  /** Sets the unit's duty status (`out_of_service` or `available`); resolves false when it failed. */
  setStatus(unitId: string, status: 'out_of_service' | 'available'): Promise<boolean>;
}

export function mountUnitList(list: HTMLElement, card: HTMLElement, handlers: UnitHandlers) {
  let shown: string | null = null;
  let cardShown: string | null = null;
  return {
    render(state: DispatcherState): void {
      const rows = [...state.units.values()].sort((a, b) => a.call_sign.localeCompare(b.call_sign));
      const key = rows.map((u) => `${u.id}\u0000${u.call_sign}\u0000${u.status}`).join('\u0001') + `\u0002${state.selectedUnit ?? ''}`;
      if (key !== shown) {
        shown = key;
        replace(list, rows.map((u) => row(u, u.id === state.selectedUnit, handlers)));
      }
      drawCard(state);
    },
  };

  function drawCard(state: DispatcherState): void {
    const u = state.selectedUnit ? state.units.get(state.selectedUnit) : undefined;
    const a = u ? assignmentOfUnit(state, u.id) : null;
    const inc = a ? state.incidents.get(a.incident_id) : undefined;
    const key = u ? JSON.stringify([u.id, u.status, u.call_sign, a?.id, a?.status, inc?.number, state.following]) : '';
    if (key === cardShown) return;
    cardShown = key;
    if (!u) {
      card.hidden = true;
      replace(card);
      return;
    }
    card.hidden = false;
    const follow = h('input', { type: 'checkbox', 'data-testid': 'follow-unit', checked: state.following });
    follow.addEventListener('change', () => handlers.follow(follow.checked));
    const duty =
      u.status === 'available' || u.status === 'out_of_service'
        ? h(
            'button',
            {
              type: 'button',
              class: u.status === 'available' ? 'btn danger' : 'btn primary',
              'data-action': u.status === 'available' ? 'unit-out' : 'unit-back',
              onclick: (ev: Event) => {
                const button = ev.currentTarget as HTMLButtonElement;
                button.disabled = true;
                void handlers.setStatus(u.id, u.status === 'available' ? 'out_of_service' : 'available').then((ok) => {
                  if (!ok) button.disabled = false;
                });
              },
            },
            u.status === 'available' ? `⊘ ${t('disp.unit_out')}` : `✓ ${t('disp.unit_back')}`,
          )
        : null;
    replace(
      card,
      h('h3', {}, u.call_sign, ' · ', `${UNIT_STATUS_GLYPH[u.status] ?? ''} `, tk('unit_status', u.status)),
      a && inc
        ? h(
            'p',
            { 'data-testid': 'unit-assignment' },
            t('disp.unit_working', { number: inc.number, status: tk('assignment_status', a.status) }),
            ' ',
            h('button', { type: 'button', class: 'btn ghost', onclick: () => handlers.openIncident(inc.id) }, t('disp.open_incident')),
          )
        : h('p', { class: 'muted', 'data-testid': 'unit-assignment' }, t('disp.unit_free')),
      h('label', { class: 'check' }, follow, ' ', t('disp.follow_unit')),
      duty ? h('div', { class: 'row' }, duty) : null,
    );
  }
}

function row(u: Unit, selected: boolean, handlers: UnitHandlers): HTMLElement {
  return h(
    'li',
    { 'data-unit-id': u.id, 'data-status': u.status },
    h(
      'button',
      { type: 'button', class: `unit-row${selected ? ' selected' : ''}`, 'aria-pressed': String(selected), onclick: () => handlers.select(u.id) },
      h('span', { class: 'dot', style: `background:${UNIT_STATUS_COLOUR[u.status] ?? '#424242'}`, 'aria-hidden': 'true' }),
      h('strong', {}, u.call_sign),
      ' ',
      `${UNIT_STATUS_GLYPH[u.status] ?? ''} `,
      h('span', { class: 'unit-status' }, tk('unit_status', u.status)),
    ),
  );
}
