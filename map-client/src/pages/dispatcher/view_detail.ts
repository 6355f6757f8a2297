//! The selected incident's panel: facts (with the caller's contact), other OPDs' rejections, the call taker's
//! escalation note, the actions this OPD may take (verify, reject with a reason, close with a final report),
//! the assignments (status, the steps recorded from a radio report, the crew's note, an unacknowledged alarm)
//! each with cancel, reassign and the crew's next step by radio, and, while units may still be sent, the
//! recommended units and any other available unit of the OPD, each assignable in one action.
//!
//! A desk that may correct the incident (its OPD verified it; a supervisor) gets "Ubah": a form for priority,
//! category, subcategory, address, victims and description, and a new location picked by clicking the map.
//! Fields a correction changed (here or at another desk) are highlighted briefly.
//!
//! The reject/close form is the one piece of state kept here rather than in `state.ts`: its text belongs to
//! the textarea, and the form element survives redraws caused by live updates so the text, the focus and
//! the caret survive them too.

import { CANCEL_REASONS, CATEGORIES, PRIORITIES, VICTIM_CONDITIONS, type AssignmentView, type CancelRequest, type IncidentView, type Recommendations, type Unit } from '../../api/types';
import { cancelBody, mergeCandidates } from '../../domain/withdraw';
import { t, tk } from '../../i18n';
import { CATEGORY_GLYPH, INCIDENT_STATUS_GLYPH } from '../../map/symbology';
import { h, replace } from '../../ui/dom';
import { clearError, messageFor, showError } from '../../ui/errors';
import { arrivalPlan, minutesUp } from '../../domain/sla';
import { clock, km, minutes } from '../../ui/format';
import {
  actionsFor,
  assignmentsOf,
  availableUnits,
  canAssign,
  changedFields,
  correctionBody,
  type CorrectionForm,
  type DecisionKind,
  isOpenAssignment,
  nextCrewStep,
  type DispatcherState,
  escalationNoteOf,
  rejectionsOf,
  selectedIncident,
} from './state';
import { priorityBadge } from './view_queue';

/** The reason on an OPD's row when a re-location (a corrected location) escalated the incident to it. */
const RELOCATED = 'relocated';

export interface DetailHandlers {
  verify(incidentId: string): void;
  /** Asks the call takers to ring the incident's caller back to confirm (a call-back task). */
  callBack(incidentId: string): void;
  openDecision(incidentId: string, kind: DecisionKind): void;
  cancelDecision(): void;
  /** Sends the reject reason or the final report; rejects with the API error to show in the form. */
  decide(incidentId: string, kind: 'reject' | 'close', text: string): Promise<void>;
  /** Cancels the incident; rejects with the API error to show in the form. */
  cancelIncident(incidentId: string, body: CancelRequest): Promise<void>;
  /** Merges the incident into the master named by id or number; rejects with the API error to show. */
  mergeIncident(incidentId: string, into: string): Promise<void>;
  /** Assigns the unit; resolves false when it failed (the handler has told the user). */
  assign(incidentId: string, unitId: string, callSign: string): Promise<boolean>;
  /** Draws a recommended unit's route to the incident on the map. */
  showRoute(incidentId: string, unitId: string): void;
  /** Withdraws the assignment; resolves false when it failed. */
  cancelAssignment(a: AssignmentView): Promise<boolean>;
  /** Cancels the assignment and assigns `unitId` instead, as one action; resolves false when a step failed. */
  reassign(a: AssignmentView, unitId: string, callSign: string): Promise<boolean>;
  /** Records the crew's step reported by radio; resolves false when it failed. */
  radioStep(a: AssignmentView, status: string, note: string | null): Promise<boolean>;
  openEdit(incidentId: string): void;
  cancelEdit(): void;
  /** Sends a correction (`PATCH`); rejects with the API error to show in the form. */
  correct(incidentId: string, body: Record<string, unknown>): Promise<void>;
}

interface EditForm {
  incidentId: string;
  form: HTMLFormElement;
  first: HTMLElement;
  location: HTMLElement;
  read: () => CorrectionForm;
}

