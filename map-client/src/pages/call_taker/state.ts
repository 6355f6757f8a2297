//! Call-taker state: the incoming-call queue and the answered call, the work on one caller (the incident draft
//! with every form field and the pin, the region and receiving OPDs and possible duplicates found for it, the
//! address search, the call notes, an ending key waiting for confirmation), the incidents this desk filed with
//! their live status, the incidents OPDs sent back, and the agent's own ready/AUX state.
//! Pure transitions and selectors only: no DOM, no fetch. `applyEvent` names what must be read over REST,
//! because call events carry no caller data.
//!
//! Invariant: everything typed or found about one caller lives in `work`, which belongs to at most one call
//! (`work.callId`). Answering a different call, ending the call and filing its incident replace `work` whole
//! (`freshWork`), so no field, pin, region, priority or note of one caller can survive into the next one's,
//! and views that keep something outside the state (the map's view, a priority colour) reset on `work.serial`.

import type { CallClass, CallView, CreateIncident, DuplicateView, FollowUpView, IncidentView, Located, LonLat, PlaceView } from '../../api/types';
import { PRIORITIES, VICTIM_CONDITIONS } from '../../api/types';
import { callIdOf, incidentIdOf, isCallEvent, isIncidentEvent, type LiveEvent, statusOf } from '../../live/events';

/** Keys that classify the answered call; `1` (emergency) keeps the line open, the others end it. */
export const CLASS_KEYS: Readonly<Record<string, CallClass>> = {
  '1': 'emergency',
  '2': 'information',
  '3': 'prank',
  '4': 'ghost',
  '5': 'wrong_number',
  '6': 'abandoned',
  '7': 'test',
};

/** The most victims the server accepts on one incident. */
export const MAX_VICTIMS = 100_000;

/** AUX reasons offered (stored as these codes; the screens translate them). */
export const AUX_REASONS = ['break', 'toilet', 'training', 'briefing', 'meal'] as const;

export interface IncidentDraft {
  readonly pin: LonLat | null;
  readonly reporterName: string;
  readonly reporterPhone: string;
  readonly reporterAddress: string;
  /** The address search box: not sent, but cleared with the form. */
  readonly placeQuery: string;
  readonly address: string;
  /** Empty until the call taker picks one: there is no default category. */
  readonly category: string;
  readonly subcategory: string;
  readonly priority: string;
  readonly victimsCount: string;
  readonly victimsCondition: string;
  readonly description: string;
  /** When it happened, as a `datetime-local` value (`2026-11-25T09:40`), or empty. */
  readonly occurredAt: string;
}

/** The fields a user types or picks (the form's inputs). */
export type DraftField = Exclude<keyof IncidentDraft, 'pin'>;

/** Region and receiving agencies for the pin (geo locate). */
export type RegionView =
  | { readonly status: 'pending' }
  | { readonly status: 'loading' }
  | { readonly status: 'unavailable' }
  | { readonly status: 'located'; readonly located: Located; readonly category: string; readonly victims: number }
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

/** What ends the answered call: a class that ends it (2–5), or hanging up (6, Alt+E). */
export type Ending = { readonly kind: 'classify'; readonly cls: CallClass } | { readonly kind: 'hang_up' };

/** Everything about one caller. */
export interface CallWork {
  /** Grows with every new caller's work; views reset what they keep outside the state when it changes. */
  readonly serial: number;
  /** The call the work belongs to, or null while none is answered. */
  readonly callId: string | null;
  readonly draft: IncidentDraft;
  /** Call notes, sent with the classification (the API takes notes only then). */
  readonly notes: string;
  readonly region: RegionView;
  /** Number of the latest locate request; an answer to an older one is dropped. */
  readonly locateSeq: number;
  readonly duplicates: DuplicatesView;
  readonly places: PlaceSearch;
  /** A key that would end the call, waiting for Enter (or the same key again) or Escape. */
  readonly pending: Ending | null;
  /** A form check that failed before sending: which field and why. */
  readonly invalid: FormProblem | null;
}

export type FormProblem =
  | { readonly field: 'category'; readonly rule: 'required' }
  | { readonly field: 'location'; readonly rule: 'required' }
  | { readonly field: 'victims.count'; readonly rule: 'whole_number' | 'range' }
  | { readonly field: 'occurred_at'; readonly rule: 'future' | 'invalid' };

/** An incident this desk filed, as "my incidents" shows it; its status follows the live events. */
export interface FiledIncident {
  readonly id: string;
  readonly number: string;
  readonly status: string;
  readonly category: string;
  readonly priority: string;
  readonly created_at: number;
  readonly updated_at: number;
}

/** The agent's own state as the server last answered it. */
export interface AgentStatus {
  readonly state: string;
  readonly reason: string | null;
}

