//! An incident's timeline as a screen holds it: the entries loaded from `GET /incidents/{id}/timeline`, those
//! the live socket brings (`incident.note_added` carries its entry), and the crew's notes still waiting in the
//! phone's outbox. Pure: no DOM, network, storage or clock, so the merge rules are unit-tested.
//!
//! Rules: an entry is held once by its `id` (a frame seen twice, an entry both loaded and heard live, a resumed
//! socket replaying frames); a loaded entry replaces a heard one (it knows its `seq`); a note still in the
//! outbox (`pending`) is shown until the server's entry with its `client_ref` arrives, then disappears. Order:
//! by `at`, then `seq` (an entry heard live has `seq` 0 and sorts after the stored entries of the same
//! millisecond), then `id`.

import type { components } from '../api/schema';

export type TimelineEntry = components['schemas']['TimelineEntry'];

/** A crew note typed on this phone and not yet confirmed by the server. */
export interface PendingNote {
  readonly client_ref: string;
  readonly text: string;
  readonly at: number;
}

export interface Timeline {
  /** The incident shown; null when the screen shows none. */
  readonly incidentId: string | null;
  readonly entries: readonly TimelineEntry[];
  readonly pending: readonly PendingNote[];
  /** Whether the stored list was loaded at least once for this incident. */
  readonly loaded: boolean;
}

export const emptyTimeline: Timeline = { incidentId: null, entries: [], pending: [], loaded: false };

/** The timeline of another incident (or of none): nothing held over from the one before. */
export function showIncident(t: Timeline, incidentId: string | null): Timeline {
  if (t.incidentId === incidentId) return t;
  return { incidentId, entries: [], pending: [], loaded: false };
}

function seqKey(e: TimelineEntry): number {
  return e.seq > 0 ? e.seq : Number.MAX_SAFE_INTEGER;
}

/** The order entries are shown in: oldest first, stable. */
export function compareEntries(a: TimelineEntry, b: TimelineEntry): number {
  if (a.at !== b.at) return a.at - b.at;
  const s = seqKey(a) - seqKey(b);
  if (s !== 0) return s;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Entries of the shown incident merged in: each once by id, a stored one (with its `seq`) winning over a heard one. */
export function mergeEntries(t: Timeline, incoming: readonly TimelineEntry[]): Timeline {
  const mine = incoming.filter((e) => e.incident_id === t.incidentId);
  if (mine.length === 0) return t;
  const byId = new Map(t.entries.map((e) => [e.id, e]));
  for (const e of mine) {
    const held = byId.get(e.id);
    if (!held || held.seq === 0 || e.seq !== 0) byId.set(e.id, e);
  }
  const entries = [...byId.values()].sort(compareEntries);
  const refs = new Set(entries.flatMap((e) => (e.client_ref ? [e.client_ref] : [])));
  return { ...t, entries, pending: t.pending.filter((p) => !refs.has(p.client_ref)) };
}

/** The stored list, as loaded: merged with what was heard meanwhile (a frame may be newer than the answer). */
export function loaded(t: Timeline, incidentId: string, entries: readonly TimelineEntry[]): Timeline {
  if (t.incidentId !== incidentId) return t;
  return { ...mergeEntries(t, entries), loaded: true };
}

/** The crew's notes still in the outbox for this incident (those the server already has are dropped). */
export function pendingNotes(t: Timeline, notes: readonly PendingNote[]): Timeline {
  const refs = new Set(t.entries.flatMap((e) => (e.client_ref ? [e.client_ref] : [])));
  return { ...t, pending: notes.filter((n) => !refs.has(n.client_ref)) };
}

/** What the screen lists: stored and heard entries, then the pending notes by when they were typed. */
export type Row = { readonly kind: 'entry'; readonly entry: TimelineEntry } | { readonly kind: 'pending'; readonly note: PendingNote };

export function rows(t: Timeline): Row[] {
  const list: Row[] = t.entries.map((entry) => ({ kind: 'entry', entry }));
  for (const note of [...t.pending].sort((a, b) => a.at - b.at)) list.push({ kind: 'pending', note });
  return list;
}
