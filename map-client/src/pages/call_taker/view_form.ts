//! The SOP incident form: reporter, location (pin, AML, address search), region and the OPDs the incident goes
//! to, category (no default: the call taker picks it), priority (with its colour bar), victims, time of the
//! event, description and possible duplicates (each can take the answered call instead of a new ticket).
//! Inputs are named by their JSON path so a server `field` focuses the right one. The fields scroll in their
//! own column; the submit bar stays at its foot, so it is always within reach.
//!
//! The same form corrects an incident this desk filed (`state.correcting`, from "my incidents"): it opens
//! with the incident's values and pin (moved by a click or a drag on the map, as when filing), its heading and
//! button say so, and sending it sends only what changed (`PATCH`).
//!
//! The form's values live in `state.work.draft`: every edit is reported as a patch, and a redraw writes back
//! only the inputs whose value differs, so typing is never disturbed and a new caller's work clears them.

import type { CancelRequest, CreateIncident, PlaceView } from '../../api/types';
import { CATEGORIES, PRIORITIES, VICTIM_CONDITIONS } from '../../api/types';
import { callTakerMayCancel } from '../../domain/withdraw';
import { cancelControl } from '../../ui/cancel_control';
import { lang, t, tk } from '../../i18n';
import { PRIORITY_COLOUR } from '../../map/symbology';
import { h, options, replace } from '../../ui/dom';
import { clearError, messageFor, showError } from '../../ui/errors';
import { km } from '../../ui/format';
import {
  activeCall,
  canCorrectFiled,
  correctionRequest,
  type CallTakerState,
  type DraftField,
  type FormProblem,
  type FiledIncident,
  incidentRequest,
  type IncidentDraft,
  isProblem,
  MAX_VICTIMS,
} from './state';

export interface FormHandlers {
  edit(patch: Partial<Pick<IncidentDraft, DraftField>>): void;
  /** The category or the victims count changed: the receiving OPDs may change. */
  draftChanged(categoryChanged: boolean): void;
  useAml(): void;
  /** The address search text changed. */
  searchPlaces(query: string): void;
  movePlace(step: 1 | -1): void;
  closePlaces(): void;
  choosePlace(p: PlaceView): void;
  /** A check before sending failed. */
  refuse(problem: FormProblem): void;
  /** Files the incident; rejects with the API error to show in the form. */
  submit(body: CreateIncident): Promise<void>;
  /** Links the answered call to an existing incident instead of filing a new one. */
  link(incidentId: string): Promise<void>;
  /** Sends the correction of the incident in the form; rejects with the API error to show in the form. */
  correct(incidentId: string, body: Record<string, unknown>): Promise<void>;
  /** Gives the correction up: the form is empty again. */
  cancelCorrection(): void;
}

