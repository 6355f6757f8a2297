//! The board's lists: agents (state with symbol and time in state, force sign-out) and the live counters
//! (calls waiting, open incidents, SLA breaches, open incidents by OPD), and the open incidents, each of which a
//! supervisor may cancel.

import type { AgentView, CancelRequest } from '../../api/types';
import { cancelControl } from '../../ui/cancel_control';
import { t, tk } from '../../i18n';
import { h, replace } from '../../ui/dom';
import { clock } from '../../ui/format';
import type { SupervisorState } from './state';

const STATE_SYMBOL: Record<string, string> = { ready: '●', on_call: '☏', aux: '◐', logged_in: '◌' };

export function mountAgents(body: HTMLElement, onForceLogout: (agent: AgentView) => void) {
  return {
    render(state: SupervisorState, prev: SupervisorState | null): void {
      if (prev && prev.agents === state.agents) return;
      replace(
        body,
        state.agents.map((a) =>
          h(
            'tr',
            { 'data-user-id': a.user_id, 'data-username': a.username },
            h('td', {}, a.display_name, h('br'), h('small', { class: 'muted' }, a.username)),
            h('td', {}, tk('app.role', a.role)),
            h(
              'td',
              { 'data-state': a.state, 'data-testid': `agent-state-${a.username}` },
              `${STATE_SYMBOL[a.state] ?? '○'} ${tk('agent_state', a.state)}`,
              a.state === 'aux' && a.reason ? ` (${tk('aux_reason', a.reason)})` : '',
              a.since ? h('small', { class: 'muted' }, ` · ${t('sup.since', { time: clock(a.since) })}`) : null,
            ),
            h(
              'td',
              {},
              a.state === 'logged_out'
                ? null
                : h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn danger',
                      'data-testid': `force-logout-${a.username}`,
                      'aria-label': `${t('sup.force_logout')}: ${a.display_name}`,
                      onclick: () => onForceLogout(a),
                    },
                    '⊗ ',
                    t('sup.force_logout'),
                  ),
            ),
          ),
        ),
      );
    },
  };
}

export function mountCounters(counters: HTMLElement, byAgency: HTMLElement) {
  const counter = (label: string, value: number | null, id: string, alarm = false) => {
    const shown = value === null ? t('common.none') : String(value);
    return h('div', { class: `counter${alarm ? ' alarm' : ''}`, 'data-counter': id }, h('span', { class: 'value' }, alarm ? `⚠ ${shown}` : shown), h('span', { class: 'label' }, label));
  };
  return {
    render(state: SupervisorState, prev: SupervisorState | null): void {
      const c = state.counters;
      if (!c || (prev && prev.counters === c)) return;
      replace(
        counters,
        counter(t('sup.calls_waiting'), c.callsWaiting, 'calls_waiting', (c.callsWaiting ?? 0) > 0),
        counter(t('sup.incidents_open'), c.incidentsOpen, 'incidents_open'),
        counter(t('sup.sla_breaches'), c.slaBreaches, 'sla_breaches', (c.slaBreaches ?? 0) > 0),
      );
      replace(
        byAgency,
        c.byAgency.map((a) => h('li', { 'data-agency-id': a.id }, h('span', {}, a.name), h('strong', {}, String(a.count)))),
      );
    },
  };
}

/** The open incidents, each with its status and the cancel control (a supervisor may cancel any of them). */
export function mountOpenIncidents(list: HTMLElement, cancel: (id: string, body: CancelRequest) => Promise<boolean>) {
  return {
    render(state: SupervisorState, prev: SupervisorState | null): void {
      if (prev && prev.open === state.open) return;
      replace(
        list,
        state.open.length === 0
          ? h('li', { class: 'muted' }, t('sup.open_none'))
          : state.open.map((i) =>
              h(
                'li',
                { class: 'open-incident', 'data-incident-id': i.id, 'data-number': i.number, 'data-status': i.status },
                h('strong', {}, i.number),
                ` · ${tk('priority', i.priority)} · ${tk('category', i.category)} · `,
                h('span', { class: `status status-${i.status}` }, tk('incident_status', i.status)),
                cancelControl(i.id, t('cancel.action'), cancel),
              ),
            ),
      );
    },
  };
}
