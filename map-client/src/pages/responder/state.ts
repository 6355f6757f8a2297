//! Responder state: the assignment being worked (the newest open one) with its incident, the status shown
//! while taps wait in the outbox, the phone's position, and the notes about the outbox and position sharing.
//! Pure transitions and selectors only: no DOM, no fetch, no IndexedDB, no clock (callers pass `now`).

import type { AssignmentStatus, AssignmentView, DeclineReason, IncidentView, LonLat } from '../../api/types';
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
  /** Status shown while taps are queued: the last queued target, so the next button is offered at once. */
  readonly optimistic: AssignmentStatus | null;
  readonly here: LonLat | null;
  /** Taps waiting in the outbox, and whether the phone was online when they were counted. */
  readonly queued: number;
  readonly online: boolean;
  readonly position: { readonly kind: 'shared'; readonly at: number } | { readonly kind: 'denied' } | null;
}

export interface Step {
  readonly state: ResponderState;
  /** The assignments must be read again. */
  readonly refresh: boolean;
}

export function initialState(): ResponderState {
  return { current: null, incident: null, optimistic: null, here: null, queued: 0, online: true, position: null };
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
export function refreshed(state: ResponderState, current: AssignmentView | null, incident: IncidentView | null, queued: number): ResponderState {
  // A queued status belongs to the assignment it was tapped for, and stops mattering once the outbox drained.
  const optimistic = current?.id !== state.current?.id || queued === 0 ? null : state.optimistic;
  return { ...state, current, incident, optimistic };
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

/**
 * Assignment and incident events: the current assignment takes an event's new status at once unless a tap is
 * queued (the queued status is newer news); either way the assignments are read again.
 */
export function applyEvent(state: ResponderState, e: LiveEvent): Step {
  if (!isAssignmentEvent(e) && !isIncidentEvent(e)) return { state, refresh: false };
  const change = assignmentChangeOf(e);
  const current = state.current;
  if (change && current && change.assignment_id === current.id && !state.optimistic && change.status !== current.status) {
    return { state: { ...state, current: { ...current, status: change.status } }, refresh: true };
  }
  return { state, refresh: true };
}
