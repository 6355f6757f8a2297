//! Frames of the live websocket (`/api/v1/ws`), typed from the server's OpenAPI document (`schema.d.ts`, generated
//! from `docs/openapi.json`, which the server generates from its event types).
//!
//! A log event is one frame `{ seq, at, type, …payload }`: `EventEnvelope & DomainEvent`, a union discriminated
//! by `type`, so `switch (e.type)` narrows the payload. Control frames (`hello`, `resync_required`,
//! `position_ack`, `error`) are `ControlFrame`. `parseFrame` sorts a text frame into one of those, or into
//! `unknown` for a type this client does not know (a newer server may add types): an unknown frame still moves
//! the resume point but reaches no page. Pages read payloads only through the accessors below, which read the
//! fields the schema names and nothing else.

import type { components } from '../api/schema';
import type { Unit } from '../api/types';

type Schemas = components['schemas'];

/** A domain event with its payload, without the envelope. */
export type DomainEvent = Schemas['DomainEvent'];
export type EventType = DomainEvent['type'];
/** A log event as the socket delivers it. */
export type LiveEvent = Schemas['EventEnvelope'] & DomainEvent;
/** The log event of one type, e.g. `EventOf<'unit.position'>`. */
export type EventOf<T extends EventType> = Extract<LiveEvent, { type: T }>;
export type ControlFrame = Schemas['ControlFrame'];
export type ControlType = ControlFrame['type'];

/** What one text frame from the server is. */
export type ServerFrame =
  | { readonly kind: 'control'; readonly frame: ControlFrame }
  | { readonly kind: 'event'; readonly event: LiveEvent }
  /** Not for this client: `seq` is its log position when it has one (it still counts for resuming). */
  | { readonly kind: 'unknown'; readonly seq: number | null };

// Every type of the generated unions, each once: `tsc` rejects a missing or an extra key, so these stay the
// schema's lists when the schema changes.
const EVENT_TYPES: Readonly<Record<EventType, true>> = {
  'call.created': true,
  'call.updated': true,
  'call.routed': true,
  'call.taken': true,
  'call.follow_up_scheduled': true,
  'call.follow_up_recorded': true,
  'call.call_back_created': true,
  'call.call_back_updated': true,
  'incident.created': true,
  'incident.updated': true,
  'incident.escalated': true,
  'incident.closed': true,
  'incident.cancelled': true,
  'incident.note_added': true,
  'assignment.created': true,
  'assignment.status': true,
  'unit.created': true,
  'unit.status': true,
  'unit.position': true,
  'sla.breach': true,
  'agent.state': true,
};
const CONTROL_TYPES: Readonly<Record<ControlType, true>> = { hello: true, resync_required: true, position_ack: true, error: true };

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_TYPES, type);
}

/**
 * Sorts one text frame. Only the envelope is checked (an object with a string `type`, and for a log event a
 * numeric `seq` and `at`); the payload is taken as the schema says, since the server builds it from the same
 * types. Null for text that is not such a frame.
 */
export function parseFrame(text: string): ServerFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const frame = value as { type?: unknown; seq?: unknown; at?: unknown };
  if (typeof frame.type !== 'string') return null;
  if (Object.hasOwn(CONTROL_TYPES, frame.type)) return { kind: 'control', frame: value as ControlFrame };
  const seq = typeof frame.seq === 'number' ? frame.seq : null;
  if (isEventType(frame.type) && seq !== null && typeof frame.at === 'number') return { kind: 'event', event: value as LiveEvent };
  return { kind: 'unknown', seq };
}

export type IncidentEvent = EventOf<'incident.created' | 'incident.updated' | 'incident.escalated' | 'incident.closed' | 'incident.cancelled'>;
export type AssignmentEvent = EventOf<'assignment.created' | 'assignment.status'>;
export type CallEvent = EventOf<
  | 'call.created'
  | 'call.updated'
  | 'call.routed'
  | 'call.taken'
  | 'call.follow_up_scheduled'
  | 'call.follow_up_recorded'
  | 'call.call_back_created'
  | 'call.call_back_updated'
