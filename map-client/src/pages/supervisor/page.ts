//! Supervisor board: today's KPI tiles (`GET /api/v1/reports/kpi`, re-read after call events, coalesced, and
//! every 30 s) with the report download (daily/weekly/monthly, CSV/XLSX); agents with their states and a force
//! sign-out; live counters (calls waiting, open incidents by agency, SLA breaches); and an H3 hexagon heat map
//! of incidents over a chosen period.
//!
//! This module wires the pieces: REST and the socket feed `state.ts`, whose changes the `view_*` modules draw.

import { download, get, getOptional, post } from '../../api/client';
import type { Agency, AgentView, CallView, CoverageView, IncidentView, KpiReport, Region } from '../../api/types';
import { t, tk } from '../../i18n';
import { connectLive } from '../../live/connect';
import { createMap, fitTo, geojsonPoints, openedOnSavedView } from '../../map/map';
import { mountBoundaries } from '../../map/layers/boundaries';
import { mountCoverage } from '../../map/layers/coverage';
import { mountHexbins } from '../../map/layers/hexbins';
import { UNIT_TYPES } from '../admin/state';
import type { PageContext } from '../../main';
import { h, options, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { mountNightShiftToggle } from '../../ui/night_shift';
import { mountShell } from '../../ui/shell';
import { mountDeskTimeline } from '../../ui/timeline';
import { createStore } from '../store';
import { saveFile } from '../../ui/download';
import { agenciesLoaded, agentsLoaded, countersLoaded, heatFailed, heatLoaded, heatQuery, initialState, kpiFailed, kpiLoaded, kpiPath, type LocalDate, periodOf, reportPath, staleAfter } from './state';
import { mountAgents, mountCounters, mountOpenIncidents } from './view_board';
import { COVERAGE_COALESCE_MS, COVERAGE_REFRESH_MS, coverageFailed, coverageLoaded, coveragePath, coverageStale, coverageSummary, initialCoverage, toggled, typeChosen } from './coverage';
import { mountHeatForm, mountHeatLegend } from './view_heat';
import { mountKpi, mountReportForm } from './view_kpi';

const AGENTS_REFRESH_MS = 10_000;
/** Today's figures move without any event too (a call ringing longer lowers the service level). */
const KPI_REFRESH_MS = 30_000;
/** A burst of events costs one refetch of each part. */
const COALESCE_MS = 500;

export async function mount({ root, user }: PageContext): Promise<void> {
  const shell = mountShell(root, user, t('sup.title'));
  mountNightShiftToggle(root);
  const store = createStore(initialState());
  const agentsBody = h('tbody', { 'data-testid': 'agents' });
  const counters = h('div', { class: 'counters', 'data-testid': 'counters' });
  const byAgency = h('ul', { class: 'by-agency', 'data-testid': 'by-agency' });
  const openList = h('ul', { class: 'open-incidents', 'data-testid': 'open-incidents', 'aria-live': 'polite' });
  const mapBox = h('div', { class: 'map heat', 'data-testid': 'map', role: 'region', 'aria-label': t('sup.heatmap') });
  const legend = h('div', { class: 'legend', 'data-testid': 'heat-legend', 'aria-live': 'polite' });
  const heatForm = mountHeatForm(() => void loadHeat());
  // Coverage: the area reachable within the arrival target from the available units of one type.
  let coverage = initialCoverage();
  const coverageOn = h('input', { type: 'checkbox', id: 'coverage-on', 'data-testid': 'coverage-toggle' });
  const coverageType = h('select', { id: 'coverage-type', 'data-testid': 'coverage-type' }, options(UNIT_TYPES, (u) => tk('unit_type', u), 'ambulance'));
  const coverageRegion = h('select', { id: 'coverage-region', 'data-testid': 'coverage-region' });
  const coverageLine = h('p', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'coverage-summary' });
  const coverageForm = h(
    'div',
    { class: 'row coverage-form' },
    h('label', { for: 'coverage-on' }, coverageOn, ' ', t('sup.coverage')),
    h('label', { for: 'coverage-type' }, t('sup.coverage_type')),
    coverageType,
    h('label', { for: 'coverage-region' }, t('sup.coverage_region')),
    coverageRegion,
  );
  const kpiBox = h('div', { class: 'counters kpis', 'data-testid': 'kpi-tiles' });
  // One open incident's timeline, chosen from the open incidents the counters read.
  const timeline = mountDeskTimeline((e) => shell.toast(messageFor(e), 'error'));
  const incidentPick = h('select', { 'data-testid': 'timeline-incident', 'aria-label': t('tl.title') });
  incidentPick.addEventListener('change', () => timeline.show(incidentPick.value || null));
  function listIncidents(incidents: IncidentView[] | null): void {
    const chosen = incidentPick.value;
    replace(
      incidentPick,
      h('option', { value: '' }, t('common.none')),
      (incidents ?? []).map((i) => h('option', { value: i.id, selected: i.id === chosen }, `${i.number} · ${tk('category', i.category)} · ${tk('incident_status', i.status)}`)),
    );
  }
  const kpiStatus = h('p', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'kpi-status' });
  // Today is the centre's day (its region's time zone), which is also the day the server files calls under.
  const timeZone = await centreTimeZone(user.region_code ?? null);
  const today = (): LocalDate => localDate(Date.now(), timeZone);
  const reportForm = mountReportForm(
    (kind) => periodOf(kind, today()),
    async (kind, period, format) => {
      const file = await download(reportPath(kind, period, format), `siaga-${period}.${format}`);
      saveFile(file);
      shell.toast(t('sup.report_saved', { name: file.fileName }));
    },
  );
  replace(
    shell.main,
    h(
      'div',
      { class: 'board' },
      h(
        'section',
        { class: 'card wide', 'aria-labelledby': 'kpi-title' },
        h('h2', { id: 'kpi-title' }, t('sup.kpi_title')),
        kpiBox,
        kpiStatus,
        h('h3', {}, t('sup.report_title')),
        reportForm.form,
      ),
      h('section', { class: 'card' }, h('h2', {}, t('sup.counters')), counters, h('h3', {}, t('sup.by_agency')), byAgency),
      h('section', { class: 'card' }, h('h2', {}, t('sup.open_incidents')), openList),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, t('sup.agents')),
        h('table', { class: 'agents' }, h('thead', {}, h('tr', {}, h('th', {}, t('sup.agent')), h('th', {}, t('sup.role')), h('th', {}, t('sup.state')), h('th', {}, ''))), agentsBody),
      ),
      h('section', { class: 'card' }, h('h2', {}, t('tl.title')), incidentPick, timeline.el),
      h('section', { class: 'card wide' }, h('h2', {}, t('sup.heatmap')), heatForm.form, coverageForm, mapBox, coverageLine, legend),
    ),
  );
  const agentsView = mountAgents(agentsBody, (a) => void forceLogout(a));
  const countersView = mountCounters(counters, byAgency);
  const openView = mountOpenIncidents(openList, async (id, body) => {
    try {
      const inc = await post<IncidentView>(`/api/v1/incidents/${encodeURIComponent(id)}/cancel`, body);
      shell.toast(t('cancel.done', { number: inc.number }));
      await loadCounters();
      return true;
    } catch (e) {
      shell.toast(messageFor(e), 'error');
      return false;
    }
  });
  const kpiView = mountKpi(kpiBox, kpiStatus);
  store.subscribe((next, prev) => {
    agentsView.render(next, prev);
    countersView.render(next, prev);
    openView.render(next, prev);
    kpiView.render(next, prev);
  });

  /** Today's KPI report (the tiles). */
  async function loadKpi(): Promise<void> {
    try {
      const report = await get<KpiReport>(kpiPath(periodOf('day', today())));
      store.update((s) => kpiLoaded(s, report));
    } catch (e) {
      store.update((s) => kpiFailed(s, e));
    }
  }

  /** Agents (call takers and dispatchers) with their current state, from `GET /api/v1/agents`. */
  async function loadAgents(): Promise<void> {
    const agents = await get<AgentView[]>('/api/v1/agents');
    store.update((s) => agentsLoaded(s, agents));
  }

  async function loadCounters(): Promise<void> {
    const [calls, incidents] = await Promise.all([getOptional<CallView[]>('/api/v1/calls?status=ringing'), getOptional<IncidentView[]>('/api/v1/incidents')]);
    store.update((s) => countersLoaded(s, calls, incidents));
    listIncidents(incidents);
  }

  async function forceLogout(a: AgentView): Promise<void> {
    if (!confirm(t('sup.force_logout_confirm', { name: a.display_name }))) return;
    try {
      await post(`/api/v1/users/${encodeURIComponent(a.user_id)}/force-logout`, { reason: 'supervisor' });
      shell.toast(t('sup.force_logout_done', { name: a.display_name }));
      await loadAgents();
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  try {
    const agencies = await get<Agency[]>('/api/v1/agencies');
    store.update((s) => agenciesLoaded(s, agencies));
    await Promise.all([loadAgents(), loadCounters(), loadKpi()]);
  } catch (e) {
    shell.toast(messageFor(e), 'error');
  }

  const map = await createMap(mapBox, `supervisor:${user.username}`);
  const boundaries = mountBoundaries(map);
  const heatLegend = mountHeatLegend(legend, mountHexbins(map));
  const coverageLayer = mountCoverage(map);
  function showCoverage(): void {
    coverageLayer.update(coverage.on && coverage.view ? (coverage.view as unknown as GeoJSON.FeatureCollection) : null);
    const v = coverage.view;
    coverageLine.dataset['status'] = coverage.status;
    if (!coverage.on) return replace(coverageLine);
    if (coverage.status === 'failed') return replace(coverageLine, h('span', { class: 'error', role: 'alert' }, messageFor(coverage.error)));
    if (!v) return replace(coverageLine, t('sup.coverage_loading'));
    const sum = coverageSummary(v);
    const basis = t(`sup.coverage_basis_${v.basis}` as 'sup.coverage_basis_road');
    if (!sum) return replace(coverageLine, `${t('sup.coverage_no_region', { units: v.units })} · ${basis}`);
    coverageLine.dataset['shareOutside'] = String(v.share_outside);
    replace(
      coverageLine,
      t('sup.coverage_summary', { pct: sum.outsidePct, region: v.region?.name ?? '', minutes: sum.minutes, units: v.units }),
      sum.people === null ? '' : ` · ${t('sup.coverage_people', { people: sum.people.toLocaleString() })}`,
      ` · ${basis}`,
    );
  }
  /** The regencies to compute coverage shares for: the supervisor's own (or the one holding it) first chosen. */
  function fillCoverageRegions(fc: GeoJSON.FeatureCollection): void {
    const regions = fc.features
      .map((f) => ({ code: String(f.properties?.['code'] ?? ''), name: String(f.properties?.['name'] ?? '') }))
      .filter((r) => r.code !== '')
      .sort((a, b) => a.code.localeCompare(b.code));
    const own = user.region_code ?? '';
    const chosen = regions.find((r) => own === r.code || own.startsWith(`${r.code}.`))?.code ?? regions[0]?.code ?? '';
    replace(coverageRegion, regions.map((r) => h('option', { value: r.code, selected: r.code === chosen }, r.name)));
    // Turned on before the regions came: read it again for the chosen region.
    if (coverage.on) void loadCoverage();
  }
  async function loadCoverage(): Promise<void> {
    if (!coverage.on) return;
    try {
      const view = await get<CoverageView>(coveragePath(coverage, coverageRegion.value || null));
      coverage = coverageLoaded(coverage, view);
    } catch (e) {
      coverage = coverageFailed(coverage, e);
    }
    showCoverage();
  }
  coverageOn.addEventListener('change', () => {
    coverage = toggled(coverage, coverageOn.checked);
    showCoverage();
    void loadCoverage();
  });
  coverageRegion.addEventListener('change', () => {
    coverage = typeChosen(coverage, coverage.unitType);
    showCoverage();
    void loadCoverage();
  });
  coverageType.addEventListener('change', () => {
    coverage = typeChosen(coverage, coverageType.value as typeof coverage.unitType);
    showCoverage();
    void loadCoverage();
  });
  setInterval(() => void loadCoverage(), COVERAGE_REFRESH_MS);
  let coveragePending: ReturnType<typeof setTimeout> | null = null;
  const soonCoverage = () => {
    if (coveragePending || !coverage.on) return;
    coveragePending = setTimeout(() => {
      coveragePending = null;
      void loadCoverage();
    }, COVERAGE_COALESCE_MS);
  };
  store.subscribe(heatLegend.render);
  void getOptional<GeoJSON.FeatureCollection>('/api/v1/geo/regions.geojson?level=regency')
    .then((fc) => {
      if (fc) {
        boundaries.update(fc);
        fillCoverageRegions(fc);
        if (!openedOnSavedView(map)) fitTo(map, geojsonPoints(fc));
      }
    })
    .catch(() => undefined);

  async function loadHeat(): Promise<void> {
    try {
      const cells = await getOptional<GeoJSON.FeatureCollection>(`/api/v1/reports/heatmap?${heatQuery(heatForm.value(), Date.now())}`);
      store.update((s) => heatLoaded(s, cells));
    } catch (e) {
      store.update((s) => heatFailed(s, e));
    }
  }
  void loadHeat();

  const soon = coalesce(() => void loadCounters().catch(() => undefined));
  const soonAgents = coalesce(() => void loadAgents().catch(() => undefined));
  const soonKpi = coalesce(() => void loadKpi());
  connectLive({
    snapshot: async () => {
      await Promise.all([loadAgents(), loadCounters(), loadKpi()]);
      timeline.reload();
    },
    onEvent: (e) => {
      timeline.onEvent(e);
      if (coverageStale(e)) soonCoverage();
      const stale = staleAfter(e);
      if (stale.counters) soon();
      if (stale.agents) soonAgents();
      if (stale.kpi) soonKpi();
    },
    onState: shell.setLive,
  });
  // State changes arrive as agent.state events; today's time in state grows without any: re-read every 10 s.
  setInterval(() => void loadAgents().catch(() => undefined), AGENTS_REFRESH_MS);
  setInterval(() => void loadKpi(), KPI_REFRESH_MS);
}

/**
 * The centre's time zone: that of the top region (a province, or a regency when the deployment imported no
 * province) holding the user's region, else of the first top region (Indonesian zones follow provinces), else
 * the browser's.
 */
async function centreTimeZone(regionCode: string | null): Promise<string | undefined> {
  try {
    for (const level of ['province', 'regency']) {
      const top = await get<Region[]>(`/api/v1/regions?level=${level}`);
      if (top.length === 0) continue;
      const own = regionCode ? top.find((r) => regionCode === r.code || regionCode.startsWith(`${r.code}.`)) : undefined;
      return (own ?? top[0])?.time_zone || undefined;
    }
  } catch {
    // The browser's zone below.
  }
  return undefined;
}

/** The calendar date at `at` in `timeZone` (the browser's when undefined or unknown). */
function localDate(at: number, timeZone: string | undefined): LocalDate {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  } catch {
    parts = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  }
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: part('year'), month: part('month'), day: part('day') };
}

/** Runs `fn` once, `COALESCE_MS` after the first of a burst of calls. */
function coalesce(fn: () => void): () => void {
  let pending: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      fn();
    }, COALESCE_MS);
  };
}
