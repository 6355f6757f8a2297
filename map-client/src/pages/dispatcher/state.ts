//! Dispatcher state: the OPD's incidents and units, the assignments this console has seen, the selected
//! incident, the open reject/close decision and the selected incident's recommendations. Pure transitions and
//! selectors only: no DOM, no fetch, no clock (callers pass `now`). `applyEvent` folds one live event in and
//! names what must still be read over REST when the event does not carry it.
//!
//! Invariants kept by every transition: the selected incident is in the queue (otherwise nothing is
//! selected), and an open decision belongs to the selected incident and is still an available action.
//!
//! Reads answer out of order: each one is dated by `events` (how many live events were folded in when it was
//! asked), and an answer older than what the state already knows of that incident (`asOf`) is dropped, so a
//! read that left before this OPD's rejection cannot bring the incident back.

import type { Agency, AssignmentView, IncidentAgency, IncidentView, Recommendations, Unit } from '../../api/types';
import { activeSla, slaLevel, type SlaLevel } from '../../domain/sla';
import {
  assignmentChangeOf,
  type AssignmentChange,
  incidentIdOf,
  type LiveEvent,
  unitOf,
  unitPositionOf,
  unitStatusOf,
} from '../../live/events';

/** Incident statuses that leave the queue. */
const HIDDEN_STATUSES = new Set(['closed', 'rejected', 'cancelled']);
/** Assignment statuses in the order they happen: a later one is newer news than an earlier one. */
const ASSIGNMENT_ORDER = ['assigned', 'acknowledged', 'en_route', 'on_scene', 'resolved', 'declined', 'cancelled'];
const PRIORITY_RANK: Record<string, number> = { p1: 0, p2: 1, p3: 2, p4: 3 };

export type DecisionKind = 'reject' | 'close';
export type IncidentAction = 'verify' | DecisionKind;

export type RecommendationsView =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly recs: Recommendations }
  | { readonly status: 'failed'; readonly error: unknown };

export interface RecommendationsState {
  readonly incidentId: string;
  /** The incident view the list was asked for: a newer view of the incident asks again. */
  readonly basis: IncidentView;
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
    .filter((i) => !HIDDEN_STATUSES.has(i.status) && ownAgency(state, i)?.status !== 'rejected')
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
  return actions;
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
}

/** What the queue's SLA cell shows for an incident at `now`, or null when no clock runs. */
export function slaCountdown(inc: IncidentView, now: number): SlaCountdown | null {
  const sla = activeSla(inc);
  if (!sla) return null;
  return { kind: sla.kind, level: slaLevel(sla, inc.created_at, now), remaining_ms: sla.due_at - now };
}

/** The incident whose recommendations should be asked for now, if the shown list is missing or stale. */
export function recommendationsWanted(state: DispatcherState): string | null {
  const inc = selectedIncident(state);
  if (!inc) return null;
  const r = state.recommendations;
  return r && r.incidentId === inc.id && r.basis === inc ? null : inc.id;
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
    asOf,
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
  return settle({ ...state, incidents: withEntry(state.incidents, inc.id, inc), asOf: withEntry(state.asOf, inc.id, asked) });
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
  return settle({ ...state, decision: { incidentId, kind } });
}

export function cancelDecision(state: DispatcherState): DispatcherState {
  return state.decision ? { ...state, decision: null } : state;
}

/** The reject or close went through: the form closes, and the incident leaves the queue if it no longer belongs. */
export function decisionDone(state: DispatcherState, updated: IncidentView, asked = state.events): DispatcherState {
  return incidentLoaded({ ...state, decision: null }, updated, asked);
}

/** This dispatcher assigned a unit: remember it and ask for the recommendations again. */
export function assignmentCreated(state: DispatcherState, a: AssignmentView): DispatcherState {
  return { ...rememberAssignment(state, a), recommendations: null };
}

export function recommendationsRequested(state: DispatcherState, incidentId: string): DispatcherState {
  const basis = state.incidents.get(incidentId);
  if (!basis) return state;
  const seq = state.requests + 1;
  return { ...state, requests: seq, recommendations: { incidentId, basis, seq, view: { status: 'loading' } } };
}

export function recommendationsLoaded(state: DispatcherState, seq: number, recs: Recommendations): DispatcherState {
  return answerRecommendations(state, seq, { status: 'ready', recs });
}

export function recommendationsFailed(state: DispatcherState, seq: number, error: unknown): DispatcherState {
  return answerRecommendations(state, seq, { status: 'failed', error });
}

/**
 * Folds one live event in. Incident events send for the incident view (except this OPD's own rejection, which
 * drops the incident: the OPD may no longer read it) (they carry a summary, not the agencies'
 * decisions, clocks or assignments the queue and panel show); assignment events take the new status at once
 * and send for their incident; unit events apply directly. An SLA breach changes nothing shown: the SLA cell
 * turns red when the clock's due time passes (`slaLevel`).
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
      return { state, followUp: { kind: 'load_incident', id: e.incident_id } };
    case 'incident.created':
    case 'incident.escalated':
    case 'incident.closed': {
      const id = incidentIdOf(e);
      return { state, followUp: id ? { kind: 'load_incident', id } : null };
    }
    case 'assignment.created':
    case 'assignment.status': {
      const change = assignmentChangeOf(e);
      return change ? assignmentEvent(state, change) : { state, followUp: null };
    }
    case 'unit.created': {
      const u = unitOf(e);
      return { state: u && !state.units.has(u.id) ? { ...state, units: withEntry(state.units, u.id, u) } : state, followUp: null };
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
      return { state: { ...state, units: withEntry(state.units, u.id, moved) }, followUp: null };
    }
    default:
      return { state, followUp: null };
  }
}

/** An assignment moved: a known assignment takes its new status (and its unit the status that implies). */
function assignmentEvent(state: DispatcherState, change: AssignmentChange): Step {
  const known =
    state.assignments.get(change.incident_id)?.get(change.assignment_id) ??
    state.incidents.get(change.incident_id)?.assignments?.find((x) => x.id === change.assignment_id);
  const next = known ? rememberAssignment(state, { ...known, status: change.status }) : state;
  // The incident view (its status, its embedded assignments) is read again.
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
  return { ...state, units: withEntry(state.units, unitId, { ...u, status }) };
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
    return { ...state, selected: null, decision: null, recommendations: null };
  }
  const d = state.decision;
  if (d) {
    // A form stays open only while its action is still possible (another dispatcher may have acted).
    const inc = state.incidents.get(d.incidentId);
    if (d.incidentId !== selected || !inc || !actionsFor(state, inc).includes(d.kind)) return { ...state, decision: null };
  }
  return state;
}

function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  const next = new Map(map);
  next.set(key, value);
  return next;
}
