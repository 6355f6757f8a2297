//! Responder state: the assignment being worked (the newest open one) with its incident, the status shown
//! while taps wait in the outbox, the phone's position, and the notes about the outbox and position sharing.
//! Pure transitions and selectors only: no DOM, no fetch, no IndexedDB, no clock (callers pass `now`).

import type { AssignmentStatus, AssignmentView, DeclineReason, IncidentView, LonLat, RouteView } from '../../api/types';
import { assignmentChangeOf, isAssignmentEvent, isIncidentEvent, type LiveEvent } from '../../live/events';
import { haversine_m } from '../../ui/format';

/** Statuses after which an assignment is no longer worked. */
const CLOSED: readonly string[] = ['resolved', 'declined', 'cancelled'];

/** The buttons offered in each status (the server still decides; these only avoid pointless taps). */
const NEXT: Record<AssignmentStatus, AssignmentStatus[]> = {
  assigned: ['acknowledged', 'declined'],
  acknowledged: ['en_route', 'declined'],
  en_route: ['on_scene'],
  on_scene: ['resolved'],
  resolved: [],
  declined: [],
  cancelled: [],
};

/** At most one position fix is sent per this interval; only the newest position matters. */
export const POSITION_INTERVAL_MS = 10_000;

export interface ResponderState {
  readonly current: AssignmentView | null;
  readonly incident: IncidentView | null;
  /** The unit's route to the incident (road, or the explained straight line), when it could be read. */
  readonly route: RouteView | null;
  /** Status shown while taps are queued: the last queued target, so the next button is offered at once. */
  readonly optimistic: AssignmentStatus | null;
  readonly here: LonLat | null;
  /** Taps waiting in the outbox, and whether the phone was online when they were counted. */
  readonly queued: number;
  readonly online: boolean;
  readonly position:
    | { readonly kind: 'shared'; readonly at: number }
    | { readonly kind: 'denied' }
    | { readonly kind: 'failed' }
    | { readonly kind: 'unsupported' }
    | null;
  /** The assignment the desk withdrew while the crew was on it (the incident cancelled, merged, or the unit
   * taken off it): shown until the crew acknowledges it or a new assignment arrives. */
  readonly cancelled: CancelNotice | null;
}

/** What the phone tells the crew when its assignment is withdrawn. */
export interface CancelNotice {
  readonly assignment_id: string;
  readonly incident_number: string;
  /** Why (`false_alarm`, `duplicate`, …); null when the desk gave none. */
  readonly reason: string | null;
}

export interface Step {
  readonly state: ResponderState;
  /** The assignments must be read again. */
  readonly refresh: boolean;
}

export function initialState(): ResponderState {
  return { current: null, incident: null, route: null, optimistic: null, here: null, queued: 0, online: true, position: null, cancelled: null };
}

// ---- selectors ----

/** The assignment to work: the newest one still open. */
export function currentAssignment(assignments: readonly AssignmentView[]): AssignmentView | null {
  return assignments.filter((a) => !CLOSED.includes(a.status)).sort((a, b) => b.assigned_at - a.assigned_at)[0] ?? null;
}

/** The status shown: the last queued tap's, else the server's. */
export function shownStatus(state: ResponderState): AssignmentStatus | null {
  // The view carries the status as a string; the server only ever writes an `AssignmentStatus` there.
  return state.current ? (state.optimistic ?? (state.current.status as AssignmentStatus)) : null;
}

export function offeredStatuses(state: ResponderState): AssignmentStatus[] {
  const status = shownStatus(state);
  return status ? (NEXT[status] ?? []) : [];
}

/**
 * The assignment to alert for: the current one while it is shown as `assigned` (not yet acknowledged, no
 * acknowledge or decline tap queued). The page rings when this becomes an id and repeats until it is null.
 */
export function alertingFor(state: ResponderState): string | null {
  return state.current && shownStatus(state) === 'assigned' ? state.current.id : null;
}

/** The one big next-step button: the forward step offered now (never the decline), or null. */
export function nextStep(state: ResponderState): AssignmentStatus | null {
  return offeredStatuses(state).find((s) => s !== 'declined') ?? null;
}

/** Whether declining is offered (behind the secondary control, never in the big button's place). */
export function canDecline(state: ResponderState): boolean {
  return offeredStatuses(state).includes('declined');
}

/** The SLA clock the crew works against, and how long is left at `now` (negative once late). */
export interface Countdown {
  readonly kind: string;
  readonly remaining_ms: number;
  readonly late: boolean;
}

/**
 * The clock to count down on the card: the current assignment's own running clock due soonest (acknowledge,
 * then arrival), else the incident's running clock due soonest; null when none runs.
 */
export function countdown(state: ResponderState, now: number): Countdown | null {
  const current = state.current;
  const clocks = (state.incident?.sla ?? []).filter((c) => c.stopped_at === null || c.stopped_at === undefined);
  if (!current || clocks.length === 0) return null;
  const own = clocks.filter((c) => c.subject_type === 'assignment' && c.subject_id === current.id);
  const pool = own.length > 0 ? own : clocks.filter((c) => c.subject_type !== 'assignment');
  if (pool.length === 0) return null;
  const clock = pool.reduce((a, b) => (b.due_at < a.due_at ? b : a));
  const remaining_ms = clock.due_at - now;
  return { kind: clock.kind, remaining_ms, late: remaining_ms < 0 || (clock.breached_at !== null && clock.breached_at !== undefined) };
}