interface AssignmentRow {
  readonly a: AssignmentView;
  readonly callSign: string;
  readonly alarm: boolean;
}

interface DecisionForm {
  key: string;
  form: HTMLFormElement;
  /** The field that takes the focus when the form opens. */
  text: HTMLTextAreaElement | HTMLSelectElement | HTMLInputElement;
}

export function mountDetail(detail: HTMLElement, handlers: DetailHandlers) {
  const recBox = h('div', { class: 'recs', 'data-testid': 'recommendations' });
  let decision: DecisionForm | null = null;
  let edit: EditForm | null = null;
  /** The crew's note being typed for a radio report, per assignment: kept across live redraws of the panel. */
  const radioNotes = new Map<string, HTMLInputElement>();
  /** What the panel was last drawn from; a redraw happens only when one of these changes. */
  let drawn: unknown[] | null = null;
  let recsDrawn: { incidentId: string; recs: DispatcherState['recommendations'] } | null = null;
  /** The loaded recommendations of the shown incident, read when a unit is picked by hand. */
  let currentRecs: Recommendations | null = null;
  /** Re-checks the unit picked by hand once the recommendations arrive. */
  let manualWarn: (() => void) | null = null;

  function showHint(): void {
    replace(detail, h('p', { class: 'muted' }, t('disp.select_hint')));
  }
  showHint();

  function render(state: DispatcherState): void {
    const inc = selectedIncident(state);
    if (!inc) {
      if (drawn !== null) showHint();
      drawn = null;
      recsDrawn = null;
      decision = null;
      return;
    }
    const d = state.decision;
    const key = d ? `${d.incidentId}:${d.kind}` : null;
    if (decision?.key !== key) {
      if (!d || !key) decision = null;
      else if (d.kind === 'cancel' || d.kind === 'merge') decision = withdrawForm(key, inc, d.kind, mergeCandidates(inc, state.incidents.values()));
      else decision = decisionForm(key, inc, d.kind);
    }
    const ed = state.editing;
    if (edit?.incidentId !== ed?.incidentId) edit = ed ? editForm(inc) : null;
    if (edit && ed) {
      const picked = ed.location;
      edit.location.textContent = picked
        ? t('edit.location_picked', { lat: picked.lat.toFixed(5), lon: picked.lon.toFixed(5) })
        : t('edit.location_unchanged');
      edit.location.dataset['picked'] = picked ? `${picked.lon},${picked.lat}` : '';
    }
    const rows: AssignmentRow[] = assignmentsOf(state, inc.id).map((a) => ({
      a,
      callSign: state.units.get(a.unit_id)?.call_sign ?? a.unit_id,
      alarm: state.alarms.has(a.id),
    }));
    const free = canAssign(inc) ? availableUnits(state) : [];
    const deps = [
      inc,
      key,
      ed?.incidentId ?? null,
      state.changed.get(inc.id),
      state.agencyNames,
      state.agencyId,
      JSON.stringify(rows.map((r) => [r.a.id, r.a.status, r.a.note, r.a.radio_reported, r.a.planned_eta_s, r.callSign, r.alarm])),
      free.map((u) => u.id).join(),
    ];
    if (!drawn || deps.some((v, i) => v !== drawn?.[i])) {
      drawn = deps;
      drawPanel(state, inc, rows, free);
    }
    if (!canAssign(inc)) {
      recsDrawn = null;
      return;
    }
    if (recsDrawn?.incidentId !== inc.id || recsDrawn.recs !== state.recommendations) {
      recsDrawn = { incidentId: inc.id, recs: state.recommendations };
      const r = state.recommendations;
      currentRecs = r && r.incidentId === inc.id && r.view.status === 'ready' ? r.view.recs : null;
      if (!r || r.incidentId !== inc.id || r.view.status === 'loading') replace(recBox, t('app.loading'));
      else if (r.view.status === 'failed') replace(recBox, h('p', { class: 'error', role: 'alert' }, messageFor(r.view.error)));
      else drawRecommendations(inc, r.view.recs);
      manualWarn?.();
    }
  }

  function drawPanel(state: DispatcherState, inc: IncidentView, rows: readonly AssignmentRow[], free: readonly Unit[]): void {
    const actions = h('div', { class: 'row', 'data-testid': 'incident-actions' });
    const available = actionsFor(state, inc);
    const open = state.decision?.kind;
    if (available.includes('verify')) {
      actions.append(h('button', { type: 'button', class: 'btn', 'data-action': 'verify', onclick: () => handlers.verify(inc.id) }, '✓ ', t('disp.verify')));
    }
    if (available.includes('reject')) {
      actions.append(
        h('button', { type: 'button', class: 'btn danger', 'data-action': 'reject', 'aria-expanded': String(open === 'reject'), onclick: () => openForm(inc.id, 'reject') }, '↩ ', t('disp.reject')),
      );
    }
    if (available.includes('close')) {
      actions.append(
        h('button', { type: 'button', class: 'btn primary', 'data-action': 'close', 'aria-expanded': String(open === 'close'), onclick: () => openForm(inc.id, 'close') }, '■ ', t('disp.close')),
      );
    }
    if (available.includes('edit')) {
      actions.append(
        h(
          'button',
          { type: 'button', class: 'btn', 'data-action': 'edit', 'aria-expanded': String(state.editing !== null), onclick: () => openEditForm(inc.id) },
          '✎ ',
          t('edit.action'),
        ),
      );
    }
    if (available.includes('cancel')) {
      actions.append(
        h('button', { type: 'button', class: 'btn danger', 'data-action': 'cancel', 'aria-expanded': String(open === 'cancel'), onclick: () => openForm(inc.id, 'cancel') }, '⊘ ', t('cancel.action')),
      );
    }
    if (available.includes('merge')) {
      actions.append(
        h('button', { type: 'button', class: 'btn', 'data-action': 'merge', 'aria-expanded': String(open === 'merge'), onclick: () => openForm(inc.id, 'merge') }, '⇉ ', t('merge.action')),
      );
    }
    actions.append(
      h('button', { type: 'button', class: 'btn', 'data-action': 'call-back', title: t('disp.call_back_hint'), onclick: () => handlers.callBack(inc.id) }, '☎ ', t('disp.call_back')),
    );
    // Live updates redraw the panel; whoever was typing in the open form or a radio note keeps the focus, the
    // caret and the text.
    const active = document.activeElement;
    const inForm = active instanceof HTMLElement && ((decision && decision.form.contains(active)) || (edit && edit.form.contains(active)));
    const inNote = active instanceof HTMLInputElement && [...radioNotes.values()].includes(active);
    const focused = inForm || inNote ? (active as HTMLElement) : null;
    const caret = focused instanceof HTMLTextAreaElement || focused instanceof HTMLInputElement ? focused.selectionStart : null;
    for (const id of radioNotes.keys()) if (!rows.some((r) => r.a.id === id && nextCrewStep(r.a.status) === 'resolved')) radioNotes.delete(id);
    const rejections = rejectionsOf(state, inc);
    const note = escalationNoteOf(state, inc);
    const reporter = inc.reporter;
    const contact = reporter ? [reporter.name, reporter.phone, reporter.address].filter((x): x is string => !!x) : [];
    const changed = new Set(changedFields(state, inc.id));
    /** Attributes marking a fact a correction just changed (highlighted briefly by the stylesheet). */
    const mark = (...fields: string[]) =>
      fields.some((f) => changed.has(f)) ? { class: 'changed', 'data-changed': 'true', title: t('edit.changed') } : {};
    replace(
      detail,
      h('h2', mark('priority'), priorityBadge(inc.priority), ' ', inc.number),
      h('p', mark('category', 'subcategory'), `[${CATEGORY_GLYPH[inc.category] ?? ''}] `, tk('category', inc.category), inc.subcategory ? ` · ${inc.subcategory}` : ''),
      h('p', { 'data-testid': 'detail-status', 'data-status': inc.status }, `${INCIDENT_STATUS_GLYPH[inc.status] ?? ''} `, tk('incident_status', inc.status)),
      h('p', { ...mark('address', 'location'), 'data-testid': 'detail-address' }, '◉ ', inc.address ?? `${inc.location.lat.toFixed(5)}, ${inc.location.lon.toFixed(5)}`),
      h('p', { class: 'muted', 'data-testid': 'detail-calls', 'data-count': String(inc.call_ids.length) }, '☎ ', t('disp.calls', { n: inc.call_ids.length })),
      h('p', mark('victims'), t('disp.victims', { count: inc.victims.count, condition: tk('condition', inc.victims.condition) })),
      inc.description ? h('p', { class: changed.has('description') ? 'desc changed' : 'desc', 'data-changed': changed.has('description') ? 'true' : null }, inc.description) : null,
      contact.length > 0 ? h('p', { class: 'reporter', 'data-testid': 'reporter' }, '☎ ', t('disp.reporter', { contact: contact.join(' · ') })) : null,
      rejections.length > 0
        ? h(
            'ul',
            { class: 'rejections', 'data-testid': 'rejections' },
            rejections.map((r) => h('li', {}, '↩ ', t('disp.rejected_by', { agency: r.agency, reason: r.reason ?? '—' }))),
          )
        : null,
      note === RELOCATED
        ? h('p', { class: 'escalation-note', 'data-testid': 'escalation-note' }, '⇄ ', t('edit.relocated_here'))
        : note
          ? h('p', { class: 'escalation-note', 'data-testid': 'escalation-note' }, '✎ ', t('disp.escalation_note', { note }))
          : null,
      actions,
      decision?.form ?? null,
      edit?.form ?? null,
      h('h3', {}, t('disp.assignments')),
      rows.length === 0
        ? h('p', { class: 'muted', 'data-testid': 'assignments' }, t('disp.no_assignments'))
        : h('ul', { class: 'assignments', 'data-testid': 'assignments' }, rows.map((r) => assignmentItem(inc, r, free))),
      canAssign(inc) ? h('h3', {}, t('disp.recommendations')) : null,
      canAssign(inc) ? recBox : null,
      canAssign(inc) ? manualAssign(inc, free) : null,
    );
    if (focused) {
      focused.focus();
      if ((focused instanceof HTMLTextAreaElement || focused instanceof HTMLInputElement) && caret !== null) focused.setSelectionRange(caret, caret);
    }
  }

  /** The note field of an assignment's "resolved" radio report, the same element on every redraw. */
  function radioNote(assignmentId: string): HTMLInputElement {
    const kept = radioNotes.get(assignmentId);
    if (kept) return kept;
    const input = h('input', { type: 'text', class: 'radio-note', 'aria-label': t('disp.radio_note'), placeholder: t('disp.radio_note') });
    radioNotes.set(assignmentId, input);
    return input;
  }

  /**
   * Withdrawing a crew is asked twice: the button turns into a question naming the unit, answered with
   * "Ya, batalkan" (sends) or "Tidak" (back to the button, focused). A redraw of the panel asks again.
   */
  function cancelControl(a: AssignmentView, callSign: string): HTMLElement {
    const box = h('span', { class: 'cancel-control' });
    const ask = h('button', { type: 'button', class: 'btn danger', 'data-action': 'cancel-assignment' }, '✕ ', t('disp.cancel_assignment'));
    ask.addEventListener('click', () => {
      const no = h('button', { type: 'button', class: 'btn ghost', 'data-action': 'keep-assignment' }, t('disp.cancel_assignment_no'));
      const yes = h(
        'button',
        { type: 'button', class: 'btn danger', 'data-action': 'confirm-cancel-assignment', onclick: (ev: Event) => once(ev, () => handlers.cancelAssignment(a)) },
        t('disp.cancel_assignment_yes'),
      );
      no.addEventListener('click', () => {
        replace(box, ask);
        ask.focus();
      });
      replace(box, h('span', { role: 'group', class: 'confirm', 'aria-label': t('disp.cancel_assignment') }, h('span', {}, t('disp.cancel_assignment_confirm', { unit: callSign }), ' '), yes, ' ', no));
      no.focus();
    });
    box.append(ask);
    return box;
  }

  /** One assignment: status, radio-reported steps, the crew's note, the alarm, and (while open) its actions. */
  function assignmentItem(inc: IncidentView, r: AssignmentRow, free: readonly Unit[]): HTMLElement {
    const { a } = r;
    const next = nextCrewStep(a.status);
    const open = isOpenAssignment(a);
    const noteInput = next === 'resolved' ? radioNote(a.id) : null;
    const pick = open && free.length > 0 ? unitSelect(free, t('disp.reassign_to')) : null;
    const plan = open ? arrivalPlan(a, inc.sla) : null;
    return h(
      'li',
      { 'data-assignment-id': a.id, 'data-status': a.status, 'data-alarm': r.alarm ? 'true' : null, class: r.alarm ? 'alarm' : null },
      h(
        'div',
        {},
        h('strong', {}, r.callSign),
        ' — ',
        h('span', { class: 'asg-status' }, tk('assignment_status', a.status)),
        r.alarm ? h('span', { class: 'alarm-badge', role: 'alert' }, ' ⚠ ', t('disp.unacknowledged')) : null,
      ),
      plan
        ? h(
            'p',
            { class: plan.late ? 'asg-eta sla-late' : 'asg-eta muted', 'data-testid': 'asg-eta', 'data-late': String(plan.late) },
            '◷ ',
            t('disp.planned_eta', { eta: clock(plan.eta_at), target: clock(plan.due_at) }),
            plan.late
              ? h('span', { class: 'sla-warning', role: 'alert' }, ' ⚠ ', t('disp.sla_unit_late', { unit: r.callSign, eta: minutesUp(plan.eta_s), target: minutesUp(plan.target_s) }))
              : null,
          )
        : null,
      a.radio_reported.length > 0
        ? h('p', { class: 'muted radio-steps', 'data-testid': 'radio-steps', 'data-steps': a.radio_reported.join(' ') }, '✆ ', t('disp.radio_reported', { steps: a.radio_reported.map((s) => tk('assignment_status', s)).join(', ') }))
        : null,
      a.note ? h('p', { class: 'asg-note', 'data-testid': 'assignment-note' }, '✎ ', t('disp.crew_note', { note: a.note })) : null,
      open
        ? h(
            'div',
            { class: 'row asg-actions' },
            next
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn',
                    'data-radio-step': next,
                    onclick: (ev: Event) => once(ev, () => handlers.radioStep(a, next, noteInput?.value.trim() || null)),
                  },
                  '✆ ',
                  t('disp.radio_step', { status: tk('assignment_status', next) }),
                )
              : null,
            noteInput,
            cancelControl(a, r.callSign),
            pick,
            pick
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn',
                    'data-action': 'reassign',
                    onclick: (ev: Event) => {
                      const unit = free.find((u) => u.id === pick.value);
                      if (unit) once(ev, () => handlers.reassign(a, unit.id, unit.call_sign));
                    },
                  },
                  '⇄ ',
                  t('disp.reassign'),
                )
              : null,
          )
        : null,
    );
  }

  /** Any available unit of the OPD, assignable by hand (the recommendations only list the nearest few). */
  function manualAssign(inc: IncidentView, free: readonly Unit[]): HTMLElement {
    if (free.length === 0) return h('p', { class: 'muted' }, t('disp.no_free_units'));
    const pick = unitSelect(free, t('disp.manual_assign'));
    // A unit picked by hand that is among the recommendations and cannot make the target is warned about
    // before it is sent (any other unit's planned ETA shows on its assignment once sent).
    const warning = h('p', { class: 'sla-warning', role: 'alert', 'data-testid': 'manual-sla-warning', hidden: true });
    const warn = () => {
      const rec = currentRecs?.units.find((u) => u.unit_id === pick.value);
      warning.hidden = !rec || rec.meets_target;
      warning.textContent = rec && !rec.meets_target
        ? `⚠ ${t('disp.sla_unit_late', { unit: rec.call_sign, eta: minutesUp(rec.travel_time_s), target: minutesUp(rec.arrival_target_s) })}`
        : '';
    };
    pick.addEventListener('change', warn);
    manualWarn = warn;
    warn();
    return h(
      'div',
      { class: 'row manual-assign', 'data-testid': 'manual-assign' },
      warning,
      pick,
      h(
        'button',
        {
          type: 'button',
          class: 'btn',
          'data-action': 'manual-assign',
          onclick: (ev: Event) => {
            const unit = free.find((u) => u.id === pick.value);
            if (unit) once(ev, () => handlers.assign(inc.id, unit.id, unit.call_sign));
          },
        },
        '➤ ',
        t('disp.assign_selected'),
      ),
    );
  }

  function drawRecommendations(inc: IncidentView, recs: Recommendations): void {
    const best = recs.units[0];
    replace(
      recBox,
      best && recs.none_meets_target
        ? h(
            'p',
            { class: 'sla-warning', role: 'alert', 'data-testid': 'sla-warning' },
            '⚠ ',
            t('disp.sla_best_late', { eta: minutesUp(best.travel_time_s), target: minutesUp(recs.arrival_target_s) }),
          )
        : null,
      recs.units.length === 0
        ? h('p', { class: 'muted' }, t('disp.no_recommendations'))
        : h(
            'ol',
            { class: 'rec-list' },
            recs.units.map((r, index) =>
              h(
                'li',
                { 'data-unit-id': r.unit_id, 'data-basis': r.basis, 'data-meets-target': String(r.meets_target), class: r.meets_target ? null : 'sla-late' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'rec-route linklike',
                    'data-route-unit': r.unit_id,
                    title: t('disp.show_route'),
                    onclick: () => handlers.showRoute(inc.id, r.unit_id),
                  },
                  h('strong', {}, r.call_sign),
                  ' · ',
                  h(
                    'span',
                    { 'data-testid': 'rec-eta' },
                    t(r.basis === 'road' ? 'disp.eta_road' : 'disp.eta_straight', { min: minutes(r.travel_time_s), km: km(r.route_m) }),
                  ),
                  r.meets_target ? null : h('span', { class: 'misses-target', 'data-testid': 'misses-target' }, ' ⚠ ', t('disp.misses_target')),
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn primary',
                    'data-assign-unit': r.unit_id,
                    accesskey: index === 0 ? 'g' : null,
                    onclick: (ev: Event) => {
                      const button = ev.currentTarget as HTMLButtonElement;
                      button.disabled = true;
                      void handlers.assign(inc.id, r.unit_id, r.call_sign).then((ok) => {
                        if (!ok) button.disabled = false;
                      });
                    },
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
            { 'data-testid': 'excluded' },
            h('summary', {}, t('disp.excluded'), ` (${recs.excluded.length})`),
            h('ul', {}, recs.excluded.map((x) => h('li', { 'data-unit-id': x.unit_id }, x.call_sign, ': ', tk('exclusion', x.reason)))),
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

  function openEditForm(incidentId: string): void {
    handlers.openEdit(incidentId);
    edit?.first.focus();
  }

  /**
   * The correction form, filled with the incident as shown when it opened; only the fields that differ are
   * sent. Escape cancels; the new location comes from a click on the map (the page passes it to the state).
   */
  function editForm(inc: IncidentView): EditForm {
    const id = (name: string) => `edit-${name}`;
    const label = (name: string, text: string) => h('label', { for: id(name) }, text);
    const select = (name: string, values: readonly string[], current: string, prefix: string) =>
      h('select', { id: id(name), name }, values.map((v) => h('option', { value: v, selected: v === current }, tk(prefix, v))));
    const priority = select('priority', PRIORITIES, inc.priority, 'priority');
    const category = select('category', CATEGORIES, inc.category, 'category');
    const subcategory = h('input', { id: id('subcategory'), name: 'subcategory', type: 'text', maxlength: 100, value: inc.subcategory ?? '' });
    const address = h('input', { id: id('address'), name: 'address', type: 'text', value: inc.address ?? '' });
    const count = h('input', { id: id('victims-count'), name: 'victims_count', type: 'number', min: 0, value: String(inc.victims.count) });
    const condition = select('victims-condition', VICTIM_CONDITIONS, inc.victims.condition, 'condition');
    const description = h('textarea', { id: id('description'), name: 'description', rows: 3 }, inc.description ?? '');
    const location = h('p', { class: 'muted', 'data-testid': 'edit-location', 'aria-live': 'polite' }, t('edit.location_unchanged'));
    const error = h('p', { id: 'edit-error', class: 'error', role: 'alert', hidden: true });
    const send = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'edit-submit' }, '✓ ', t('edit.submit'));
    const cancel = () => {
      handlers.cancelEdit();
      detail.querySelector<HTMLElement>('[data-action="edit"]')?.focus();
    };
    const form = h(
      'form',
      { class: 'decision card edit-form', 'data-testid': 'edit-form', novalidate: true },
      h('h3', {}, t('edit.title', { number: inc.number })),
      label('priority', t('ct.priority')),
      priority,
      label('category', t('ct.category')),
      category,
      label('subcategory', t('ct.subcategory')),
      subcategory,
      label('address', t('ct.address')),
      address,
      label('victims-count', t('ct.victims_count')),
      count,
      label('victims-condition', t('ct.victims_condition')),
      condition,
      label('description', t('ct.description')),
      description,
      h('p', {}, h('strong', {}, t('edit.location')), ' — ', t('edit.location_hint')),
      location,
      error,
      h('div', { class: 'row' }, send, h('button', { type: 'button', class: 'btn ghost', onclick: cancel }, t('disp.cancel'))),
    );
    const read = () => ({
      priority: priority.value,
      category: category.value,
      subcategory: subcategory.value,
      address: address.value,
      description: description.value,
      victimsCount: Math.max(0, Math.trunc(Number(count.value) || 0)),
      victimsCondition: condition.value,
    });
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        cancel();
      }
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearError(error, form);
      const picked = location.dataset['picked'];
      const [lon, lat] = picked ? picked.split(',').map(Number) : [NaN, NaN];
      const body = correctionBody(inc, read(), picked && lon !== undefined && lat !== undefined ? { lon, lat } : null);
      if (!body) {
        error.textContent = t('edit.nothing');
        error.hidden = false;
        return;
      }
      send.disabled = true;
      try {
        await handlers.correct(inc.id, body);
      } catch (e) {
        send.disabled = false;
        showError(error, e, form);
      }
    });
    return { incidentId: inc.id, form, first: priority, location, read };
  }

  function openForm(incidentId: string, kind: DecisionKind): void {
    handlers.openDecision(incidentId, kind);
    decision?.text.focus();
  }

  /**
   * The reject (reason) or close (final report) form. Keyboard: Ctrl+Enter sends, Escape cancels and returns
   * the focus to the button that opened it.
   */
  /**
   * The cancel form (reason, the master's number for a duplicate, a note for the crews) or the merge form (the
   * master's number, with the similar incidents nearby offered in one tap). Escape closes it.
   */
  function withdrawForm(key: string, inc: IncidentView, kind: 'cancel' | 'merge', candidates: readonly IncidentView[]): DecisionForm {
    const error = h('p', { id: `${kind}-error`, class: 'error', role: 'alert', hidden: true });
    const master = h('input', { id: `${kind}-master`, name: kind === 'cancel' ? 'duplicate_of' : 'into', type: 'text', autocomplete: 'off', placeholder: 'BTM-20261205-0001' });
    const reason = h('select', { id: 'cancel-reason', name: 'reason' }, CANCEL_REASONS.map((r) => h('option', { value: r }, tk('cancel_reason', r))));
    const note = h('input', { id: 'cancel-note', name: 'note', type: 'text' });
    const masterRow = h('div', { class: 'field' }, h('label', { for: master.id }, t(kind === 'cancel' ? 'cancel.duplicate_of' : 'merge.into')), master);
    const send = h('button', { type: 'submit', class: kind === 'cancel' ? 'btn danger' : 'btn primary', 'data-testid': `${kind}-submit` }, t(kind === 'cancel' ? 'cancel.submit' : 'merge.submit'));
    const close = () => {
      handlers.cancelDecision();
      detail.querySelector<HTMLElement>(`[data-action="${kind}"]`)?.focus();
    };
    const syncMaster = () => {
      masterRow.hidden = kind === 'cancel' && reason.value !== 'duplicate';
    };
    reason.addEventListener('change', syncMaster);
    syncMaster();
    const submit = async (into: string | null) => {
      clearError(error, form);
      let run: () => Promise<void>;
      if (kind === 'merge') {
        const target = (into ?? master.value).trim();
        if (!target) {
          error.textContent = t('merge.into_missing');
          error.hidden = false;
          master.focus();
          return;
        }
        run = () => handlers.mergeIncident(inc.id, target);
      } else {
        const checked = cancelBody(reason.value as (typeof CANCEL_REASONS)[number], master.value, note.value);
        if (!checked.ok) {
          error.textContent = t('cancel.duplicate_of_missing');
          error.hidden = false;
          master.focus();
          return;
        }
        run = () => handlers.cancelIncident(inc.id, checked.body);
      }
      send.disabled = true;
      try {
        await run();
      } catch (e) {
        send.disabled = false;
        showError(error, e, form);
      }
    };
    const picks =
      kind === 'merge' && candidates.length > 0
        ? h(
            'div',
            { class: 'merge-candidates', 'data-testid': 'merge-candidates' },
            h('p', { class: 'muted' }, t('merge.candidates')),
            candidates.slice(0, 5).map((c) =>
              h('button', { type: 'button', class: 'btn', 'data-merge-into': c.id, onclick: () => void submit(c.id) }, '⇉ ', t('merge.pick', { number: c.number }), ` · ${tk('incident_status', c.status)}`),
            ),
          )
        : null;
    const form = h(
      'form',
      { class: 'decision card', 'data-testid': `${kind}-form`, novalidate: true },
      h('p', { class: 'muted' }, t(kind === 'cancel' ? 'cancel.hint' : 'merge.hint')),
      kind === 'cancel' ? h('div', { class: 'field' }, h('label', { for: reason.id }, t('cancel.reason')), reason) : null,
      picks,
      masterRow,
      kind === 'cancel' ? h('div', { class: 'field' }, h('label', { for: note.id }, t('cancel.note')), note) : null,
      error,
      h('div', { class: 'row' }, send, h('button', { type: 'button', class: 'btn ghost', onclick: close }, t('disp.cancel'))),
    );
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        close();
      }
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void submit(null);
    });
    return { key, form, text: kind === 'cancel' ? reason : master };
  }

  function decisionForm(key: string, inc: IncidentView, kind: 'reject' | 'close'): DecisionForm {
    const reject = kind === 'reject';
    const fieldId = reject ? 'reject-reason' : 'close-report';
    const text = h('textarea', { id: fieldId, name: reject ? 'reason' : 'report', rows: 4, required: true, 'aria-required': 'true' });
    const error = h('p', { id: `${fieldId}-error`, class: 'error', role: 'alert', hidden: true });
    const send = h(
      'button',
      { type: 'submit', class: reject ? 'btn danger' : 'btn primary', 'data-testid': `${kind}-submit` },
      reject ? '↩ ' : '■ ',
      t(reject ? 'disp.reject_submit' : 'disp.close_submit'),
    );
    const cancel = () => {
      handlers.cancelDecision();
      detail.querySelector<HTMLElement>(`[data-action="${kind}"]`)?.focus();
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
        await handlers.decide(inc.id, kind, value);
      } catch (e) {
        send.disabled = false;
        showError(error, e, form);
      }
    });
    return { key, form, text };
  }

  return { render };
}

/** A select of units by call sign, labelled for screen readers. */
function unitSelect(units: readonly Unit[], label: string): HTMLSelectElement {
  return h('select', { 'aria-label': label, class: 'unit-pick' }, units.map((u) => h('option', { value: u.id }, u.call_sign)));
}

/** Runs an action from a button, disabled until it settles; re-enabled only when it failed (else a redraw replaces it). */
function once(ev: Event, action: () => Promise<boolean>): void {
  const button = ev.currentTarget as HTMLButtonElement;
  button.disabled = true;
  void action().then((ok) => {
    if (!ok) button.disabled = false;
  });
}
