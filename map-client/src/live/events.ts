//! Messages of the live websocket (`/api/v1/ws`). Every message has `seq` (from the durable event log),
//! `at` (ms since the epoch) and `type`; the payload fields depend on the type. Handlers read payloads
//! defensively: an event may carry the full view (`incident`, `assignment`, `unit`) or only ids, and pages
//! refetch by id when the view is absent.

import type { AssignmentView, CallView, IncidentView } from '../api/types';

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