export interface CallTakerState {
  /** The signed-in call taker: its answered calls are its own open calls. */
  readonly userId: string;
  readonly calls: ReadonlyMap<string, CallView>;
  readonly activeId: string | null;
  readonly work: CallWork;
  /** Open incidents every OPD sent back, by id. */
  readonly returned: ReadonlyMap<string, IncidentView>;
  /** Whether `returned` was read from the server yet (until then the desk cannot say that none came back). */
  readonly returnedRead: boolean;
  readonly agencyNames: ReadonlyMap<string, string>;
  /** Incidents filed from this desk, by id. */
  readonly filed: ReadonlyMap<string, FiledIncident>;
  /** Numbers of other incidents a call of this desk was linked to, by id. */
  readonly linked: ReadonlyMap<string, string>;
  readonly agent: AgentStatus | null;
  /** Service lines with a follow-up programme (their calls can be enrolled for call-backs). */
  readonly followUpLines: ReadonlySet<string>;
  /** Tiered service lines (their calls are offered to regional teams). */
  readonly tieredLines: ReadonlySet<string>;
  /** The regional team this call taker belongs to, if any. */
  readonly teamId: string | null;
  /** Pending follow-up calls (the outbound work list), soonest due first. */
  readonly followUps: readonly FollowUpView[];
  /** Number of the incident last filed from this console. */
  readonly lastIncident: string | null;
  /**
   * An incident this desk filed being corrected in the incident form (the form's draft is the incident's;
   * sending it sends only what differs). Only while no call is answered: a call answered ends it.
   */
  readonly correcting: IncidentView | null;
}

export type FollowUp = { readonly kind: 'load_call'; readonly id: string } | { readonly kind: 'reload_returned' } | { readonly kind: 'reload_follow_ups' } | { readonly kind: 'reload_call_backs' };

export interface Step {
  readonly state: CallTakerState;
  readonly followUp: FollowUp | null;
}

/** The draft as the form starts (and as it is after a reset): no category, priority P2, no victims. */
export function emptyDraft(): IncidentDraft {
  return {
    pin: null,
    reporterName: '',
    reporterPhone: '',
    reporterAddress: '',
    placeQuery: '',
    address: '',
    category: '',
    subcategory: '',
    priority: 'p2',
    victimsCount: '0',
    victimsCondition: VICTIM_CONDITIONS[0],
    description: '',
    occurredAt: '',
  };
}

const NO_PLACES: PlaceSearch = { results: [], active: -1, message: null, seq: 0 };

/**
 * A clean sheet for `callId`, after `prev` (whose request numbers go on growing, so an answer still under way
 * for the previous caller's pin or search is dropped).
 */
export function freshWork(prev: CallWork | null, callId: string | null): CallWork {
  return {
    serial: (prev?.serial ?? 0) + 1,
    callId,
    draft: emptyDraft(),
    notes: '',
    region: { status: 'pending' },
    locateSeq: (prev?.locateSeq ?? 0) + 1,
    duplicates: { status: 'none' },
    places: { ...NO_PLACES, seq: (prev?.places.seq ?? 0) + 1 },
    pending: null,
    invalid: null,
  };
}

export function initialState(userId = '', teamId: string | null = null): CallTakerState {
  return {
    userId,
    teamId,
    tieredLines: new Set(),
    calls: new Map(),
    activeId: null,
    work: freshWork(null, null),
    returned: new Map(),
    returnedRead: false,
    agencyNames: new Map(),
    filed: new Map(),
    linked: new Map(),
    agent: null,
    followUpLines: new Set(),
    followUps: [],
    lastIncident: null,
    correcting: null,
  };
}

// ---- selectors ----

export function activeCall(state: CallTakerState): CallView | null {
  return state.activeId ? (state.calls.get(state.activeId) ?? null) : null;
}

const OPEN_STATUSES = new Set(['answered', 'classified']);

/** The queue: ringing calls, and every call this desk answered that is still open, oldest ring first. */
export function waitingCalls(state: CallTakerState): CallView[] {
  return [...state.calls.values()]
    .filter((c) => c.status === 'ringing' || c.id === state.activeId || (OPEN_STATUSES.has(c.status) && c.call_taker_id === state.userId))
    .sort((a, b) => a.ring_at - b.ring_at);
}

/** The call the answer key takes: the answered one, else the longest ringing. */
export function nextCall(state: CallTakerState): CallView | null {
  return activeCall(state) ?? [...state.calls.values()].filter((c) => c.status === 'ringing').sort((a, b) => a.ring_at - b.ring_at)[0] ?? null;
}

/** The number of the incident a call was filed as (or linked to), when this desk knows it. */
export function incidentNumberOf(state: CallTakerState, call: CallView): string | null {
  if (!call.incident_id) return null;
  return state.filed.get(call.incident_id)?.number ?? state.linked.get(call.incident_id) ?? null;
}

