//! The SOP incident form: reporter, location (pin, AML, address search), region and receiving agencies for the
//! pin, category, priority, victims, description and possible duplicates. Inputs are named by their JSON path
//! so a server `field` focuses the right one.
//!
//! The form's values live in `state.draft`: every edit is reported as a patch, and a redraw writes back only
//! the inputs whose value differs, so typing is never disturbed and a reset in the state clears the inputs.

import type { CreateIncident, PlaceView } from '../../api/types';
import { CATEGORIES, PRIORITIES, VICTIM_CONDITIONS } from '../../api/types';
import { t, tk } from '../../i18n';
import { PRIORITY_COLOUR } from '../../map/symbology';
import { h, options, replace } from '../../ui/dom';
import { clearError, messageFor, showError } from '../../ui/errors';
import { km } from '../../ui/format';
import { activeCall, type CallTakerState, type DraftField, incidentRequest, type IncidentDraft } from './state';

export interface FormHandlers {
  edit(patch: Partial<Pick<IncidentDraft, DraftField>>): void;
  categoryChanged(): void;
  useAml(): void;
  /** The address search text changed. */
  searchPlaces(query: string): void;
  movePlace(step: 1 | -1): void;
  closePlaces(): void;
  choosePlace(p: PlaceView): void;
  /** Files the incident; rejects with the API error to show in the form. */
  submit(body: CreateIncident): Promise<void>;
}

