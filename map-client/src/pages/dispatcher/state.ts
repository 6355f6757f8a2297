//! Dispatcher state: the OPD's incidents and units, the assignments this console has seen, the selected
//! incident, the open reject/close decision and the selected incident's recommendations. Pure transitions and
//! selectors only: no DOM, no fetch, no clock (callers pass `now`). `applyEvent` folds one live event in:
//! incident and assignment events carry the incident's live state (`domain/incident.ts`), so nothing is read
//! back, except from a server whose events lack it. The reporter's identity never travels in events: the
//! selected incident is read once over REST (`detailWanted`).
//!
//! Invariants kept by every transition: the selected incident is in the queue (otherwise nothing is
//! selected), and an open decision belongs to the selected incident and is still an available action.
//!
//! Reads answer out of order: each one is dated by `events` (how many live events were folded in when it was
//! asked), and an answer older than what the state already knows of that incident (`asOf`) is dropped, so a
//! read that left before this OPD's rejection cannot bring the incident back.

import type { Agency, AssignmentView, IncidentAgency, IncidentView, LonLat, Recommendations, Unit } from '../../api/types';
import { incidentFromEvent, withAssignmentEvent, withBreach } from '../../domain/incident';
import { activeSla, arrivalPlan, type ArrivalPlan, slaLevel, type SlaLevel } from '../../domain/sla';
import {
  assignmentChangeOf,
  type AssignmentChange,
  type AssignmentEvent,
  type IncidentEvent,
  incidentIdOf,
  type LiveEvent,
  unitOf,
  unitPositionOf,
  unitStatusOf,
  withdrawalOf,
} from '../../live/events';
import { canWithdraw } from '../../domain/withdraw';

/** Corrected fields whose new values only a read of the incident shows (events do not carry them). */
const DETAIL_FIELDS = new Set(['location', 'region_code', 'accuracy_m', 'occurred_at', 'reporter']);
/** Incident statuses that leave the queue. */
const HIDDEN_STATUSES = new Set(['closed', 'rejected', 'cancelled']);
/** This OPD's states on an incident that mean it is no longer part of it: it sent it back, or a re-location took it away. */
const LEFT_AGENCY = new Set(['rejected', 'withdrawn']);
/** Incident statuses an OPD that verified it may still correct. */
const CORRECTABLE_BY_OPD = new Set(['verified', 'dispatched', 'resolved']);
/** Incident statuses nobody corrects. */
const FINAL = new Set(['closed', 'cancelled']);
/** Assignment statuses in the order they happen: a later one is newer news than an earlier one. */
const ASSIGNMENT_ORDER = ['assigned', 'acknowledged', 'en_route', 'on_scene', 'resolved', 'declined', 'cancelled'];
const PRIORITY_RANK: Record<string, number> = { p1: 0, p2: 1, p3: 2, p4: 3 };

/** The next step of an assignment the crew may report by radio, per current status. */
const NEXT_CREW_STEP: Record<string, string> = {
  assigned: 'acknowledged',
  acknowledged: 'en_route',
  en_route: 'on_scene',
  on_scene: 'resolved',
};
/** Assignment statuses that still hold a unit (a dispatcher may cancel or reassign them). */
const OPEN_ASSIGNMENT = new Set(['assigned', 'acknowledged', 'en_route', 'on_scene']);
/** Incident statuses in which units may still be sent. */
const ASSIGNABLE = new Set(['new', 'escalated', 'verified', 'dispatched']);

/** A sound the page plays for an event (see `ui/cues.ts`). */
export type DispatchCue = 'new_incident' | 'sla_breach' | 'unacknowledged';

/** The actions that open a form in the panel: reject (reason), close (report), cancel (reason), merge (master). */
export type DecisionKind = 'reject' | 'close' | 'cancel' | 'merge';
export type IncidentAction = 'verify' | 'edit' | DecisionKind;

/** An incident a re-location took from this OPD: the notice the page shows ("dipindahkan ke …"). */
export interface MovedAway {
  readonly incidentId: string;
  readonly number: string;
  /** The names (or ids) of the OPDs it went to. */
  readonly to: readonly string[];
}

export type RecommendationsView =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly recs: Recommendations }
  | { readonly status: 'failed'; readonly error: unknown };