/** Whether the call can be enrolled for call-backs: its line has a programme and someone answered it. */
export function canScheduleFollowUps(state: CallTakerState, call: CallView): boolean {
  return state.followUpLines.has(call.service_line) && call.status !== 'ringing' && call.status !== 'abandoned';
}

/** Whether answering `call` takes it from my regional team's offer (`/take`) rather than the central queue. */
export function isOfferedToMe(state: CallTakerState, call: CallView): boolean {
  const r = call.route;
  return call.status === 'ringing' && r.tier === 'regional' && !!r.team_id && r.team_id === state.teamId && !r.taken_at && !r.fell_back_at;
}

/** Whether the call can be routed by the caller's locus: a tiered line, still live, not taken by a team. */
export function canRoute(state: CallTakerState, call: CallView): boolean {
  return state.tieredLines.has(call.service_line) && OPEN_STATUSES.has(call.status) && !call.route.taken_at;
}

/** The locus to route by: the pin if set, else the caller's AML fix, else none. */
export function routeLocus(state: CallTakerState, call: CallView): LonLat | null {
  return state.work.callId === call.id && state.work.draft.pin ? state.work.draft.pin : call.aml ? { lon: call.aml.lon, lat: call.aml.lat } : null;
}

/** Whether a follow-up is due (at or before `now`). */
export function isDue(task: FollowUpView, now: number): boolean {
  return task.due_at <= now;
}

/** Whether the work holds anything typed or picked that ending the call would throw away. */
export function workHasContent(work: CallWork): boolean {
  const empty = emptyDraft();
  const d = work.draft;
  return d.pin !== null || (Object.keys(empty) as (keyof IncidentDraft)[]).some((k) => k !== 'pin' && k !== 'reporterPhone' && d[k] !== empty[k]);
}

export type Shortcut =
  | { readonly kind: 'submit' }
  | { readonly kind: 'end_call' }
  | { readonly kind: 'answer'; readonly call: CallView }
  | { readonly kind: 'classify'; readonly cls: CallClass }
  /** A key that ends the call: asks for confirmation first. */
  | { readonly kind: 'arm'; readonly ending: Ending }
  | { readonly kind: 'confirm'; readonly ending: Ending }
  | { readonly kind: 'cancel' }
  /** A key that makes no sense now: say why, in plain words. */
  | { readonly kind: 'explain'; readonly why: 'already_classified' };

export interface KeyPress {
  readonly key: string;
  readonly ctrl: boolean;
  readonly alt: boolean;
  readonly meta: boolean;
  /** The key went to an input, textarea or select. */
  readonly typing: boolean;
}

function endingFor(cls: CallClass): Ending {
  // The server sets `abandoned` itself; for the call taker, key 6 means the line dropped: the call ends.
  return cls === 'abandoned' ? { kind: 'hang_up' } : { kind: 'classify', cls };
}

function sameEnding(a: Ending, b: Ending): boolean {
  return a.kind === b.kind && (a.kind === 'hang_up' || (b.kind === 'classify' && a.cls === b.cls));
}

/**
 * What a key does. Ctrl+Enter and Alt+E always act; A and the class digits only when not typing in a field.
 * Keys that end the call (2–7, and Alt+E when the form holds unsent work) arm a confirmation: Enter or the
 * same key again confirms, Escape cancels. After classifying, a digit is explained, never sent.
 */
export function shortcutFor(state: CallTakerState, k: KeyPress): Shortcut | null {
  const pending = state.work.pending;
  const active = activeCall(state);
  if (pending && !k.ctrl && !k.meta) {
    if (k.key === 'Escape') return { kind: 'cancel' };
    if (k.key === 'Enter' && !k.alt) return { kind: 'confirm', ending: pending };
  }
  if (k.ctrl && k.key === 'Enter') return { kind: 'submit' };
  if (k.alt && (k.key === 'e' || k.key === 'E')) {
    if (!active) return null;
    const ending: Ending = { kind: 'hang_up' };
    if (pending && sameEnding(pending, ending)) return { kind: 'confirm', ending };
    return workHasContent(state.work) && !active.incident_id ? { kind: 'arm', ending } : { kind: 'end_call' };
  }
  if (k.typing || k.ctrl || k.alt || k.meta) return null;
  if (k.key === 'a' || k.key === 'A') {
    const call = nextCall(state);
    return call && call.status === 'ringing' ? { kind: 'answer', call } : null;
  }
  const cls = CLASS_KEYS[k.key];
  if (!cls || !active || active.status === 'ringing') return null;
  if (active.status !== 'answered') return { kind: 'explain', why: 'already_classified' };
  if (cls === 'emergency') return { kind: 'classify', cls };
  const ending = endingFor(cls);
  return pending && sameEnding(pending, ending) ? { kind: 'confirm', ending } : { kind: 'arm', ending };
}

