//! Dispatcher live map: the agency's incidents (priority colour + status badge), its units gliding with each
//! position fix, region boundaries and faskes; the incident queue with SLA countdowns beside the map; the
//! selected incident's recommended units, each assignable in one action. The dispatcher verifies an incident
//! for the OPD or rejects it back to the call taker with a reason, and closes a resolved incident with its
//! final report. State comes from a REST snapshot and is kept current by the live socket (resume by seq,
//! resync on demand).

import { ApiError, get, getOptional, post } from '../../api/client';
import type { Agency, AssignmentView, IncidentView, Recommendations, Unit } from '../../api/types';
import { activeSla, slaLevel } from '../../domain/sla';
import { t, tk } from '../../i18n';
import { assignmentOf, incidentIdOf, incidentOf, type LiveEvent, unitPositionOf } from '../../live/events';
import { connectLive } from '../../live/connect';
import { createMap, fitTo, geojsonPoints } from '../../map/map';
import { mountBoundaries } from '../../map/layers/boundaries';
import { mountFacilities } from '../../map/layers/facilities';
import { mountIncidents } from '../../map/layers/incidents';
import { mountUnits } from '../../map/layers/units';
import { CATEGORY_GLYPH, INCIDENT_STATUS_GLYPH, PRIORITY_COLOUR, UNIT_STATUS_COLOUR, UNIT_STATUS_GLYPH } from '../../map/symbology';
import type { PageContext } from '../../main';
import { h, replace } from '../../ui/dom';
import { clearError, messageFor, showError } from '../../ui/errors';
import { countdown, km, minutes } from '../../ui/format';
import { mountShell } from '../../ui/shell';

const HIDDEN_STATUSES = new Set(['closed', 'rejected', 'cancelled']);
const ORDER: AssignmentView['status'][] = ['assigned', 'acknowledged', 'en_route', 'on_scene', 'resolved', 'declined', 'cancelled'];
const PRIORITY_RANK: Record<string, number> = { p1: 0, p2: 1, p3: 2, p4: 3 };

