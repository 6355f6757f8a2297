import { describe, expect, it } from 'vitest';
import type { IncidentView } from '../api/types';
import { callTakerMayCancel, cancelBody, canWithdraw, mergeCandidates } from './withdraw';

function incident(id: string, lon: number, extra: Partial<IncidentView> = {}): IncidentView {
  return {
    id,
    number: `N${id}`,
    status: 'escalated',
    category: 'fire',
    priority: 'p2',
    location: { lon, lat: 1.12 },
    created_at: Number(id),
    ...extra,
  } as IncidentView;
}

describe('withdrawing incidents', () => {
  it('offers cancel while the lifecycle allows it, and to the call taker only before verification', () => {
    for (const s of ['new', 'escalated', 'rejected', 'verified', 'dispatched']) expect(canWithdraw(s)).toBe(true);
    for (const s of ['resolved', 'closed', 'cancelled']) expect(canWithdraw(s)).toBe(false);
    expect(['new', 'escalated', 'rejected', 'verified', 'dispatched'].filter(callTakerMayCancel)).toEqual(['new', 'escalated', 'rejected']);
  });

  it('a duplicate names its master; other reasons send no master; a blank note is left out', () => {
    expect(cancelBody('duplicate', '  ', '')).toEqual({ ok: false, field: 'duplicate_of' });
    expect(cancelBody('duplicate', ' BTM-20261205-0001 ', ' same fire ')).toEqual({
      ok: true,
      body: { reason: 'duplicate', duplicate_of: 'BTM-20261205-0001', note: 'same fire' },
    });
    expect(cancelBody('false_alarm', 'BTM-20261205-0001', '  ')).toEqual({ ok: true, body: { reason: 'false_alarm' } });
  });

  it('merge candidates are open incidents of the same category nearby, nearest first', () => {
    const dup = incident('1', 104.05);
    const near = incident('2', 104.051);
    const nearer = incident('3', 104.0501);
    const far = incident('4', 104.2);
    const other = incident('5', 104.05, { category: 'health' });
    const closed = incident('6', 104.05, { status: 'closed' });
    const merged = incident('7', 104.05, { merged_into: { id: '2', number: 'N2' } });
    expect(mergeCandidates(dup, [dup, near, nearer, far, other, closed, merged]).map((i) => i.id)).toEqual(['3', '2']);
  });
});