type Input = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** A `datetime-local` value read in this desk's time zone; null when empty or unreadable. */
export function localTimeMs(value: string): number | null {
  if (!value.trim()) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** The plain-words message for a form problem: the field and the rule it broke. */
export function problemText(p: FormProblem): string {
  if (p.field === 'category') return t('ct.invalid_category');
  if (p.field === 'location') return t('ct.location_missing');
  if (p.field === 'occurred_at') return t(p.rule === 'future' ? 'ct.invalid_occurred_future' : 'ct.invalid_occurred');
  return t('ct.invalid_victims', { max: MAX_VICTIMS.toLocaleString(lang() === 'id' ? 'id-ID' : 'en-GB') });
}

export function mountIncidentForm(handlers: FormHandlers) {
  const inputs: Record<DraftField, Input> = {
    reporterName: h('input', { id: 'reporter-name', name: 'reporter.name', autocomplete: 'off' }),
    reporterPhone: h('input', { id: 'reporter-phone', name: 'reporter.phone', inputmode: 'tel', autocomplete: 'off' }),
    reporterAddress: h('input', { id: 'reporter-address', name: 'reporter.address', autocomplete: 'off' }),
    // Address search over the gazetteer (regions and faskes), keyboard first: type, ↓/↑ to choose, Enter to pin.
    placeQuery: h('input', {
      id: 'place-search',
      type: 'search',
      autocomplete: 'off',
      role: 'combobox',
      'aria-autocomplete': 'list',
      'aria-expanded': 'false',
      'aria-controls': 'place-results',
      placeholder: t('ct.place_search_hint'),
    }),
    address: h('input', { id: 'address', name: 'address', autocomplete: 'off' }),
    category: h(
      'select',
      { id: 'category', name: 'category', required: true },
      h('option', { value: '' }, t('ct.category_choose')),
      options(CATEGORIES, (c) => tk('category', c)),
    ),
    subcategory: h('input', { id: 'subcategory', name: 'subcategory', autocomplete: 'off' }),
    priority: h('select', { id: 'priority', name: 'priority' }, options(PRIORITIES, (p) => tk('priority', p), 'p2')),
    victimsCount: h('input', { id: 'victims-count', name: 'victims.count', type: 'text', inputmode: 'numeric', autocomplete: 'off', value: '0' }),
    victimsCondition: h('select', { id: 'victims-condition', name: 'victims.condition' }, options(VICTIM_CONDITIONS, (c) => tk('condition', c))),
    description: h('textarea', { id: 'description', name: 'description', rows: 3 }),
    occurredAt: h('input', { id: 'occurred-at', name: 'occurred_at', type: 'datetime-local' }),
  };
  const i = inputs;
  const location = h('output', { id: 'location', name: 'location', 'data-field': 'location', tabindex: '0', class: 'location-out' }, t('ct.location_missing'));
  const regionBox = h('div', { class: 'region', 'data-testid': 'region', 'aria-live': 'polite' }, t('ct.region_pending'));
  const dupBox = h('div', { class: 'dups', 'data-testid': 'duplicates', 'aria-live': 'polite' });
  const formError = h('p', { id: 'form-error', class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'submit-incident' }, '➤ ', t('ct.submit'), ' [Ctrl+Enter]');
  const heading = h('h2', {}, t('ct.form'));
  const cancelCorrection = h('button', { type: 'button', class: 'btn ghost', 'data-testid': 'cancel-correction', hidden: true }, t('disp.cancel'));
  cancelCorrection.addEventListener('click', () => handlers.cancelCorrection());
  const useAml = h('button', { type: 'button', class: 'btn', 'data-testid': 'use-aml', disabled: true }, '◎ ', t('ct.use_aml'));
  const placeList = h('ul', { id: 'place-results', role: 'listbox', class: 'place-results', 'data-testid': 'place-results', hidden: true });
  const field = (id: string, label: string, input: HTMLElement) => h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const body = h(
    'div',
    { class: 'form-body', 'data-testid': 'form-body' },
    heading,
    h(
      'fieldset',
      {},
      h('legend', {}, t('ct.reporter')),
      field('reporter-name', t('ct.reporter_name'), i.reporterName),
      field('reporter-phone', t('ct.reporter_phone'), i.reporterPhone),
      field('reporter-address', t('ct.reporter_address'), i.reporterAddress),
    ),
    h(
      'div',
      { class: 'grid2' },
      field('category', t('ct.category'), i.category),
      field('priority', t('ct.priority'), i.priority),
      field('subcategory', t('ct.subcategory'), i.subcategory),
      field('occurred-at', t('ct.occurred_at'), i.occurredAt),
      field('victims-count', t('ct.victims_count'), i.victimsCount),
      field('victims-condition', t('ct.victims_condition'), i.victimsCondition),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('ct.location')),
      h('p', { class: 'muted' }, t('ct.location_hint')),
      location,
      useAml,
      h('div', { class: 'place-search' }, field('place-search', t('ct.place_search'), i.placeQuery), placeList),
      field('address', t('ct.address'), i.address),
      h('h3', {}, t('ct.region')),
      regionBox,
    ),
    field('description', t('ct.description'), i.description),
    h('h3', {}, t('ct.duplicates')),
    dupBox,
  );
  const form = h(
    'form',
    { class: 'incident-form card', 'data-testid': 'incident-form', novalidate: true },
    body,
    h('div', { class: 'form-foot' }, formError, submit, cancelCorrection),
  );

  const read = () => Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value])) as Pick<IncidentDraft, DraftField>;
  // Captured, so the draft holds an edit before any field's own listener acts on it.
  form.addEventListener('input', () => handlers.edit(read()), true);
  form.addEventListener('change', () => handlers.edit(read()), true);
  i.category.addEventListener('change', () => handlers.draftChanged(true));
  i.victimsCount.addEventListener('change', () => handlers.draftChanged(false));
  useAml.addEventListener('click', () => handlers.useAml());
  i.placeQuery.addEventListener('input', () => handlers.searchPlaces(i.placeQuery.value.trim()));

  let state: CallTakerState | null = null;
  i.placeQuery.addEventListener('keydown', (e: Event) => {
    const key = (e as KeyboardEvent).key;
    const results = state?.work.places.results ?? [];
    if (key === 'ArrowDown' || key === 'ArrowUp') {
      if (results.length === 0) return;
      e.preventDefault();
      handlers.movePlace(key === 'ArrowDown' ? 1 : -1);
    } else if (key === 'Enter') {
      // Enter picks a place; it never submits the incident form from here.
      e.preventDefault();
      const p = results[state?.work.places.active ?? -1];
      if (p) handlers.choosePlace(p);
    } else if (key === 'Escape') {
      handlers.closePlaces();
    }
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(formError, form);
    if (!state) return;
    const correcting = state.correcting;
    if (correcting) {
      const body = correctionRequest(state, localTimeMs(state.work.draft.occurredAt), Date.now());
      if (body && 'rule' in body) {
        handlers.refuse(body as FormProblem);
        return;
      }
      if (!body) {
        formError.textContent = t('edit.nothing');
        formError.hidden = false;
        return;
      }
      submit.disabled = true;
      try {
        await handlers.correct(correcting.id, body);
      } catch (e) {
        showError(formError, e, form);
      } finally {
        submit.disabled = false;
      }
      return;
    }
    const request = incidentRequest(state, localTimeMs(state.work.draft.occurredAt), Date.now());
    if (isProblem(request)) {
      handlers.refuse(request);
      return;
    }
    submit.disabled = true;
    try {
      await handlers.submit(request);
    } catch (e) {
      showError(formError, e, form);
    } finally {
      submit.disabled = false;
    }
  });

  const problemInput = (p: FormProblem): HTMLElement => (p.field === 'category' ? i.category : p.field === 'location' ? location : p.field === 'occurred_at' ? i.occurredAt : i.victimsCount);

  function renderProblem(p: FormProblem | null, focus: boolean): void {
    for (const el of [i.category, location, i.occurredAt, i.victimsCount]) {
      el.removeAttribute('aria-invalid');
      el.removeAttribute('aria-describedby');
    }
    if (!p) {
      if (formError.dataset['local']) clearError(formError);
      delete formError.dataset['local'];
      return;
    }
    formError.textContent = problemText(p);
    formError.hidden = false;
    formError.dataset['local'] = '1';
    const input = problemInput(p);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', formError.id);
    if (focus) input.focus();
  }

  function renderPlaces(s: CallTakerState): void {
    const { results, active, message } = s.work.places;
    i.placeQuery.setAttribute('aria-expanded', String(results.length > 0));
    if (active >= 0) i.placeQuery.setAttribute('aria-activedescendant', `place-${active}`);
    else i.placeQuery.removeAttribute('aria-activedescendant');
    placeList.hidden = results.length === 0 && message === null;
    if (message?.kind === 'none') return replace(placeList, h('li', { class: 'muted' }, t('ct.place_none')));
    if (message?.kind === 'failed') return replace(placeList, h('li', { class: 'error' }, messageFor(message.error)));
    replace(
      placeList,
      results.map((p, n) =>
        h(
          'li',
          {
            id: `place-${n}`,
            role: 'option',
            'aria-selected': String(n === active),
            class: n === active ? 'active' : '',
            'data-kind': p.kind,
            onmousedown: (e: Event) => (e.preventDefault(), handlers.choosePlace(p)),
          },
          h('span', { 'aria-hidden': 'true' }, PLACE_ICONS[p.kind] ?? '▱ '),
          h('strong', {}, p.name),
          ' · ',
          placeLabel(p),
          p.context ? h('span', { class: 'muted' }, ` · ${p.context}`) : null,
          p.postal_code ? h('span', { class: 'muted' }, ` · ${p.postal_code}`) : null,
        ),
      ),
    );
  }

  function renderRegion(s: CallTakerState): void {
    const r = s.work.region;
    if (r.status === 'pending') return replace(regionBox, t('ct.region_pending'));
    if (r.status === 'loading') return replace(regionBox, t('app.loading'));
    if (r.status === 'unavailable') return replace(regionBox, h('span', { class: 'muted' }, t('common.unavailable_endpoint')));
    if (r.status === 'failed') return replace(regionBox, h('span', { class: 'error' }, messageFor(r.error)));
    const loc = r.located;
    const receiving = loc.receiving ?? null;
    replace(
      regionBox,
      loc.outside ? h('p', { class: 'warn', role: 'alert' }, '⚠ ', t('ct.region_outside')) : null,
      h('p', { 'data-testid': 'region-chain' }, loc.region_chain.map((x) => x.name).join(' › ') || t('common.none')),
      !r.category || receiving === null
        ? h('p', { class: 'muted', 'data-testid': 'receiving-hint' }, t('ct.receiving_choose_category'))
        : receiving.length === 0
          ? h('p', { class: 'warn', 'data-testid': 'receiving-none' }, t('ct.receiving_none'))
          : h(
              'ul',
              { 'data-testid': 'receiving' },
              receiving.map((a) => h('li', { 'data-agency-id': a.agency_id }, s.agencyNames.get(a.agency_id) ?? tk('agency_type', a.agency_type), h('span', { class: 'muted' }, ` · ${tk('agency_type', a.agency_type)}`))),
            ),
    );
  }

  function renderDuplicates(s: CallTakerState): void {
    const d = s.work.duplicates;
    if (d.status === 'none') return replace(dupBox);
    if (d.status === 'unavailable') return replace(dupBox, h('span', { class: 'muted' }, t('common.unavailable_endpoint')));
    if (d.status === 'failed') return replace(dupBox, h('span', { class: 'error' }, messageFor(d.error)));
    const call = activeCall(s);
    const linkable = call !== null && call.class === 'emergency' && !call.incident_id;
    replace(
      dupBox,
      d.list.length === 0
        ? h('p', { class: 'muted' }, t('ct.no_duplicates'))
        : h(
            'ul',
            {},
            d.list.map((x) =>
              h(
                'li',
                { 'data-incident-id': x.incident_id },
                h('strong', {}, x.number),
                ' · ',
                tk('incident_status', x.status),
                ' · ',
                t('common.km', { km: km(x.distance_m) }),
                ' · ',
                t('common.minutes_ago', { n: Math.round(x.time_gap_ms / 60_000) }),
                linkable
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn',
                        'data-testid': 'link-duplicate',
                        onclick: () => void handlers.link(x.incident_id).catch((e: unknown) => showError(formError, e)),
                      },
                      '⛓ ',
                      t('ct.link_call', { number: x.number }),
                    )
                  : null,
              ),
            ),
          ),
    );
  }

  function renderPriority(priority: string): void {
    i.priority.style.borderLeft = `8px solid ${PRIORITY_COLOUR[priority] ?? '#8a96a3'}`;
    i.priority.dataset['priority'] = priority;
  }

  return {
    form,
    focusReporterName: () => i.reporterName.focus(),
    submit: () => form.requestSubmit(),
    render(next: CallTakerState, prev: CallTakerState | null): void {
      state = next;
      const w = next.work;
      const d = w.draft;
      if (!prev || prev.work.draft !== d) {
        for (const [k, el] of Object.entries(inputs) as [DraftField, Input][]) if (el.value !== d[k]) el.value = d[k];
        if (!prev || prev.work.draft.pin !== d.pin) location.textContent = d.pin ? `${d.pin.lat.toFixed(5)}, ${d.pin.lon.toFixed(5)}` : t('ct.location_missing');
        renderPriority(d.priority);
      }
      if (!prev || prev.work.invalid !== w.invalid) renderProblem(w.invalid, prev !== null);
      if (prev && prev.work.serial !== w.serial) clearError(formError, form);
      const active = activeCall(next);
      useAml.disabled = !active?.aml;
      if (!prev || prev.work.places !== w.places) renderPlaces(next);
      if (!prev || prev.work.region !== w.region || prev.agencyNames !== next.agencyNames) renderRegion(next);
      if (!prev || prev.work.duplicates !== w.duplicates || prev.activeId !== next.activeId || prev.calls !== next.calls) renderDuplicates(next);
      if (next.lastIncident) form.dataset['lastIncident'] = next.lastIncident;
      if (!prev || prev.correcting !== next.correcting) {
        const c = next.correcting;
        heading.textContent = c ? t('edit.title', { number: c.number }) : t('ct.form');
        replace(submit, c ? '✓ ' : '➤ ', c ? t('edit.submit') : t('ct.submit'), ' [Ctrl+Enter]');
        cancelCorrection.hidden = !c;
        if (c) form.dataset['correcting'] = c.number;
        else delete form.dataset['correcting'];
      }
    },
  };
}

