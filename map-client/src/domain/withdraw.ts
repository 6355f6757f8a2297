//! Withdrawing an incident from a desk: which incidents offer "cancel" and "merge", the body of a cancel
//! request, and the nearby open incidents a duplicate may be merged into. Pure: the server decides
//! (`siaga_core::cancel`); these only offer the controls and shape the request.

import type { CancelReason, CancelRequest, IncidentView } from '../api/types';
import { haversine_m } from '../ui/format';

/** Statuses from which an incident may still be cancelled (the lifecycle's edges to `cancelled`). */
const CANCELLABLE = new Set(['new', 'escalated', 'rejected', 'verified', 'dispatched']);
/** Statuses in which a call taker may cancel an incident she filed: no OPD has verified it yet. */
const UNVERIFIED = new Set(['new', 'escalated', 'rejected']);
/** How far apart a duplicate and its master may lie to be offered as a merge, in metres. */
export const MERGE_RADIUS_M = 2000;

/** Whether the lifecycle still lets the incident be cancelled (and so merged into another). */
export function canWithdraw(status: string): boolean {
  return CANCELLABLE.has(status);
}

/** Whether the call taker who filed an incident may still cancel it herself. */
export function callTakerMayCancel(status: string): boolean {
  return UNVERIFIED.has(status);
}

/** What a cancel form may send, or which field is missing: a duplicate names its master. */
export function cancelBody(
  reason: CancelReason,
  duplicateOf: string,
  note: string,
): { ok: true; body: CancelRequest } | { ok: false; field: 'duplicate_of' } {
  const body: CancelRequest = { reason };
  const master = duplicateOf.trim();
  if (reason === 'duplicate') {
    if (!master) return { ok: false, field: 'duplicate_of' };
    body.duplicate_of = master;
  }
  const text = note.trim();
  if (text) body.note = text;
  return { ok: true, body };
}

/**
 * Open incidents `inc` may be merged into, nearest first: another incident of the same category within
 * `MERGE_RADIUS_M`, not closed, cancelled or merged itself.
 */
export function mergeCandidates(inc: IncidentView, others: Iterable<IncidentView>): IncidentView[] {
  return [...others]
    .filter((o) => o.id !== inc.id && o.category === inc.category && canWithdraw(o.status) && !o.merged_into)
    .map((o) => ({ o, d: haversine_m(inc.location, o.location) }))
    .filter((x) => x.d <= MERGE_RADIUS_M)
    .sort((a, b) => a.d - b.d || a.o.created_at - b.o.created_at)
    .map((x) => x.o);
}