/** What a class button on the card does: emergency at once, the others arm their confirmation. */
export function buttonShortcut(cls: CallClass): Shortcut {
  return cls === 'emergency' ? { kind: 'classify', cls } : { kind: 'arm', ending: endingFor(cls) };
}

/** Where the address search ranks places first: the caller's AML fix, else the given map centre. */
export function searchNear(state: CallTakerState, mapCentre: LonLat): LonLat {
  const aml = activeCall(state)?.aml;
  return aml ? { lon: aml.lon, lat: aml.lat } : mapCentre;
}

/** The victims count as typed, if it is a whole number the server accepts. */
function victimsOf(d: IncidentDraft): number | FormProblem {
  const raw = d.victimsCount.trim() || '0';
  if (!/^\d+$/.test(raw)) return { field: 'victims.count', rule: 'whole_number' };
  const n = Number(raw);
  return n > MAX_VICTIMS ? { field: 'victims.count', rule: 'range' } : n;
}

/**
 * The request that files the draft, or the first problem that keeps it from being sent. `occurredAtMs` is the
 * draft's `occurredAt` read in the desk's time zone (null when empty or unreadable), `now` the current time.
 * Blank optional fields are left out.
 */
export function incidentRequest(state: CallTakerState, occurredAtMs: number | null = null, now = Number.MAX_SAFE_INTEGER): CreateIncident | FormProblem {
  const d = state.work.draft;
  if (!d.category) return { field: 'category', rule: 'required' };
  const victims = victimsOf(d);
  if (typeof victims !== 'number') return victims;
  if (d.occurredAt.trim() && occurredAtMs === null) return { field: 'occurred_at', rule: 'invalid' };
  if (occurredAtMs !== null && occurredAtMs > now + 60_000) return { field: 'occurred_at', rule: 'future' };
  if (!d.pin) return { field: 'location', rule: 'required' };
  const body: CreateIncident = {
    category: d.category as CreateIncident['category'],
    priority: (PRIORITIES as readonly string[]).includes(d.priority) ? (d.priority as CreateIncident['priority']) : 'p2',
    location: d.pin,
    victims: { count: victims, condition: d.victimsCondition as CreateIncident['victims']['condition'] },
  };
  const active = activeCall(state);
  if (active) body.call_id = active.id;
  // The AML radius is the location's accuracy only while the pin is still exactly the AML fix.
  if (active?.aml && d.pin.lon === active.aml.lon && d.pin.lat === active.aml.lat) body.accuracy_m = active.aml.radius_m;
  const reporter: NonNullable<CreateIncident['reporter']> = {};
  if (d.reporterName.trim()) reporter.name = d.reporterName.trim();
  if (d.reporterPhone.trim()) reporter.phone = d.reporterPhone.trim();
  if (d.reporterAddress.trim()) reporter.address = d.reporterAddress.trim();
  // Where the caller is (its phone's AML fix), which may differ from where the incident is.
  if (active?.aml) reporter.position = { lon: active.aml.lon, lat: active.aml.lat };
  if (Object.keys(reporter).length > 0) body.reporter = reporter;
  if (d.subcategory.trim()) body.subcategory = d.subcategory.trim();
  if (d.address.trim()) body.address = d.address.trim();
  if (d.description.trim()) body.description = d.description.trim();
  if (occurredAtMs !== null) body.occurred_at = occurredAtMs;
  return body;
}

export function isProblem(r: CreateIncident | FormProblem): r is FormProblem {
  return 'rule' in r;
}

/** What the receiving OPDs depend on besides the pin: the category and the victims count (0 while invalid). */
export function locateAsked(work: CallWork): { readonly category: string; readonly victims: number } {
  const v = victimsOf(work.draft);
  return { category: work.draft.category, victims: typeof v === 'number' ? v : 0 };
}

/** The locate query for the work's pin, category and victims, or null without a pin. */
export function locateQuery(work: CallWork): string | null {
  const pin = work.draft.pin;
  if (!pin) return null;
  const { category, victims } = locateAsked(work);
  return `lat=${pin.lat}&lon=${pin.lon}${category ? `&category=${encodeURIComponent(category)}&victims=${victims}` : ''}`;
}

/** Whether the region shown was located for what the draft says now (else it must be asked again). */
export function regionIsCurrent(work: CallWork): boolean {
  const r = work.region;
  if (r.status !== 'located') return true;
  const asked = locateAsked(work);
  return r.category === asked.category && r.victims === asked.victims;
}

