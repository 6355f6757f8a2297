//! Supervisor board state: the agents with their states, the live counters (calls waiting, open incidents in
//! total and by OPD, SLA breaches), today's KPI tiles (from `GET /api/v1/reports/kpi`), the report download's
//! period, and the heat map of a chosen period with its legend's classes. Pure transitions and selectors only:
//! no DOM, no fetch, no clock (callers pass `now` or today's date). `staleAfter` says which parts must be
//! read again after a live event.

import type { Agency, AgentView, CallView, IncidentView, KpiReport } from '../../api/types';
import { isCallEvent, isIncidentEvent, type LiveEvent } from '../../live/events';
import { isOpenIncident } from '../../map/symbology';
import { canWithdraw } from '../../domain/withdraw';

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

export type KpiView =
  | { readonly status: 'idle' }
  | { readonly status: 'loaded'; readonly report: KpiReport }
  | { readonly status: 'failed'; readonly error: unknown };

export interface SupervisorState {
  readonly agencies: readonly Agency[];
  readonly agents: readonly AgentView[];
  readonly counters: Counters | null;
  readonly heat: HeatView;
  readonly kpi: KpiView;
  /** The open incidents in the supervisor's scope, most urgent first: the list a supervisor may cancel from. */
  readonly open: readonly IncidentView[];
}

/** What a live event makes stale. */
export interface Stale {
  readonly agents: boolean;
  readonly counters: boolean;
  readonly kpi: boolean;
}

/** A calendar date (of the centre's time zone, as the caller decides). */
export interface LocalDate {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  readonly day: number;
}

/** How a KPI tile's number reads: milliseconds shown as a duration, a fraction as a percentage, or a count. */
export type TileUnit = 'duration' | 'ratio' | 'count';

export interface KpiTile {
  /** Also the i18n key's suffix (`sup.kpi.asa`) and the tile's test id. */
  readonly id:
    | 'offered'
    | 'asa'
    | 'sl15'
    | 'sl20'
    | 'abandoned'
    | 'aht'
    | 'success'
    | 'prank'
    | 'call_backs'
    | 'call_backs_in_time'
    | 'resolved'
    | 'cancelled'
    | 'merged'
    | 'sla_cancelled';
  /** Null when the period has nothing to measure (a ratio over zero calls). */
  readonly value: number | null;
  readonly unit: TileUnit;
  /** A second figure under the value (the abandoned calls' share of those offered). */
  readonly detail?: { readonly value: number | null; readonly unit: TileUnit };
}

/** A report's span: a day, an ISO week or a month. */
export type ReportKind = 'day' | 'week' | 'month';
export const REPORT_KINDS: readonly ReportKind[] = ['day', 'week', 'month'];
export type ReportFormat = 'csv' | 'xlsx';
export const REPORT_FORMATS: readonly ReportFormat[] = ['csv', 'xlsx'];

/** One class of the heat map's legend: hexagons holding `from`..`to` incidents (both included). */
export interface HeatClass {
  readonly from: number;
  readonly to: number;
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
  return { agencies: [], agents: [], counters: null, heat: { status: 'idle' }, kpi: { status: 'idle' }, open: [] };
}

// ---- KPI tiles and reports ----

/** The tiles the board shows, in order, from a KPI report: the figures the API computed, none recomputed. */
export function kpiTiles(report: KpiReport): KpiTile[] {
  const c = report.calls;
  const b = report.call_backs;
  return [
    { id: 'offered', value: c.offered, unit: 'count' },
    { id: 'asa', value: c.asa_ms ?? null, unit: 'duration' },
    { id: 'sl15', value: c.service_level_15s ?? null, unit: 'ratio' },
    { id: 'sl20', value: c.service_level_20s ?? null, unit: 'ratio' },
    { id: 'abandoned', value: c.abandoned, unit: 'count', detail: { value: c.abandoned_ratio ?? null, unit: 'ratio' } },
    { id: 'aht', value: c.aht_ms ?? null, unit: 'duration' },
    { id: 'success', value: c.success_call_ratio ?? null, unit: 'ratio' },
    { id: 'prank', value: c.prank_ratio ?? null, unit: 'ratio' },
    // Call-backs made of those created, with the share that reached the caller; and the share made in time.
    { id: 'call_backs', value: b.made, unit: 'count', detail: { value: b.reached_ratio ?? null, unit: 'ratio' } },
    { id: 'call_backs_in_time', value: b.within_target_ratio ?? null, unit: 'ratio' },
    // Incidents resolved against those withdrawn (cancelled, of which merged duplicates), and the SLA clocks
    // their withdrawal stopped, which count in no compliance figure.
    { id: 'resolved', value: report.incidents.resolved, unit: 'count' },
    { id: 'cancelled', value: report.incidents.cancelled, unit: 'count' },
    { id: 'merged', value: report.incidents.merged, unit: 'count' },
    { id: 'sla_cancelled', value: report.sla.total.cancelled, unit: 'count' },
  ];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The ISO 8601 week of a date, `2026-W49` (the week's Thursday decides its year). */
export function isoWeek(d: LocalDate): string {
  const day = Date.UTC(d.year, d.month - 1, d.day);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = day + (3 - weekday) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY_MS));
  return `${year}-W${pad(week)}`;
}

