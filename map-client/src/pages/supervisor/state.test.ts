import { describe, expect, it } from 'vitest';
import type { Agency, CallView, IncidentView } from '../../api/types';
import { frame } from '../../live/fixtures';
import { countersOf, heatLoaded, heatQuery, heatRange, initialState, staleAfter } from './state';

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
  it('agent states re-read the agents; calls re-read both; incidents and SLA breaches re-read the counters', () => {
    expect(staleAfter(frame('agent.state'))).toEqual({ agents: true, counters: false });
    expect(staleAfter(frame('call.updated'))).toEqual({ agents: true, counters: true });
    expect(staleAfter(frame('incident.created'))).toEqual({ agents: false, counters: true });
    expect(staleAfter(frame('sla.breach'))).toEqual({ agents: false, counters: true });
    expect(staleAfter(frame('unit.position'))).toEqual({ agents: false, counters: false });
  });
});