export interface RecommendationsState {
  readonly incidentId: string;
  /** The incident view the list was asked for: a newer view of the incident asks again. */
  readonly basis: IncidentView;
  /** `unitsVersion` and `positionsVersion` when asked: a unit's status change asks again at once, a move soon. */
  readonly unitsVersion: number;
  readonly positionsVersion: number;
  readonly seq: number;
  readonly view: RecommendationsView;
}

export interface DispatcherState {
  /** The dispatcher's own OPD (null for a supervisor's view of all). */
  readonly agencyId: string | null;
  readonly incidents: ReadonlyMap<string, IncidentView>;
  readonly units: ReadonlyMap<string, Unit>;
  /** Assignments by incident id, as this console learnt them (events, its own assignments). */
  readonly assignments: ReadonlyMap<string, ReadonlyMap<string, AssignmentView>>;
  readonly agencyNames: ReadonlyMap<string, string>;
  readonly selected: string | null;
  readonly decision: { readonly incidentId: string; readonly kind: DecisionKind } | null;
  /** The selected incident's recommendations; null until asked for (see `recommendationsWanted`). */
  readonly recommendations: RecommendationsState | null;
  /** Counter behind `RecommendationsState.seq`, so a late answer to an older request is recognised. */
  readonly requests: number;
  /** Live events folded in so far: the date a read is asked at (see `incidentLoaded`). */
  readonly events: number;
  /** Per incident, the `events` date of what the state knows of it (a read, a drop). */
  readonly asOf: ReadonlyMap<string, number>;
  /** Incidents read one by one over REST since the last snapshot: their views hold the reporter's identity. */
  readonly detailed: ReadonlySet<string>;
  /** Bumped when one of the OPD's units changes status or joins: recommendations are stale at once. */
  readonly unitsVersion: number;
  /** Bumped when one of the OPD's units moves: recommendations are stale, asked again at a gentler pace. */
  readonly positionsVersion: number;
  /** The unit selected in the list or on the map, and whether the map follows it. */
  readonly selectedUnit: string | null;
  readonly following: boolean;
  /** Assignments whose crew did not acknowledge in time (`acknowledge` SLA breached), by id → incident id. */
  readonly alarms: ReadonlyMap<string, string | null>;
  /** The incident whose correction form is open (it is the selected one), and the new location picked on the map. */
  readonly editing: { readonly incidentId: string; readonly location: LonLat | null } | null;
  /** The fields the last correction of each incident changed, highlighted until `changesSeen`. */
  readonly changed: ReadonlyMap<string, readonly string[]>;
  /** The last incident a re-location took from this OPD, for the notice. */
  readonly moved: MovedAway | null;
}

/** Something the state cannot know without the server: the incident view, which events only summarise. */
export type FollowUp = { readonly kind: 'load_incident'; readonly id: string };

export interface Step {
  readonly state: DispatcherState;
  readonly followUp: FollowUp | null;
}

export function initialState(agencyId: string | null): DispatcherState {
  return {
    agencyId,
    incidents: new Map(),
    units: new Map(),
    assignments: new Map(),
    agencyNames: new Map(),
    selected: null,
    decision: null,
    recommendations: null,
    requests: 0,
    events: 0,
    asOf: new Map(),
    detailed: new Set(),
    unitsVersion: 0,
    positionsVersion: 0,
    selectedUnit: null,
    following: false,
    alarms: new Map(),
    editing: null,
    changed: new Map(),
    moved: null,
  };
}

// ---- selectors ----

const queueCache = new WeakMap<ReadonlyMap<string, IncidentView>, { agencyId: string | null; list: IncidentView[] }>();

