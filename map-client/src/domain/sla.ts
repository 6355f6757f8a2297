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
