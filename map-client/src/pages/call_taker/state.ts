//! Call-taker state: the incoming-call queue and the answered call, the incident draft (every form field, the
//! pin, the region and possible duplicates found for it), the address search, and the incidents OPDs sent back.
//! Pure transitions and selectors only: no DOM, no fetch. `applyEvent` names what must be read over REST,
//! because call events carry no caller data and incident events are only a cue to re-read the returned list.
//!
//! Invariant: a draft describes at most one caller (`draft.callId`). Answering a different call starts a
//! clean draft, so one caller's number, pin or details are never filed with the next caller's call.

import type { CallClass, CallView, CreateIncident, DuplicateView, IncidentView, Located, LonLat, PlaceView } from '../../api/types';
import { CATEGORIES, VICTIM_CONDITIONS } from '../../api/types';
import { callIdOf, incidentIdOf, isCallEvent, isIncidentEvent, type LiveEvent, statusOf } from '../../live/events';

/** One key classifies the answered call. */
export const CLASS_KEYS: Readonly<Record<string, CallClass>> = {
  '1': 'emergency',
  '2': 'information',
  '3': 'prank',
  '4': 'ghost',
  '5': 'wrong_number',
  '6': 'abandoned',
};

export interface IncidentDraft {
  /** The call whose caller the draft describes, or null while no call has been answered for it. */
  readonly callId: string | null;
  readonly pin: LonLat | null;
  readonly reporterName: string;
  readonly reporterPhone: string;
  readonly reporterAddress: string;
  /** The address search box: not sent, but cleared with the form. */
  readonly placeQuery: string;
  readonly address: string;
  readonly category: string;
  readonly subcategory: string;
  readonly priority: string;
  readonly victimsCount: string;
  readonly victimsCondition: string;
  readonly description: string;
}

/** The fields a user types or picks (the form's inputs). */
export type DraftField = Exclude<keyof IncidentDraft, 'callId' | 'pin'>;

/** Region and receiving agencies for the pin (geo locate). */
export type RegionView =
  | { readonly status: 'pending' }
  | { readonly status: 'loading' }
  | { readonly status: 'unavailable' }
  | { readonly status: 'located'; readonly located: Located }
  | { readonly status: 'failed'; readonly error: unknown };

/** Nearby incidents that may be the same one. */
export type DuplicatesView =
  | { readonly status: 'none' }
  | { readonly status: 'unavailable' }
  | { readonly status: 'loaded'; readonly list: readonly DuplicateView[] }
  | { readonly status: 'failed'; readonly error: unknown };

export interface PlaceSearch {
  readonly results: readonly PlaceView[];
  /** Index of the highlighted result, -1 for none. */
  readonly active: number;
  /** Shown instead of results: nothing found, or the search failed. */
  readonly message: null | { readonly kind: 'none' } | { readonly kind: 'failed'; readonly error: unknown };
  /** Number of the latest search; an answer to an older one is dropped. */
  readonly seq: number;
}

export interface CallTakerState {
  readonly calls: ReadonlyMap<string, CallView>;
  readonly activeId: string | null;
  readonly draft: IncidentDraft;
  readonly region: RegionView;
  /** Number of the latest locate request; an answer to an older one is dropped. */
  readonly locateSeq: number;
  readonly duplicates: DuplicatesView;
  readonly places: PlaceSearch;
  /** Open incidents every OPD sent back, by id. */
  readonly returned: ReadonlyMap<string, IncidentView>;
  readonly agencyNames: ReadonlyMap<string, string>;
  /** Number of the incident last filed from this console. */
  readonly lastIncident: string | null;
}

export type FollowUp = { readonly kind: 'load_call'; readonly id: string } | { readonly kind: 'reload_returned' };

export interface Step {
  readonly state: CallTakerState;
  readonly followUp: FollowUp | null;
}