>;

export function isIncidentEvent(e: LiveEvent): e is IncidentEvent {
  return (
    e.type === 'incident.created' ||
    e.type === 'incident.updated' ||
    e.type === 'incident.escalated' ||
    e.type === 'incident.closed' ||
    e.type === 'incident.cancelled'
  );
}

export function isAssignmentEvent(e: LiveEvent): e is AssignmentEvent {
  return e.type === 'assignment.created' || e.type === 'assignment.status';
}

export function isCallEvent(e: LiveEvent): e is CallEvent {
  switch (e.type) {
    case 'call.created':
    case 'call.updated':
    case 'call.routed':
    case 'call.taken':
    case 'call.follow_up_scheduled':
    case 'call.follow_up_recorded':
    case 'call.call_back_created':
    case 'call.call_back_updated':
      return true;
    default:
      return false;
  }
}

/** The incident an incident or assignment event is about. */
export function incidentIdOf(e: LiveEvent): string | null {
  return isIncidentEvent(e) || isAssignmentEvent(e) ? e.incident_id : null;
}

/** What an `incident.cancelled` event says: why, and the master a merged duplicate now points to. */
export interface Withdrawal {
  readonly incident_id: string;
  readonly reason: string;
  readonly merged_into: { readonly incident_id: string; readonly number: string } | null;
}

export function withdrawalOf(e: LiveEvent): Withdrawal | null {
  if (e.type !== 'incident.cancelled') return null;
  return { incident_id: e.incident_id, reason: e.reason, merged_into: e.merged_into ?? null };
}

/** The assignment an `assignment.*` event is about. */
export function assignmentIdOf(e: LiveEvent): string | null {
  return isAssignmentEvent(e) ? e.assignment_id : null;
}

/** What an `assignment.*` event says of its assignment: which it is, whose, and its status now. */
export interface AssignmentChange {
  readonly assignment_id: string;
  readonly incident_id: string;
  readonly unit_id: string;
  readonly agency_id: string;
  readonly status: string;
}

export function assignmentChangeOf(e: LiveEvent): AssignmentChange | null {
  if (!isAssignmentEvent(e)) return null;
  const { assignment_id, incident_id, unit_id, agency_id, status } = e;
  return { assignment_id, incident_id, unit_id, agency_id, status };
}

/**
 * The `status` an event carries: the incident's (incident events), the assignment's (assignment events), the
 * unit's (`unit.status`) or the call's (`call.updated`, when its status changed); null for other types.
 */
export function statusOf(e: LiveEvent): string | null {
  if (isIncidentEvent(e) || isAssignmentEvent(e)) return e.status;
  if (e.type === 'unit.status') return e.status;
  if (e.type === 'call.updated') return e.status ?? null;
  return null;
}

/** The call a `call.*` event names; call events carry no caller data, only the id. */
export function callIdOf(e: LiveEvent): string | null {
  return isCallEvent(e) ? e.call_id : null;
}

/** The unit view of a `unit.created` event. */
export function unitOf(e: LiveEvent): Unit | null {
  return e.type === 'unit.created' ? e.unit : null;
}

/** The unit and its new status in a `unit.status` event. */
export function unitStatusOf(e: LiveEvent): { unit_id: string; status: string } | null {
  return e.type === 'unit.status' ? { unit_id: e.unit_id, status: e.status } : null;
}

export interface UnitPosition {
  unit_id: string;
  lon: number;
  lat: number;
  /** When the device took the fix (ms since the epoch). */
  at: number;
}

/** Where a `unit.position` event puts its unit, and when the fix was taken. */
export function unitPositionOf(e: LiveEvent): UnitPosition | null {
  return e.type === 'unit.position' ? { unit_id: e.unit_id, lon: e.lon, lat: e.lat, at: e.position_at } : null;
}