/** Returned incidents, most recently changed first. */
export function returnedList(state: CallTakerState): IncidentView[] {
  return [...state.returned.values()].sort((a, b) => b.updated_at - a.updated_at);
}

/** Incidents sent back in `after` that were not in `before` (each is announced once). */
export function newlyReturned(before: CallTakerState, after: CallTakerState): IncidentView[] {
  return [...after.returned.values()].filter((i) => !before.returned.has(i.id));
}

/** Incidents this desk filed, newest first. */
export function filedList(state: CallTakerState): FiledIncident[] {
  return [...state.filed.values()].sort((a, b) => b.created_at - a.created_at);
}

// ---- transitions: calls ----

/** Calls from a snapshot join those already known. */
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
 * The call taker took `call`. The work belongs to it from now on: work on another call is replaced by a clean
 * sheet (work begun before any call was answered is kept), and an empty reporter phone gets the caller's number.
 */
export function callAnswered(before: CallTakerState, call: CallView): CallTakerState {
  // A correction in the form gives way to the caller: its draft is not the call's work.
  const state = before.correcting ? { ...before, correcting: null, work: freshWork(before.work, null) } : before;
  const keep = state.work.callId === call.id || (state.work.callId === null && state.activeId === null);
  const base = keep ? state.work : freshWork(state.work, null);
  const work: CallWork = { ...base, callId: call.id, pending: null, draft: { ...base.draft, reporterPhone: base.draft.reporterPhone || call.ani } };
  return { ...state, calls: withEntry(state.calls, call.id, call), activeId: call.id, work };
}

/**
 * My open calls read back after a reload: the newest becomes the answered call again, with the work saved
 * for it (if any) restored; work saved for another call is dropped.
 */
export function openCallsRestored(state: CallTakerState, mine: readonly CallView[], saved: SavedWork | null): CallTakerState {
  const loaded = callsLoaded(state, mine);
  const open = mine.filter((c) => OPEN_STATUSES.has(c.status)).sort((a, b) => b.ring_at - a.ring_at)[0];
  if (!open || state.activeId) return loaded;
  const clean = freshWork(state.work, open.id);
  const work = saved && saved.callId === open.id ? { ...clean, draft: { ...emptyDraft(), ...saved.draft }, notes: saved.notes } : clean;
  return callAnswered({ ...loaded, work }, open);
}

/** What the page keeps across a reload (the tab's session storage): the work on the answered call. */
export interface SavedWork {
  readonly callId: string;
  readonly draft: IncidentDraft;
  readonly notes: string;
}

export function savedWork(state: CallTakerState): SavedWork | null {
  const w = state.work;
  return w.callId && w.callId === state.activeId ? { callId: w.callId, draft: w.draft, notes: w.notes } : null;
}

/** Reads saved work back, keeping only fields of the right type (storage may hold an older shape). */
export function parseSavedWork(raw: unknown): SavedWork | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (typeof r['callId'] !== 'string' || typeof r['draft'] !== 'object' || r['draft'] === null) return null;
  const d = r['draft'] as Record<string, unknown>;
  const draft: Record<string, unknown> = { ...emptyDraft() };
  for (const k of Object.keys(draft)) {
    if (k === 'pin') {
      const p = d['pin'] as { lon?: unknown; lat?: unknown } | null | undefined;
      draft['pin'] = p && typeof p.lon === 'number' && typeof p.lat === 'number' ? { lon: p.lon, lat: p.lat } : null;
    } else if (typeof d[k] === 'string') draft[k] = d[k];
  }
  return { callId: r['callId'], draft: draft as unknown as IncidentDraft, notes: typeof r['notes'] === 'string' ? r['notes'] : '' };
}

/** The answered call ended (`ended` is its final view, or null when ending it failed): the work starts clean. */
export function callEnded(state: CallTakerState, ended: CallView | null): CallTakerState {
  const next = ended ? callUpdated(state, ended) : state;
  return { ...next, activeId: null, work: freshWork(state.work, null) };
}

/** An ending key was pressed: it waits for confirmation. */
export function endingArmed(state: CallTakerState, ending: Ending): CallTakerState {
  return { ...state, work: { ...state.work, pending: ending } };
}

export function endingCancelled(state: CallTakerState): CallTakerState {
  return state.work.pending ? { ...state, work: { ...state.work, pending: null } } : state;
}

// ---- transitions: the draft ----

export function draftEdited(state: CallTakerState, patch: Partial<Pick<IncidentDraft, DraftField>>): CallTakerState {
  const changed = (Object.keys(patch) as DraftField[]).some((k) => patch[k] !== undefined && patch[k] !== state.work.draft[k]);
  if (!changed) return state;
  const invalid = state.work.invalid && fieldOf(state.work.invalid, patch) ? null : state.work.invalid;
  return { ...state, work: { ...state.work, draft: { ...state.work.draft, ...patch }, invalid } };
}

