//! Dispatcher live map: the agency's incidents (priority colour + status badge), its units gliding with each
//! position fix, region boundaries and faskes; the incident queue with SLA countdowns beside the map; the
//! selected incident's recommended units, each assignable in one action. The dispatcher verifies an incident
//! for the OPD or rejects it back to the call taker with a reason, and closes a resolved incident with its
//! final report. State comes from a REST snapshot and is kept current by the live socket (resume by seq,
//! resync on demand).
//!
//! Units can be selected in the list or on the map, followed as they move, and taken out of service or back;
//! assignments can be cancelled, reassigned, or moved on from a crew's radio report. News is heard
//! (`ui/cues.ts`): a new incident for this OPD, a breach of its SLA clocks, and a crew that did not acknowledge
//! (an alarm that also highlights the assignment). Recommendations follow the OPD's units: asked again at once
//! when one changes status, and within `MOVED_REFRESH_MS` when they move.
//!
//! This module wires the pieces: REST and the socket feed `state.ts`, whose changes the `view_*` modules draw.

import { ApiError, get, getOptional, patch, post } from '../../api/client';
import type { Agency, AssignmentView, CancelRequest, IncidentView, Recommendations, RouteView, Unit } from '../../api/types';
import { t } from '../../i18n';
import { connectLive } from '../../live/connect';
import { createMap, fitTo, geojsonPoints, openedOnSavedView } from '../../map/map';
import { mountBoundaries } from '../../map/layers/boundaries';
import { mountFacilities } from '../../map/layers/facilities';
import { mountIncidents } from '../../map/layers/incidents';
import { mountRoute } from '../../map/layers/route';
import { mountUnits } from '../../map/layers/units';
import type { PageContext } from '../../main';
import { h, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { cue, mountMuteToggle } from '../../ui/cues';
import { mountNightShiftToggle } from '../../ui/night_shift';
import { mountShell } from '../../ui/shell';
import { mountDeskTimeline } from '../../ui/timeline';
import { createStore } from '../store';
import {
  agenciesLoaded,
  applyEvent,
  assignmentChanged,
  assignmentCreated,
  cueFor,
  followUnit,
  cancelDecision,
  cancelEdit,
  changesSeen,
  decisionDone,
  editDone,
  editLocationPicked,
  movedSeen,
  openEdit,
  incidentGone,
  incidentLoaded,
  initialState,
  mergeDone,
  openDecision,
  recommendationsFailed,
  recommendationsLoaded,
  recommendationsMoved,
  recommendationsRequested,
  recommendationsWanted,
  detailWanted,
  selectIncident,
  selectUnit,
  selectedIncident,
  snapshotLoaded,
  unitLoaded,
} from './state';
import { mountDetail } from './view_detail';
import { syncMap } from './view_map';
import { mountQueue } from './view_queue';
import { mountUnitList } from './view_units';

const incidentPath = (id: string) => `/api/v1/incidents/${encodeURIComponent(id)}`;
const assignmentStatusPath = (id: string) => `/api/v1/assignments/${encodeURIComponent(id)}/status`;
/** How soon recommendations are asked again after the OPD's units only moved. */
const MOVED_REFRESH_MS = 5000;
/** How long the fields a correction changed stay highlighted. */
const CHANGED_HIGHLIGHT_MS = 6000;

export async function mount({ root, user }: PageContext): Promise<void> {
  const shell = mountShell(root, user, t('disp.title'));
  mountMuteToggle(root);
  mountNightShiftToggle(root);
  const queueList = h('ol', { class: 'queue', 'data-testid': 'incident-queue', 'aria-label': t('disp.queue') });
  const unitList = h('ul', { class: 'unit-list', 'data-testid': 'unit-list' });
  const unitCard = h('section', { class: 'unit-card card', 'data-testid': 'unit-card', 'aria-live': 'polite', hidden: true });
  const detail = h('section', { class: 'detail', 'data-testid': 'incident-detail', 'aria-live': 'polite' });
  const mapBox = h('div', { class: 'map', id: 'map', 'data-testid': 'map', role: 'region', 'aria-label': t('disp.title') });
  const layerBox = h('fieldset', { class: 'layers' }, h('legend', {}, t('disp.layers')));
  const timeline = mountDeskTimeline((e) => shell.toast(messageFor(e), 'error'));
  replace(
    shell.main,
    h(
      'div',
      { class: 'dispatch' },
      h('aside', { class: 'side' }, h('h2', {}, t('disp.queue')), queueList, h('h2', {}, t('disp.units')), unitList, unitCard, layerBox),
      mapBox,
      h('aside', { class: 'side right' }, detail, timeline.el),
    ),
  );

  const store = createStore(initialState(user.agency_id ?? null));
  const map = await createMap(mapBox, `dispatcher:${user.username}`);
  // The map's centre, readable by tests and assistive tooling (e.g. that it follows the selected unit).
  map.on('moveend', () => {
    const c = map.getCenter();
    mapBox.dataset['center'] = `${c.lng.toFixed(5)},${c.lat.toFixed(5)}`;
  });
  const boundaries = mountBoundaries(map);
  const facilities = mountFacilities(map);
  const layers = { units: mountUnits(map, (id) => store.update((s) => selectUnit(s, id))), incidents: mountIncidents(map, (id) => select(id)) };
  const routeLayer = mountRoute(map);
  let routeAsked = 0;
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

  /** Posts a status change of an assignment and folds the answer in; failures are told in a toast. */
  async function moveAssignment(id: string, body: Record<string, unknown>): Promise<boolean> {
    try {
      const a = await post<AssignmentView>(assignmentStatusPath(id), body);
      store.update((s) => assignmentChanged(s, a));
      return true;
    } catch (e) {
      shell.toast(messageFor(e), 'error');
      return false;
    }
  }

  async function assign(id: string, unitId: string, callSign: string): Promise<boolean> {
    try {
      const a = await post<AssignmentView>(`${incidentPath(id)}/assignments`, { unit_id: unitId });
      store.update((s) => assignmentCreated(s, a));
      shell.toast(t('disp.assigned', { unit: callSign, number: store.get().incidents.get(id)?.number ?? '' }));
      return true;
    } catch (e) {
      shell.toast(messageFor(e), 'error');
      return false;
    }
  }

  const queueView = mountQueue(queueList, select);
  const unitView = mountUnitList(unitList, unitCard, {
    select: (id) => {
      store.update((s) => selectUnit(s, id));
      const u = store.get().units.get(id);
      if (u?.position) map.easeTo({ center: [u.position.lon, u.position.lat], zoom: Math.max(map.getZoom(), 13) });
    },
    follow: (follow) => store.update((s) => followUnit(s, follow)),
    openIncident: (id) => select(id),
    async setStatus(unitId, status) {
      try {
        const u = await patch<Unit>(`/api/v1/units/${encodeURIComponent(unitId)}/status`, { status });
        store.update((s) => unitLoaded(s, u));
        shell.toast(t(status === 'available' ? 'disp.unit_back_done' : 'disp.unit_out_done', { unit: u.call_sign }));
        return true;
      } catch (e) {
        shell.toast(messageFor(e), 'error');
        return false;
      }
    },
  });
  const detailView = mountDetail(detail, {
    verify: (id) => void act(`${incidentPath(id)}/verify`, {}),
    callBack: (id) =>
      void post<{ due_at: number }>('/api/v1/call-backs', { incident_id: id })
        .then(() => shell.toast(t('disp.call_back_asked')))
        .catch((e: unknown) => shell.toast(messageFor(e), 'error')),
    openDecision: (id, kind) => store.update((s) => openDecision(s, id, kind)),
    cancelDecision: () => store.update(cancelDecision),
    async decide(id, kind, text) {
      const asked = store.get().events;
      const updated = await post<IncidentView>(`${incidentPath(id)}/${kind}`, kind === 'reject' ? { reason: text } : { report: text });
      store.update((s) => decisionDone(s, updated, asked));
      shell.toast(t(kind === 'reject' ? 'disp.rejected' : 'disp.closed', { number: updated.number }));
    },
    async cancelIncident(id, body: CancelRequest) {
      const asked = store.get().events;
      const updated = await post<IncidentView>(`${incidentPath(id)}/cancel`, body);
      store.update((s) => decisionDone(s, updated, asked));
      shell.toast(t('cancel.done', { number: updated.number }));
    },
    async mergeIncident(id, into) {
      const asked = store.get().events;
      const number = store.get().incidents.get(id)?.number ?? '';
      const master = await post<IncidentView>(`${incidentPath(id)}/merge`, { into });
      store.update((s) => mergeDone(s, id, master, asked));
      shell.toast(t('merge.done', { dup: number, master: master.number }));
    },
    assign,
    showRoute(incidentId, unitId) {
      const asked = ++routeAsked;
      get<RouteView>(`${incidentPath(incidentId)}/route?unit_id=${encodeURIComponent(unitId)}`)
        .then((route) => {
          // A later ask, or another incident selected meanwhile, wins.
          if (asked === routeAsked && store.get().selected === incidentId) routeLayer.update(route);
        })
        .catch(() => shell.toast(t('disp.route_failed'), 'error'));
    },
    async cancelAssignment(a) {
      const ok = await moveAssignment(a.id, { status: 'cancelled' });
      if (ok) shell.toast(t('disp.assignment_cancelled', { unit: store.get().units.get(a.unit_id)?.call_sign ?? '' }));
      return ok;
    },
    async reassign(a, unitId, callSign) {
      return (await moveAssignment(a.id, { status: 'cancelled' })) && (await assign(a.incident_id, unitId, callSign));
    },
    openEdit: (id) => store.update((s) => openEdit(s, id)),
    cancelEdit: () => store.update(cancelEdit),
    async correct(id, body) {
      const asked = store.get().events;
      const updated = await patch<IncidentView>(incidentPath(id), body);
      store.update((s) => editDone(s, updated, asked));
      shell.toast(t('edit.saved', { number: updated.number }));
    },
    async radioStep(a, status, note) {
      const ok = await moveAssignment(a.id, note ? { status, reported_via: 'radio', note } : { status, reported_via: 'radio' });
      if (ok) shell.toast(t('disp.radio_recorded', { status: t(`assignment_status.${status}` as 'assignment_status.resolved') }));
      return ok;
    },
  });
  /** The incident whose details are being read, and one whose read failed while it stays open. */
  let detailLoading: string | null = null;
  let detailGaveUp: string | null = null;
  // A map that opened where this desk last left it keeps that view.
  let fitted = openedOnSavedView(map);
  let movedTimer: number | null = null;
  // While the correction form is open, a click on the map is the incident's new location.
  map.on('click', (ev) => {
    if (store.get().editing) store.update((s) => editLocationPicked(s, { lon: ev.lngLat.lng, lat: ev.lngLat.lat }));
  });
  const highlightTimers = new Map<string, number>();
  store.subscribe((next, prev) => {
    if (next.moved && next.moved !== prev?.moved) {
      const m = next.moved;
      shell.toast(t('edit.moved_away', { number: m.number, to: m.to.join(', ') }));
      store.update(movedSeen);
    }
    for (const [id, fields] of next.changed) {
      if (prev?.changed.get(id) === fields) continue;
      const old = highlightTimers.get(id);
      if (old !== undefined) window.clearTimeout(old);
      highlightTimers.set(
        id,
        window.setTimeout(() => {
          highlightTimers.delete(id);
          store.update((s) => changesSeen(s, id));
        }, CHANGED_HIGHLIGHT_MS),
      );
    }
    syncMap(layers, next, prev);
    if (prev && prev.selected !== next.selected) {
      routeAsked++;
      routeLayer.update(null);
    }
    queueView.render(next, prev);
    unitView.render(next);
    detailView.render(next);
    timeline.show(next.selected);
    followSelected(next, prev);
    // The selected incident's reporter and calls are read once; events keep the rest of it current.
    const detail = detailWanted(next);
    if (next.selected !== detailGaveUp) detailGaveUp = null;
    if (detail && detail !== detailLoading && detail !== detailGaveUp) void loadDetail(detail);
    const wanted = recommendationsWanted(next);
    if (wanted) void loadRecommendations(wanted);
    else if (recommendationsMoved(next) && movedTimer === null) {
      movedTimer = window.setTimeout(() => {
        movedTimer = null;
        const id = recommendationsMoved(store.get());
        if (id) void loadRecommendations(id);
      }, MOVED_REFRESH_MS);
    }
  });

  /** Keeps the followed unit in the middle of the map as it moves. */
  function followSelected(next: ReturnType<typeof store.get>, prev: ReturnType<typeof store.get> | null): void {
    if (!next.following || !next.selectedUnit) return;
    const u = next.units.get(next.selectedUnit);
    const before = prev?.units.get(next.selectedUnit);
    if (!u?.position) return;
    if (prev?.following && before?.position?.lon === u.position.lon && before.position.lat === u.position.lat) return;
    map.easeTo({ center: [u.position.lon, u.position.lat], duration: 1000 });
  }
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
    timeline.reload();
    if (!fitted) fitTo(map, units.flatMap((u) => (u.position ? [u.position] : [])));
  };

  /** Reads an incident again; the answer is dated by the events folded in when it was asked (see `incidentLoaded`). */
  /** Reads an incident; false when the read failed (the incident may have left the queue meanwhile). */
  async function loadIncident(id: string): Promise<boolean> {
    const asked = store.get().events;
    try {
      const inc = await get<IncidentView>(incidentPath(id));
      store.update((s) => incidentLoaded(s, inc, asked));
      return true;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 403)) store.update((s) => incidentGone(s, id, asked));
      return false;
    }
  }

  /**
   * Reads the open incident's details (see `detailWanted`). An answer older than an event that came meanwhile
   * is dropped, so it is asked again (a few times at most); after a failed read the page waits until the desk
   * opens an incident again.
   */
  async function loadDetail(id: string): Promise<void> {
    detailLoading = id;
    try {
      for (let tries = 0; tries < 3 && detailWanted(store.get()) === id; tries++) {
        if (!(await loadIncident(id))) break;
      }
    } finally {
      detailLoading = null;
    }
    if (detailWanted(store.get()) === id) detailGaveUp = id;
  }

  connectLive({
    snapshot,
    onEvent: (e) => {
      const heard = cueFor(store.get(), e);
      const step = applyEvent(store.get(), e);
      store.update(() => step.state);
      if (heard) cue(heard);
      if (step.followUp) void loadIncident(step.followUp.id);
      timeline.onEvent(e);
    },
    onState: shell.setLive,
  });
}