/** The queue: open incidents this OPD still handles, by priority and then age (oldest first). */
export function queue(state: DispatcherState): IncidentView[] {
  const cached = queueCache.get(state.incidents);
  if (cached && cached.agencyId === state.agencyId) return cached.list;
  const list = [...state.incidents.values()]
    // An incident this OPD sent back stays open for the others it was escalated to, not for this one.
    .filter((i) => !HIDDEN_STATUSES.has(i.status) && !LEFT_AGENCY.has(ownAgency(state, i)?.status ?? ''))
    .sort((a, b) => (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || a.created_at - b.created_at);
  queueCache.set(state.incidents, { agencyId: state.agencyId, list });
  return list;
}

export function selectedIncident(state: DispatcherState): IncidentView | null {
  return state.selected ? (state.incidents.get(state.selected) ?? null) : null;
}

/** This dispatcher's OPD's row among the incident's agencies (absent for supervisors' views). */
export function ownAgency(state: DispatcherState, inc: IncidentView): IncidentAgency | undefined {
  return inc.agencies.find((a) => a.agency_id === state.agencyId);
}

/** What this OPD may do with the incident now. The server decides; this only offers the buttons. */
export function actionsFor(state: DispatcherState, inc: IncidentView): IncidentAction[] {
  const own = ownAgency(state, inc);
  const actions: IncidentAction[] = [];
  if (own ? own.status === 'escalated' : inc.status === 'new' || inc.status === 'escalated') actions.push('verify', 'reject');
  if (inc.status === 'resolved') actions.push('close');
  if (canCorrect(state, inc)) actions.push('edit');
  // A dispatcher of an OPD taking part (or a supervisor) may withdraw an open incident.
  if (canWithdraw(inc.status) && !inc.merged_into && (own ? own.status !== 'rejected' : state.agencyId === null)) actions.push('cancel', 'merge');
  return actions;
}

/**
 * Whether this desk may correct the incident (the server's rule, `siaga_core::correction`): a dispatcher once
 * her OPD verified it, while it is verified, dispatched or resolved; a supervisor's all-OPD view while open.
 */
export function canCorrect(state: DispatcherState, inc: IncidentView): boolean {
  if (FINAL.has(inc.status)) return false;
  if (state.agencyId === null) return true;
  return ownAgency(state, inc)?.status === 'verified' && CORRECTABLE_BY_OPD.has(inc.status);
}

/**
 * The body of a correction: only the fields whose value differs from the incident as shown (the server
 * refuses an empty one). `null` when nothing changed.
 */
export function correctionBody(inc: IncidentView, form: CorrectionForm, location: LonLat | null): Record<string, unknown> | null {
  const body: Record<string, unknown> = {};
  if (form.priority !== inc.priority) body['priority'] = form.priority;
  if (form.category !== inc.category) body['category'] = form.category;
  const sub = form.subcategory.trim();
  if (sub && sub !== (inc.subcategory ?? '')) body['subcategory'] = sub;
  const address = form.address.trim();
  if (address && address !== (inc.address ?? '')) body['address'] = address;
  const description = form.description.trim();
  if (description && description !== (inc.description ?? '')) body['description'] = description;
  if (form.victimsCount !== inc.victims.count || form.victimsCondition !== inc.victims.condition) {
    body['victims'] = { count: form.victimsCount, condition: form.victimsCondition };
  }
  if (location && (location.lon !== inc.location.lon || location.lat !== inc.location.lat)) body['location'] = location;
  return Object.keys(body).length > 0 ? body : null;
}

/** What the correction form holds (the DOM's values, read when it is sent). */
export interface CorrectionForm {
  readonly priority: string;
  readonly category: string;
  readonly subcategory: string;
  readonly address: string;
  readonly description: string;
  readonly victimsCount: number;
  readonly victimsCondition: string;
}

/** The fields the last correction of the incident changed (highlighted briefly), none when there is none. */
export function changedFields(state: DispatcherState, incidentId: string): readonly string[] {
  return state.changed.get(incidentId) ?? [];
}

/**
 * The incident's assignments: the list embedded in the incident view, with a newer status learnt from an
 * event winning until the embedded list has caught up.
 */
export function assignmentsOf(state: DispatcherState, incidentId: string): AssignmentView[] {
  const merged = new Map<string, AssignmentView>();
  for (const a of state.incidents.get(incidentId)?.assignments ?? []) merged.set(a.id, a);
  for (const a of state.assignments.get(incidentId)?.values() ?? []) {
    const server = merged.get(a.id);
    if (!server || ASSIGNMENT_ORDER.indexOf(a.status) > ASSIGNMENT_ORDER.indexOf(server.status)) merged.set(a.id, a);
  }
  return [...merged.values()];
}

/** Other OPDs that sent the incident back, by name where known, with their reasons. */
export function rejectionsOf(state: DispatcherState, inc: IncidentView): { agency: string; reason: string | null }[] {
  return inc.agencies
    .filter((a) => a.status === 'rejected')
    .map((a) => ({ agency: state.agencyNames.get(a.agency_id) ?? a.agency_type, reason: a.reason ?? null }));
}

/** The call taker's note when the incident was escalated (again) to this OPD after filing. */
export function escalationNoteOf(state: DispatcherState, inc: IncidentView): string | null {
  const own = ownAgency(state, inc);
  return own?.reason && own.status !== 'rejected' ? own.reason : null;
}

export interface SlaCountdown {
  readonly kind: string;
  readonly level: SlaLevel;
  /** Negative once the clock is past due. */
  readonly remaining_ms: number;
  /** For an assignment's arrival clock: the ETA planned when the unit was assigned, beside the target. */
  readonly plan?: ArrivalPlan;
}

/** What the queue's SLA cell shows for an incident at `now`, or null when no clock runs. */
export function slaCountdown(inc: IncidentView, now: number): SlaCountdown | null {
  const sla = activeSla(inc);
  if (!sla) return null;
  const shown = { kind: sla.kind, level: slaLevel(sla, inc.created_at, now), remaining_ms: sla.due_at - now };
  const a = sla.kind === 'arrival' && sla.subject_type === 'assignment' ? inc.assignments.find((x) => x.id === sla.subject_id) : undefined;
  const plan = a ? arrivalPlan(a, [sla]) : null;
  return plan ? { ...shown, plan } : shown;
}

/**
 * The selected incident when its view holds only what the list and the events tell (no reporter, call ids or
 * region chain): the page reads it once.
 */
export function detailWanted(state: DispatcherState): string | null {
  const id = state.selected;
  return id !== null && !state.detailed.has(id) ? id : null;
}

/** Whether units may still be sent to the incident (not once it is resolved, closed or gone). */
export function canAssign(inc: IncidentView): boolean {
  return ASSIGNABLE.has(inc.status);
}

/**
 * The incident whose recommendations should be asked for now: none shown yet, or a newer view of the
 * incident, or one of the OPD's units changed status since they were asked. None for an incident that takes
 * no more units.
 */
export function recommendationsWanted(state: DispatcherState): string | null {
  const inc = selectedIncident(state);
  if (!inc || !canAssign(inc)) return null;
  const r = state.recommendations;
  return r && r.incidentId === inc.id && r.basis === inc && r.unitsVersion === state.unitsVersion ? null : inc.id;
}

/** The incident whose recommendations only a unit's move made stale (the page asks again after a pause). */
export function recommendationsMoved(state: DispatcherState): string | null {
  const r = state.recommendations;
  if (!r || recommendationsWanted(state) !== null || r.view.status === 'loading') return null;
  return r.positionsVersion !== state.positionsVersion ? r.incidentId : null;
}

/** The open assignments of the incident a dispatcher may still cancel, reassign or move on by radio. */
export function isOpenAssignment(a: AssignmentView): boolean {
  return OPEN_ASSIGNMENT.has(a.status);
}

/** The step the crew would report next by radio, or null when the assignment has ended. */
export function nextCrewStep(status: string): string | null {
  return NEXT_CREW_STEP[status] ?? null;
}

/** The OPD's available units, by call sign: those a dispatcher may assign by hand. */
export function availableUnits(state: DispatcherState): Unit[] {
  return [...state.units.values()]
    .filter((u) => u.status === 'available' && (state.agencyId === null || u.agency_id === state.agencyId))
    .sort((a, b) => a.call_sign.localeCompare(b.call_sign));
}

/** The open assignment a unit is working, if this console knows it. */
export function assignmentOfUnit(state: DispatcherState, unitId: string): AssignmentView | null {
  for (const inc of state.incidents.values()) {
    const a = assignmentsOf(state, inc.id).find((x) => x.unit_id === unitId && isOpenAssignment(x));
    if (a) return a;
  }
  return null;
}

/** The incident ids with an unacknowledged-assignment alarm. */
export function alarmedIncidents(state: DispatcherState): ReadonlySet<string> {
  return new Set([...state.alarms.values()].filter((id): id is string => id !== null));
}

/**
 * The sound an event calls for at this desk, judged against the state before it: an incident escalated to
 * this OPD (`new_incident`), a breach of one of this OPD's clocks (`sla_breach`), or of an assignment's
 * acknowledge clock (`unacknowledged`: the crew has not answered). A supervisor's all-OPD view hears none.
 */
export function cueFor(state: DispatcherState, e: LiveEvent): DispatchCue | null {
  const own = state.agencyId;
  if (own === null) return null;
  if (e.type === 'incident.escalated') {
    const to = e.escalated_to ?? e.agency_ids;
    return to.includes(own) ? 'new_incident' : null;
  }
  if (e.type === 'sla.breach') {
    const mine = e.agency_id === own || (e.agency_id == null && e.subject_type === 'incident' && state.incidents.has(e.subject_id));
    if (!mine) return null;
    return e.kind === 'acknowledge' ? 'unacknowledged' : 'sla_breach';
  }
  return null;
}

// ---- transitions ----

/** A REST snapshot (first load or resync after a gap) replaces incidents and units wholesale. */
export function snapshotLoaded(state: DispatcherState, incidents: readonly IncidentView[], units: readonly Unit[]): DispatcherState {
  const asOf = new Map(state.asOf);
  for (const i of incidents) asOf.set(i.id, state.events);
  return settle({
    ...state,
    incidents: new Map(incidents.map((i) => [i.id, i])),
    units: new Map(units.map((u) => [u.id, u])),
    unitsVersion: state.unitsVersion + 1,
    asOf,
    detailed: new Set(),
  });
}

export function agenciesLoaded(state: DispatcherState, agencies: readonly Agency[]): DispatcherState {
  return { ...state, agencyNames: new Map(agencies.map((a) => [a.id, a.name])) };
}

/**
 * A fresh view of one incident (a refetch or an action's answer), read when `asked` events had been folded in.
 * An answer older than what is already known of the incident changes nothing.
 */
export function incidentLoaded(state: DispatcherState, inc: IncidentView, asked = state.events): DispatcherState {
  if (isStale(state, inc.id, asked)) return state;
  const detailed = new Set(state.detailed).add(inc.id);
  return settle({ ...state, incidents: withEntry(state.incidents, inc.id, inc), asOf: withEntry(state.asOf, inc.id, asked), detailed });
}

/** An incident as an event leaves it: newer than any read asked before it, and keeping the read's details. */
function incidentHeard(state: DispatcherState, inc: IncidentView): DispatcherState {
  return settle({ ...state, incidents: withEntry(state.incidents, inc.id, inc), asOf: withEntry(state.asOf, inc.id, state.events) });
}

/** The incident is gone for this dispatcher (deleted, or no longer visible to the OPD), as of `asked`. */
export function incidentGone(state: DispatcherState, id: string, asked = state.events): DispatcherState {
  if (isStale(state, id, asked)) return state;
  const incidents = new Map(state.incidents);
  incidents.delete(id);
  return settle({ ...state, incidents, asOf: withEntry(state.asOf, id, asked) });
}

function isStale(state: DispatcherState, id: string, asked: number): boolean {
  return asked < (state.asOf.get(id) ?? 0);
}

export function selectIncident(state: DispatcherState, id: string): DispatcherState {
  return settle({ ...state, selected: id });
}

export function openDecision(state: DispatcherState, incidentId: string, kind: DecisionKind): DispatcherState {
  return settle({ ...state, editing: null, decision: { incidentId, kind } });
}

export function cancelDecision(state: DispatcherState): DispatcherState {
  return state.decision ? { ...state, decision: null } : state;
}

/** Opens the correction form of the selected incident (a decision form closes: one form at a time). */
export function openEdit(state: DispatcherState, incidentId: string): DispatcherState {
  return settle({ ...state, decision: null, editing: { incidentId, location: null } });
}

export function cancelEdit(state: DispatcherState): DispatcherState {
  return state.editing ? { ...state, editing: null } : state;
}

/** A point picked on the map while the correction form is open: the incident's new location. */
export function editLocationPicked(state: DispatcherState, location: LonLat): DispatcherState {
  return state.editing ? { ...state, editing: { ...state.editing, location } } : state;
}

/** The correction went through: the form closes and the answer is folded in (it may leave the queue). */
export function editDone(state: DispatcherState, updated: IncidentView, asked = state.events): DispatcherState {
  return incidentLoaded({ ...state, editing: null }, updated, asked);
}

/** The highlight of an incident's changed fields is over. */
export function changesSeen(state: DispatcherState, incidentId: string): DispatcherState {
  if (!state.changed.has(incidentId)) return state;
  const changed = new Map(state.changed);
  changed.delete(incidentId);
  return { ...state, changed };
}

/** The moved-away notice was shown. */
export function movedSeen(state: DispatcherState): DispatcherState {
  return state.moved ? { ...state, moved: null } : state;
}

/** The reject or close went through: the form closes, and the incident leaves the queue if it no longer belongs. */
export function decisionDone(state: DispatcherState, updated: IncidentView, asked = state.events): DispatcherState {
  return incidentLoaded({ ...state, decision: null }, updated, asked);
}

/**
 * This console merged `duplicateId` into `master` (the server's answer): the duplicate leaves the queue, the
 * master's fresh view comes in and the panel follows it.
 */
export function mergeDone(state: DispatcherState, duplicateId: string, master: IncidentView, asked = state.events): DispatcherState {
  const dup = state.incidents.get(duplicateId);
  const withDup = dup
    ? { ...state, incidents: withEntry(state.incidents, dup.id, { ...dup, status: 'cancelled', cancel_reason: 'duplicate', merged_into: { id: master.id, number: master.number } }) }
    : state;
  const next = incidentLoaded({ ...withDup, decision: null }, master, asked);
  return next.incidents.has(master.id) ? settle({ ...next, selected: master.id }) : next;
}

/** This dispatcher assigned a unit: remember it and ask for the recommendations again. */
export function assignmentCreated(state: DispatcherState, a: AssignmentView): DispatcherState {
  return { ...rememberAssignment(state, a), recommendations: null };
}

/** This console moved an assignment (cancel, a radio report): its answer is folded in at once. */
export function assignmentChanged(state: DispatcherState, a: AssignmentView): DispatcherState {
  return rememberAssignment(a.status === 'assigned' ? state : alarmDismissed(state, a.id), a);
}

export function recommendationsRequested(state: DispatcherState, incidentId: string): DispatcherState {
  const basis = state.incidents.get(incidentId);
  if (!basis) return state;
  const seq = state.requests + 1;
  const { unitsVersion, positionsVersion } = state;
  // While a newer list is on its way the old one stays on screen, so buttons do not jump under the pointer.
  const shown = state.recommendations?.incidentId === incidentId ? state.recommendations.view : null;
  const view: RecommendationsView = shown?.status === 'ready' ? shown : { status: 'loading' };
  return { ...state, requests: seq, recommendations: { incidentId, basis, seq, unitsVersion, positionsVersion, view } };
}

/** A unit selected in the list or on the map; selecting it again stops following it. */
export function selectUnit(state: DispatcherState, unitId: string | null): DispatcherState {
  return { ...state, selectedUnit: unitId, following: unitId !== null && state.selectedUnit === unitId ? state.following : false };
}

export function followUnit(state: DispatcherState, follow: boolean): DispatcherState {
  return { ...state, following: follow && state.selectedUnit !== null };
}

/** A unit's fresh view (its status changed by this console). */
export function unitLoaded(state: DispatcherState, u: Unit): DispatcherState {
  return { ...state, units: withEntry(state.units, u.id, u), unitsVersion: state.unitsVersion + 1 };
}

/** The dispatcher has seen the unacknowledged-assignment alarm and acted on it (or dismissed it). */
export function alarmDismissed(state: DispatcherState, assignmentId: string): DispatcherState {
  if (!state.alarms.has(assignmentId)) return state;
  const alarms = new Map(state.alarms);
  alarms.delete(assignmentId);
  return { ...state, alarms };
}

export function recommendationsLoaded(state: DispatcherState, seq: number, recs: Recommendations): DispatcherState {
  return answerRecommendations(state, seq, { status: 'ready', recs });
}

export function recommendationsFailed(state: DispatcherState, seq: number, error: unknown): DispatcherState {
  return answerRecommendations(state, seq, { status: 'failed', error });
}

/**
 * Folds one live event in. Incident events replace the incident's summary, assignments and clocks (this OPD's
 * own rejection drops the incident: the OPD may no longer read it); assignment events take the new status and
 * the incident's assignments and clocks; unit events apply directly; an SLA breach marks its clock (the SLA
 * cell already turned red when the due time passed, `slaLevel`) and may raise the unacknowledged alarm. Only
 * an event without the live state (from an older server) sends for the incident view.
 */
export function applyEvent(before: DispatcherState, e: LiveEvent): Step {
  const state = { ...before, events: before.events + 1 };
  switch (e.type) {
    case 'incident.updated':
      // This OPD sent it back (here or at another desk): it leaves the queue, and the OPD may no longer read
      // it, so nothing is fetched.
      if (e.decision === 'rejected' && state.agencyId !== null && e.agency_id === state.agencyId) {
        return { state: incidentGone(state, e.incident_id), followUp: null };
      }
      // A re-location took it from this OPD: it leaves the queue with a notice naming where it went.
      if (state.agencyId !== null && (e.withdrawn_from ?? []).includes(state.agencyId)) {
        const number = e.number ?? state.incidents.get(e.incident_id)?.number ?? '';
        const to = (e.escalated_to ?? e.agency_ids).map((id) => state.agencyNames.get(id) ?? id);
        const gone = incidentGone(state, e.incident_id);
        return { state: { ...changesSeen(gone, e.incident_id), moved: { incidentId: e.incident_id, number, to } }, followUp: null };
      }
      {
        const fields = (e.changes ?? []).map((c) => c.field);
        const changed = fields.length > 0 ? withEntry(state.changed, e.incident_id, fields) : state.changed;
        // What events do not carry (the reporter, the region chain, the time of the event, the linked calls
        // a linked report or a merge added) is read again when the incident is open.
        const detailGone = fields.some((f) => DETAIL_FIELDS.has(f)) || e.linked_call_id != null || e.merged_from != null;
        const detailed = detailGone ? without(state.detailed, e.incident_id) : state.detailed;
        return incidentEvent({ ...state, detailed, changed }, e);
      }
    case 'incident.cancelled': {
      // The incident leaves the queue at once; a merged duplicate's panel moves to its master, whose view
      // (now with the duplicate's calls and units) is read again.
      const w = withdrawalOf(e);
      if (!w) return { state, followUp: null };
      const known = state.incidents.get(w.incident_id);
      const merged = w.merged_into ? { id: w.merged_into.incident_id, number: w.merged_into.number } : null;
      const next = known
        ? { ...state, incidents: withEntry(state.incidents, known.id, { ...known, status: 'cancelled', cancel_reason: w.reason, merged_into: merged }) }
        : state;
      const follows = merged !== null && state.selected === w.incident_id && next.incidents.has(merged.id);
      return { state: settle(follows && merged ? { ...next, selected: merged.id, decision: null, recommendations: null } : next), followUp: merged ? { kind: 'load_incident', id: merged.id } : null };
    }
    case 'incident.created':
    case 'incident.escalated':
    case 'incident.closed':
      return incidentEvent(state, e);
    case 'assignment.created':
    case 'assignment.status': {
      const change = assignmentChangeOf(e);
      return change ? assignmentEvent(state, change, e) : { state, followUp: null };
    }
    case 'unit.created': {
      const u = unitOf(e);
      if (!u || state.units.has(u.id)) return { state, followUp: null };
      return { state: { ...state, units: withEntry(state.units, u.id, u), unitsVersion: state.unitsVersion + 1 }, followUp: null };
    }
    case 'unit.status': {
      const change = unitStatusOf(e);
      return { state: change ? withUnitStatus(state, change.unit_id, change.status) : state, followUp: null };
    }
    case 'unit.position': {
      const p = unitPositionOf(e);
      const u = p ? state.units.get(p.unit_id) : undefined;
      if (!p || !u) return { state, followUp: null };
      const moved: Unit = { ...u, position: { lon: p.lon, lat: p.lat }, position_at: p.at };
      return { state: { ...state, units: withEntry(state.units, u.id, moved), positionsVersion: state.positionsVersion + 1 }, followUp: null };
    }
    case 'sla.breach': {
      const incident = e.subject_type === 'incident' ? e.subject_id : incidentOfAssignment(state, e.subject_id);
      const known = incident ? state.incidents.get(incident) : undefined;
      const marked = known ? { ...state, incidents: withEntry(state.incidents, known.id, withBreach(known, e, e.detected_at)) } : state;
      if (e.kind !== 'acknowledge' || e.subject_type !== 'assignment' || cueFor(before, e) === null) return { state: marked, followUp: null };
      // Still unanswered as far as this console knows: raise the alarm (a later step clears it).
      const a = incident ? assignmentsOf(state, incident).find((x) => x.id === e.subject_id) : undefined;
      if (a && a.status !== 'assigned') return { state: marked, followUp: null };
      const alarmed = { ...marked, alarms: withEntry(marked.alarms, e.subject_id, incident) };
      return { state: alarmed, followUp: incident && !known ? { kind: 'load_incident', id: incident } : null };
    }
    default:
      return { state, followUp: null };
  }
}

/** The incident an assignment belongs to, if this console knows the assignment. */
function incidentOfAssignment(state: DispatcherState, assignmentId: string): string | null {
  for (const [incidentId, list] of state.assignments) if (list.has(assignmentId)) return incidentId;
  for (const inc of state.incidents.values()) if (inc.assignments?.some((a) => a.id === assignmentId)) return inc.id;
  return null;
}

/** An incident event: the incident as it left the change, or a read when the event does not carry its live state. */
function incidentEvent(state: DispatcherState, e: IncidentEvent): Step {
  if (!e.live) {
    const id = incidentIdOf(e);
    return { state, followUp: id ? { kind: 'load_incident', id } : null };
  }
  return { state: incidentHeard(state, incidentFromEvent(state.incidents.get(e.incident_id), e)), followUp: null };
}

/** An assignment moved: a known assignment takes its new status (and its unit the status that implies). */
function assignmentEvent(before: DispatcherState, change: AssignmentChange, e: AssignmentEvent): Step {
  // Any step after `assigned` answers the alarm: the crew acknowledged, or the dispatcher cancelled.
  const state = change.status === 'assigned' ? before : alarmDismissed(before, change.assignment_id);
  const known =
    state.assignments.get(change.incident_id)?.get(change.assignment_id) ??
    state.incidents.get(change.incident_id)?.assignments?.find((x) => x.id === change.assignment_id) ??
    e.live?.assignments.find((x) => x.id === change.assignment_id);
  const next = known ? rememberAssignment(state, { ...known, status: change.status }) : state;
  const incident = next.incidents.get(change.incident_id);
  // The event carries the incident's assignments and clocks; the incident's own status comes in its events.
  if (incident && e.live) return { state: incidentHeard(next, withAssignmentEvent(incident, e)), followUp: null };
  return { state: next, followUp: { kind: 'load_incident', id: change.incident_id } };
}

/** The unit status an assignment status implies, when it implies one the map shows. */
function unitStatusFor(assignmentStatus: string): string | null {
  const status =
    assignmentStatus === 'acknowledged'
      ? 'assigned'
      : assignmentStatus === 'resolved' || assignmentStatus === 'declined' || assignmentStatus === 'cancelled'
        ? 'available'
        : assignmentStatus;
  return ['assigned', 'en_route', 'on_scene', 'available'].includes(status) ? status : null;
}

function rememberAssignment(state: DispatcherState, a: AssignmentView): DispatcherState {
  const forIncident = withEntry(state.assignments.get(a.incident_id) ?? new Map<string, AssignmentView>(), a.id, a);
  const next = { ...state, assignments: withEntry(state.assignments, a.incident_id, forIncident) };
  const unitStatus = unitStatusFor(a.status);
  return unitStatus ? withUnitStatus(next, a.unit_id, unitStatus) : next;
}

function withUnitStatus(state: DispatcherState, unitId: string, status: string): DispatcherState {
  const u = state.units.get(unitId);
  if (!u || u.status === status) return state;
  return { ...state, units: withEntry(state.units, unitId, { ...u, status }), unitsVersion: state.unitsVersion + 1 };
}

function answerRecommendations(state: DispatcherState, seq: number, view: RecommendationsView): DispatcherState {
  const r = state.recommendations;
  if (!r || r.seq !== seq) return state;
  return { ...state, recommendations: { ...r, view } };
}

/** Restores the invariants after incidents, the selection or the decision changed. */
function settle(state: DispatcherState): DispatcherState {
  const selected = state.selected;
  if (selected !== null && !queue(state).some((i) => i.id === selected)) {
    // The selected incident left the queue (closed, or sent back by this OPD): its panel goes too.
    return { ...state, selected: null, decision: null, recommendations: null, editing: null };
  }
  const ed = state.editing;
  if (ed) {
    // The correction form stays open only on the selected incident while this desk may still correct it.
    const inc = state.incidents.get(ed.incidentId);
    if (ed.incidentId !== selected || !inc || !canCorrect(state, inc)) return settle({ ...state, editing: null });
  }
  const d = state.decision;
  if (d) {
    // A form stays open only while its action is still possible (another dispatcher may have acted).
    const inc = state.incidents.get(d.incidentId);
    if (d.incidentId !== selected || !inc || !actionsFor(state, inc).includes(d.kind)) return { ...state, decision: null };
  }
  return state;
}

function without<T>(set: ReadonlySet<T>, value: T): ReadonlySet<T> {
  if (!set.has(value)) return set;
  const next = new Set(set);
  next.delete(value);
  return next;
}

function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  const next = new Map(map);
  next.set(key, value);
  return next;
}
