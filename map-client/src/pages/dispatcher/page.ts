//! Dispatcher live map: the agency's incidents (priority colour + status badge), its units gliding with each
//! position fix, region boundaries and faskes; the incident queue with SLA countdowns beside the map; the
//! selected incident's recommended units, each assignable in one action. The dispatcher verifies an incident
//! for the OPD or rejects it back to the call taker with a reason, and closes a resolved incident with its
//! final report. State comes from a REST snapshot and is kept current by the live socket (resume by seq,
//! resync on demand).
//!
//! This module wires the pieces: REST and the socket feed `state.ts`, whose changes the `view_*` modules draw.

import { ApiError, get, getOptional, post } from '../../api/client';
import type { Agency, AssignmentView, IncidentView, Recommendations, Unit } from '../../api/types';
import { t } from '../../i18n';
import { connectLive } from '../../live/connect';
import { createMap, fitTo, geojsonPoints } from '../../map/map';
import { mountBoundaries } from '../../map/layers/boundaries';
import { mountFacilities } from '../../map/layers/facilities';
import { mountIncidents } from '../../map/layers/incidents';
import { mountUnits } from '../../map/layers/units';
import type { PageContext } from '../../main';
import { h, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { mountShell } from '../../ui/shell';
import { createStore } from '../store';
import {
  agenciesLoaded,
  applyEvent,
  assignmentCreated,
  cancelDecision,
  decisionDone,
  incidentGone,
  incidentLoaded,
  initialState,
  openDecision,
  recommendationsFailed,
  recommendationsLoaded,
  recommendationsRequested,
  recommendationsWanted,
  selectIncident,
  selectedIncident,
  snapshotLoaded,
} from './state';
import { mountDetail } from './view_detail';
import { syncMap } from './view_map';
import { mountQueue } from './view_queue';
import { mountUnitList } from './view_units';

const incidentPath = (id: string) => `/api/v1/incidents/${encodeURIComponent(id)}`;

export async function mount({ root, user }: PageContext): Promise<void> {
  const shell = mountShell(root, user, t('disp.title'));
  const queueList = h('ol', { class: 'queue', 'data-testid': 'incident-queue', 'aria-label': t('disp.queue') });
  const unitList = h('ul', { class: 'unit-list', 'data-testid': 'unit-list' });
  const detail = h('section', { class: 'detail', 'data-testid': 'incident-detail', 'aria-live': 'polite' });
  const mapBox = h('div', { class: 'map', id: 'map', 'data-testid': 'map', role: 'region', 'aria-label': t('disp.title') });
  const layerBox = h('fieldset', { class: 'layers' }, h('legend', {}, t('disp.layers')));
  replace(
    shell.main,
    h(
      'div',
      { class: 'dispatch' },
      h('aside', { class: 'side' }, h('h2', {}, t('disp.queue')), queueList, h('h2', {}, t('disp.units')), unitList, layerBox),
      mapBox,
      h('aside', { class: 'side right' }, detail),
    ),
  );

  const store = createStore(initialState(user.agency_id ?? null));
  const map = await createMap(mapBox);
  const boundaries = mountBoundaries(map);
  const facilities = mountFacilities(map);
  const layers = { units: mountUnits(map), incidents: mountIncidents(map, (id) => select(id)) };
  for (const [key, layer] of [
    ['disp.layer_boundaries', boundaries],
    ['disp.layer_facilities', facilities],
    ['disp.layer_units', layers.units],
    ['disp.layer_incidents', layers.incidents],
  ] as const) {
    const box = h('input', { type: 'checkbox', checked: true });
    box.addEventListener('change', () => layer.setVisible(box.checked));
    layerBox.append(h('label', { class: 'check' }, box, ' ', t(key)));
  }

  function select(id: string): void {
    store.update((s) => selectIncident(s, id));
    const inc = selectedIncident(store.get());
    if (inc) map.easeTo({ center: [inc.location.lon, inc.location.lat], zoom: Math.max(map.getZoom(), 13) });
  }

  /** Posts an incident action and folds the answer in; failures are told in a toast. */
  async function act(path: string, body: unknown): Promise<void> {
    const asked = store.get().events;
    try {
      const inc = await post<IncidentView>(path, body);
      if (inc && inc.id) store.update((s) => incidentLoaded(s, inc, asked));
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  const queueView = mountQueue(queueList, select);
  const unitView = mountUnitList(unitList);
  const detailView = mountDetail(detail, {
    verify: (id) => void act(`${incidentPath(id)}/verify`, {}),
    openDecision: (id, kind) => store.update((s) => openDecision(s, id, kind)),
    cancelDecision: () => store.update(cancelDecision),
    async decide(id, kind, text) {
      const asked = store.get().events;
      const updated = await post<IncidentView>(`${incidentPath(id)}/${kind}`, kind === 'reject' ? { reason: text } : { report: text });
      store.update((s) => decisionDone(s, updated, asked));
      shell.toast(t(kind === 'reject' ? 'disp.rejected' : 'disp.closed', { number: updated.number }));
    },
    async assign(id, unitId, callSign) {
      try {
        const a = await post<AssignmentView>(`${incidentPath(id)}/assignments`, { unit_id: unitId });
        store.update((s) => assignmentCreated(s, a));
        shell.toast(t('disp.assigned', { unit: callSign, number: store.get().incidents.get(id)?.number ?? '' }));
        return true;
      } catch (e) {
        shell.toast(messageFor(e), 'error');
        return false;
      }
    },
  });
  let fitted = false;
  store.subscribe((next, prev) => {
    syncMap(layers, next, prev);
    queueView.render(next, prev);
    unitView.render(next);
    detailView.render(next);
    const wanted = recommendationsWanted(next);
    if (wanted) void loadRecommendations(wanted);
  });
  setInterval(() => queueView.tick(store.get(), Date.now()), 1000);

  async function loadRecommendations(id: string): Promise<void> {
    const seq = store.update((s) => recommendationsRequested(s, id)).requests;
    try {
      const recs = await get<Recommendations>(`${incidentPath(id)}/recommendations`);
      store.update((s) => recommendationsLoaded(s, seq, recs));
    } catch (e) {
      store.update((s) => recommendationsFailed(s, seq, e));
    }
  }

  void get<Agency[]>('/api/v1/agencies')
    .then((list) => store.update((s) => agenciesLoaded(s, list)))
    .catch(() => undefined);

  // Static layers: boundaries and faskes. Endpoints still being built answer 404; the map simply lacks them.
  void (async () => {
    try {
      const [regions, faskes] = await Promise.all([
        getOptional<GeoJSON.FeatureCollection>('/api/v1/geo/regions.geojson?level=district'),
        getOptional<GeoJSON.FeatureCollection>('/api/v1/geo/facilities.geojson'),
      ]);
      if (regions) {
        boundaries.update(regions);
        if (!fitted) {
          fitTo(map, geojsonPoints(regions));
          fitted = true;
        }
      }
      if (faskes) facilities.update(faskes);
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  })();

  const snapshot = async () => {
    const agencyQuery = user.agency_id ? `?agency_id=${encodeURIComponent(user.agency_id)}` : '';
    const [incidents, units] = await Promise.all([getOptional<IncidentView[]>('/api/v1/incidents'), get<Unit[]>(`/api/v1/units${agencyQuery}`)]);
    store.update((s) => snapshotLoaded(s, incidents ?? [], units));
    if (!fitted) fitTo(map, units.flatMap((u) => (u.position ? [u.position] : [])));
  };

  /** Reads an incident again; the answer is dated by the events folded in when it was asked (see `incidentLoaded`). */
  async function loadIncident(id: string): Promise<void> {
    const asked = store.get().events;
    try {
      const inc = await get<IncidentView>(incidentPath(id));
      store.update((s) => incidentLoaded(s, inc, asked));
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 403)) store.update((s) => incidentGone(s, id, asked));
    }
  }

  connectLive({
    snapshot,
    onEvent: (e) => {
      const step = applyEvent(store.get(), e);
      store.update(() => step.state);
      if (step.followUp) void loadIncident(step.followUp.id);
    },
    onState: shell.setLive,
  });
}