/** The API's period text of the day, week or month holding `d`: `2026-12-05`, `2026-W49`, `2026-12`. */
export function periodOf(kind: ReportKind, d: LocalDate): string {
  if (kind === 'week') return isoWeek(d);
  if (kind === 'month') return `${d.year}-${pad(d.month)}`;
  return `${d.year}-${pad(d.month)}-${pad(d.day)}`;
}

const PERIOD_PATTERN: Record<ReportKind, RegExp> = {
  day: /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/,
  week: /^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/,
  month: /^\d{4}-(0[1-9]|1[0-2])$/,
};

/** Whether `text` is a period of `kind` as the API spells it (what the date, week and month inputs give). */
export function isPeriod(kind: ReportKind, text: string): boolean {
  return PERIOD_PATTERN[kind].test(text);
}

/** The report file's address: the KPI report for a day or week, the monthly report for a month. */
export function reportPath(kind: ReportKind, period: string, format: ReportFormat): string {
  const q = new URLSearchParams({ period, format });
  return `/api/v1/reports/${kind === 'month' ? 'monthly' : 'kpi'}?${q.toString()}`;
}

/** The KPI report's address for the tiles (JSON). */
export function kpiPath(period: string): string {
  return `/api/v1/reports/kpi?${new URLSearchParams({ period }).toString()}`;
}

// ---- heat-map legend ----

/**
 * At most five classes of whole incident counts covering 1..`max`, each distinct: one class per count while
 * the counts are small (max ≤ 5: `1`, `2`, `3`), else equal widths rounded up (max 12: 1–3, 4–6, 7–9, 10–12).
 * The map colours hexagons by the same classes, so the legend says exactly what each colour holds.
 */
export function heatClasses(max: number, most = 5): HeatClass[] {
  const top = Math.max(1, Math.ceil(max));
  if (top <= most) return Array.from({ length: top }, (_, i) => ({ from: i + 1, to: i + 1 }));
  const width = Math.ceil(top / most);
  const classes: HeatClass[] = [];
  for (let from = 1; from <= top; from += width) classes.push({ from, to: Math.min(top, from + width - 1) });
  return classes;
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
  return { ...state, counters: countersOf(state.agencies, calls, incidents), open: openIncidentsOf(incidents ?? []) };
}

const PRIORITY_RANK: Record<string, number> = { p1: 0, p2: 1, p3: 2, p4: 3 };

/** Incidents still open (not resolved, closed or cancelled), by priority and then age, oldest first. */
export function openIncidentsOf(incidents: readonly IncidentView[]): IncidentView[] {
  return incidents
    .filter((i) => canWithdraw(i.status))
    .sort((a, b) => (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || a.created_at - b.created_at);
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

export function kpiLoaded(state: SupervisorState, report: KpiReport): SupervisorState {
  return { ...state, kpi: { status: 'loaded', report } };
}

/** A failed refresh keeps the figures shown (marked stale by the view) rather than blanking the tiles. */
export function kpiFailed(state: SupervisorState, error: unknown): SupervisorState {
  return state.kpi.status === 'loaded' ? state : { ...state, kpi: { status: 'failed', error } };
}

/**
 * Agent states change the agent list; calls and incidents change the counters, and calls move agents in and out
 * of "on call". The KPI tiles are call figures: only call events change them.
 */
export function staleAfter(e: LiveEvent): Stale {
  if (e.type === 'agent.state') return { agents: true, counters: false, kpi: false };
  const call = isCallEvent(e);
  return { agents: call, counters: call || isIncidentEvent(e) || e.type === 'sla.breach', kpi: call };
}