/** The draft as the form starts (and as it is after a reset): the first choice of each list, priority P2. */
export function emptyDraft(): IncidentDraft {
  return {
    callId: null,
    pin: null,
    reporterName: '',
    reporterPhone: '',
    reporterAddress: '',
    placeQuery: '',
    address: '',
    category: CATEGORIES[0],
    subcategory: '',
    priority: 'p2',
    victimsCount: '0',
    victimsCondition: VICTIM_CONDITIONS[0],
    description: '',
  };
}

const NO_PLACES: PlaceSearch = { results: [], active: -1, message: null, seq: 0 };

export function initialState(): CallTakerState {
  return {
    calls: new Map(),
    activeId: null,
    draft: emptyDraft(),
    region: { status: 'pending' },
    locateSeq: 0,
    duplicates: { status: 'none' },
    places: NO_PLACES,
    returned: new Map(),
    agencyNames: new Map(),
    lastIncident: null,
  };
}

// ---- selectors ----

export function activeCall(state: CallTakerState): CallView | null {
  return state.activeId ? (state.calls.get(state.activeId) ?? null) : null;
}

/** The queue: ringing calls and the answered one, oldest ring first. */
export function waitingCalls(state: CallTakerState): CallView[] {
  return [...state.calls.values()].filter((c) => c.status === 'ringing' || c.id === state.activeId).sort((a, b) => a.ring_at - b.ring_at);
}

/** The call the answer key takes: the answered one, else the longest ringing. */
export function nextCall(state: CallTakerState): CallView | null {
  return activeCall(state) ?? [...state.calls.values()].filter((c) => c.status === 'ringing').sort((a, b) => a.ring_at - b.ring_at)[0] ?? null;
}

export type Shortcut =
  | { readonly kind: 'submit' }
  | { readonly kind: 'end_call' }
  | { readonly kind: 'answer'; readonly call: CallView }
  | { readonly kind: 'classify'; readonly cls: CallClass };

export interface KeyPress {
  readonly key: string;
  readonly ctrl: boolean;
  readonly alt: boolean;
  readonly meta: boolean;
  /** The key went to an input, textarea or select. */
  readonly typing: boolean;
}

/** What a key does: Ctrl+Enter and Alt+E always act; A and the class digits only when not typing in a field. */
export function shortcutFor(state: CallTakerState, k: KeyPress): Shortcut | null {
  if (k.ctrl && k.key === 'Enter') return { kind: 'submit' };
  if (k.alt && (k.key === 'e' || k.key === 'E')) return { kind: 'end_call' };
  if (k.typing || k.ctrl || k.alt || k.meta) return null;
  if (k.key === 'a' || k.key === 'A') {
    const call = nextCall(state);
    return call ? { kind: 'answer', call } : null;
  }
  const cls = CLASS_KEYS[k.key];
  const active = activeCall(state);
  return cls && active && active.status !== 'ringing' ? { kind: 'classify', cls } : null;
}

/** Where the address search ranks places first: the caller's AML fix, else the given map centre. */
export function searchNear(state: CallTakerState, mapCentre: LonLat): LonLat {
  const aml = activeCall(state)?.aml;
  return aml ? { lon: aml.lon, lat: aml.lat } : mapCentre;
}

/** The request that files the draft, or null while it has no location. Blank optional fields are left out. */
export function incidentRequest(state: CallTakerState): CreateIncident | null {
  const d = state.draft;
  if (!d.pin) return null;
  const body: CreateIncident = {
    category: d.category as CreateIncident['category'],
    priority: d.priority as CreateIncident['priority'],
    location: d.pin,
    victims: { count: Number(d.victimsCount || 0), condition: d.victimsCondition as CreateIncident['victims']['condition'] },
  };
  const active = activeCall(state);
  if (active) body.call_id = active.id;
  // The AML radius is the location's accuracy only while the pin is still exactly the AML fix.
  if (active?.aml && d.pin.lon === active.aml.lon && d.pin.lat === active.aml.lat) body.accuracy_m = active.aml.radius_m;
  const reporter: NonNullable<CreateIncident['reporter']> = {};
  if (d.reporterName.trim()) reporter.name = d.reporterName.trim();
  if (d.reporterPhone.trim()) reporter.phone = d.reporterPhone.trim();
  if (d.reporterAddress.trim()) reporter.address = d.reporterAddress.trim();
  if (Object.keys(reporter).length > 0) body.reporter = reporter;
  if (d.subcategory.trim()) body.subcategory = d.subcategory.trim();
  if (d.address.trim()) body.address = d.address.trim();
  if (d.description.trim()) body.description = d.description.trim();
  return body;
}

