//! Supervisor board: agents with their states and a force sign-out; live counters (calls waiting, open
//! incidents by agency, SLA breaches); and an H3 hexagon heat map of incidents over a chosen period.

import { get, getOptional, post } from '../../api/client';
import type { Agency, AgentView, CallView, IncidentView } from '../../api/types';
import { CATEGORIES } from '../../api/types';
import { t, tk } from '../../i18n';
import type { LiveEvent } from '../../live/events';
import { connectLive } from '../../live/connect';
import { createMap, fitTo, geojsonPoints } from '../../map/map';
import { mountBoundaries } from '../../map/layers/boundaries';
import { HEAT_RAMP, mountHexbins } from '../../map/layers/hexbins';
import { isOpenIncident } from '../../map/symbology';
import type { PageContext } from '../../main';
import { h, options, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { clock } from '../../ui/format';
import { mountShell } from '../../ui/shell';

const DAY_MS = 86_400_000;
const AGENTS_REFRESH_MS = 10_000;

export async function mount({ root, user }: PageContext): Promise<void> {
  const shell = mountShell(root, user, t('sup.title'));
  const agentsBody = h('tbody', { 'data-testid': 'agents' });
  const counters = h('div', { class: 'counters', 'data-testid': 'counters' });
  const byAgency = h('ul', { class: 'by-agency', 'data-testid': 'by-agency' });
  const mapBox = h('div', { class: 'map heat', 'data-testid': 'map', role: 'region', 'aria-label': t('sup.heatmap') });
  const legend = h('div', { class: 'legend', 'data-testid': 'heat-legend', 'aria-live': 'polite' });
  const period = h('select', { id: 'period' }, options(['24h', '7d', '30d', 'custom'], (p) => (p === 'custom' ? `${t('sup.from')}…` : t(`sup.period_${p}` as 'sup.period_24h'))));
  const from = h('input', { id: 'from', type: 'datetime-local' });
  const to = h('input', { id: 'to', type: 'datetime-local' });
  const category = h('select', { id: 'heat-category' }, h('option', { value: '' }, t('sup.all_categories')), options(CATEGORIES, (c) => tk('category', c)));
  const resolution = h('select', { id: 'resolution' }, options(['6', '7', '8', '9'], (r) => `H3 r${r}`, '8'));
  const heatForm = h(
    'form',
    { class: 'row heat-form' },
    h('label', { for: 'period' }, t('sup.period')),
    period,
    h('label', { for: 'from' }, t('sup.from')),
    from,
    h('label', { for: 'to' }, t('sup.to')),
    to,
    h('label', { for: 'heat-category' }, t('ct.category')),
    category,
    h('label', { for: 'resolution' }, t('sup.resolution')),
    resolution,
    h('button', { type: 'submit', class: 'btn primary' }, t('sup.show')),
  );

  replace(
    shell.main,
    h(
      'div',
      { class: 'board' },
      h('section', { class: 'card' }, h('h2', {}, t('sup.counters')), counters, h('h3', {}, t('sup.by_agency')), byAgency),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, t('sup.agents')),
        h('table', { class: 'agents' }, h('thead', {}, h('tr', {}, h('th', {}, t('sup.agent')), h('th', {}, t('sup.role')), h('th', {}, t('sup.state')), h('th', {}, ''))), agentsBody),
      ),
      h('section', { class: 'card wide' }, h('h2', {}, t('sup.heatmap')), heatForm, mapBox, legend),
    ),
  );

  const agencies = new Map<string, Agency>();
  let agents: AgentView[] = [];

  /** Agents (call takers and dispatchers) with their current state, from `GET /api/v1/agents`. */
  async function loadAgents(): Promise<void> {
    agents = await get<AgentView[]>('/api/v1/agents');
    renderAgents();
  }

  function renderAgents(): void {
    replace(
      agentsBody,
      agents.map((a) => {
        const symbol = a.state === 'ready' ? '●' : a.state === 'on_call' ? '☏' : a.state === 'aux' ? '◐' : a.state === 'logged_in' ? '◌' : '○';
        return h(
          'tr',
          { 'data-user-id': a.user_id, 'data-username': a.username },
          h('td', {}, a.display_name, h('br'), h('small', { class: 'muted' }, a.username)),
          h('td', {}, tk('app.role', a.role)),
          h(
            'td',
            { 'data-state': a.state, 'data-testid': `agent-state-${a.username}` },
            `${symbol} ${tk('agent_state', a.state)}`,
            a.state === 'aux' && a.reason ? ` (${a.reason})` : '',
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
                    onclick: () => void forceLogout(a),
                  },
                  '⊗ ',
                  t('sup.force_logout'),
                ),
          ),
        );
      }),
    );
  }

  async function forceLogout(a: AgentView): Promise<void> {
    if (!confirm(t('sup.force_logout_confirm', { name: a.display_name }))) return;
    try {
      await post(`/api/v1/users/${encodeURIComponent(a.user_id)}/force-logout`, { reason: 'supervisor' });
      shell.toast(t('sup.force_logout_done', { name: a.display_name }));
      await loadAgents();
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  async function loadCounters(): Promise<void> {
    const [calls, incidents] = await Promise.all([
      getOptional<CallView[]>('/api/v1/calls?status=ringing'),
      getOptional<IncidentView[]>('/api/v1/incidents'),
    ]);
    const open = (incidents ?? []).filter((i) => isOpenIncident(i.status));
    const breaches = open.reduce((n, i) => n + (i.sla ?? []).filter((s) => s.breached_at !== null && s.breached_at !== undefined).length, 0);
    const counter = (label: string, value: string, id: string, alarm = false) =>
      h('div', { class: `counter${alarm ? ' alarm' : ''}`, 'data-counter': id }, h('span', { class: 'value' }, alarm ? `⚠ ${value}` : value), h('span', { class: 'label' }, label));
    const show = (v: number | null) => (v === null ? t('common.none') : String(v));
    replace(
      counters,
      counter(t('sup.calls_waiting'), show(calls ? calls.length : null), 'calls_waiting', (calls?.length ?? 0) > 0),
      counter(t('sup.incidents_open'), show(incidents ? open.length : null), 'incidents_open'),
      counter(t('sup.sla_breaches'), show(incidents ? breaches : null), 'sla_breaches', breaches > 0),
    );
    const counts = new Map<string, number>();
    for (const i of open) for (const a of i.agencies ?? []) counts.set(a.agency_id, (counts.get(a.agency_id) ?? 0) + 1);
    replace(
      byAgency,
      [...agencies.values()].map((a) => h('li', { 'data-agency-id': a.id }, h('span', {}, a.name), h('strong', {}, String(counts.get(a.id) ?? 0)))),
    );
  }

  try {
    for (const a of await get<Agency[]>('/api/v1/agencies')) agencies.set(a.id, a);
    await Promise.all([loadAgents(), loadCounters()]);
  } catch (e) {
    shell.toast(messageFor(e), 'error');
  }

  const map = await createMap(mapBox);
  const boundaries = mountBoundaries(map);
  const hexbins = mountHexbins(map);
  void getOptional<GeoJSON.FeatureCollection>('/api/v1/geo/regions.geojson?level=regency')
    .then((fc) => {
      if (fc) {
        boundaries.update(fc);
        fitTo(map, geojsonPoints(fc));
      }
    })
    .catch(() => undefined);

  async function loadHeat(): Promise<void> {
    const now = Date.now();
    let fromMs = now - DAY_MS;
    let toMs = now;
    if (period.value === '7d') fromMs = now - 7 * DAY_MS;
    else if (period.value === '30d') fromMs = now - 30 * DAY_MS;
    else if (period.value === 'custom' && from.value && to.value) {
      fromMs = new Date(from.value).getTime();
      toMs = new Date(to.value).getTime();
    }
    const q = new URLSearchParams({ from: String(fromMs), to: String(toMs), resolution: resolution.value });
    if (category.value) q.set('category', category.value);
    try {
      const fc = await getOptional<GeoJSON.FeatureCollection>(`/api/v1/reports/heatmap?${q.toString()}`);
      if (!fc) {
        replace(legend, h('p', { class: 'muted' }, t('sup.heat_unavailable')));
        return;
      }
      const max = hexbins.update(fc);
      const total = fc.features.reduce((n, f) => n + Number(f.properties?.['count'] ?? 0), 0);
      legend.dataset['cells'] = String(fc.features.length);
      legend.dataset['total'] = String(total);
      replace(
        legend,
        fc.features.length === 0
          ? h('p', { class: 'muted' }, t('sup.heat_empty'))
          : h(
              'div',
              {},
              h('span', {}, t('sup.heat_legend'), ` (Σ ${total}): `),
              HEAT_RAMP.map((c, i) => h('span', { class: 'swatch', style: `background:${c}` }, String(Math.round((max * i) / (HEAT_RAMP.length - 1))))),
            ),
      );
    } catch (e) {
      replace(legend, h('p', { class: 'error', role: 'alert' }, messageFor(e)));
    }
  }
  heatForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadHeat();
  });
  void loadHeat();

  // Counters refresh on relevant events, coalesced so a burst of events costs one refetch.
  let pending: ReturnType<typeof setTimeout> | null = null;
  const soon = (fn: () => Promise<void>) => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      void fn().catch(() => undefined);
    }, 500);
  };
  let pendingAgents: ReturnType<typeof setTimeout> | null = null;
  const soonAgents = () => {
    if (pendingAgents) return;
    pendingAgents = setTimeout(() => {
      pendingAgents = null;
      void loadAgents().catch(() => undefined);
    }, 500);
  };
  connectLive({
    snapshot: async () => {
      await Promise.all([loadAgents(), loadCounters()]);
    },
    onEvent: (e: LiveEvent) => {
      if (e.type === 'agent.state') {
        soonAgents();
        return;
      }
      if (e.type.startsWith('call.') || e.type.startsWith('incident.') || e.type === 'sla.breach') soon(loadCounters);
      // Answering and ending calls move agents in and out of "on call".
      if (e.type.startsWith('call.')) soonAgents();
    },
    onState: shell.setLive,
  });
  // State changes arrive as agent.state events; today's time in state grows without any: re-read every 10 s.
  setInterval(() => void loadAgents().catch(() => undefined), AGENTS_REFRESH_MS);
}
