//! SLA display rules: which clock to show for an incident and how urgent it looks.

import type { Sla } from '../api/types';

export type SlaLevel = 'ok' | 'amber' | 'red';

/** What the display reads of a clock. */
export type SlaClock = Pick<Sla, 'kind' | 'due_at' | 'breached_at' | 'stopped_at'>;

/** The running clock due soonest (not stopped), or the latest breach if all running ones are breached. */
export function activeSla<C extends SlaClock>(incident: { sla: C[] }): C | null {
  const running = (incident.sla ?? []).filter((s) => s.stopped_at === null || s.stopped_at === undefined);
  if (running.length === 0) return null;
  return running.reduce((a, b) => (b.due_at < a.due_at ? b : a));
}

/**
 * Red once breached or past due; amber in the last quarter of the window (measured from `started_at`, the
 * incident's creation) or the last 60 s, whichever starts earlier.
 */
export function slaLevel(sla: SlaClock, started_at: number, now: number): SlaLevel {
  if (sla.breached_at !== null && sla.breached_at !== undefined) return 'red';
  const remaining = sla.due_at - now;
  if (remaining <= 0) return 'red';
  const window = Math.max(1, sla.due_at - started_at);
  if (remaining <= Math.max(60_000, window / 4)) return 'amber';
  return 'ok';
}

/** What the arrival plan reads of an assignment. */
export interface PlannedAssignment {
  id: string;
  planned_eta_s?: number | null;
}

/** An assignment's planned arrival beside its arrival clock's target. */
export interface ArrivalPlan {
  /** When the unit should arrive: the clock's start plus the ETA planned at assignment. */
  eta_at: number;
  /** The arrival clock's deadline. */
  due_at: number;
  eta_s: number;
  target_s: number;
  /** The planned ETA is past the target (the deadline itself still meets it, as on the clock). */
  late: boolean;
}

/**
 * The planned arrival of an assignment: its `planned_eta_s` against its arrival clock (`subject_type`
 * `assignment`, kind `arrival`); null when either is missing.
 */
export function arrivalPlan(a: PlannedAssignment, clocks: readonly Pick<Sla, 'kind' | 'subject_type' | 'subject_id' | 'started_at' | 'due_at'>[]): ArrivalPlan | null {
  const eta_s = a.planned_eta_s;
  if (eta_s === null || eta_s === undefined) return null;
  const clock = clocks.find((c) => c.kind === 'arrival' && c.subject_type === 'assignment' && c.subject_id === a.id);
  if (!clock) return null;
  const target_s = (clock.due_at - clock.started_at) / 1000;
  return { eta_at: clock.started_at + eta_s * 1000, due_at: clock.due_at, eta_s, target_s, late: eta_s > target_s };
}

/** Whole minutes a travel time takes, rounded up (never "6 min, target 6 min" for a unit that is late). */
export function minutesUp(seconds: number): number {
  return Math.max(1, Math.ceil(seconds / 60));
}