/** Returned incidents, most recently changed first. */
export function returnedList(state: CallTakerState): IncidentView[] {
  return [...state.returned.values()].sort((a, b) => b.updated_at - a.updated_at);
}

/** Incidents sent back in `after` that were not in `before` (each is announced once). */
export function newlyReturned(before: CallTakerState, after: CallTakerState): IncidentView[] {
  return [...after.returned.values()].filter((i) => !before.returned.has(i.id));
}

// ---- transitions: calls ----

/** Ringing calls from a snapshot join those already known. */
export function callsLoaded(state: CallTakerState, calls: readonly CallView[]): CallTakerState {
  const next = new Map(state.calls);
  for (const c of calls) next.set(c.id, c);
  return { ...state, calls: next };
}

/** A fresh view of one call (registered, re-read after an event, classified). */
export function callUpdated(state: CallTakerState, call: CallView): CallTakerState {
  return { ...state, calls: withEntry(state.calls, call.id, call) };
}

/**
 * The call taker took `call`. The draft belongs to it from now on: a draft filled for another call is
 * cleared first, and an empty reporter phone gets the caller's number.
 */
export function callAnswered(state: CallTakerState, call: CallView): CallTakerState {
  const base = state.draft.callId !== null && state.draft.callId !== call.id ? clearForm(state) : state;
  const draft = { ...base.draft, callId: call.id, reporterPhone: base.draft.reporterPhone || call.ani };
  return { ...base, calls: withEntry(state.calls, call.id, call), activeId: call.id, draft };
}

/** The answered call ended (`ended` is its final view, or null when ending it failed). */
export function callEnded(state: CallTakerState, ended: CallView | null): CallTakerState {
  const next = ended ? callUpdated(state, ended) : state;
  return { ...next, activeId: null };
}

// ---- transitions: the draft ----

export function draftEdited(state: CallTakerState, patch: Partial<Pick<IncidentDraft, DraftField>>): CallTakerState {
  const changed = (Object.keys(patch) as DraftField[]).some((k) => patch[k] !== undefined && patch[k] !== state.draft[k]);
  return changed ? { ...state, draft: { ...state.draft, ...patch } } : state;
}

/** The incident's location is set (map click, drag, AML, address search); its region is looked up. */
export function pinSet(state: CallTakerState, pin: LonLat): CallTakerState {
  return { ...state, draft: { ...state.draft, pin }, region: { status: 'loading' }, locateSeq: state.locateSeq + 1 };
}

/** The locate answer for request `seq`; null when the server has no locate endpoint. */
export function regionLocated(state: CallTakerState, seq: number, located: Located | null): CallTakerState {
  if (seq !== state.locateSeq) return state;
  return { ...state, region: located ? { status: 'located', located } : { status: 'unavailable' } };
}

export function regionFailed(state: CallTakerState, seq: number, error: unknown): CallTakerState {
  return seq === state.locateSeq ? { ...state, region: { status: 'failed', error } } : state;
}

/** Possible duplicates around `pin`; null when the server has no such endpoint. Dropped if the pin moved since. */
export function duplicatesLoaded(state: CallTakerState, pin: LonLat, list: readonly DuplicateView[] | null): CallTakerState {
  if (state.draft.pin !== pin) return state;
  return { ...state, duplicates: list ? { status: 'loaded', list } : { status: 'unavailable' } };
}

