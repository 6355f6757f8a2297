//! Supervisor board state: the agents with their states, the live counters (calls waiting, open incidents in
//! total and by OPD, SLA breaches) and the heat map of a chosen period. Pure transitions and selectors only:
//! no DOM, no fetch, no clock (callers pass `now`). `applyEvent` says which parts must be read again.

import type { Agency, AgentView, CallView, IncidentView } from '../../api/types';
import { isCallEvent, isIncidentEvent, type LiveEvent } from '../../live/events';
import { isOpenIncident } from '../../map/symbology';

const DAY_MS = 86_400_000;

export type Period = '24h' | '7d' | '30d' | 'custom';
export const PERIODS: readonly Period[] = ['24h', '7d', '30d', 'custom'];

export interface Counters {
  /** Null when the server has no such endpoint (shown as "none"). */
  readonly callsWaiting: number | null;
  readonly incidentsOpen: number | null;
  readonly slaBreaches: number | null;
  /** Open incidents escalated to each OPD, in the agency list's order. */
  readonly byAgency: readonly { readonly id: string; readonly name: string; readonly count: number }[];
}

export type HeatView =
  | { readonly status: 'idle' }
  | { readonly status: 'unavailable' }
  | { readonly status: 'loaded'; readonly cells: GeoJSON.FeatureCollection; readonly total: number }
  | { readonly status: 'failed'; readonly error: unknown };

export interface SupervisorState {
  readonly agencies: readonly Agency[];
  readonly agents: readonly AgentView[];
  readonly counters: Counters | null;
  readonly heat: HeatView;
}

/** What a live event makes stale. */
export interface Stale {
  readonly agents: boolean;
  readonly counters: boolean;
}

export interface HeatForm {
  readonly period: string;
  /** `datetime-local` values, used only for the custom period. */
  readonly from: string;
  readonly to: string;
  readonly category: string;
  readonly resolution: string;
}

export function initialState(): SupervisorState {
  return { agencies: [], agents: [], counters: null, heat: { status: 'idle' } };
}

// ---- selectors ----

/** The period's bounds in ms: the last 24 h, 7 or 30 days up to `now`, or the custom dates when both are set. */
export function heatRange(form: Pick<HeatForm, 'period' | 'from' | 'to'>, now: number): { from: number; to: number } {
  if (form.period === '7d') return { from: now - 7 * DAY_MS, to: now };
  if (form.period === '30d') return { from: now - 30 * DAY_MS, to: now };
  if (form.period === 'custom' && form.from && form.to) return { from: new Date(form.from).getTime(), to: new Date(form.to).getTime() };
  return { from: now - DAY_MS, to: now };
}

/** The heat-map request's query string. */
export function heatQuery(form: HeatForm, now: number): string {
  const range = heatRange(form, now);
  const q = new URLSearchParams({ from: String(range.from), to: String(range.to), resolution: form.resolution });
  if (form.category) q.set('category', form.category);
  return q.toString();
}

/** The counters from the ringing calls and the incidents (either null when its endpoint is missing). */
export function countersOf(agencies: readonly Agency[], calls: readonly CallView[] | null, incidents: readonly IncidentView[] | null): Counters {
  const open = (incidents ?? []).filter((i) => isOpenIncident(i.status));
  const breaches = open.reduce((n, i) => n + (i.sla ?? []).filter((s) => s.breached_at !== null && s.breached_at !== undefined).length, 0);
  const counts = new Map<string, number>();
  for (const i of open) for (const a of i.agencies ?? []) counts.set(a.agency_id, (counts.get(a.agency_id) ?? 0) + 1);
  return {
    callsWaiting: calls ? calls.length : null,
    incidentsOpen: incidents ? open.length : null,
    slaBreaches: incidents ? breaches : null,
    byAgency: agencies.map((a) => ({ id: a.id, name: a.name, count: counts.get(a.id) ?? 0 })),
  };
}

// ---- transitions ----

export function agenciesLoaded(state: SupervisorState, agencies: readonly Agency[]): SupervisorState {
  return { ...state, agencies };
}

export function agentsLoaded(state: SupervisorState, agents: readonly AgentView[]): SupervisorState {
  return { ...state, agents };
}

export function countersLoaded(state: SupervisorState, calls: readonly CallView[] | null, incidents: readonly IncidentView[] | null): SupervisorState {
  return { ...state, counters: countersOf(state.agencies, calls, incidents) };
}

/** The heat map's hexagons (null when the server has no heat-map endpoint). */
export function heatLoaded(state: SupervisorState, cells: GeoJSON.FeatureCollection | null): SupervisorState {
  if (!cells) return { ...state, heat: { status: 'unavailable' } };
  const total = cells.features.reduce((n, f) => n + Number(f.properties?.['count'] ?? 0), 0);
  return { ...state, heat: { status: 'loaded', cells, total } };
}

export function heatFailed(state: SupervisorState, error: unknown): SupervisorState {
  return { ...state, heat: { status: 'failed', error } };
}

/** Agent states change the agent list; calls and incidents change the counters, and calls move agents in and out of "on call". */
export function staleAfter(e: LiveEvent): Stale {
  if (e.type === 'agent.state') return { agents: true, counters: false };
  const call = isCallEvent(e);
  return { agents: call, counters: call || isIncidentEvent(e) || e.type === 'sla.breach' };
}
