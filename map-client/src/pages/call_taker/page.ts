//! Call-taker console, keyboard first: the incoming-call queue (ANI, AML circle, prank flag), one-key
//! classification, and the SOP incident form with a map pin. Before submitting, the console shows the region
//! and receiving agencies for the pin (geo locate) and nearby incidents that may be the same one. Incidents
//! every OPD sent back (rejected) are listed with each OPD's reason, live.

import { get, getOptional, post } from '../../api/client';
import type { CallClass, CallView, CreateIncident, DuplicateView, IncidentView, Located, LonLat, PlaceView } from '../../api/types';
import { CATEGORIES, PRIORITIES, VICTIM_CONDITIONS } from '../../api/types';
import { t, tk } from '../../i18n';
import type { LiveEvent } from '../../live/events';
import { connectLive } from '../../live/connect';
import { createMap, fitTo, geojsonPoints, maplibregl } from '../../map/map';
import { mountAml } from '../../map/layers/aml';
import { mountBoundaries } from '../../map/layers/boundaries';
import { PRIORITY_COLOUR } from '../../map/symbology';
import type { PageContext } from '../../main';
import { h, options, replace } from '../../ui/dom';
import { clearError, messageFor, showError } from '../../ui/errors';
import { clock, km } from '../../ui/format';
import { mountShell } from '../../ui/shell';

const CLASS_KEYS: Record<string, CallClass> = {
  '1': 'emergency',
  '2': 'information',
  '3': 'prank',
  '4': 'ghost',
  '5': 'wrong_number',
  '6': 'abandoned',
};