type Input = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

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
    category: h('select', { id: 'category', name: 'category' }, options(CATEGORIES, (c) => tk('category', c))),
    subcategory: h('input', { id: 'subcategory', name: 'subcategory', autocomplete: 'off' }),
    priority: h('select', { id: 'priority', name: 'priority' }, options(PRIORITIES, (p) => tk('priority', p), 'p2')),
    victimsCount: h('input', { id: 'victims-count', name: 'victims.count', type: 'number', min: 0, value: 0 }),
    victimsCondition: h('select', { id: 'victims-condition', name: 'victims.condition' }, options(VICTIM_CONDITIONS, (c) => tk('condition', c))),
    description: h('textarea', { id: 'description', name: 'description', rows: 3 }),
  };
  const i = inputs;
  const location = h('output', { id: 'location', name: 'location', 'data-field': 'location', tabindex: '0', class: 'location-out' }, t('ct.location_missing'));
  const regionBox = h('div', { class: 'region', 'data-testid': 'region', 'aria-live': 'polite' }, t('ct.region_pending'));
  const dupBox = h('div', { class: 'dups', 'data-testid': 'duplicates', 'aria-live': 'polite' });
  const formError = h('p', { id: 'form-error', class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'submit-incident' }, '➤ ', t('ct.submit'));
  const useAml = h('button', { type: 'button', class: 'btn', 'data-testid': 'use-aml', disabled: true }, '◎ ', t('ct.use_aml'));
  const placeList = h('ul', { id: 'place-results', role: 'listbox', class: 'place-results', 'data-testid': 'place-results', hidden: true });
  const field = (id: string, label: string, input: HTMLElement) => h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const form = h(
    'form',
    { class: 'incident-form card', 'data-testid': 'incident-form', novalidate: true },
    h('h2', {}, t('ct.form')),
    h(
      'fieldset',
      {},
      h('legend', {}, t('ct.reporter')),
      field('reporter-name', t('ct.reporter_name'), i.reporterName),
      field('reporter-phone', t('ct.reporter_phone'), i.reporterPhone),
      field('reporter-address', t('ct.reporter_address'), i.reporterAddress),
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
    h(
      'div',
      { class: 'grid2' },
      field('category', t('ct.category'), i.category),
      field('subcategory', t('ct.subcategory'), i.subcategory),
      field('priority', t('ct.priority'), i.priority),
      field('victims-count', t('ct.victims_count'), i.victimsCount),
      field('victims-condition', t('ct.victims_condition'), i.victimsCondition),
    ),
    field('description', t('ct.description'), i.description),
    h('h3', {}, t('ct.duplicates')),
    dupBox,
    formError,
    submit,
  );

  const read = () => Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value])) as Pick<IncidentDraft, DraftField>;
  // Captured, so the draft holds an edit before any field's own listener acts on it.
  form.addEventListener('input', () => handlers.edit(read()), true);
  form.addEventListener('change', () => handlers.edit(read()), true);
  i.category.addEventListener('change', () => handlers.categoryChanged());
  i.priority.addEventListener('change', () => (i.priority.style.borderLeft = `8px solid ${PRIORITY_COLOUR[i.priority.value] ?? '#000'}`));
  useAml.addEventListener('click', () => handlers.useAml());
  i.placeQuery.addEventListener('input', () => handlers.searchPlaces(i.placeQuery.value.trim()));

  let state: CallTakerState | null = null;
  i.placeQuery.addEventListener('keydown', (e: Event) => {
    const key = (e as KeyboardEvent).key;
    const results = state?.places.results ?? [];
    if (key === 'ArrowDown' || key === 'ArrowUp') {
      if (results.length === 0) return;
      e.preventDefault();
      handlers.movePlace(key === 'ArrowDown' ? 1 : -1);
    } else if (key === 'Enter') {
      // Enter picks a place; it never submits the incident form from here.
      e.preventDefault();
      const p = results[state?.places.active ?? -1];
      if (p) handlers.choosePlace(p);
    } else if (key === 'Escape') {
      handlers.closePlaces();
    }
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(formError, form);
    const body = state ? incidentRequest(state) : null;
    if (!body) {
      formError.textContent = t('ct.location_missing');
      formError.hidden = false;
      location.setAttribute('aria-invalid', 'true');
      location.focus();
      return;
    }
    submit.disabled = true;
    try {
      await handlers.submit(body);
    } catch (e) {
      showError(formError, e, form);
    } finally {
      submit.disabled = false;
    }
  });

  function renderPlaces(s: CallTakerState): void {
    const { results, active, message } = s.places;
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
            onmousedown: (e: Event) => (e.preventDefault(), handlers.choosePlace(p)),
          },
          p.kind === 'facility' ? '✚ ' : '▱ ',
          h('strong', {}, p.name),
          ' · ',
          tk('place', p.detail),
          p.context ? h('span', { class: 'muted' }, ` · ${p.context}`) : null,
          p.postal_code ? h('span', { class: 'muted' }, ` · ${p.postal_code}`) : null,
        ),
      ),
    );
  }

  function renderRegion(s: CallTakerState): void {
    const r = s.region;
    if (r.status === 'pending') return replace(regionBox, t('ct.region_pending'));
    if (r.status === 'loading') return replace(regionBox, t('app.loading'));
    if (r.status === 'unavailable') return replace(regionBox, h('span', { class: 'muted' }, t('common.unavailable_endpoint')));
    if (r.status === 'failed') return replace(regionBox, h('span', { class: 'error' }, messageFor(r.error)));
    const loc = r.located;
    const agencies = Object.entries(loc.agencies ?? {});
    replace(
      regionBox,
      loc.outside ? h('p', { class: 'warn', role: 'alert' }, '⚠ ', t('ct.region_outside')) : null,
      h('p', { 'data-testid': 'region-chain' }, loc.region_chain.map((x) => x.name).join(' › ') || t('common.none')),
      agencies.length > 0 ? h('ul', {}, agencies.map(([type, id]) => h('li', {}, type, ': ', s.agencyNames.get(id) ?? id))) : null,
    );
  }

  function renderDuplicates(s: CallTakerState): void {
    const d = s.duplicates;
    if (d.status === 'none') return replace(dupBox);
    if (d.status === 'unavailable') return replace(dupBox, h('span', { class: 'muted' }, t('common.unavailable_endpoint')));
    if (d.status === 'failed') return replace(dupBox, h('span', { class: 'error' }, messageFor(d.error)));
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
              ),
            ),
          ),
    );
  }

  return {
    form,
    focusReporterName: () => i.reporterName.focus(),
    submit: () => form.requestSubmit(),
    render(next: CallTakerState, prev: CallTakerState | null): void {
      state = next;
      const d = next.draft;
      if (!prev || prev.draft !== d) {
        for (const [k, el] of Object.entries(inputs) as [DraftField, Input][]) if (el.value !== d[k]) el.value = d[k];
        if (!prev || prev.draft.pin !== d.pin) {
          location.textContent = d.pin ? `${d.pin.lat.toFixed(5)}, ${d.pin.lon.toFixed(5)}` : t('ct.location_missing');
          if (d.pin) location.removeAttribute('aria-invalid');
        }
      }
      const active = activeCall(next);
      if (active) useAml.disabled = !active.aml;
      if (!prev || prev.places !== next.places) renderPlaces(next);
      if (!prev || prev.region !== next.region || prev.agencyNames !== next.agencyNames) renderRegion(next);
      if (!prev || prev.duplicates !== next.duplicates) renderDuplicates(next);
      if (next.lastIncident) form.dataset['lastIncident'] = next.lastIncident;
    },
  };
}
