//! The incident queue beside the map: one button per incident (priority badge, number, category, status) and
//! an SLA countdown that ticks every second without redrawing the list.

import type { IncidentView } from '../../api/types';
import { t, tk } from '../../i18n';
import { CATEGORY_GLYPH, INCIDENT_STATUS_GLYPH, PRIORITY_COLOUR } from '../../map/symbology';
import { h, replace } from '../../ui/dom';
import { clock, countdown } from '../../ui/format';
import { alarmedIncidents, type DispatcherState, queue, slaCountdown } from './state';

export function priorityBadge(priority: string): HTMLElement {
  return h('span', { class: `prio prio-${priority}`, style: `background:${PRIORITY_COLOUR[priority] ?? '#424242'}` }, tk('priority', priority));
}

export function mountQueue(list: HTMLElement, onSelect: (id: string) => void) {
  /** Redraws the SLA cells from the incidents in `state` at `now`. */
  function tick(state: DispatcherState, now: number): void {
    for (const el of list.querySelectorAll<HTMLElement>('[data-sla-for]')) {
      const inc = state.incidents.get(el.dataset['slaFor'] ?? '');
      const sla = inc ? slaCountdown(inc, now) : null;
      if (!sla) {
        el.textContent = '';
        el.dataset['level'] = 'none';
        continue;
      }
      el.dataset['level'] = sla.level;
      const eta = sla.plan ? ` · ${t('sla.planned_eta', { eta: clock(sla.plan.eta_at) })}${sla.plan.late ? ' ⚠' : ''}` : '';
      el.dataset['late'] = sla.plan ? String(sla.plan.late) : '';
      el.textContent = `${sla.level === 'red' ? '⚠' : '◷'} ${tk('sla', sla.kind)} ${countdown(sla.remaining_ms)}${eta}`;
      el.title = sla.level === 'red' ? t('sla.breached') : '';
    }
  }

  function item(i: IncidentView, selected: boolean, alarm: boolean): HTMLElement {
    return h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: `queue-item${selected ? ' selected' : ''}${alarm ? ' alarm' : ''}`,
          'data-incident-id': i.id,
          'data-alarm': alarm ? 'true' : null,
          'data-status': i.status,
          'aria-pressed': selected ? 'true' : 'false',
          onclick: () => onSelect(i.id),
        },
        priorityBadge(i.priority),
        h('span', { class: 'num' }, i.number),
        h('span', { class: 'cat' }, `[${CATEGORY_GLYPH[i.category] ?? ''}] `, tk('category', i.category)),
        h('span', { class: 'status', 'data-testid': 'incident-status' }, `${INCIDENT_STATUS_GLYPH[i.status] ?? ''} `, tk('incident_status', i.status)),
        h('span', { class: 'sla', 'data-sla-for': i.id }),
        alarm ? h('span', { class: 'alarm-badge' }, '⚠ ', t('disp.unacknowledged')) : null,
      ),
    );
  }

  return {
    render(state: DispatcherState, prev: DispatcherState | null): void {
      const incidents = queue(state);
      if (prev && queue(prev) === incidents && prev.selected === state.selected && prev.alarms === state.alarms) return;
      const alarmed = alarmedIncidents(state);
      replace(
        list,
        incidents.length === 0 ? h('li', { class: 'muted' }, t('disp.no_incidents')) : incidents.map((i) => item(i, i.id === state.selected, alarmed.has(i.id))),
      );
      tick(state, Date.now());
    },
    tick,
  };
}
