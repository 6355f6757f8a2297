//! The selected incident's panel: facts, other OPDs' rejections, the call taker's escalation note, the actions
//! this OPD may take (verify, reject with a reason, close with a final report), the assignments and the
//! recommended units, each assignable in one action.
//!
//! The reject/close form is the one piece of state kept here rather than in `state.ts`: its text belongs to
//! the textarea, and the form element survives redraws caused by live updates so the text, the focus and
//! the caret survive them too.

import type { IncidentView, Recommendations } from '../../api/types';
import { t, tk } from '../../i18n';
import { CATEGORY_GLYPH, INCIDENT_STATUS_GLYPH } from '../../map/symbology';
import { h, replace } from '../../ui/dom';
import { clearError, messageFor, showError } from '../../ui/errors';
import { km, minutes } from '../../ui/format';
import {
  actionsFor,
  assignmentsOf,
  type DecisionKind,
  type DispatcherState,
  escalationNoteOf,
  rejectionsOf,
  selectedIncident,
} from './state';
import { priorityBadge } from './view_queue';

export interface DetailHandlers {
  verify(incidentId: string): void;
  openDecision(incidentId: string, kind: DecisionKind): void;
  cancelDecision(): void;
  /** Sends the reject reason or the final report; rejects with the API error to show in the form. */
  decide(incidentId: string, kind: DecisionKind, text: string): Promise<void>;
  /** Assigns the unit; resolves false when it failed (the handler has told the user). */
  assign(incidentId: string, unitId: string, callSign: string): Promise<boolean>;
}

interface DecisionForm {
  key: string;
  form: HTMLFormElement;
  text: HTMLTextAreaElement;
}

export function mountDetail(detail: HTMLElement, handlers: DetailHandlers) {
  const recBox = h('div', { class: 'recs', 'data-testid': 'recommendations' });
  let decision: DecisionForm | null = null;
  /** What the panel was last drawn from; a redraw happens only when one of these changes. */
  let drawn: unknown[] | null = null;
  let recsDrawn: { incidentId: string; recs: DispatcherState['recommendations'] } | null = null;

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
    if (decision?.key !== key) decision = d && key ? decisionForm(key, inc, d.kind) : null;
    const rows = assignmentsOf(state, inc.id).map((a) => [a.id, a.status, state.units.get(a.unit_id)?.call_sign ?? a.unit_id] as const);
    const deps = [inc, key, state.agencyNames, state.agencyId, JSON.stringify(rows)];
    if (!drawn || deps.some((v, i) => v !== drawn?.[i])) {
      drawn = deps;
      drawPanel(state, inc, rows);
    }
    if (recsDrawn?.incidentId !== inc.id || recsDrawn.recs !== state.recommendations) {
      recsDrawn = { incidentId: inc.id, recs: state.recommendations };
      const r = state.recommendations;
      if (!r || r.incidentId !== inc.id || r.view.status === 'loading') replace(recBox, t('app.loading'));
      else if (r.view.status === 'failed') replace(recBox, h('p', { class: 'error', role: 'alert' }, messageFor(r.view.error)));
      else drawRecommendations(inc, r.view.recs);
    }
  }

  function drawPanel(state: DispatcherState, inc: IncidentView, rows: readonly (readonly [string, string, string])[]): void {
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
    // Live updates redraw the panel; whoever was typing in the open form keeps the focus and the caret.
    const active = document.activeElement;
    const focused = decision && active instanceof HTMLElement && decision.form.contains(active) ? active : null;
    const caret = focused instanceof HTMLTextAreaElement ? focused.selectionStart : null;
    const rejections = rejectionsOf(state, inc);
    const note = escalationNoteOf(state, inc);
    replace(
      detail,
      h('h2', {}, priorityBadge(inc.priority), ' ', inc.number),
      h('p', {}, `[${CATEGORY_GLYPH[inc.category] ?? ''}] `, tk('category', inc.category), inc.subcategory ? ` · ${inc.subcategory}` : ''),
      h('p', { 'data-testid': 'detail-status' }, `${INCIDENT_STATUS_GLYPH[inc.status] ?? ''} `, tk('incident_status', inc.status)),
      h('p', {}, '◉ ', inc.address ?? `${inc.location.lat.toFixed(5)}, ${inc.location.lon.toFixed(5)}`),
      h('p', {}, t('disp.victims', { count: inc.victims.count, condition: tk('condition', inc.victims.condition) })),
      inc.description ? h('p', { class: 'desc' }, inc.description) : null,
      rejections.length > 0
        ? h(
            'ul',
            { class: 'rejections', 'data-testid': 'rejections' },
            rejections.map((r) => h('li', {}, '↩ ', t('disp.rejected_by', { agency: r.agency, reason: r.reason ?? '—' }))),
          )
        : null,
      note ? h('p', { class: 'escalation-note', 'data-testid': 'escalation-note' }, '✎ ', t('disp.escalation_note', { note })) : null,
      actions,
      decision?.form ?? null,
      h('h3', {}, t('disp.assignments')),
      h(
        'ul',
        { class: 'assignments', 'data-testid': 'assignments' },
        rows.map(([id, status, callSign]) =>
          h('li', { 'data-assignment-id': id, 'data-status': status }, h('strong', {}, callSign), ' — ', h('span', { class: 'asg-status' }, tk('assignment_status', status))),
        ),
      ),
      h('h3', {}, t('disp.recommendations')),
      recBox,
    );
    if (focused) {
      focused.focus();
      if (focused instanceof HTMLTextAreaElement && caret !== null) focused.setSelectionRange(caret, caret);
    }
  }

  function drawRecommendations(inc: IncidentView, recs: Recommendations): void {
    replace(
      recBox,
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
        ? h('details', {}, h('summary', {}, t('disp.excluded'), ` (${recs.excluded.length})`), h('ul', {}, recs.excluded.map((x) => h('li', {}, x.call_sign, ': ', x.reason))))
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

  function openForm(incidentId: string, kind: DecisionKind): void {
    handlers.openDecision(incidentId, kind);
    decision?.text.focus();
  }

  /**
   * The reject (reason) or close (final report) form. Keyboard: Ctrl+Enter sends, Escape cancels and returns
   * the focus to the button that opened it.
   */
  function decisionForm(key: string, inc: IncidentView, kind: DecisionKind): DecisionForm {
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
