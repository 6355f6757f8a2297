import { describe, expect, it } from 'vitest';
import type { Agency, CallView, IncidentView } from '../../api/types';
import { frame } from '../../live/fixtures';
import type { KpiReport } from '../../api/types';
import { countersOf, openIncidentsOf, heatClasses, heatLoaded, heatQuery, heatRange, initialState, isoWeek, isPeriod, kpiFailed, kpiLoaded, kpiTiles, periodOf, reportPath, staleAfter } from './state';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1, 12);

const agencies = [
  { id: 'dinkes', name: 'Dinkes' },
  { id: 'bpbd', name: 'BPBD' },
] as Agency[];

function incident(status: string, agencyIds: string[], breached = 0): IncidentView {
  return {
    status,
    agencies: agencyIds.map((agency_id) => ({ agency_id, agency_type: 'x', status: 'escalated' })),
    sla: Array.from({ length: breached }, () => ({ kind: 'dispatch', subject_type: 'incident', subject_id: 'i', started_at: 0, due_at: 1, breached_at: 2 })),
  } as IncidentView;
}

describe('supervisor counters', () => {
  it('count ringing calls, open incidents with their SLA breaches, and open incidents per OPD in the agency order', () => {
    const c = countersOf(agencies, [{} as CallView, {} as CallView], [
      incident('escalated', ['dinkes', 'bpbd'], 1),
      incident('dispatched', ['dinkes']),
      incident('closed', ['bpbd'], 2),
    ]);
    expect(c).toEqual({
      callsWaiting: 2,
      incidentsOpen: 2,
      slaBreaches: 1,
      byAgency: [
        { id: 'dinkes', name: 'Dinkes', count: 2 },
        { id: 'bpbd', name: 'BPBD', count: 1 },
      ],
    });
  });

  it('show none (null) for a count whose endpoint the server lacks', () => {
    expect(countersOf(agencies, null, null)).toMatchObject({ callsWaiting: null, incidentsOpen: null, slaBreaches: null });
  });
});

describe('supervisor heat map', () => {
  it('covers the last 24 hours, 7 or 30 days, or the custom dates once both are set', () => {
    expect(heatRange({ period: '24h', from: '', to: '' }, NOW)).toEqual({ from: NOW - DAY, to: NOW });
    expect(heatRange({ period: '7d', from: '', to: '' }, NOW)).toEqual({ from: NOW - 7 * DAY, to: NOW });
    expect(heatRange({ period: '30d', from: '', to: '' }, NOW)).toEqual({ from: NOW - 30 * DAY, to: NOW });
    expect(heatRange({ period: 'custom', from: '2025-01-01T00:00', to: '2025-01-31T00:00' }, NOW)).toEqual({
      from: new Date('2025-01-01T00:00').getTime(),
      to: new Date('2025-01-31T00:00').getTime(),
    });
    expect(heatRange({ period: 'custom', from: '2025-01-01T00:00', to: '' }, NOW)).toEqual({ from: NOW - DAY, to: NOW });
  });

  it('asks for the resolution and, when one is chosen, the category', () => {
    const form = { period: '24h', from: '', to: '', category: '', resolution: '8' };
    expect(heatQuery(form, NOW)).toBe(`from=${NOW - DAY}&to=${NOW}&resolution=8`);
    expect(new URLSearchParams(heatQuery({ ...form, category: 'fire' }, NOW)).get('category')).toBe('fire');
  });

  it('totals the incidents of the loaded cells; a server without the endpoint says so', () => {
    const cell = (count: number) => ({ type: 'Feature', geometry: null, properties: { count } }) as unknown as GeoJSON.Feature;
    expect(heatLoaded(initialState(), { type: 'FeatureCollection', features: [cell(2), cell(1)] }).heat).toMatchObject({ status: 'loaded', total: 3 });
    expect(heatLoaded(initialState(), null).heat).toEqual({ status: 'unavailable' });
  });
});

describe('supervisor live events', () => {
  it('agent states re-read the agents; calls re-read all three; incidents and SLA breaches re-read the counters', () => {
    expect(staleAfter(frame('agent.state'))).toEqual({ agents: true, counters: false, kpi: false });
    expect(staleAfter(frame('call.updated'))).toEqual({ agents: true, counters: true, kpi: true });
    expect(staleAfter(frame('incident.created'))).toEqual({ agents: false, counters: true, kpi: false });
    expect(staleAfter(frame('sla.breach'))).toEqual({ agents: false, counters: true, kpi: false });
    expect(staleAfter(frame('unit.position'))).toEqual({ agents: false, counters: false, kpi: false });
  });
});