function fieldOf(p: FormProblem, patch: Partial<Pick<IncidentDraft, DraftField>>): boolean {
  if (p.field === 'category') return patch.category !== undefined;
  if (p.field === 'victims.count') return patch.victimsCount !== undefined;
  if (p.field === 'occurred_at') return patch.occurredAt !== undefined;
  return false;
}

export function notesEdited(state: CallTakerState, notes: string): CallTakerState {
  return notes === state.work.notes ? state : { ...state, work: { ...state.work, notes } };
}

/** A check before sending failed: the form names the field and the rule. */
export function formRefused(state: CallTakerState, problem: FormProblem): CallTakerState {
  return { ...state, work: { ...state.work, invalid: problem } };
}

/** The incident's location is set (map click, drag, AML, address search); its region is looked up. */
export function pinSet(state: CallTakerState, pin: LonLat): CallTakerState {
  const w = state.work;
  const invalid = w.invalid?.field === 'location' ? null : w.invalid;
  return { ...state, work: { ...w, draft: { ...w.draft, pin }, region: { status: 'loading' }, locateSeq: w.locateSeq + 1, invalid } };
}

/** The region is asked again for the same pin (the category or victims changed the receiving OPDs). */
export function relocating(state: CallTakerState): CallTakerState {
  return { ...state, work: { ...state.work, locateSeq: state.work.locateSeq + 1 } };
}

/** The locate answer for request `seq`; null when the server has no locate endpoint. */
export function regionLocated(state: CallTakerState, seq: number, located: Located | null, asked?: { category: string; victims: number }): CallTakerState {
  if (seq !== state.work.locateSeq) return state;
  const region: RegionView = located ? { status: 'located', located, category: asked?.category ?? '', victims: asked?.victims ?? 0 } : { status: 'unavailable' };
  return { ...state, work: { ...state.work, region } };
}

export function regionFailed(state: CallTakerState, seq: number, error: unknown): CallTakerState {
  return seq === state.work.locateSeq ? { ...state, work: { ...state.work, region: { status: 'failed', error } } } : state;
}

/** Possible duplicates around `pin`; null when the server has no such endpoint. Dropped if the pin moved since. */
export function duplicatesLoaded(state: CallTakerState, pin: LonLat, list: readonly DuplicateView[] | null): CallTakerState {
  if (state.work.draft.pin !== pin) return state;
  return { ...state, work: { ...state.work, duplicates: list ? { status: 'loaded', list } : { status: 'unavailable' } } };
}

export function duplicatesFailed(state: CallTakerState, pin: LonLat, error: unknown): CallTakerState {
  return state.work.draft.pin === pin ? { ...state, work: { ...state.work, duplicates: { status: 'failed', error } } } : state;
}

/**
 * The incident was filed: the form starts again, empty, still for the answered call, which now carries the
 * incident; the incident joins "my incidents".
 */
export function incidentFiled(state: CallTakerState, inc: IncidentView): CallTakerState {
  const next = withIncident(state, inc);
  return { ...next, filed: withEntry(state.filed, inc.id, filedOf(inc)), lastIncident: inc.number };
}

/** The answered call was linked to an existing incident (a duplicate): the form starts again, empty. */
export function callLinked(state: CallTakerState, inc: IncidentView): CallTakerState {
  return { ...withIncident(state, inc), linked: withEntry(state.linked, inc.id, inc.number) };
}

function withIncident(state: CallTakerState, inc: IncidentView): CallTakerState {
  const active = activeCall(state);
  const calls = active ? withEntry(state.calls, active.id, { ...active, incident_id: inc.id }) : state.calls;
  return { ...state, calls, work: freshWork(state.work, state.activeId) };
}

function filedOf(i: IncidentView): FiledIncident {
  return { id: i.id, number: i.number, status: i.status, category: i.category, priority: i.priority, created_at: i.created_at, updated_at: i.updated_at };
}

// ---- transitions: correcting an incident this desk filed ----

/** Incident statuses in which the call taker who filed it still corrects it (no OPD has verified it). */
const CORRECTABLE_BY_FILER = new Set(['new', 'escalated', 'rejected']);

/** Whether this desk may correct one of its incidents now: not yet verified, and no call answered. */
export function canCorrectFiled(state: CallTakerState, inc: FiledIncident): boolean {
  return CORRECTABLE_BY_FILER.has(inc.status) && state.activeId === null;
}