export async function mount({ root, user }: PageContext): Promise<void> {
  const shell = mountShell(root, user, t('ct.title'));
  const calls = new Map<string, CallView>();
  let active: CallView | null = null;
  let pin: LonLat | null = null;

  const callList = h('ul', { class: 'call-list', 'data-testid': 'call-queue' });
  const returnedList = h('ul', { class: 'returned-list', 'data-testid': 'returned', 'aria-live': 'polite' });
  const returned = new Map<string, IncidentView>();
  const callCard = h('section', { class: 'call-card card', 'data-testid': 'call-card', 'aria-live': 'polite' });
  const manualAni = h('input', { name: 'ani', id: 'manual-ani', inputmode: 'tel', autocomplete: 'off' });
  const manualChannel = h('select', { id: 'manual-channel', name: 'channel' }, options(['voice', 'sms', 'social_media', 'web'], (c) => tk('channel', c)));
  const manualError = h('p', { id: 'manual-error', class: 'error', role: 'alert', hidden: true });
  const manualForm = h(
    'form',
    { class: 'manual card', 'data-testid': 'manual-call' },
    h('h2', {}, t('ct.manual_call')),
    h('label', { for: 'manual-ani' }, t('ct.manual_ani')),
    manualAni,
    h('label', { for: 'manual-channel' }, t('ct.manual_channel')),
    manualChannel,
    manualError,
    h('button', { type: 'submit', class: 'btn' }, '☎ ', t('ct.create_call')),
  );
  manualForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(manualError, manualForm);
    try {
      const call = await post<CallView>('/api/v1/calls', { ani: manualAni.value.trim(), channel: manualChannel.value, service_line: '112' });
      calls.set(call.id, call);
      manualAni.value = '';
      renderCalls();
      await answer(call);
    } catch (e) {
      showError(manualError, e, manualForm);
    }
  });

  // The incident form. Inputs are named by their JSON path so a server `field` focuses the right one.
  const f = {
    reporterName: h('input', { id: 'reporter-name', name: 'reporter.name', autocomplete: 'off' }),
    reporterPhone: h('input', { id: 'reporter-phone', name: 'reporter.phone', inputmode: 'tel', autocomplete: 'off' }),
    reporterAddress: h('input', { id: 'reporter-address', name: 'reporter.address', autocomplete: 'off' }),
    address: h('input', { id: 'address', name: 'address', autocomplete: 'off' }),
    category: h('select', { id: 'category', name: 'category' }, options(CATEGORIES, (c) => tk('category', c))),
    subcategory: h('input', { id: 'subcategory', name: 'subcategory', autocomplete: 'off' }),
    priority: h('select', { id: 'priority', name: 'priority' }, options(PRIORITIES, (p) => tk('priority', p), 'p2')),
    victimsCount: h('input', { id: 'victims-count', name: 'victims.count', type: 'number', min: 0, value: 0 }),
    victimsCondition: h('select', { id: 'victims-condition', name: 'victims.condition' }, options(VICTIM_CONDITIONS, (c) => tk('condition', c))),
    description: h('textarea', { id: 'description', name: 'description', rows: 3 }),
    location: h('output', { id: 'location', name: 'location', 'data-field': 'location', tabindex: '0', class: 'location-out' }, t('ct.location_missing')),
  };
  const regionBox = h('div', { class: 'region', 'data-testid': 'region', 'aria-live': 'polite' }, t('ct.region_pending'));
  const dupBox = h('div', { class: 'dups', 'data-testid': 'duplicates', 'aria-live': 'polite' });
  const formError = h('p', { id: 'form-error', class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'submit-incident' }, '➤ ', t('ct.submit'));
  const useAml = h('button', { type: 'button', class: 'btn', 'data-testid': 'use-aml', disabled: true }, '◎ ', t('ct.use_aml'));
  const field = (id: string, label: string, input: HTMLElement) => h('div', { class: 'field' }, h('label', { for: id }, label), input);
  // Address search over the gazetteer (regions and faskes), keyboard first: type, ↓/↑ to choose, Enter to pin.
  const placeInput = h('input', {
    id: 'place-search',
    type: 'search',
    autocomplete: 'off',
    role: 'combobox',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': 'place-results',
    placeholder: t('ct.place_search_hint'),
  });
  const placeList = h('ul', { id: 'place-results', role: 'listbox', class: 'place-results', 'data-testid': 'place-results', hidden: true });
  const placeSearch = h('div', { class: 'place-search' }, field('place-search', t('ct.place_search'), placeInput), placeList);
  const form = h(
    'form',
    { class: 'incident-form card', 'data-testid': 'incident-form', novalidate: true },
    h('h2', {}, t('ct.form')),
    h(
      'fieldset',
      {},
      h('legend', {}, t('ct.reporter')),
      field('reporter-name', t('ct.reporter_name'), f.reporterName),
      field('reporter-phone', t('ct.reporter_phone'), f.reporterPhone),
      field('reporter-address', t('ct.reporter_address'), f.reporterAddress),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('ct.location')),
      h('p', { class: 'muted' }, t('ct.location_hint')),
      f.location,
      useAml,
      placeSearch,
      field('address', t('ct.address'), f.address),
      h('h3', {}, t('ct.region')),
      regionBox,
    ),
    h(
      'div',
      { class: 'grid2' },
      field('category', t('ct.category'), f.category),
      field('subcategory', t('ct.subcategory'), f.subcategory),
      field('priority', t('ct.priority'), f.priority),
      field('victims-count', t('ct.victims_count'), f.victimsCount),
      field('victims-condition', t('ct.victims_condition'), f.victimsCondition),
    ),
    field('description', t('ct.description'), f.description),
    h('h3', {}, t('ct.duplicates')),
    dupBox,
    formError,
    submit,
  );

  let places: PlaceView[] = [];
  let placeActive = -1;
  let placeSeq = 0;
  let placeTimer: ReturnType<typeof setTimeout> | null = null;

  function renderPlaces(): void {
    placeInput.setAttribute('aria-expanded', String(places.length > 0));
    placeList.hidden = places.length === 0;
    if (placeActive >= 0) placeInput.setAttribute('aria-activedescendant', `place-${placeActive}`);
    else placeInput.removeAttribute('aria-activedescendant');
    replace(
      placeList,
      places.map((p, i) =>
        h(
          'li',
          { id: `place-${i}`, role: 'option', 'aria-selected': String(i === placeActive), class: i === placeActive ? 'active' : '', onmousedown: (e: Event) => (e.preventDefault(), void choosePlace(p)) },
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

  async function choosePlace(p: PlaceView): Promise<void> {
    places = [];
    placeActive = -1;
    renderPlaces();
    placeInput.value = p.name;
    if (!f.address.value.trim()) f.address.value = p.context ? `${p.name}, ${p.context}` : p.name;
    map.flyTo({ center: [p.position.lon, p.position.lat], zoom: p.kind === 'facility' ? 16 : 14 });
    await setPin(p.position);
  }

  placeInput.addEventListener('input', () => {
    if (placeTimer) clearTimeout(placeTimer);
    const q = placeInput.value.trim();
    if (q.length < 2) {
      places = [];
      renderPlaces();
      return;
    }
    placeTimer = setTimeout(() => {
      const seq = ++placeSeq;
      // Same-named places recur across the archipelago: rank those near the caller's AML fix (or the map) first.
      const near = active?.aml ? { lon: active.aml.lon, lat: active.aml.lat } : { lon: map.getCenter().lng, lat: map.getCenter().lat };
      get<PlaceView[]>(`/api/v1/geo/search?q=${encodeURIComponent(q)}&lon=${near.lon}&lat=${near.lat}`)
        .then((found) => {
          if (seq !== placeSeq) return;
          places = found;
          placeActive = found.length > 0 ? 0 : -1;
          renderPlaces();
          if (found.length === 0) replace(placeList, h('li', { class: 'muted' }, t('ct.place_none')));
          placeList.hidden = false;
        })
        .catch((e: unknown) => {
          replace(placeList, h('li', { class: 'error' }, messageFor(e)));
          placeList.hidden = false;
        });
    }, 200);
  });
  placeInput.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (places.length === 0) return;
      e.preventDefault();
      placeActive = (placeActive + (e.key === 'ArrowDown' ? 1 : places.length - 1)) % places.length;
      renderPlaces();
    } else if (e.key === 'Enter') {
      // Enter picks a place; it never submits the incident form from here.
      e.preventDefault();
      const p = places[placeActive];
      if (p) void choosePlace(p);
    } else if (e.key === 'Escape') {
      places = [];
      renderPlaces();
    }
  });

  const mapBox = h('div', { class: 'map', 'data-testid': 'map', role: 'region', 'aria-label': t('ct.location') });
  replace(
    shell.main,
    h('p', { class: 'shortcuts', 'data-testid': 'shortcuts' }, '⌨ ', t('ct.shortcuts')),
    h(
      'div',
      { class: 'console' },
      h('aside', { class: 'side' }, h('h2', {}, t('ct.queue')), callList, callCard, manualForm, h('h2', {}, '↩ ', t('ct.returned')), returnedList),
      h('div', { class: 'console-main' }, mapBox, form),
    ),
  );

  const map = await createMap(mapBox);
  const boundaries = mountBoundaries(map);
  const aml = mountAml(map);
  void getOptional<GeoJSON.FeatureCollection>('/api/v1/geo/regions.geojson?level=district')
    .then((fc) => {
      if (fc) {
        boundaries.update(fc);
        fitTo(map, geojsonPoints(fc));
      }
    })
    .catch(() => undefined);
  const marker = new maplibregl.Marker({ draggable: true, color: '#b71c1c' });
  marker.on('dragend', () => {
    const ll = marker.getLngLat();
    void setPin({ lon: ll.lng, lat: ll.lat });
  });
  map.on('click', (e) => void setPin({ lon: e.lngLat.lng, lat: e.lngLat.lat }));
  f.priority.addEventListener('change', () => (f.priority.style.borderLeft = `8px solid ${PRIORITY_COLOUR[f.priority.value] ?? '#000'}`));
  f.category.addEventListener('change', () => void refreshDuplicates());
  useAml.addEventListener('click', () => {
    if (active?.aml) void setPin({ lon: active.aml.lon, lat: active.aml.lat });
  });

  let locateSeq = 0;
  async function setPin(p: LonLat): Promise<void> {
    pin = p;
    marker.setLngLat([p.lon, p.lat]).addTo(map);
    f.location.textContent = `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}`;
    f.location.removeAttribute('aria-invalid');
    const seq = ++locateSeq;
    replace(regionBox, t('app.loading'));
    try {
      const loc = await getOptional<Located>(`/api/v1/geo/locate?lat=${p.lat}&lon=${p.lon}`);
      if (seq !== locateSeq) return;
      if (!loc) {
        replace(regionBox, h('span', { class: 'muted' }, t('common.unavailable_endpoint')));
      } else {
        const agencies = Object.entries(loc.agencies ?? {});
        replace(
          regionBox,
          loc.outside ? h('p', { class: 'warn', role: 'alert' }, '⚠ ', t('ct.region_outside')) : null,
          h('p', { 'data-testid': 'region-chain' }, loc.region_chain.map((r) => r.name).join(' › ') || t('common.none')),
          agencies.length > 0 ? h('ul', {}, agencies.map(([type, id]) => h('li', {}, type, ': ', agencyNames.get(id) ?? id))) : null,
        );
      }
    } catch (e) {
      if (seq === locateSeq) replace(regionBox, h('span', { class: 'error' }, messageFor(e)));
    }
    await refreshDuplicates();
  }

  async function refreshDuplicates(): Promise<void> {
    if (!pin) return;
    try {
      const list = await getOptional<DuplicateView[]>(
        `/api/v1/incidents/duplicates?lon=${pin.lon}&lat=${pin.lat}&category=${encodeURIComponent(f.category.value)}`,
      );
      if (list === null) {
        replace(dupBox, h('span', { class: 'muted' }, t('common.unavailable_endpoint')));
        return;
      }
      replace(
        dupBox,
        list.length === 0
          ? h('p', { class: 'muted' }, t('ct.no_duplicates'))
          : h(
              'ul',
              {},
              list.map((i) =>
                h('li', { 'data-incident-id': i.incident_id }, h('strong', {}, i.number), ' · ', tk('incident_status', i.status), ' · ', t('common.km', { km: km(i.distance_m) }), ' · ', t('common.minutes_ago', { n: Math.round(i.time_gap_ms / 60_000) })),
              ),
            ),
      );
    } catch (e) {
      replace(dupBox, h('span', { class: 'error' }, messageFor(e)));
    }
  }

  const agencyNames = new Map<string, string>();
  const escalateForms = new Map<string, HTMLElement>();
  void get<{ id: string; name: string }[]>('/api/v1/agencies')
    .then((list) => {
      list.forEach((a) => agencyNames.set(a.id, a.name));
      // Forms drawn before the list arrived get their choices now.
      escalateForms.forEach((form) => {
        const select = form.querySelector('select');
        if (select && select.options.length === 0) select.append(...agencyOptions());
      });
      renderReturned();
    })
    .catch(() => undefined);

  /**
   * Re-reads the open incidents and keeps those sent back. The list leaves the reporter out, so watching it
   * does not read personal data.
   */
  async function loadReturned(announce: boolean): Promise<void> {
    const list = (await getOptional<IncidentView[]>('/api/v1/incidents')) ?? [];
    const before = new Set(returned.keys());
    returned.clear();
    for (const inc of list) if (inc.status === 'rejected') returned.set(inc.id, inc);
    for (const id of escalateForms.keys()) if (!returned.has(id)) escalateForms.delete(id);
    if (announce) for (const inc of returned.values()) if (!before.has(inc.id)) shell.toast(t('ct.returned_toast', { number: inc.number }), 'error');
    renderReturned();
  }

  function renderReturned(): void {
    const current = document.activeElement;
    const focused = current instanceof HTMLElement && returnedList.contains(current) ? current : null;
    const caret = focused instanceof HTMLInputElement ? focused.selectionStart : null;
    const list = [...returned.values()].sort((a, b) => b.updated_at - a.updated_at);
    replace(
      returnedList,
      list.length === 0
        ? h('li', { class: 'muted' }, t('ct.returned_none'))
        : list.map((inc) =>
            h(
              'li',
              { class: 'returned card', 'data-incident-id': inc.id, 'data-number': inc.number },
              h('strong', {}, '↩ ', inc.number),
              ' · ',
              tk('category', inc.category),
              ' · ',
              tk('incident_status', inc.status),
              inc.address ? h('div', { class: 'muted' }, inc.address) : null,
              h(
                'ul',
                { class: 'reasons' },
                inc.agencies
                  .filter((a) => a.status === 'rejected')
                  .map((a) => h('li', { 'data-testid': 'return-reason' }, t('ct.returned_reason', { agency: agencyNames.get(a.agency_id) ?? a.agency_type, reason: a.reason ?? '—' }))),
              ),
              escalateFormOf(inc),
            ),
          ),
    );
    // Re-rendering moves the kept forms; give the focus (and caret) back to whatever was being typed in.
    if (focused && focused.isConnected && document.activeElement !== focused) {
      focused.focus();
      if (focused instanceof HTMLInputElement && caret !== null) focused.setSelectionRange(caret, caret);
    }
  }

  function agencyOptions(): HTMLOptionElement[] {
    return [...agencyNames].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => h('option', { value: id }, name));
  }

  /** The card's form, kept across re-renders so a choice or a note being typed survives live updates. */
  function escalateFormOf(inc: IncidentView): HTMLElement {
    let form = escalateForms.get(inc.id);
    if (!form) escalateForms.set(inc.id, (form = escalateForm(inc)));
    return form;
  }

  /** Sends a returned incident to another OPD (or again to one that refused it), with a note for its desk. */
  function escalateForm(inc: IncidentView): HTMLElement {
    const agency = h('select', { name: 'agency_ids', 'aria-label': t('ct.escalate_to'), 'data-testid': 'escalate-agency' }, agencyOptions());
    const note = h('input', { name: 'note', 'aria-label': t('ct.escalate_note'), placeholder: t('ct.escalate_note'), autocomplete: 'off', maxlength: '500' });
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const form = h(
      'form',
      {
        class: 'escalate',
        'data-testid': 'escalate-form',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          clearError(error, form);
          void post<IncidentView>(`/api/v1/incidents/${encodeURIComponent(inc.id)}/escalate`, {
            agency_ids: [agency.value],
            note: note.value.trim() || null,
          })
            .then((after) => {
              shell.toast(t('ct.escalated', { number: after.number, agency: agencyNames.get(agency.value) ?? '' }), 'info');
              return loadReturned(false);
            })
            .catch((e: unknown) => showError(error, e, form));
        },
      },
      agency,
      note,
      h('button', { type: 'submit' }, '⇪ ', t('ct.escalate')),
      error,
    );
    return form;
  }

  function renderCalls(): void {
    const waiting = [...calls.values()].filter((c) => c.status === 'ringing' || c.id === active?.id).sort((a, b) => a.ring_at - b.ring_at);
    replace(
      callList,
      waiting.length === 0
        ? h('li', { class: 'muted' }, t('ct.no_calls'))
        : waiting.map((c) =>
            h(
              'li',
              {},
              h(
                'button',
                { type: 'button', class: `call-item${c.id === active?.id ? ' selected' : ''}`, 'data-call-id': c.id, onclick: () => void answer(c) },
                c.status === 'ringing' ? '☎ ' : '☏ ',
                c.ani,
                ' · ',
                tk('channel', c.channel),
                ' · ',
                clock(c.ring_at),
                c.prank_flag ? h('span', { class: 'flag' }, ' ⚑ ', t('ct.prank_flag')) : null,
              ),
            ),
          ),
    );
  }

  function renderCard(): void {
    if (!active) {
      replace(callCard);
      callCard.hidden = true;
      return;
    }
    const c = active;
    callCard.hidden = false;
    useAml.disabled = !c.aml;
    replace(
      callCard,
      h('h2', {}, '☎ ', c.ani),
      h('p', {}, tk('call_status', c.status), c.class ? ` · ${tk('call_class', c.class)}` : ''),
      c.prank_flag ? h('p', { class: 'warn', 'data-testid': 'prank-flag' }, '⚑ ', t('ct.prank_flag')) : null,
      h('p', {}, t('ct.aml'), ': ', c.aml ? `${c.aml.lat.toFixed(5)}, ${c.aml.lon.toFixed(5)} ${t('ct.aml_radius', { m: Math.round(c.aml.radius_m), method: 'AML' })}` : t('ct.aml_none')),
      c.status === 'ringing' ? h('button', { type: 'button', class: 'btn primary', onclick: () => void answer(c) }, '☎ ', t('ct.answer'), ' [A]') : null,
      h(
        'div',
        { class: 'classify', role: 'group', 'aria-label': t('ct.classify') },
        Object.entries(CLASS_KEYS).map(([key, cls]) =>
          h('button', { type: 'button', class: 'btn', 'data-class': cls, disabled: c.status === 'ringing', onclick: () => void classify(cls) }, `[${key}] `, tk('call_class', cls)),
        ),
      ),
      h('button', { type: 'button', class: 'btn ghost', onclick: () => void endCall() }, '■ ', t('ct.end_call'), ' [Alt+E]'),
    );
  }

  async function answer(c: CallView): Promise<void> {
    try {
      active = c.status === 'ringing' ? await post<CallView>(`/api/v1/calls/${encodeURIComponent(c.id)}/answer`) : c;
      calls.set(active.id, active);
      aml.update(active.aml ?? null);
      if (active.aml) {
        map.easeTo({ center: [active.aml.lon, active.aml.lat], zoom: 15 });
        await setPin({ lon: active.aml.lon, lat: active.aml.lat });
      }
      if (active.ani && !f.reporterPhone.value) f.reporterPhone.value = active.ani;
      renderCalls();
      renderCard();
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  async function classify(cls: CallClass): Promise<void> {
    if (!active) return;
    try {
      active = await post<CallView>(`/api/v1/calls/${encodeURIComponent(active.id)}/classify`, { class: cls });
      calls.set(active.id, active);
      renderCard();
      if (cls === 'emergency') f.reporterName.focus();
      else await endCall();
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  async function endCall(): Promise<void> {
    if (!active) return;
    try {
      const ended = await post<CallView>(`/api/v1/calls/${encodeURIComponent(active.id)}/end`);
      calls.set(ended.id, ended);
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
    active = null;
    aml.update(null);
    renderCalls();
    renderCard();
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(formError, form);
    if (!pin) {
      formError.textContent = t('ct.location_missing');
      formError.hidden = false;
      f.location.setAttribute('aria-invalid', 'true');
      f.location.focus();
      return;
    }
    const body: CreateIncident = {
      category: f.category.value as CreateIncident['category'],
      priority: f.priority.value as CreateIncident['priority'],
      location: pin,
      victims: { count: Number(f.victimsCount.value || 0), condition: f.victimsCondition.value as CreateIncident['victims']['condition'] },
    };
    if (active) body.call_id = active.id;
    if (active?.aml && pin.lon === active.aml.lon && pin.lat === active.aml.lat) body.accuracy_m = active.aml.radius_m;
    const opt = (v: string) => (v.trim() ? v.trim() : undefined);
    const reporter = { name: opt(f.reporterName.value), phone: opt(f.reporterPhone.value), address: opt(f.reporterAddress.value) };
    if (reporter.name || reporter.phone || reporter.address) body.reporter = JSON.parse(JSON.stringify(reporter)) as CreateIncident['reporter'];
    const sub = opt(f.subcategory.value);
    if (sub) body.subcategory = sub;
    const address = opt(f.address.value);
    if (address) body.address = address;
    const description = opt(f.description.value);
    if (description) body.description = description;
    submit.disabled = true;
    try {
      const inc = await post<IncidentView>('/api/v1/incidents', body);
      shell.toast(t('ct.submitted', { number: inc.number }));
      form.dataset['lastIncident'] = inc.number;
      form.reset();
      pin = null;
      marker.remove();
      f.location.textContent = t('ct.location_missing');
      replace(regionBox, t('ct.region_pending'));
      replace(dupBox);
    } catch (e) {
      showError(formError, e, form);
    } finally {
      submit.disabled = false;
    }
  });

  // Keyboard: shortcuts act unless the user is typing in a field (Ctrl/Alt combinations always act).
  addEventListener('keydown', (ev) => {
    const typing = ev.target instanceof HTMLElement && ev.target.closest('input, textarea, select') !== null;
    if (ev.ctrlKey && ev.key === 'Enter') {
      ev.preventDefault();
      form.requestSubmit();
      return;
    }
    if (ev.altKey && (ev.key === 'e' || ev.key === 'E')) {
      ev.preventDefault();
      void endCall();
      return;
    }
    if (typing || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    if (ev.key === 'a' || ev.key === 'A') {
      const next = active ?? [...calls.values()].filter((c) => c.status === 'ringing').sort((a, b) => a.ring_at - b.ring_at)[0];
      if (next) {
        ev.preventDefault();
        void answer(next);
      }
      return;
    }
    const cls = CLASS_KEYS[ev.key];
    if (cls && active && active.status !== 'ringing') {
      ev.preventDefault();
      void classify(cls);
    }
  });

  renderCalls();
  renderCard();
  connectLive({
    snapshot: async () => {
      const list = (await getOptional<CallView[]>('/api/v1/calls?status=ringing')) ?? [];
      for (const c of list) calls.set(c.id, c);
      renderCalls();
      await loadReturned(false);
    },
    onEvent: (e: LiveEvent) => {
      if (e.type.startsWith('incident.')) {
        const id = typeof e['incident_id'] === 'string' ? e['incident_id'] : null;
        if (e['status'] === 'rejected' || (id && returned.has(id))) void loadReturned(true).catch(() => undefined);
        return;
      }
      // `call.*` events carry no caller data (privacy); the call is read over REST, which is audited.
      if (!e.type.startsWith('call.')) return;
      const id = typeof e['call_id'] === 'string' ? e['call_id'] : null;
      if (!id) return;
      void get<CallView>(`/api/v1/calls/${encodeURIComponent(id)}`)
        .then((c) => {
          calls.set(c.id, c);
          if (active?.id === c.id) active = c;
          renderCalls();
          renderCard();
        })
        .catch(() => undefined);
    },
    onState: shell.setLive,
  });
  void post('/api/v1/agents/me/state', { state: 'ready' }).catch(() => undefined);
}