export function duplicatesFailed(state: CallTakerState, pin: LonLat, error: unknown): CallTakerState {
  return state.draft.pin === pin ? { ...state, duplicates: { status: 'failed', error } } : state;
}

/** The incident was filed: the form starts again, empty. */
export function incidentFiled(state: CallTakerState, inc: IncidentView): CallTakerState {
  return { ...clearForm(state), lastIncident: inc.number };
}

// ---- transitions: address search ----

/** The query is too short, or Escape: no list. Any search still under way is dropped. */
export function placeSearchCleared(state: CallTakerState): CallTakerState {
  return { ...state, places: { ...NO_PLACES, seq: state.places.seq + 1 } };
}

/** A search is sent; its answer must carry the new `places.seq`. */
export function placeSearchStarted(state: CallTakerState): CallTakerState {
  return { ...state, places: { ...state.places, seq: state.places.seq + 1 } };
}

export function placesFound(state: CallTakerState, seq: number, found: readonly PlaceView[]): CallTakerState {
  if (seq !== state.places.seq) return state;
  return { ...state, places: { results: found, active: found.length > 0 ? 0 : -1, message: found.length > 0 ? null : { kind: 'none' }, seq } };
}

export function placeSearchFailed(state: CallTakerState, seq: number, error: unknown): CallTakerState {
  if (seq !== state.places.seq) return state;
  return { ...state, places: { results: [], active: -1, message: { kind: 'failed', error }, seq } };
}

/** ↓ (+1) or ↑ (-1) through the results, wrapping around. */
export function placeMoved(state: CallTakerState, step: 1 | -1): CallTakerState {
  const n = state.places.results.length;
  if (n === 0) return state;
  return { ...state, places: { ...state.places, active: (state.places.active + (step === 1 ? 1 : n - 1)) % n } };
}

/** A place was picked: the list closes, the box shows its name, and an empty address gets name and context. */
export function placeChosen(state: CallTakerState, p: PlaceView): CallTakerState {
  const address = state.draft.address.trim() ? state.draft.address : p.context ? `${p.name}, ${p.context}` : p.name;
  return { ...placeSearchCleared(state), draft: { ...state.draft, placeQuery: p.name, address } };
}

// ---- transitions: returned incidents and reference data ----

/** The open incidents were re-read: those sent back (rejected) are the returned list. */
export function returnedLoaded(state: CallTakerState, open: readonly IncidentView[]): CallTakerState {
  return { ...state, returned: new Map(open.filter((i) => i.status === 'rejected').map((i) => [i.id, i])) };
}

export function agenciesLoaded(state: CallTakerState, agencies: readonly { id: string; name: string }[]): CallTakerState {
  return { ...state, agencyNames: new Map(agencies.map((a) => [a.id, a.name])) };
}

/** What a live event means here: a call to re-read (events carry no caller data), or the returned list. */
export function applyEvent(state: CallTakerState, e: LiveEvent): Step {
  if (isIncidentEvent(e)) {
    // Sent back now (the incident's status is `rejected`), or one already in the list moved on.
    const id = incidentIdOf(e);
    const concerned = statusOf(e) === 'rejected' || (id !== null && state.returned.has(id));
    return { state, followUp: concerned ? { kind: 'reload_returned' } : null };
  }
  const id = isCallEvent(e) ? callIdOf(e) : null;
  return { state, followUp: id ? { kind: 'load_call', id } : null };
}

/** The form as new; a locate answer still under way is for a pin that is gone, so its number is spent. */
function clearForm(state: CallTakerState): CallTakerState {
  return { ...state, draft: emptyDraft(), region: { status: 'pending' }, locateSeq: state.locateSeq + 1, duplicates: { status: 'none' } };
}

function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  const next = new Map(map);
  next.set(key, value);
  return next;
}
