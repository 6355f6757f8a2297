//! Call-taker console, keyboard first: the agent's ready/AUX state, the incoming-call queue (ANI, AML circle,
//! prank flag), one-key classification (keys that end the call ask first), call notes, and the SOP incident
//! form with a map pin. Before submitting, the console shows the region and the OPDs the incident goes to, and
//! nearby incidents that may be the same one (the call can be linked to one instead). The incidents this desk
//! filed are listed with their live status; incidents every OPD sent back are listed with each OPD's reason.
//!
//! This module wires the pieces: REST and the socket feed `state.ts`, whose changes the `view_*` modules draw.
//! A reload reads back this desk's open call (and the form typed for it, kept in the tab's session storage);
//! a language switch redraws the views from the same state, without a reload.

import { get, getOptional, patch, post } from '../../api/client';
import { PAGE_STORAGE_PREFIX } from '../../api/session';
import type { CallClass, CallView, CancelRequest, FollowUpView, IncidentView } from '../../api/types';
import { t, tk } from '../../i18n';
import { connectLive } from '../../live/connect';
import type { LiveState } from '../../live/socket';
import { createMap, DEFAULT_CENTER, fitTo, geojsonPoints, type MlMap } from '../../map/map';
import { mountAml } from '../../map/layers/aml';
import { mountBoundaries } from '../../map/layers/boundaries';
import { loadClientConfig } from '../../map/style';
import type { PageContext } from '../../main';
import { h, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { cue, mountMuteToggle } from '../../ui/cues';
import { mountNightShiftToggle } from '../../ui/night_shift';
import { mountDeskTimeline } from '../../ui/timeline';
import { mountShell, type Shell } from '../../ui/shell';
import { createStore } from '../store';
import {
  activeCall,
  agenciesLoaded,
  agentStateSet,
  applyEvent,
  cueFor,
  type CallTakerState,
  callAnswered,
  callEnded,
  callLinked,
  callUpdated,
  correctionEnded,
  correctionStarted,
  draftEdited,
  type Ending,
  endingArmed,
  endingCancelled,
  filedList,
  filedLoaded,
  filedUpdated,
  linesLoaded,
  isOfferedToMe,
  routeLocus,
  followUpsLoaded,
  formRefused,
  incidentFiled,
  initialState,
  newlyReturned,
  notesEdited,
  openCallsRestored,
  parseSavedWork,
  placeMoved,
  placeSearchCleared,
  returnedLoaded,
  savedWork,
  type Shortcut,
  shortcutFor,
  callsLoaded,
  waitingCalls,
} from './state';
import { locating } from './location';
import { mountCallers } from './callers';
import { mountCalls } from './view_calls';
import { mountFollowUps } from './view_follow_ups';
import { mountIncidentForm, renderFiled } from './view_form';
import { mountPin } from './view_map';
import { mountReturned } from './view_returned';

const callPath = (id: string) => `/api/v1/calls/${encodeURIComponent(id)}`;
/** The work on the answered call, kept for a reload of this tab (cleared when the call ends or on sign-out). */
const WORK_KEY = `${PAGE_STORAGE_PREFIX}ct.work`;
/** The agent state chosen in this tab, so a reload does not put an agent on AUX back to ready. */
const AGENT_KEY = `${PAGE_STORAGE_PREFIX}ct.agent`;

interface AgentAnswer {
  state: string;
  reason?: string | null;
}

export async function mount({ root, user }: PageContext): Promise<void> {
  const store = createStore(initialState(user.id, user.team_id ?? null));
  const mapBox = h('div', { class: 'map', 'data-testid': 'map', role: 'region', 'aria-label': t('ct.location') });
  let map: MlMap | null = null;
  const loc = locating(store, () => map as MlMap);
  let live: { state: LiveState; retry: number | null } = { state: 'connecting', retry: null };
  // The caller history and the call-back list keep their own reads; built once, placed by each layout.
  const callers = mountCallers({ get: getOptional, post, toast: (m) => shell.toast(m) }, user.id);
  // The timeline of one of my incidents, opened from the list; built once, placed by each layout.
  const timeline = mountDeskTimeline((e) => shell.toast(messageFor(e), 'error'));
  let timelineOpen: string | null = null;

  // The views are built from the state, so a language switch builds them again around the same state and map.
  let shell: Shell;
  let views: ReturnType<typeof buildViews>;
  /** The call taker withdraws an incident she filed (before any OPD verified it). */
  async function cancelOwn(id: string, body: CancelRequest): Promise<boolean> {
    try {
      const inc = await post<IncidentView>(`/api/v1/incidents/${encodeURIComponent(id)}/cancel`, body);
      store.update((s) => filedUpdated(s, inc));
      shell.toast(t('cancel.done', { number: inc.number }));
      return true;
    } catch (e) {
      shell.toast(messageFor(e), 'error');
      return false;
    }
  }

  function buildViews() {
    shell = mountShell(root, user, t('ct.title'));
    mountMuteToggle(root);
    mountNightShiftToggle(root);
    shell.setLive(live.state, live.retry);
    const calls = mountCalls({
      answer: (c) => void answer(c),
      act: (s) => void act(s),
      endCall: () => void act(shortcutFor(store.get(), { key: 'e', alt: true, ctrl: false, meta: false, typing: false }) ?? { kind: 'cancel' }),
      notes: (text) => store.update((s) => notesEdited(s, text)),
      setAgent,
      register,
      scheduleFollowUps: (c) => void scheduleFollowUps(c),
      route: (c) => void route(c),
    });
    const form = mountIncidentForm({
      edit: (patch) => store.update((s) => draftEdited(s, patch)),
      draftChanged: (categoryChanged) => void loc.draftChanged(categoryChanged),
      useAml: () => {
        const aml = activeCall(store.get())?.aml;
        if (aml) void loc.setPin({ lon: aml.lon, lat: aml.lat });
      },
      searchPlaces: (query) => loc.searchPlaces(query),
      movePlace: (step) => store.update((s) => placeMoved(s, step)),
      closePlaces: () => store.update(placeSearchCleared),
      choosePlace: (p) => loc.choosePlace(p),
      refuse: (problem) => store.update((s) => formRefused(s, problem)),
      async submit(body) {
        const inc = await post<IncidentView>('/api/v1/incidents', body);
        shell.toast(t('ct.submitted', { number: inc.number }));
        store.update((s) => incidentFiled(s, inc));
      },
      async correct(id, body) {
        const inc = await patch<IncidentView>(`/api/v1/incidents/${encodeURIComponent(id)}`, body);
        shell.toast(t('edit.saved', { number: inc.number }));
        store.update((s) => correctionEnded(s, inc));
      },
      cancelCorrection: () => store.update((s) => correctionEnded(s)),
      async link(incidentId) {
        const call = activeCall(store.get());
        if (!call) return;
        const inc = await post<IncidentView>(`/api/v1/incidents/${encodeURIComponent(incidentId)}/calls`, { call_id: call.id });
        shell.toast(t('ct.linked', { number: inc.number }));
        store.update((s) => callLinked(s, inc));
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
    const filedBox = h('ul', { class: 'filed-list', 'data-testid': 'my-incidents', 'aria-live': 'polite' });
    // "Timeline" on one of my incidents opens its timeline under the list; the same button closes it.
    filedBox.addEventListener('click', (ev) => {
      const id = ev.target instanceof HTMLElement ? ev.target.closest<HTMLElement>('[data-open-timeline]')?.dataset['openTimeline'] : undefined;
      if (!id) return;
      timelineOpen = timelineOpen === id ? null : id;
      timeline.show(timelineOpen);
    });
    const followUpBox = h('ul', { class: 'follow-up-list', 'data-testid': 'follow-ups', 'aria-live': 'polite' });
    const followUps = mountFollowUps(followUpBox, {
      async record(id, outcome, note) {
        await post<FollowUpView>(`/api/v1/follow-ups/${encodeURIComponent(id)}/outcome`, note ? { outcome, note } : { outcome });
        shell.toast(t('ct.follow_up_recorded'));
        await loadFollowUps();
      },
    });
    const followUpSection = h('section', { 'data-testid': 'follow-up-section' }, h('h2', {}, '↻ ', t('ct.follow_ups')), followUpBox);
    replace(
      shell.main,
      h('p', { class: 'shortcuts', 'data-testid': 'shortcuts' }, '⌨ ', t('ct.shortcuts')),
      h(
        'div',
        { class: 'console' },
        h(
          'aside',
          { class: 'side' },
          calls.agentBox,
          h('h2', {}, t('ct.queue')),
          calls.callList,
          calls.callCard,
          callers.historyBox,
          calls.manualForm,
          h('h2', {}, t('ct.my_incidents')),
          filedBox,
          timeline.el,
          h('h2', {}, '↩ ', t('ct.returned')),
          returnedList,
          followUpSection,
          callers.section,
        ),
        h('div', { class: 'console-main' }, mapBox, form.form),
      ),
    );
    map?.resize();
    return {
      calls,
      form,
      render(next: CallTakerState, prev: CallTakerState | null) {
        calls.render(next, prev);
        form.render(next, prev);
        returned.render(next, prev);
        if (!prev || prev.filed !== next.filed || prev.activeId !== next.activeId) renderFiled(filedBox, filedList(next), cancelOwn, next, (id) => void startCorrection(id));
        // The work list is for centres with a follow-up programme.
        followUpSection.hidden = next.followUpLines.size === 0;
        followUps.render(next, prev, Date.now());
      },
    };
  }
  views = buildViews();

  /** The history follows the answered call, else the longest ringing one. */
  function followCaller(s: CallTakerState): void {
    const c = activeCall(s) ?? waitingCalls(s).find((w) => w.status === 'ringing') ?? null;
    callers.follow(c ? { ani: c.ani, id: c.id } : null);
  }

  let pin: ReturnType<typeof mountPin> | null = null;
  let home: (() => void) | null = null;
  store.subscribe((next, prev) => {
    views.render(next, prev);
    followCaller(next);
    pin?.render(next, prev);
    // A new caller's work: the map leaves the previous caller's spot.
    if (prev.work.serial !== next.work.serial && !next.work.draft.pin) home?.();
    if (prev.work !== next.work || prev.activeId !== next.activeId) keepWork(next);
  });
  views.render(store.get(), null);
  addEventListener('siaga:lang', (ev) => {
    ev.preventDefault();
    views = buildViews();
    views.render(store.get(), null);
    callers.redraw();
  });

  /** Keeps the work on the answered call for a reload of this tab; forgets it when there is none. */
  function keepWork(s: CallTakerState): void {
    const saved = savedWork(s);
    try {
      if (saved) sessionStorage.setItem(WORK_KEY, JSON.stringify(saved));
      else sessionStorage.removeItem(WORK_KEY);
    } catch {
      // Without storage a reload loses the form, not the call.
    }
  }

  function readSaved(key: string): unknown {
    try {
      return JSON.parse(sessionStorage.getItem(key) ?? 'null') as unknown;
    } catch {
      return null;
    }
  }

  // This desk's open call comes back after a reload, with the form typed for it.
  const restore = getOptional<CallView[]>('/api/v1/calls?mine=true&open=true&limit=20')
    .then((mine) => {
      store.update((s) => openCallsRestored(s, mine ?? [], parseSavedWork(readSaved(WORK_KEY))));
      const s = store.get();
      if (s.work.draft.pin) void loc.setPin(s.work.draft.pin);
    })
    .catch(() => undefined);

  map = await createMap(mapBox);
  const m = map;
  const boundaries = mountBoundaries(m);
  const aml = mountAml(m);
  let overview: { lon: number; lat: number }[] = [];
  home = () => {
    if (overview.length > 0) fitTo(m, overview);
    else m.easeTo({ center: DEFAULT_CENTER, zoom: 11 });
  };
  void getOptional<GeoJSON.FeatureCollection>('/api/v1/geo/regions.geojson?level=district')
    .then((fc) => {
      if (fc) {
        boundaries.update(fc);
        overview = geojsonPoints(fc);
        if (!activeCall(store.get())) home?.();
      }
    })
    .catch(() => undefined);
  pin = mountPin(m, (p) => void loc.setPin(p));
  pin.render(store.get(), null);
  store.subscribe((next, prev) => {
    if (activeCall(prev)?.aml !== activeCall(next)?.aml || prev.activeId !== next.activeId) aml.update(activeCall(next)?.aml ?? null);
  });
  await restore;
  const restored = activeCall(store.get());
  aml.update(restored?.aml ?? null);
  if (restored?.aml) m.jumpTo({ center: [restored.aml.lon, restored.aml.lat], zoom: 15 });

  const config = await loadClientConfig();
  store.update((s) => linesLoaded(s, config.follow_up_lines ?? [], config.tiered_lines ?? []));

  void get<{ id: string; name: string }[]>('/api/v1/agencies')
    .then((list) => store.update((s) => agenciesLoaded(s, list)))
    .catch(() => undefined);

  /** Reads one of my incidents and opens it in the form to correct it; the pin and region follow it. */
  async function startCorrection(id: string): Promise<void> {
    try {
      const inc = await get<IncidentView>(`/api/v1/incidents/${encodeURIComponent(id)}`);
      store.update((s) => correctionStarted(s, inc));
      if (store.get().correcting?.id !== id) return;
      map?.easeTo({ center: [inc.location.lon, inc.location.lat], zoom: 15 });
      await loc.setPin({ lon: inc.location.lon, lat: inc.location.lat });
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  async function register(ani: string, channel: string): Promise<void> {
    const call = await post<CallView>('/api/v1/calls', { ani, channel, service_line: '112' });
    store.update((s) => callUpdated(s, call));
    void answer(call);
  }

  async function answer(c: CallView): Promise<void> {
    try {
      // A call offered to my regional team is taken from the offer; any other ringing call is answered.
      const pickUp = isOfferedToMe(store.get(), c) ? 'take' : 'answer';
      const answered = c.status === 'ringing' ? await post<CallView>(`${callPath(c.id)}/${pickUp}`) : c;
      store.update((s) => callAnswered(s, answered));
      if (answered.aml) {
        map?.easeTo({ center: [answered.aml.lon, answered.aml.lat], zoom: 15 });
        if (!store.get().work.draft.pin) await loc.setPin({ lon: answered.aml.lon, lat: answered.aml.lat });
      }
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  async function classify(cls: CallClass): Promise<CallView | null> {
    const s = store.get();
    const active = activeCall(s);
    if (!active) return null;
    const notes = s.work.notes.trim();
    try {
      const classified = await post<CallView>(`${callPath(active.id)}/classify`, notes ? { class: cls, notes } : { class: cls });
      store.update((st) => callUpdated(st, classified));
      return classified;
    } catch (e) {
      shell.toast(messageFor(e), 'error');
      return null;
    }
  }

  async function end(ending: Ending): Promise<void> {
    store.update(endingCancelled);
    if (ending.kind === 'classify' && !(await classify(ending.cls))) return;
    await endCall();
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
  }

  async function act(shortcut: Shortcut): Promise<void> {
    switch (shortcut.kind) {
      case 'submit':
        views.form.submit();
        return;
      case 'end_call':
        return endCall();
      case 'answer':
        return answer(shortcut.call);
      case 'classify':
        if (await classify(shortcut.cls)) views.form.focusReporterName();
        return;
      case 'arm':
        store.update((s) => endingArmed(s, shortcut.ending));
        document.querySelector<HTMLElement>('[data-testid="confirm-yes"]')?.focus();
        return;
      case 'confirm':
        return end(shortcut.ending);
      case 'cancel':
        store.update(endingCancelled);
        return;
      case 'explain': {
        const c = activeCall(store.get());
        shell.toast(t('ct.already_classified', { class: tk('call_class', c?.class) }), 'info');
        return;
      }
    }
  }

  async function setAgent(state: 'ready' | 'aux', reason: string | null): Promise<void> {
    const answer = await post<AgentAnswer>('/api/v1/agents/me/state', state === 'aux' ? { state, reason } : { state });
    store.update((s) => agentStateSet(s, { state: answer.state, reason: answer.reason ?? null }));
    try {
      sessionStorage.setItem(AGENT_KEY, JSON.stringify({ state: answer.state, reason: answer.reason ?? null }));
    } catch {
      // The server holds the state; the tab only remembers it for a reload.
    }
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

  /** Routes a tiered call by the caller's locus (the pin, else the AML fix). */
  async function route(c: CallView): Promise<void> {
    const locus = routeLocus(store.get(), c);
    if (!locus) return;
    try {
      const routed = await post<CallView>(`${callPath(c.id)}/route`, locus);
      store.update((s) => callUpdated(s, routed));
      shell.toast(routed.route.tier === 'regional' ? t('ct.routed_regional', { team: routed.route.team_id ?? '' }) : t('ct.routed_central'));
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  async function scheduleFollowUps(c: CallView): Promise<void> {
    try {
      const tasks = await post<FollowUpView[]>(`${callPath(c.id)}/follow-ups`);
      shell.toast(t('ct.follow_up_scheduled', { n: tasks.length }));
      await loadFollowUps();
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  /** Re-reads the pending call-backs (an audited read: they carry numbers), only where a programme exists. */
  async function loadFollowUps(): Promise<void> {
    if (store.get().followUpLines.size === 0) return;
    const list = (await getOptional<FollowUpView[]>('/api/v1/follow-ups?status=pending&limit=50')) ?? [];
    store.update((s) => followUpsLoaded(s, list));
  }

  async function loadFiled(): Promise<void> {
    const list = (await getOptional<IncidentView[]>('/api/v1/incidents?mine=true&open=false&limit=30')) ?? [];
    store.update((s) => filedLoaded(s, list));
  }

  // Keyboard: shortcuts act unless the user is typing in a field (Ctrl/Alt combinations always act).
  addEventListener('keydown', (ev) => {
    const typing = ev.target instanceof HTMLElement && ev.target.closest('input, textarea, select') !== null;
    const shortcut = shortcutFor(store.get(), { key: ev.key, ctrl: ev.ctrlKey, alt: ev.altKey, meta: ev.metaKey, typing });
    if (!shortcut) return;
    ev.preventDefault();
    void act(shortcut);
  });

  connectLive({
    snapshot: async () => {
      const list = (await getOptional<CallView[]>('/api/v1/calls?status=ringing')) ?? [];
      store.update((s) => callsLoaded(s, list));
      await Promise.all([loadReturned(false), loadFiled(), loadFollowUps(), callers.reload()]);
      timeline.reload();
    },
    onEvent: (e) => {
      timeline.onEvent(e);
      const heard = cueFor(store.get(), e);
      const step = applyEvent(store.get(), e);
      store.update(() => step.state);
      if (heard) cue(heard);
      if (step.followUp?.kind === 'reload_returned') void loadReturned(true).catch(() => undefined);
      else if (step.followUp?.kind === 'reload_follow_ups') void loadFollowUps().catch(() => undefined);
      else if (step.followUp?.kind === 'reload_call_backs') void callers.reload().catch(() => undefined);
      else if (step.followUp?.kind === 'load_call') {
        void get<CallView>(callPath(step.followUp.id))
          .then((c) => store.update((s) => callUpdated(s, c)))
          .catch(() => undefined);
      }
    },
    onState: (state, retry) => {
      live = { state, retry };
      shell.setLive(state, retry);
    },
  });

  // A reload keeps the state chosen in this tab; a new tab starts the shift ready.
  const kept = readSaved(AGENT_KEY) as AgentAnswer | null;
  if (kept && typeof kept.state === 'string') store.update((s) => agentStateSet(s, { state: kept.state, reason: kept.reason ?? null }));
  else void setAgent('ready', null).catch(() => undefined);
}
