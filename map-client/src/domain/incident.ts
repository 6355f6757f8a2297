//! An incident as the live stream tells it: `incident.*` events carry the summary of the incident and its live
//! state (assignments and SLA clocks, read by the server in the change's own transaction), so a screen folds
//! them into its view without reading the incident back. What events never carry — the reporter's identity,
//! the call ids, the region chain, the final report — stays as the last read left it; a screen reads the
//! incident once when a desk opens it (see the dispatcher's `detailWanted`).

import type { AssignmentView, ClockView, IncidentView } from '../api/types';
import type { AssignmentEvent, IncidentEvent } from '../live/events';

/** The view an incident event leaves: `known` with the event's fields, or a new view built from the event alone. */
export function incidentFromEvent(known: IncidentView | undefined, e: IncidentEvent): IncidentView {
  const base: IncidentView = known ?? {
    id: e.incident_id,
    number: e.number ?? '',
    status: e.status,
    category: e.category,
    priority: e.priority,
    location: e.location,
    region_chain: [],
    agencies: [],
    victims: { count: 0, condition: 'unknown' },
    created_at: e.created_at ?? e.at,
    updated_at: e.updated_at ?? e.at,
    call_ids: [],
    assignments: [],
    sla: [],
  };
  const updatedAt = e.updated_at ?? e.at;
  return {
    ...base,
    number: e.number ?? base.number,
    status: e.status,
    category: e.category,
    subcategory: e.subcategory ?? null,
    priority: e.priority,
    location: e.location,
    address: e.address ?? null,
    region_code: e.region_code ?? null,
    victims: { count: e.victims.count, condition: e.victims.condition as IncidentView['victims']['condition'] },
    description: e.description ?? null,
    agencies: e.agencies ?? base.agencies,
    created_at: e.created_at ?? base.created_at,
    updated_at: Math.max(base.updated_at, updatedAt),
    resolved_at: base.resolved_at ?? (e.status === 'resolved' ? updatedAt : null),
    closed_at: base.closed_at ?? (e.status === 'closed' ? updatedAt : null),
    assignments: e.live?.assignments ?? base.assignments,
    sla: e.live?.sla ?? base.sla,
  };
}

/** `known` with the assignments and clocks an assignment event carries (unchanged without them). */
export function withAssignmentEvent(known: IncidentView, e: AssignmentEvent): IncidentView {
  if (!e.live) return known;
  return { ...known, assignments: e.live.assignments, sla: e.live.sla };
}

/** `known` with one clock marked breached at `at` (an `sla.breach` event). */
export function withBreach(known: IncidentView, clock: Pick<ClockView, 'subject_type' | 'subject_id' | 'kind'>, at: number): IncidentView {
  let changed = false;
  const sla = known.sla.map((c) => {
    if (c.subject_type !== clock.subject_type || c.subject_id !== clock.subject_id || c.kind !== clock.kind || c.breached_at != null) return c;
    changed = true;
    return { ...c, breached_at: at };
  });
  return changed ? { ...known, sla } : known;
}

/** The assignment with this id among an incident's, if the view has it. */
export function assignmentIn(known: IncidentView, id: string): AssignmentView | undefined {
  return known.assignments.find((a) => a.id === id);
}