/** The incident (as read) goes into the form to be corrected: its values become the draft, its place the pin. */
export function correctionStarted(state: CallTakerState, inc: IncidentView): CallTakerState {
  if (state.activeId !== null) return state;
  const r = inc.reporter;
  const draft: IncidentDraft = {
    ...emptyDraft(),
    pin: { lon: inc.location.lon, lat: inc.location.lat },
    reporterName: r?.name ?? '',
    reporterPhone: r?.phone ?? '',
    reporterAddress: r?.address ?? '',
    address: inc.address ?? '',
    category: inc.category,
    subcategory: inc.subcategory ?? '',
    priority: inc.priority,
    victimsCount: String(inc.victims.count),
    victimsCondition: inc.victims.condition,
    description: inc.description ?? '',
  };
  return { ...state, correcting: inc, work: { ...freshWork(state.work, null), draft } };
}

/** The correction was sent (its answer updates "my incidents") or given up: the form is empty again. */
export function correctionEnded(state: CallTakerState, updated: IncidentView | null = null): CallTakerState {
  if (!state.correcting) return state;
  const filed = updated && state.filed.has(updated.id) ? withEntry(state.filed, updated.id, filedOf(updated)) : state.filed;
  return { ...state, correcting: null, filed, work: freshWork(state.work, state.activeId) };
}

/**
 * The body of the correction: what the form holds that differs from the incident as it was read (only those
 * fields; the server refuses an empty body), a problem that keeps it from being sent, or null when nothing
 * differs. `occurredAtMs` as for [`incidentRequest`].
 */
export function correctionRequest(state: CallTakerState, occurredAtMs: number | null = null, now = Number.MAX_SAFE_INTEGER): Record<string, unknown> | FormProblem | null {
  const inc = state.correcting;
  if (!inc) return null;
  const full = incidentRequest(state, occurredAtMs, now);
  if (isProblem(full)) return full;
  const body: Record<string, unknown> = {};
  if (full.priority !== inc.priority) body['priority'] = full.priority;
  if (full.category !== inc.category) body['category'] = full.category;
  if (full.subcategory && full.subcategory !== (inc.subcategory ?? '')) body['subcategory'] = full.subcategory;
  if (full.location.lon !== inc.location.lon || full.location.lat !== inc.location.lat) body['location'] = full.location;
  if (full.address && full.address !== (inc.address ?? '')) body['address'] = full.address;
  if (full.description && full.description !== (inc.description ?? '')) body['description'] = full.description;
  if (full.victims.count !== inc.victims.count || full.victims.condition !== inc.victims.condition) body['victims'] = full.victims;
  if (full.occurred_at !== undefined && full.occurred_at !== inc.occurred_at) body['occurred_at'] = full.occurred_at;
  const r = inc.reporter;
  const rep = full.reporter ?? {};
  if ((rep.name ?? '') !== (r?.name ?? '') || (rep.phone ?? '') !== (r?.phone ?? '') || (rep.address ?? '') !== (r?.address ?? '')) {
    // The reporter is replaced as a whole; where the caller was (its AML fix) stays as filed.
    body['reporter'] = { ...rep, ...(r?.position ? { position: r.position } : {}) };
  }
  return Object.keys(body).length > 0 ? body : null;
}

/** One incident this desk filed changed by its own action (cancelled here): its entry takes the answer. */
export function filedUpdated(state: CallTakerState, inc: IncidentView): CallTakerState {
  return state.filed.has(inc.id) ? { ...state, filed: withEntry(state.filed, inc.id, filedOf(inc)) } : state;
}

/** The incidents this desk filed were (re)read. */
export function filedLoaded(state: CallTakerState, list: readonly IncidentView[]): CallTakerState {
  return { ...state, filed: new Map(list.map((i) => [i.id, filedOf(i)])) };
}

// ---- transitions: address search ----

/** The query is too short, or Escape: no list. Any search still under way is dropped. */
export function placeSearchCleared(state: CallTakerState): CallTakerState {
  return withPlaces(state, { ...NO_PLACES, seq: state.work.places.seq + 1 });
}

/** A search is sent; its answer must carry the new `places.seq`. */
export function placeSearchStarted(state: CallTakerState): CallTakerState {
  return withPlaces(state, { ...state.work.places, seq: state.work.places.seq + 1 });
}

export function placesFound(state: CallTakerState, seq: number, found: readonly PlaceView[]): CallTakerState {
  if (seq !== state.work.places.seq) return state;
  return withPlaces(state, { results: found, active: found.length > 0 ? 0 : -1, message: found.length > 0 ? null : { kind: 'none' }, seq });
}

export function placeSearchFailed(state: CallTakerState, seq: number, error: unknown): CallTakerState {
  if (seq !== state.work.places.seq) return state;
  return withPlaces(state, { results: [], active: -1, message: { kind: 'failed', error }, seq });
}

