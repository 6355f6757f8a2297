//! Supervisor board: agents with their states and a force sign-out; live counters (calls waiting, open
//! incidents by agency, SLA breaches); and an H3 hexagon heat map of incidents over a chosen period.
//!
//! This module wires the pieces: REST and the socket feed `state.ts`, whose changes the `view_*` modules draw.

import { get, getOptional, post } from '../../api/client';
import type { Agency, AgentView, CallView, IncidentView } from '../../api/types';
import { t } from '../../i18n';
import { connectLive } from '../../live/connect';
import { createMap, fitTo, geojsonPoints } from '../../map/map';
import { mountBoundaries } from '../../map/layers/boundaries';
import { mountHexbins } from '../../map/layers/hexbins';
import type { PageContext } from '../../main';
import { h, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { mountShell } from '../../ui/shell';
import { createStore } from '../store';
import { agenciesLoaded, agentsLoaded, countersLoaded, heatFailed, heatLoaded, heatQuery, initialState, staleAfter } from './state';
import { mountAgents, mountCounters } from './view_board';
import { mountHeatForm, mountHeatLegend } from './view_heat';

const AGENTS_REFRESH_MS = 10_000;
/** A burst of events costs one refetch of each part. */
const COALESCE_MS = 500;

export async function mount({ root, user }: PageContext): Promise<void> {
  const shell = mountShell(root, user, t('sup.title'));
  const store = createStore(initialState());
  const agentsBody = h('tbody', { 'data-testid': 'agents' });
  const counters = h('div', { class: 'counters', 'data-testid': 'counters' });
  const byAgency = h('ul', { class: 'by-agency', 'data-testid': 'by-agency' });
  const mapBox = h('div', { class: 'map heat', 'data-testid': 'map', role: 'region', 'aria-label': t('sup.heatmap') });
  const legend = h('div', { class: 'legend', 'data-testid': 'heat-legend', 'aria-live': 'polite' });
  const heatForm = mountHeatForm(() => void loadHeat());
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
      h('section', { class: 'card wide' }, h('h2', {}, t('sup.heatmap')), heatForm.form, mapBox, legend),
    ),
  );
  const agentsView = mountAgents(agentsBody, (a) => void forceLogout(a));
  const countersView = mountCounters(counters, byAgency);
  store.subscribe((next, prev) => {
    agentsView.render(next, prev);
    countersView.render(next, prev);
  });

  /** Agents (call takers and dispatchers) with their current state, from `GET /api/v1/agents`. */
  async function loadAgents(): Promise<void> {
    const agents = await get<AgentView[]>('/api/v1/agents');
    store.update((s) => agentsLoaded(s, agents));
  }

  async function loadCounters(): Promise<void> {
    const [calls, incidents] = await Promise.all([getOptional<CallView[]>('/api/v1/calls?status=ringing'), getOptional<IncidentView[]>('/api/v1/incidents')]);
    store.update((s) => countersLoaded(s, calls, incidents));
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

  try {
    const agencies = await get<Agency[]>('/api/v1/agencies');
    store.update((s) => agenciesLoaded(s, agencies));
    await Promise.all([loadAgents(), loadCounters()]);
  } catch (e) {
    shell.toast(messageFor(e), 'error');
  }

  const map = await createMap(mapBox);
  const boundaries = mountBoundaries(map);
  const heatLegend = mountHeatLegend(legend, mountHexbins(map));
  store.subscribe(heatLegend.render);
  void getOptional<GeoJSON.FeatureCollection>('/api/v1/geo/regions.geojson?level=regency')
    .then((fc) => {
      if (fc) {
        boundaries.update(fc);
        fitTo(map, geojsonPoints(fc));
      }
    })
    .catch(() => undefined);

  async function loadHeat(): Promise<void> {
    try {
      const cells = await getOptional<GeoJSON.FeatureCollection>(`/api/v1/reports/heatmap?${heatQuery(heatForm.value(), Date.now())}`);
      store.update((s) => heatLoaded(s, cells));
    } catch (e) {
      store.update((s) => heatFailed(s, e));
    }
  }
  void loadHeat();

  const soon = coalesce(() => void loadCounters().catch(() => undefined));
  const soonAgents = coalesce(() => void loadAgents().catch(() => undefined));
  connectLive({
    snapshot: async () => {
      await Promise.all([loadAgents(), loadCounters()]);
    },
    onEvent: (e) => {
      const stale = staleAfter(e);
      if (stale.counters) soon();
      if (stale.agents) soonAgents();
    },
    onState: shell.setLive,
  });
  // State changes arrive as agent.state events; today's time in state grows without any: re-read every 10 s.
  setInterval(() => void loadAgents().catch(() => undefined), AGENTS_REFRESH_MS);
}

/** Runs `fn` once, `COALESCE_MS` after the first of a burst of calls. */
function coalesce(fn: () => void): () => void {
  let pending: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      fn();
    }, COALESCE_MS);
  };
}
