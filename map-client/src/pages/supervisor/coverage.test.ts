import { describe, expect, it } from 'vitest';
import type { CoverageView } from '../../api/types';
import type { LiveEvent } from '../../live/events';
import { coverageFailed, coverageLoaded, coveragePath, coverageStale, coverageSummary, initialCoverage, toggled, typeChosen } from './coverage';

function view(over: Partial<CoverageView> = {}): CoverageView {
  return {
    type: 'FeatureCollection',
    features: [],
    unit_type: 'ambulance',
    target_s: 600,
    basis: 'road',
    units: 3,
    units_straight_line: 0,
    h3_resolution: 8,
    region: { code: '21.71', name: 'Kota Batam' },
    area_km2_covered: 30,
    area_km2_total: 120,
    share_outside: 0.75,
    population_total: 1_000_000,
    population_outside: 750_000,
    positions_version: 4,
    compute_ms: 2.5,
    ...over,
  };
}

describe('coverage state', () => {
  it('asks for the chosen type, and the region only when given', () => {
    const s = typeChosen(initialCoverage(), 'fire_engine');
    expect(coveragePath(s)).toBe('/api/v1/coverage?unit_type=fire_engine');
    expect(coveragePath(s, '21.71')).toBe('/api/v1/coverage?unit_type=fire_engine&region=21.71');
  });

  it('keeps an answer only while on and for the type now chosen', () => {
    const off = initialCoverage();
    expect(coverageLoaded(off, view())).toBe(off);
    const on = toggled(off, true);
    expect(on.status).toBe('loading');
    const ready = coverageLoaded(on, view());
    expect(ready.status).toBe('ready');
    expect(ready.view?.units).toBe(3);
    // A slow ambulance answer after switching to fire engines is dropped.
    const switched = typeChosen(ready, 'fire_engine');
    expect(coverageLoaded(switched, view()).view?.unit_type).toBe('ambulance');
    expect(coverageLoaded(switched, view()).status).toBe('loading');
    // Turning off clears the layer; a failure after that is ignored.
    const cleared = toggled(ready, false);
    expect(cleared.view).toBeNull();
    expect(coverageFailed(cleared, new Error('x'))).toBe(cleared);
    expect(coverageFailed(on, new Error('x')).status).toBe('failed');
  });

  it('is re-read when a unit is added, moves or changes status, not on other events', () => {
    const ev = (type: string) => ({ type }) as unknown as LiveEvent;
    expect(coverageStale(ev('unit.position'))).toBe(true);
    expect(coverageStale(ev('unit.status'))).toBe(true);
    expect(coverageStale(ev('unit.created'))).toBe(true);
    expect(coverageStale(ev('call.created'))).toBe(false);
    expect(coverageStale(ev('incident.created'))).toBe(false);
  });

  it('summarises the share and people outside, and nothing without a region', () => {
    expect(coverageSummary(view())).toEqual({ outsidePct: '75.0', people: 750_000, minutes: 10 });
    expect(coverageSummary(view({ population_outside: null, population_total: null }))?.people).toBeNull();
    expect(coverageSummary(view({ share_outside: null, region: null }))).toBeNull();
  });
});