/** ↓ (+1) or ↑ (-1) through the results, wrapping around. */
export function placeMoved(state: CallTakerState, step: 1 | -1): CallTakerState {
  const p = state.work.places;
  const n = p.results.length;
  if (n === 0) return state;
  return withPlaces(state, { ...p, active: (p.active + (step === 1 ? 1 : n - 1)) % n });
}

/** A place was picked: the list closes, the box shows its name, and an empty address gets name and context. */
export function placeChosen(state: CallTakerState, p: PlaceView): CallTakerState {
  const d = state.work.draft;
  const address = d.address.trim() ? d.address : p.context ? `${p.name}, ${p.context}` : p.name;
  const cleared = placeSearchCleared(state);
  return { ...cleared, work: { ...cleared.work, draft: { ...d, placeQuery: p.name, address } } };
}

function withPlaces(state: CallTakerState, places: PlaceSearch): CallTakerState {
  return { ...state, work: { ...state.work, places } };
}

// ---- transitions: returned incidents, agent state and reference data ----

/** The open incidents were re-read: those sent back (rejected) are the returned list. */
export function returnedLoaded(state: CallTakerState, open: readonly IncidentView[]): CallTakerState {
  return { ...state, returnedRead: true, returned: new Map(open.filter((i) => i.status === 'rejected').map((i) => [i.id, i])) };
}

export function agenciesLoaded(state: CallTakerState, agencies: readonly { id: string; name: string }[]): CallTakerState {
  return { ...state, agencyNames: new Map(agencies.map((a) => [a.id, a.name])) };
}

/** The centre's line configuration (client-config): which lines have call-backs, which are tiered. */
export function linesLoaded(state: CallTakerState, followUp: readonly string[], tiered: readonly string[]): CallTakerState {
  return { ...state, followUpLines: new Set(followUp), tieredLines: new Set(tiered) };
}

/**
 * The pending follow-ups were (re)read. A read that finds the same tasks changes nothing, so the list is not
 * drawn again under the hands of a call taker recording an outcome.
 */
export function followUpsLoaded(state: CallTakerState, list: readonly FollowUpView[]): CallTakerState {
  const followUps = [...list].sort((a, b) => a.due_at - b.due_at);
  const same = followUps.length === state.followUps.length && followUps.every((f, i) => JSON.stringify(f) === JSON.stringify(state.followUps[i]));
  return same ? state : { ...state, followUps };
}

/** The server answered a state change of this agent (or its live event arrived). */
export function agentStateSet(state: CallTakerState, agent: AgentStatus): CallTakerState {
  return { ...state, agent: { state: agent.state, reason: agent.reason ?? null } };
}

/**
 * The sound a live event calls for at this console, judged against the state before it: a new call ringing
 * (`incoming_call`) while the agent is ready and not on a call. An agent on a call or in AUX sees the queue
 * grow without being rung; an incident sent back is announced once the returned list is read again.
 */
export function cueFor(state: CallTakerState, e: LiveEvent): 'incoming_call' | null {
  if (state.activeId !== null || state.agent?.state !== 'ready') return null;
  return e.type === 'call.created' ? 'incoming_call' : null;
}

/**
 * What a live event means here: a call to re-read (events carry no caller data), the returned list to re-read,
 * a new status of an incident this desk filed (applied at once), or this agent's state.
 */
export function applyEvent(state: CallTakerState, e: LiveEvent): Step {
  if (isIncidentEvent(e)) {
    const id = incidentIdOf(e);
    const status = statusOf(e);
    let next = state;
    const mine = id !== null ? state.filed.get(id) : undefined;
    if (mine && status && (mine.status !== status || (e.updated_at ?? mine.updated_at) !== mine.updated_at)) {
      next = { ...state, filed: withEntry(state.filed, mine.id, { ...mine, status, updated_at: e.updated_at ?? mine.updated_at }) };
    }
    // Sent back now (the incident's status is `rejected`), or one already in the list moved on.
    const concerned = status === 'rejected' || (id !== null && state.returned.has(id));
    return { state: next, followUp: concerned ? { kind: 'reload_returned' } : null };
  }
  if (e.type === 'agent.state') {
    return { state: e.user_id === state.userId ? agentStateSet(state, { state: e.state, reason: e.reason ?? null }) : state, followUp: null };
  }
  if (e.type === 'call.follow_up_scheduled' || e.type === 'call.follow_up_recorded') return { state, followUp: { kind: 'reload_follow_ups' } };
  // Call-back tasks are drawn by `callers.ts` from its own reads.
  if (e.type === 'call.call_back_created' || e.type === 'call.call_back_updated') return { state, followUp: { kind: 'reload_call_backs' } };
  const id = isCallEvent(e) ? callIdOf(e) : null;
  return { state, followUp: id ? { kind: 'load_call', id } : null };
}

function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  const next = new Map(map);
  next.set(key, value);
  return next;
}