/**
 * "Incidents I filed", newest first, each with its live status. One the call taker may still correct (not yet
 * verified, no call answered) has "Ubah"; one she may still withdraw herself (no OPD has verified it) carries a
 * cancel control: a reason, the master's number for a duplicate, then send.
 */
export function renderFiled(
  list: HTMLElement,
  incidents: readonly FiledIncident[],
  cancel: (id: string, body: CancelRequest) => Promise<boolean>,
  state?: CallTakerState,
  edit?: (id: string) => void,
): void {
  replace(
    list,
    incidents.length === 0
      ? h('li', { class: 'muted' }, t('ct.filed_none'))
      : incidents.map((inc) =>
          h(
            'li',
            { class: 'filed', 'data-incident-id': inc.id, 'data-number': inc.number, 'data-status': inc.status },
            h('strong', {}, inc.number),
            ' · ',
            tk('category', inc.category),
            ' · ',
            h('span', { class: `status status-${inc.status}`, 'data-testid': 'filed-status' }, tk('incident_status', inc.status)),
            state && edit && canCorrectFiled(state, inc)
              ? h('button', { type: 'button', class: 'btn small', 'data-action': 'edit-incident', onclick: () => edit(inc.id) }, '✎ ', t('edit.action'))
              : null,
            callTakerMayCancel(inc.status) ? cancelControl(inc.id, t('ct.cancel_own'), cancel) : null,
            ' ',
            h('button', { type: 'button', class: 'link', 'data-testid': 'filed-timeline', 'data-open-timeline': inc.id }, t('tl.title')),
          ),
        ),
  );
}


/** A mark per kind of place, beside its text label (the mark is never the only signal). */
const PLACE_ICONS: Record<string, string> = { region: '▱ ', facility: '✚ ', street: '═ ', poi: '◆ ' };

/** What a found place is: the region's level or the facility's kind; "Street" (with its class left out); a
 * landmark's kind from its OSM tag (`amenity=place_of_worship` → "Place of worship"), the raw value when the
 * table lacks it. */
export function placeLabel(p: Pick<PlaceView, 'kind' | 'detail'>): string {
  if (p.kind === 'street') return t('place.street');
  if (p.kind === 'poi') {
    const value = p.detail.split('=')[1] ?? p.detail;
    const known = tk('poi', value);
    return known === value ? `${t('place.poi')} (${value.replace(/_/g, ' ')})` : known;
  }
  return tk('place', p.detail);
}
