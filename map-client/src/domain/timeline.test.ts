import { describe, expect, it } from 'vitest';
import { emptyTimeline, loaded, mergeEntries, pendingNotes, rows, showIncident, type TimelineEntry } from './timeline';

function entry(id: string, at: number, seq: number, extra: Partial<TimelineEntry> = {}): TimelineEntry {
  return {
    id,
    incident_id: 'i1',
    seq,
    at,
    kind: 'note',
    actor_id: 'u1',
    actor_role: 'dispatcher',
    actor_name: 'Dispatcher Satu',
    unit_id: null,
    call_sign: null,
    text: id,
    detail: {},
    client_ref: null,
    ...extra,
  };
}

const ids = (t: { entries: readonly TimelineEntry[] }) => t.entries.map((e) => e.id);

describe('incident timeline', () => {
  it('keeps each entry once, however often it is heard or loaded', () => {
    let t = showIncident(emptyTimeline, 'i1');
    const heard = entry('b', 20, 0);
    t = mergeEntries(t, [heard]);
    t = mergeEntries(t, [heard]);
    t = loaded(t, 'i1', [entry('a', 10, 1), entry('b', 20, 2)]);
    // A socket resumed after a reconnect replays the frame once more.
    t = mergeEntries(t, [heard]);
    expect(ids(t)).toEqual(['a', 'b']);
    expect(t.entries[1]?.seq).toBe(2);
    expect(t.loaded).toBe(true);
  });

  it('orders by time, then by the order of writing, then by id', () => {
    let t = showIncident(emptyTimeline, 'i1');
    t = mergeEntries(t, [entry('late', 30, 0), entry('x2', 20, 5), entry('x1', 20, 4), entry('early', 5, 9)]);
    expect(ids(t)).toEqual(['early', 'x1', 'x2', 'late']);
    // A note heard live at the same millisecond as stored entries sorts after them.
    t = mergeEntries(t, [entry('heard', 20, 0)]);
    expect(ids(t)).toEqual(['early', 'x1', 'x2', 'heard', 'late']);
  });

  it('ignores entries of other incidents and an answer for an incident no longer shown', () => {
    let t = showIncident(emptyTimeline, 'i1');
    t = mergeEntries(t, [entry('other', 1, 1, { incident_id: 'i2' })]);
    expect(t.entries).toEqual([]);
    t = showIncident(t, 'i2');
    t = loaded(t, 'i1', [entry('a', 1, 1)]);
    expect(t.entries).toEqual([]);
    expect(t.loaded).toBe(false);
  });

  it('shows a note from the outbox until the server has it, and then only the server entry', () => {
    let t = showIncident(emptyTimeline, 'i1');
    t = pendingNotes(t, [{ client_ref: 'r1', text: 'jalan ditutup', at: 15 }]);
    t = loaded(t, 'i1', [entry('a', 10, 1)]);
    expect(rows(t).map((r) => r.kind)).toEqual(['entry', 'pending']);
    t = mergeEntries(t, [entry('n1', 15, 0, { client_ref: 'r1', text: 'jalan ditutup' })]);
    expect(rows(t).map((r) => (r.kind === 'entry' ? r.entry.id : 'pending'))).toEqual(['a', 'n1']);
    // The outbox still lists it for a moment (the send and the event race): it is not shown twice.
    t = pendingNotes(t, [{ client_ref: 'r1', text: 'jalan ditutup', at: 15 }]);
    expect(rows(t)).toHaveLength(2);
  });

  it('starts empty for another incident', () => {
    let t = loaded(showIncident(emptyTimeline, 'i1'), 'i1', [entry('a', 1, 1)]);
    expect(showIncident(t, 'i1')).toBe(t);
    t = showIncident(t, 'i2');
    expect(t).toEqual({ incidentId: 'i2', entries: [], pending: [], loaded: false });
  });
});
