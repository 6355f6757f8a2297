//! Messages of the live websocket (`/api/v1/ws`). Every message has `seq` (from the durable event log),
//! `at` (ms since the epoch) and `type`; the payload fields depend on the type. Handlers read payloads
//! defensively: an event may carry the full view (`incident`, `assignment`, `unit`) or only ids, and pages
//! refetch by id when the view is absent. Pages read payloads only through the accessors here, so a typed
//! event vocabulary replaces this one file.

import type { AssignmentView, CallView, IncidentView, Unit } from '../api/types';

export type EventType =
  | 'hello'
  | 'resync_required'
  | 'incident.created'
  | 'incident.updated'
  | 'incident.escalated'
  | 'incident.closed'
  | 'assignment.created'
  | 'assignment.status'
  | 'unit.created'
  | 'unit.status'
  | 'unit.position'
  | 'sla.breach'
  | 'agent.state'
  | 'call.created'
  | 'call.updated'
  | 'call.routed'
  | 'call.taken'
  | 'call.follow_up_scheduled'
  | 'call.follow_up_recorded'
  | 'error';

export interface LiveEvent {
  seq: number;
  at: number;
  type: EventType | string;
  [field: string]: unknown;
}

/** The incident id an event is about, wherever the server put it. */
export function incidentIdOf(e: LiveEvent): string | null {
  const inc = e['incident'] as Partial<IncidentView> | undefined;
  const asg = e['assignment'] as Partial<AssignmentView> | undefined;
  return (
    (typeof e['incident_id'] === 'string' ? e['incident_id'] : null) ??
    (typeof inc?.id === 'string' ? inc.id : null) ??
    (typeof asg?.incident_id === 'string' ? asg.incident_id : null) ??
    (e.type.startsWith('incident.') && typeof e['id'] === 'string' ? e['id'] : null)
  );
}

/** The full incident view embedded in an event, if the server sent one. */
export function incidentOf(e: LiveEvent): IncidentView | null {
  const inc = e['incident'] as IncidentView | undefined;
  return inc && typeof inc.id === 'string' && inc.location ? inc : null;
}

export function callOf(e: LiveEvent): CallView | null {
  const call = e['call'] as CallView | undefined;
  if (call && typeof call.id === 'string') return call;
  return typeof e['ani'] === 'string' && typeof e['id'] === 'string' ? (e as unknown as CallView) : null;
}

export function assignmentOf(e: LiveEvent): AssignmentView | null {
  const a = e['assignment'] as AssignmentView | undefined;
  return a && typeof a.id === 'string' ? a : null;
}

/** The assignment an `assignment.*` event is about: the embedded view's id, else `assignment_id`. */
export function assignmentIdOf(e: LiveEvent): string | null {
  return assignmentOf(e)?.id ?? (typeof e['assignment_id'] === 'string' ? e['assignment_id'] : null);
}

/** The `status` field of an event (an incident's, an assignment's or a unit's, depending on the type). */
export function statusOf(e: LiveEvent): string | null {
  return typeof e['status'] === 'string' ? e['status'] : null;
}

/** The call a `call.*` event names; call events carry no caller data, only the id. */
export function callIdOf(e: LiveEvent): string | null {
  return typeof e['call_id'] === 'string' ? e['call_id'] : null;
}

/** The unit view embedded in a `unit.created` event. */
export function unitOf(e: LiveEvent): Unit | null {
  const u = e['unit'] as Unit | undefined;
  return u && typeof u.id === 'string' ? u : null;
}

/** The unit and its new status in a `unit.status` event (top-level fields, else the embedded view). */
export function unitStatusOf(e: LiveEvent): { unit_id: string; status: string } | null {
  const u = e['unit'] as Partial<Unit> | undefined;
  const unitId = e['unit_id'] ?? u?.id;
  const status = e['status'] ?? u?.status;
  return typeof unitId === 'string' && typeof status === 'string' ? { unit_id: unitId, status } : null;
}

export interface UnitPosition {
  unit_id: string;
  lon: number;
  lat: number;
  at: number;
}

export function unitPositionOf(e: LiveEvent): UnitPosition | null {
  const src = (e['position'] && typeof e['position'] === 'object' ? { ...e, ...(e['position'] as object) } : e) as Record<
    string,
    unknown
  >;
  const unitId = src['unit_id'];
  const lon = src['lon'];
  const lat = src['lat'];
  if (typeof unitId !== 'string' || typeof lon !== 'number' || typeof lat !== 'number') return null;
  const at = typeof src['position_at'] === 'number' ? src['position_at'] : typeof src['at'] === 'number' ? src['at'] : e.at;
  return { unit_id: unitId, lon, lat, at };
}