describe('supervisor KPI tiles', () => {
  const report = {
    calls: {
      offered: 4,
      answered: 3,
      abandoned: 1,
      abandoned_ratio: 0.25,
      asa_ms: 4_000,
      service_level_15s: 0.75,
      service_level_20s: 0.75,
      aht_ms: 61_000,
      success_call_ratio: 0.5,
      prank_ratio: 1 / 3,
      prank_ghost_ratio: 1 / 3,
    },
    call_backs: { created: 2, made: 2, attempts: 3, reached: 1, within_target: 1, open: 1, reached_ratio: 0.5, within_target_ratio: 0.5 },
    incidents: { total: 6, resolved: 3, closed: 2, cancelled: 2, merged: 1, cancelled_by_reason: [] },
    sla: { total: { key: 'total', met: 4, breached: 1, running: 0, cancelled: 3, compliance: 0.8 } },
  } as unknown as KpiReport;

  it('show the figures the API computed, in board order, none recomputed', () => {
    const tiles = kpiTiles(report);
    expect(tiles.map((t) => [t.id, t.value])).toEqual([
      ['offered', 4],
      ['asa', 4_000],
      ['sl15', 0.75],
      ['sl20', 0.75],
      ['abandoned', 1],
      ['aht', 61_000],
      ['success', 0.5],
      ['prank', 1 / 3],
      ['call_backs', 2],
      ['call_backs_in_time', 0.5],
      ['resolved', 3],
      ['cancelled', 2],
      ['merged', 1],
      ['sla_cancelled', 3],
    ]);
    expect(tiles.find((t) => t.id === 'call_backs')?.detail).toEqual({ value: 0.5, unit: 'ratio' });
    expect(tiles.find((t) => t.id === 'abandoned')?.detail).toEqual({ value: 0.25, unit: 'ratio' });
  });

  it('show none for a ratio over zero calls', () => {
    const empty = {
      calls: { offered: 0, answered: 0, abandoned: 0 },
      call_backs: { created: 0, made: 0 },
      incidents: { total: 0, resolved: 0, closed: 0, cancelled: 0, merged: 0, cancelled_by_reason: [] },
      sla: { total: { met: 0, breached: 0, running: 0, cancelled: 0 } },
    } as unknown as KpiReport;
    expect(kpiTiles(empty).filter((t) => t.unit !== 'count').every((t) => t.value === null)).toBe(true);
  });

  it('keep the last figures when a refresh fails', () => {
    const loaded = kpiLoaded(initialState(), report);
    expect(kpiFailed(loaded, new Error('x'))).toBe(loaded);
    expect(kpiFailed(initialState(), 'e').kpi.status).toBe('failed');
  });
});

describe('supervisor report periods', () => {
  it('spell a day, an ISO week and a month as the API reads them', () => {
    const d = { year: 2026, month: 12, day: 5 };
    expect(periodOf('day', d)).toBe('2026-12-05');
    expect(periodOf('week', d)).toBe('2026-W49');
    expect(periodOf('month', d)).toBe('2026-12');
  });

  it('give a date at the turn of the year the ISO week of its Thursday', () => {
    expect(isoWeek({ year: 2027, month: 1, day: 1 })).toBe('2026-W53');
    expect(isoWeek({ year: 2024, month: 12, day: 30 })).toBe('2025-W01');
    expect(isoWeek({ year: 2026, month: 1, day: 1 })).toBe('2026-W01');
  });

  it('accept only what the date, week and month inputs give', () => {
    expect(isPeriod('day', '2026-12-05')).toBe(true);
    expect(isPeriod('day', '2026-13-05')).toBe(false);
    expect(isPeriod('week', '2026-W49')).toBe(true);
    expect(isPeriod('week', '2026-W54')).toBe(false);
    expect(isPeriod('month', '2026-12')).toBe(true);
    expect(isPeriod('month', '')).toBe(false);
  });

  it('ask the KPI report for days and weeks and the monthly report for months', () => {
    expect(reportPath('day', '2026-12-05', 'csv')).toBe('/api/v1/reports/kpi?period=2026-12-05&format=csv');
    expect(reportPath('week', '2026-W49', 'xlsx')).toBe('/api/v1/reports/kpi?period=2026-W49&format=xlsx');
    expect(reportPath('month', '2026-12', 'xlsx')).toBe('/api/v1/reports/monthly?period=2026-12&format=xlsx');
  });
});

describe('supervisor heat-map legend', () => {
  it('has one class per count while counts are small, never a repeated or fractional break', () => {
    expect(heatClasses(1)).toEqual([{ from: 1, to: 1 }]);
    expect(heatClasses(2)).toEqual([
      { from: 1, to: 1 },
      { from: 2, to: 2 },
    ]);
    expect(heatClasses(5).map((c) => c.from)).toEqual([1, 2, 3, 4, 5]);
  });

  it('splits larger counts into at most five distinct whole-number ranges ending at the maximum', () => {
    expect(heatClasses(12)).toEqual([
      { from: 1, to: 3 },
      { from: 4, to: 6 },
      { from: 7, to: 9 },
      { from: 10, to: 12 },
    ]);
    const big = heatClasses(101);
    expect(big.length).toBeLessThanOrEqual(5);
    expect(big.at(-1)?.to).toBe(101);
    for (let i = 1; i < big.length; i++) expect(big[i]?.from).toBe((big[i - 1]?.to ?? 0) + 1);
  });
});

describe('supervisor open incidents', () => {
  it('lists the incidents a supervisor may still cancel, most urgent first, then oldest', () => {
    const inc = (id: string, status: string, priority: string, created_at: number) => ({ id, status, priority, created_at }) as IncidentView;
    const list = openIncidentsOf([
      inc('a', 'dispatched', 'p2', 1),
      inc('b', 'escalated', 'p1', 5),
      inc('c', 'cancelled', 'p1', 0),
      inc('d', 'resolved', 'p1', 0),
      inc('e', 'new', 'p2', 0),
    ]);
    expect(list.map((i) => i.id)).toEqual(['b', 'e', 'a']);
  });
});
