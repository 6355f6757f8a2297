//! Call-taker console, keyboard first: the incoming-call queue (ANI, AML circle, prank flag), one-key
//! classification, and the SOP incident form with a map pin. Before submitting, the console shows the region
//! and receiving agencies for the pin (geo locate) and nearby incidents that may be the same one. Incidents
//! every OPD sent back (rejected) are listed with each OPD's reason, live.
//!
//! This module wires the pieces: REST and the socket feed `state.ts`, whose changes the `view_*` modules draw.

import { get, getOptional, post } from '../../api/client';
import type { CallClass, CallView, IncidentView } from '../../api/types';
import { t } from '../../i18n';
import { connectLive } from '../../live/connect';
import { createMap, fitTo, geojsonPoints } from '../../map/map';
import { mountAml } from '../../map/layers/aml';
import { mountBoundaries } from '../../map/layers/boundaries';
import type { PageContext } from '../../main';
import { h, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { cue, mountMuteToggle } from '../../ui/cues';
import { mountShell } from '../../ui/shell';
import { createStore } from '../store';
import {
  activeCall,
  agenciesLoaded,
  applyEvent,
  type CallTakerState,
  callAnswered,
  callEnded,
  callsLoaded,
  callUpdated,
  draftEdited,
  incidentFiled,
  initialState,
  newlyReturned,
  placeMoved,
  placeSearchCleared,
  returnedLoaded,
  shortcutFor,
} from './state';
import { locating } from './location';
import { mountCalls } from './view_calls';
import { mountIncidentForm } from './view_form';
import { mountPin } from './view_map';
import { mountReturned } from './view_returned';

const callPath = (id: string) => `/api/v1/calls/${encodeURIComponent(id)}`;

export async function mount({ root, user }: PageContext): Promise<void> {
  const shell = mountShell(root, user, t('ct.title'));
  mountMuteToggle(root);
  const store = createStore(initialState());
  /** The pin and the address search need the map, which loads after the layout is in place. */
  let loc: ReturnType<typeof locating> | null = null;
  const calls = mountCalls({ answer: (c) => void answer(c), classify: (cls) => void classify(cls), endCall: () => void endCall(), register });
  const form = mountIncidentForm({
    edit: (patch) => store.update((s) => draftEdited(s, patch)),
    categoryChanged: () => void loc?.refreshDuplicates(),
    useAml: () => {
      const aml = activeCall(store.get())?.aml;
      if (aml) void loc?.setPin({ lon: aml.lon, lat: aml.lat });
    },
    searchPlaces: (query) => loc?.searchPlaces(query),
    movePlace: (step) => store.update((s) => placeMoved(s, step)),
    closePlaces: () => store.update(placeSearchCleared),
    choosePlace: (p) => loc?.choosePlace(p),
    async submit(body) {
      const inc = await post<IncidentView>('/api/v1/incidents', body);
      shell.toast(t('ct.submitted', { number: inc.number }));
      store.update((s) => incidentFiled(s, inc));
    },
  });
  const returnedList = h('ul', { class: 'returned-list', 'data-testid': 'returned', 'aria-live': 'polite' });
  const returned = mountReturned(returnedList, {
    async escalate(id, agencyId, note) {
      const after = await post<IncidentView>(`/api/v1/incidents/${encodeURIComponent(id)}/escalate`, { agency_ids: [agencyId], note });
      shell.toast(t('ct.escalated', { number: after.number, agency: store.get().agencyNames.get(agencyId) ?? '' }), 'info');
      await loadReturned(false);
    },
  });
  const mapBox = h('div', { class: 'map', 'data-testid': 'map', role: 'region', 'aria-label': t('ct.location') });
  replace(
    shell.main,
    h('p', { class: 'shortcuts', 'data-testid': 'shortcuts' }, '⌨ ', t('ct.shortcuts')),
    h(
      'div',
      { class: 'console' },
      h('aside', { class: 'side' }, h('h2', {}, t('ct.queue')), calls.callList, calls.callCard, calls.manualForm, h('h2', {}, '↩ ', t('ct.returned')), returnedList),
      h('div', { class: 'console-main' }, mapBox, form.form),
    ),
  );

  const map = await createMap(mapBox);
  const boundaries = mountBoundaries(map);
  const aml = mountAml(map);
  void getOptional<GeoJSON.FeatureCollection>('/api/v1/geo/regions.geojson?level=district')
    .then((fc) => {
      if (fc) {
        boundaries.update(fc);
        fitTo(map, geojsonPoints(fc));
      }
    })
    .catch(() => undefined);
  loc = locating(store, map);
  const pin = mountPin(map, (p) => void loc?.setPin(p));
  const render = (next: CallTakerState, prev: CallTakerState | null) => {
    calls.render(next, prev);
    form.render(next, prev);
    returned.render(next, prev);
    pin.render(next, prev);
  };
  store.subscribe(render);
  render(store.get(), null);

  void get<{ id: string; name: string }[]>('/api/v1/agencies')
    .then((list) => store.update((s) => agenciesLoaded(s, list)))
    .catch(() => undefined);

  async function register(ani: string, channel: string): Promise<void> {
    const call = await post<CallView>('/api/v1/calls', { ani, channel, service_line: '112' });
    store.update((s) => callUpdated(s, call));
    void answer(call);
  }

  async function answer(c: CallView): Promise<void> {
    try {
      const answered = c.status === 'ringing' ? await post<CallView>(`${callPath(c.id)}/answer`) : c;
      store.update((s) => callAnswered(s, answered));
      aml.update(answered.aml ?? null);
      if (answered.aml) {
        map.easeTo({ center: [answered.aml.lon, answered.aml.lat], zoom: 15 });
        await loc?.setPin({ lon: answered.aml.lon, lat: answered.aml.lat });
      }
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  async function classify(cls: CallClass): Promise<void> {
    const active = activeCall(store.get());
    if (!active) return;
    try {
      const classified = await post<CallView>(`${callPath(active.id)}/classify`, { class: cls });
      store.update((s) => callUpdated(s, classified));
      if (cls === 'emergency') form.focusReporterName();
      else await endCall();
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  async function endCall(): Promise<void> {
    const active = activeCall(store.get());
    if (!active) return;
    let ended: CallView | null = null;
    try {
      ended = await post<CallView>(`${callPath(active.id)}/end`);
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
    store.update((s) => callEnded(s, ended));
    aml.update(null);
  }

  /** Re-reads the open incidents (the list leaves the reporter out, so watching it reads no personal data). */
  async function loadReturned(announce: boolean): Promise<void> {
    const list = (await getOptional<IncidentView[]>('/api/v1/incidents')) ?? [];
    const before = store.get();
    const after = store.update((s) => returnedLoaded(s, list));
    const fresh = announce ? newlyReturned(before, after) : [];
    for (const inc of fresh) shell.toast(t('ct.returned_toast', { number: inc.number }), 'error');
    if (fresh.length > 0) cue('returned_incident');
  }

  // Keyboard: shortcuts act unless the user is typing in a field (Ctrl/Alt combinations always act).
  addEventListener('keydown', (ev) => {
    const typing = ev.target instanceof HTMLElement && ev.target.closest('input, textarea, select') !== null;
    const shortcut = shortcutFor(store.get(), { key: ev.key, ctrl: ev.ctrlKey, alt: ev.altKey, meta: ev.metaKey, typing });
    if (!shortcut) return;
    ev.preventDefault();
    if (shortcut.kind === 'submit') form.submit();
    else if (shortcut.kind === 'end_call') void endCall();
    else if (shortcut.kind === 'answer') void answer(shortcut.call);
    else void classify(shortcut.cls);
  });

  connectLive({
    snapshot: async () => {
      const list = (await getOptional<CallView[]>('/api/v1/calls?status=ringing')) ?? [];
      store.update((s) => callsLoaded(s, list));
      await loadReturned(false);
    },
    onEvent: (e) => {
      const step = applyEvent(store.get(), e);
      store.update(() => step.state);
      if (step.followUp?.kind === 'reload_returned') void loadReturned(true).catch(() => undefined);
      else if (step.followUp?.kind === 'load_call') {
        void get<CallView>(callPath(step.followUp.id))
          .then((c) => store.update((s) => callUpdated(s, c)))
          .catch(() => undefined);
      }
    },
    onState: shell.setLive,
  });
  void post('/api/v1/agents/me/state', { state: 'ready' }).catch(() => undefined);
}