export async function mount({ root, user }: PageContext): Promise<void> {
  const shell = mountShell(root, user, t('disp.title'));
  const queueList = h('ol', { class: 'queue', 'data-testid': 'incident-queue', 'aria-label': t('disp.queue') });
  const unitList = h('ul', { class: 'unit-list', 'data-testid': 'unit-list' });
  const detail = h('section', { class: 'detail', 'data-testid': 'incident-detail', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('disp.select_hint')));
  const mapBox = h('div', { class: 'map', id: 'map', 'data-testid': 'map', role: 'region', 'aria-label': t('disp.title') });
  const layerBox = h('fieldset', { class: 'layers' }, h('legend', {}, t('disp.layers')));
  replace(
    shell.main,
    h(
      'div',
      { class: 'dispatch' },
      h('aside', { class: 'side' }, h('h2', {}, t('disp.queue')), queueList, h('h2', {}, t('disp.units')), unitList, layerBox),
      mapBox,
      h('aside', { class: 'side right' }, detail),
    ),
  );

  const map = await createMap(mapBox);
  const boundaries = mountBoundaries(map);
  const facilities = mountFacilities(map);
  const unitsLayer = mountUnits(map);
  const incidentsLayer = mountIncidents(map, (id) => void select(id));
  for (const [key, layer] of [
    ['disp.layer_boundaries', boundaries],
    ['disp.layer_facilities', facilities],
    ['disp.layer_units', unitsLayer],
    ['disp.layer_incidents', incidentsLayer],
  ] as const) {
    const box = h('input', { type: 'checkbox', checked: true });
    box.addEventListener('change', () => layer.setVisible(box.checked));
    layerBox.append(h('label', { class: 'check' }, box, ' ', t(key)));
  }

  const incidents = new Map<string, IncidentView>();
  const units = new Map<string, Unit>();
  const assignments = new Map<string, Map<string, AssignmentView>>();
  const agencyNames = new Map<string, string>();
  void get<Agency[]>('/api/v1/agencies')
    .then((list) => list.forEach((a) => agencyNames.set(a.id, a.name)))
    .catch(() => undefined);
  let selected: string | null = null;
  let fitted = false;
  /** The open reject or close form: it survives re-renders of the detail panel caused by live updates. */
  let decision: { incidentId: string; kind: 'reject' | 'close'; form: HTMLFormElement } | null = null;

  // Static layers: boundaries and faskes. Endpoints still being built answer 404; the map simply lacks them.
  void (async () => {
    try {
      const [regions, faskes] = await Promise.all([
        getOptional<GeoJSON.FeatureCollection>('/api/v1/geo/regions.geojson?level=district'),
        getOptional<GeoJSON.FeatureCollection>('/api/v1/geo/facilities.geojson'),
      ]);
      if (regions) {
        boundaries.update(regions);
        if (!fitted) {
          fitTo(map, geojsonPoints(regions));
          fitted = true;
        }
      }
      if (faskes) facilities.update(faskes);
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  })();

  const snapshot = async () => {
    const agencyQuery = user.agency_id ? `?agency_id=${encodeURIComponent(user.agency_id)}` : '';
    const [incList, unitList_] = await Promise.all([
      getOptional<IncidentView[]>('/api/v1/incidents'),
      get<Unit[]>(`/api/v1/units${agencyQuery}`),
    ]);
    incidents.clear();
    for (const i of incList ?? []) incidents.set(i.id, i);
    units.clear();
    for (const u of unitList_) units.set(u.id, u);
    unitsLayer.update([...units.values()]);
    renderIncidents();
    renderUnits();
    if (!fitted) {
      fitTo(map, [...units.values()].flatMap((u) => (u.position ? [u.position] : [])));
    }
    if (selected) void renderDetail(selected);
  };

  const upsertIncident = async (e: LiveEvent) => {
    const view = incidentOf(e);
    const id = view?.id ?? incidentIdOf(e);
    if (!id) return;
    let inc = view;
    if (!inc) {
      try {
        inc = await get<IncidentView>(`/api/v1/incidents/${encodeURIComponent(id)}`);
      } catch (err) {
        if (err instanceof ApiError && (err.status === 404 || err.status === 403)) incidents.delete(id);
        renderIncidents();
        return;
      }
    }
    incidents.set(inc.id, inc);
    renderIncidents();
    if (selected === inc.id) void renderDetail(inc.id);
  };

  const onEvent = (e: LiveEvent) => {
    if (e.type.startsWith('incident.') || e.type === 'sla.breach') {
      void upsertIncident(e);
      return;
    }
    if (e.type.startsWith('assignment.')) {
      const a = assignmentOf(e);
      if (a) rememberAssignment(a);
      const assignmentId = a?.id ?? (typeof e['assignment_id'] === 'string' ? e['assignment_id'] : null);
      const status = typeof e['status'] === 'string' ? (e['status'] as AssignmentView['status']) : null;
      // `assignment.status` names only the assignment: find its incident among those loaded.
      let incidentId = a?.incident_id ?? incidentIdOf(e);
      if (!incidentId && assignmentId) {
        for (const inc of incidents.values()) {
          if (inc.assignments?.some((x) => x.id === assignmentId) || assignments.get(inc.id)?.has(assignmentId)) incidentId = inc.id;
        }
      }
      if (incidentId && assignmentId && status) {
        const known = assignments.get(incidentId)?.get(assignmentId) ?? incidents.get(incidentId)?.assignments?.find((x) => x.id === assignmentId);
        if (known) rememberAssignment({ ...known, status });
      }
      if (incidentId) void upsertIncident({ ...e, type: 'incident.updated', incident_id: incidentId, incident: undefined });
      else void snapshot();
      return;
    }
    if (e.type === 'unit.created') {
      const u = e['unit'] as Unit | undefined;
      if (u?.id && !units.has(u.id)) {
        units.set(u.id, u);
        unitsLayer.update([...units.values()]);
        renderUnits();
      }
      return;
    }
    if (e.type === 'unit.status') {
      const unitId = (e['unit_id'] ?? (e['unit'] as Unit | undefined)?.id) as string | undefined;
      const status = (e['status'] ?? (e['unit'] as Unit | undefined)?.status) as string | undefined;
      const u = unitId ? units.get(unitId) : undefined;
      if (u && status) {
        u.status = status as Unit['status'];
        unitsLayer.setStatus(u.id, status);
        renderUnits();
      }
      return;
    }
    if (e.type === 'unit.position') {
      const p = unitPositionOf(e);
      const u = p ? units.get(p.unit_id) : undefined;
      if (p && u) {
        unitsLayer.move(u, p.lon, p.lat);
        u.position = { lon: p.lon, lat: p.lat };
        u.position_at = p.at;
      }
    }
  };

  function rememberAssignment(a: AssignmentView): void {
    let m = assignments.get(a.incident_id);
    if (!m) assignments.set(a.incident_id, (m = new Map()));
    m.set(a.id, a);
    const u = units.get(a.unit_id);
    if (u) {
      const unitStatus = a.status === 'acknowledged' ? 'assigned' : a.status === 'resolved' || a.status === 'declined' || a.status === 'cancelled' ? 'available' : a.status;
      if (['assigned', 'en_route', 'on_scene', 'available'].includes(unitStatus)) {
        u.status = unitStatus as Unit['status'];
        unitsLayer.setStatus(u.id, unitStatus);
        renderUnits();
      }
    }
  }

  /** This dispatcher's OPD's row among the incident's agencies (absent for supervisors' views). */
  function ownAgency(inc: IncidentView): IncidentView['agencies'][number] | undefined {
    return inc.agencies.find((a) => a.agency_id === user.agency_id);
  }

  function visibleIncidents(): IncidentView[] {
    return [...incidents.values()]
      // An incident this OPD sent back stays open for the others it was escalated to, not for this one.
      .filter((i) => !HIDDEN_STATUSES.has(i.status) && ownAgency(i)?.status !== 'rejected')
      .sort((a, b) => (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || a.created_at - b.created_at);
  }

  function renderIncidents(): void {
    const list = visibleIncidents();
    incidentsLayer.update(list);
    // The selected incident left the queue (closed, or sent back by this OPD): its panel goes too.
    if (selected && !list.some((i) => i.id === selected)) deselect();
    if (list.length === 0) {
      replace(queueList, h('li', { class: 'muted' }, t('disp.no_incidents')));
      return;
    }
    replace(
      queueList,
      list.map((i) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: `queue-item${i.id === selected ? ' selected' : ''}`,
              'data-incident-id': i.id,
              'data-status': i.status,
              'aria-pressed': i.id === selected ? 'true' : 'false',
              onclick: () => void select(i.id),
            },
            priorityBadge(i.priority),
            h('span', { class: 'num' }, i.number),
            h('span', { class: 'cat' }, `[${CATEGORY_GLYPH[i.category] ?? ''}] `, tk('category', i.category)),
            h('span', { class: 'status', 'data-testid': 'incident-status' }, `${INCIDENT_STATUS_GLYPH[i.status] ?? ''} `, tk('incident_status', i.status)),
            h('span', { class: 'sla', 'data-sla-for': i.id }),
          ),
        ),
      ),
    );
    tickSla();
  }

  function tickSla(): void {
    const now = Date.now();
    for (const el of queueList.querySelectorAll<HTMLElement>('[data-sla-for]')) {
      const inc = incidents.get(el.dataset['slaFor'] ?? '');
      const sla = inc ? activeSla(inc) : null;
      if (!inc || !sla) {
        el.textContent = '';
        el.dataset['level'] = 'none';
        continue;
      }
      const level = slaLevel(sla, inc.created_at, now);
      el.dataset['level'] = level;
      el.textContent = `${level === 'red' ? '⚠' : '◷'} ${tk('sla', sla.kind)} ${countdown(sla.due_at - now)}`;
      el.title = level === 'red' ? t('sla.breached') : '';
    }
  }
  setInterval(tickSla, 1000);

  function renderUnits(): void {
    replace(
      unitList,
      [...units.values()]
        .sort((a, b) => a.call_sign.localeCompare(b.call_sign))
        .map((u) =>
          h(
            'li',
            { 'data-unit-id': u.id, 'data-status': u.status },
            h('span', { class: 'dot', style: `background:${UNIT_STATUS_COLOUR[u.status] ?? '#424242'}`, 'aria-hidden': 'true' }),
            h('strong', {}, u.call_sign),
            ' ',
            `${UNIT_STATUS_GLYPH[u.status] ?? ''} `,
            h('span', { class: 'unit-status' }, tk('unit_status', u.status)),
          ),
        ),
    );
  }

  async function select(id: string): Promise<void> {
    selected = id;
    incidentsLayer.select(id);
    renderIncidents();
    const inc = incidents.get(id);
    if (inc) map.easeTo({ center: [inc.location.lon, inc.location.lat], zoom: Math.max(map.getZoom(), 13) });
    await renderDetail(id);
  }

  async function renderDetail(id: string): Promise<void> {
    const inc = incidents.get(id);
    if (!inc) return;
    const recBox = h('div', { class: 'recs', 'data-testid': 'recommendations' }, t('app.loading'));
    const asgList = h('ul', { class: 'assignments', 'data-testid': 'assignments' });
    const merged = new Map<string, AssignmentView>();
    for (const a of inc.assignments ?? []) merged.set(a.id, a);
    for (const a of assignments.get(id)?.values() ?? []) {
      const server = merged.get(a.id);
      // The embedded list is authoritative once it has caught up; a newer local status wins until then.
      if (!server || ORDER.indexOf(a.status) > ORDER.indexOf(server.status)) merged.set(a.id, a);
    }
    for (const a of merged.values()) {
      asgList.append(
        h(
          'li',
          { 'data-assignment-id': a.id, 'data-status': a.status },
          h('strong', {}, units.get(a.unit_id)?.call_sign ?? a.unit_id),
          ' — ',
          h('span', { class: 'asg-status' }, tk('assignment_status', a.status)),
        ),
      );
    }
    const actions = h('div', { class: 'row', 'data-testid': 'incident-actions' });
    const own = ownAgency(inc);
    if (own ? own.status === 'escalated' : inc.status === 'new' || inc.status === 'escalated') {
      actions.append(
        h('button', { type: 'button', class: 'btn', 'data-action': 'verify', onclick: () => void act(`/api/v1/incidents/${encodeURIComponent(inc.id)}/verify`, {}) }, '✓ ', t('disp.verify')),
        h('button', { type: 'button', class: 'btn danger', 'data-action': 'reject', 'aria-expanded': String(decision?.kind === 'reject'), onclick: () => openDecision(inc, 'reject') }, '↩ ', t('disp.reject')),
      );
    }
    if (inc.status === 'resolved') {
      actions.append(
        h('button', { type: 'button', class: 'btn primary', 'data-action': 'close', 'aria-expanded': String(decision?.kind === 'close'), onclick: () => openDecision(inc, 'close') }, '■ ', t('disp.close')),
      );
    }
    // A form stays open only while its action is still possible (another dispatcher may have acted).
    if (decision && (decision.incidentId !== id || !actions.querySelector(`[data-action="${decision.kind}"]`))) decision = null;
    // Live updates re-render the panel; whoever was typing in the open form keeps the focus and the caret.
    const focused = decision?.form.contains(document.activeElement) ? (document.activeElement as HTMLElement) : null;
    const caret = focused instanceof HTMLTextAreaElement ? focused.selectionStart : null;
    replace(
      detail,
      h('h2', {}, priorityBadge(inc.priority), ' ', inc.number),
      h('p', {}, `[${CATEGORY_GLYPH[inc.category] ?? ''}] `, tk('category', inc.category), inc.subcategory ? ` · ${inc.subcategory}` : ''),
      h('p', { 'data-testid': 'detail-status' }, `${INCIDENT_STATUS_GLYPH[inc.status] ?? ''} `, tk('incident_status', inc.status)),
      h('p', {}, '◉ ', inc.address ?? `${inc.location.lat.toFixed(5)}, ${inc.location.lon.toFixed(5)}`),
      h('p', {}, t('disp.victims', { count: inc.victims.count, condition: tk('condition', inc.victims.condition) })),
      inc.description ? h('p', { class: 'desc' }, inc.description) : null,
      rejectionsOf(inc),
      escalationNoteOf(inc),
      actions,
      decision?.form ?? null,
      h('h3', {}, t('disp.assignments')),
      asgList,
      h('h3', {}, t('disp.recommendations')),
      recBox,
    );
    if (focused) {
      focused.focus();
      if (focused instanceof HTMLTextAreaElement && caret !== null) focused.setSelectionRange(caret, caret);
    }
    try {
      const recs = await get<Recommendations>(`/api/v1/incidents/${encodeURIComponent(id)}/recommendations`);
      if (selected !== id) return;
      renderRecommendations(recBox, inc, recs);
    } catch (e) {
      replace(recBox, h('p', { class: 'error', role: 'alert' }, messageFor(e)));
    }
  }

  function renderRecommendations(box: HTMLElement, inc: IncidentView, recs: Recommendations): void {
    replace(
      box,
      recs.units.length === 0
        ? h('p', { class: 'muted' }, t('disp.no_recommendations'))
        : h(
            'ol',
            { class: 'rec-list' },
            recs.units.map((r, index) =>
              h(
                'li',
                {},
                h('span', {}, h('strong', {}, r.call_sign), ' · ', t('disp.distance_eta', { km: km(r.distance_m), min: minutes(r.eta_s) })),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn primary',
                    'data-assign-unit': r.unit_id,
                    accesskey: index === 0 ? 'g' : null,
                    onclick: (ev: Event) => void assign(inc, r.unit_id, r.call_sign, ev.currentTarget as HTMLButtonElement),
                  },
                  '➤ ',
                  t('disp.assign', { unit: r.call_sign }),
                ),
              ),
            ),
          ),
      recs.excluded.length > 0
        ? h(
            'details',
            {},
            h('summary', {}, t('disp.excluded'), ` (${recs.excluded.length})`),
            h('ul', {}, recs.excluded.map((x) => h('li', {}, x.call_sign, ': ', x.reason))),
          )
        : null,
      recs.facilities.length > 0
        ? h(
            'div',
            {},
            h('h3', {}, t('disp.facilities')),
            h('ul', { class: 'fac-list' }, recs.facilities.map((f) => h('li', {}, '✚ ', f.name, ' · ', t('common.km', { km: km(f.distance_m) })))),
          )
        : null,
    );
  }

  async function assign(inc: IncidentView, unitId: string, callSign: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const a = await post<AssignmentView>(`/api/v1/incidents/${encodeURIComponent(inc.id)}/assignments`, { unit_id: unitId });
      rememberAssignment(a);
      shell.toast(t('disp.assigned', { unit: callSign, number: inc.number }));
      await renderDetail(inc.id);
    } catch (e) {
      button.disabled = false;
      shell.toast(messageFor(e), 'error');
    }
  }

  /** The call taker's note when the incident was escalated (again) to this OPD after filing. */
  function escalationNoteOf(inc: IncidentView): HTMLElement | null {
    const own = ownAgency(inc);
    if (!own?.reason || own.status === 'rejected') return null;
    return h('p', { class: 'escalation-note', 'data-testid': 'escalation-note' }, '✎ ', t('disp.escalation_note', { note: own.reason }));
  }

  /** Other OPDs that sent the incident back, with their reasons. */
  function rejectionsOf(inc: IncidentView): HTMLElement | null {
    const rejected = inc.agencies.filter((a) => a.status === 'rejected');
    if (rejected.length === 0) return null;
    return h(
      'ul',
      { class: 'rejections', 'data-testid': 'rejections' },
      rejected.map((a) => h('li', {}, '↩ ', t('disp.rejected_by', { agency: agencyNames.get(a.agency_id) ?? a.agency_type, reason: a.reason ?? '—' }))),
    );
  }

  /**
   * Opens the reject (reason) or close (final report) form under the actions. Keyboard: focus moves into the
   * text, Ctrl+Enter sends, Escape cancels and returns focus to the button that opened it.
   */
  function openDecision(inc: IncidentView, kind: 'reject' | 'close'): void {
    const reject = kind === 'reject';
    const fieldId = reject ? 'reject-reason' : 'close-report';
    const text = h('textarea', { id: fieldId, name: reject ? 'reason' : 'report', rows: 4, required: true, 'aria-required': 'true' });
    const error = h('p', { id: `${fieldId}-error`, class: 'error', role: 'alert', hidden: true });
    const send = h('button', { type: 'submit', class: reject ? 'btn danger' : 'btn primary', 'data-testid': `${kind}-submit` }, reject ? '↩ ' : '■ ', t(reject ? 'disp.reject_submit' : 'disp.close_submit'));
    const cancel = () => {
      decision = null;
      void renderDetail(inc.id).then(() => detail.querySelector<HTMLElement>(`[data-action="${kind}"]`)?.focus());
    };
    const form = h(
      'form',
      { class: 'decision card', 'data-testid': `${kind}-form`, novalidate: true },
      h('label', { for: fieldId }, t(reject ? 'disp.reject_reason' : 'disp.close_report')),
      h('p', { class: 'muted', id: `${fieldId}-hint` }, t(reject ? 'disp.reject_hint' : 'disp.close_hint')),
      text,
      error,
      h('div', { class: 'row' }, send, h('button', { type: 'button', class: 'btn ghost', onclick: cancel }, t('disp.cancel'))),
    );
    text.setAttribute('aria-describedby', `${fieldId}-hint`);
    text.addEventListener('input', () => {
      if (!error.hidden) clearError(error, form);
    });
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        cancel();
      } else if (ev.key === 'Enter' && ev.ctrlKey) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearError(error, form);
      const value = text.value.trim();
      if (!value) {
        error.textContent = t(reject ? 'disp.reject_reason_missing' : 'disp.close_report_missing');
        error.hidden = false;
        text.setAttribute('aria-invalid', 'true');
        text.focus();
        return;
      }
      send.disabled = true;
      try {
        const path = `/api/v1/incidents/${encodeURIComponent(inc.id)}/${reject ? 'reject' : 'close'}`;
        const updated = await post<IncidentView>(path, reject ? { reason: value } : { report: value });
        incidents.set(updated.id, updated);
        decision = null;
        shell.toast(t(reject ? 'disp.rejected' : 'disp.closed', { number: updated.number }));
        if (!visibleIncidents().some((i) => i.id === updated.id)) deselect();
        renderIncidents();
        if (selected) await renderDetail(selected);
      } catch (e) {
        send.disabled = false;
        showError(error, e, form);
      }
    });
    decision = { incidentId: inc.id, kind, form };
    void renderDetail(inc.id).then(() => text.focus());
  }

  function deselect(): void {
    selected = null;
    decision = null;
    incidentsLayer.select(null);
    replace(detail, h('p', { class: 'muted' }, t('disp.select_hint')));
  }

  async function act(path: string, body: unknown): Promise<void> {
    try {
      const inc = await post<IncidentView>(path, body);
      if (inc && inc.id) incidents.set(inc.id, inc);
      renderIncidents();
      if (selected) await renderDetail(selected);
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  connectLive({ onEvent, snapshot, onState: shell.setLive });
}

function priorityBadge(priority: string): HTMLElement {
  return h(
    'span',
    { class: `prio prio-${priority}`, style: `background:${PRIORITY_COLOUR[priority] ?? '#424242'}` },
    tk('priority', priority),
  );
}