/** `m:ss` (or `h:mm:ss` from an hour on) of a duration's absolute value, for the countdown. */
export function minutesSeconds(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Which maps app a phone opens: Apple Maps on iPhone/iPad, Google Maps (or the `geo:` chooser) elsewhere. */
export type Platform = 'ios' | 'android' | 'other';

export function platformOf(userAgent: string): Platform {
  if (/iPhone|iPad|iPod/i.test(userAgent)) return 'ios';
  if (/Android/i.test(userAgent)) return 'android';
  return 'other';
}

/** Navigation links to a place: the first opens the phone's own maps app, the second is the other choice. */
export function navigationLinks(to: LonLat, platform: Platform): { primary: string; alternate: string } {
  const google = `https://www.google.com/maps/dir/?api=1&destination=${to.lat},${to.lon}`;
  const apple = `https://maps.apple.com/?daddr=${to.lat},${to.lon}`;
  return platform === 'ios' ? { primary: apple, alternate: google } : { primary: google, alternate: apple };
}

/** Straight-line distance from the phone to the incident, when both are known. */
export function distanceToIncident_m(state: ResponderState): number | null {
  return state.incident && state.here ? haversine_m(state.here, state.incident.location) : null;
}

/** The body of a status tap: a decline always names a reason (`other` when none was chosen); a blank note is left out. */
export function statusBody(status: AssignmentStatus, note: string, reason?: DeclineReason): { status: AssignmentStatus; note?: string; reason?: string } {
  const body: { status: AssignmentStatus; note?: string; reason?: string } = { status };
  if (status === 'declined') body.reason = reason ?? 'other';
  if (note) body.note = note;
  return body;
}

/** Whether a position fix taken at `now` should be sent, given when the last one was. */
export function fixDue(lastSentAt: number, now: number): boolean {
  return now - lastSentAt >= POSITION_INTERVAL_MS;
}

// ---- transitions ----

/** The assignments (and the current one's incident) were read again; `queued` is the outbox's length then. */
export function refreshed(
  state: ResponderState,
  current: AssignmentView | null,
  incident: IncidentView | null,
  queued: number,
  route: RouteView | null = null,
): ResponderState {
  // A queued status belongs to the assignment it was tapped for, and stops mattering once the outbox drained.
  const optimistic = current?.id !== state.current?.id || queued === 0 ? null : state.optimistic;
  // A new assignment replaces the notice of the withdrawn one.
  const cancelled = current && current.id !== state.cancelled?.assignment_id ? null : state.cancelled;
  return { ...state, current, incident, route, optimistic, cancelled };
}

/** The crew has read the cancellation notice. */
export function cancelNoticeSeen(state: ResponderState): ResponderState {
  return state.cancelled ? { ...state, cancelled: null } : state;
}

export function statusQueued(state: ResponderState, status: AssignmentStatus): ResponderState {
  return { ...state, optimistic: status };
}

export function outboxCounted(state: ResponderState, queued: number, online: boolean): ResponderState {
  return queued === state.queued && online === state.online ? state : { ...state, queued, online };
}

export function positionFixed(state: ResponderState, here: LonLat): ResponderState {
  return { ...state, here };
}

export function positionShared(state: ResponderState, at: number): ResponderState {
  return { ...state, position: { kind: 'shared', at } };
}

export function positionDenied(state: ResponderState): ResponderState {
  return { ...state, position: { kind: 'denied' } };
}

/** The phone could not get a fix (no signal, timeout); sharing goes on trying. */
export function positionFailed(state: ResponderState): ResponderState {
  return state.position?.kind === 'failed' ? state : { ...state, position: { kind: 'failed' } };
}

/** The browser has no geolocation at all. */
export function positionUnsupported(state: ResponderState): ResponderState {
  return { ...state, position: { kind: 'unsupported' } };
}

/** Sharing was switched off: no note about it. */
export function positionOff(state: ResponderState): ResponderState {
  return { ...state, position: null };
}

/**
 * Assignment and incident events: the current assignment takes an event's new status at once unless a tap is
 * queued (the queued status is newer news); either way the assignments are read again.
 */
export function applyEvent(state: ResponderState, e: LiveEvent): Step {
  if (!isAssignmentEvent(e) && !isIncidentEvent(e)) return { state, refresh: false };
  const change = assignmentChangeOf(e);
  const current = state.current;
  if (e.type === 'assignment.status' && e.status === 'cancelled' && current && e.assignment_id === current.id) {
    // Withdrawn by the desk: the alert stops (the assignment is no longer `assigned`) and the crew is told why.
    const cancelled: CancelNotice = { assignment_id: e.assignment_id, incident_number: e.incident_number, reason: e.reason ?? null };
    return { state: { ...state, current: { ...current, status: 'cancelled' }, optimistic: null, cancelled }, refresh: true };
  }
  if (change && current && change.assignment_id === current.id && !state.optimistic && change.status !== current.status) {
    return { state: { ...state, current: { ...current, status: change.status } }, refresh: true };
  }
  return { state, refresh: true };
}
