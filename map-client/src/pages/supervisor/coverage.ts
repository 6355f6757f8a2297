//! The coverage toggle's state: which unit type is shown, when the layer must be re-read (a unit moved, changed
//! status or was added, coalesced; and every 30 s, since fixes turn stale without an event), and the summary
//! line ("share of the region outside the target").

import type { CoverageView, UnitType } from '../../api/types';
import type { LiveEvent } from '../../live/events';

export const COVERAGE_REFRESH_MS = 30_000;
/** Unit events come in bursts (every moving unit every few seconds): one re-read per burst at most this often. */
export const COVERAGE_COALESCE_MS = 5_000;

export interface CoverageState {
  on: boolean;
  unitType: UnitType;
  status: 'idle' | 'loading' | 'ready' | 'failed';
  view: CoverageView | null;
  error: unknown;
}

export function initialCoverage(): CoverageState {
  return { on: false, unitType: 'ambulance', status: 'idle', view: null, error: null };
}

/** The query for the current choice; the region defaults to the supervisor's own on the server. */
export function coveragePath(s: CoverageState, region?: string | null): string {
  const q = new URLSearchParams({ unit_type: s.unitType });
  if (region) q.set('region', region);
  return `/api/v1/coverage?${q.toString()}`;
}

/** True when `e` can change the reachable area: a unit was added, moved or changed status. */
export function coverageStale(e: LiveEvent): boolean {
  return e.type === 'unit.position' || e.type === 'unit.status' || e.type === 'unit.created';
}

export function toggled(s: CoverageState, on: boolean): CoverageState {
  return on ? { ...s, on, status: 'loading' } : { ...s, on, status: 'idle', view: null, error: null };
}

export function typeChosen(s: CoverageState, unitType: UnitType): CoverageState {
  return { ...s, unitType, status: s.on ? 'loading' : s.status };
}

/** A loaded answer; one for another type than now chosen (a slow answer after a switch) or after the toggle
 * went off is dropped. */
export function coverageLoaded(s: CoverageState, view: CoverageView): CoverageState {
  if (!s.on || view.unit_type !== s.unitType) return s;
  return { ...s, status: 'ready', view, error: null };
}

export function coverageFailed(s: CoverageState, error: unknown): CoverageState {
  return s.on ? { ...s, status: 'failed', error } : s;
}

/** The summary's numbers: percent outside (one decimal) and people outside, when the answer has a region. */
export function coverageSummary(view: CoverageView): { outsidePct: string; people: number | null; minutes: number } | null {
  if (view.share_outside === null || view.share_outside === undefined) return null;
  return {
    outsidePct: (view.share_outside * 100).toFixed(1),
    people: view.population_outside ?? null,
    minutes: Math.round(view.target_s / 60),
  };
}
