//! Incidents every OPD sent back, each with the OPDs' reasons and a form that escalates it to another OPD
//! (or again to one that refused it) with a note for its desk. The forms are kept across redraws, so a choice
//! or a note being typed survives live updates, with its focus and caret.

import type { IncidentView } from '../../api/types';
import { t, tk } from '../../i18n';
import { h, replace } from '../../ui/dom';
import { clearError, showError } from '../../ui/errors';
import { type CallTakerState, returnedList } from './state';

export interface ReturnedHandlers {
  /** Escalates the incident; rejects with the API error to show in its form. */
  escalate(incidentId: string, agencyId: string, note: string | null): Promise<void>;
}

export function mountReturned(list: HTMLElement, handlers: ReturnedHandlers) {
  const forms = new Map<string, HTMLFormElement>();
  let agencyNames: ReadonlyMap<string, string> = new Map();

  function agencyOptions(): HTMLOptionElement[] {
    return [...agencyNames].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => h('option', { value: id }, name));
  }

  function escalateForm(inc: IncidentView): HTMLFormElement {
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
          handlers.escalate(inc.id, agency.value, note.value.trim() || null).catch((e: unknown) => showError(error, e, form));
        },
      },
      agency,
      note,
      h('button', { type: 'submit' }, '⇪ ', t('ct.escalate')),
      error,
    );
    return form;
  }

  function formOf(inc: IncidentView): HTMLFormElement {
    let form = forms.get(inc.id);
    if (!form) forms.set(inc.id, (form = escalateForm(inc)));
    return form;
  }

  return {
    render(state: CallTakerState, prev: CallTakerState | null): void {
      if (prev && prev.returned === state.returned && prev.returnedRead === state.returnedRead && prev.agencyNames === state.agencyNames) return;
      if (agencyNames !== state.agencyNames) {
        agencyNames = state.agencyNames;
        // Forms drawn before the agency list arrived get their choices now.
        for (const form of forms.values()) {
          const select = form.querySelector('select');
          if (select && select.options.length === 0) select.append(...agencyOptions());
        }
      }
      for (const id of forms.keys()) if (!state.returned.has(id)) forms.delete(id);
      const current = document.activeElement;
      const focused = current instanceof HTMLElement && list.contains(current) ? current : null;
      const caret = focused instanceof HTMLInputElement ? focused.selectionStart : null;
      const incidents = returnedList(state);
      // Until the first read the desk does not know; it says so rather than "none sent back".
      list.setAttribute('aria-busy', String(!state.returnedRead));
      replace(
        list,
        !state.returnedRead
          ? h('li', { class: 'muted' }, t('app.loading'))
          : incidents.length === 0
          ? h('li', { class: 'muted' }, t('ct.returned_none'))
          : incidents.map((inc) =>
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
                    .map((a) =>
                      h('li', { 'data-testid': 'return-reason' }, t('ct.returned_reason', { agency: state.agencyNames.get(a.agency_id) ?? tk('agency_type', a.agency_type), reason: a.reason ?? '—' })),
                    ),
                ),
                formOf(inc),
              ),
            ),
      );
      // Redrawing moves the kept forms; give the focus (and caret) back to whatever was being typed in.
      if (focused && focused.isConnected && document.activeElement !== focused) {
        focused.focus();
        if (focused instanceof HTMLInputElement && caret !== null) focused.setSelectionRange(caret, caret);
      }
    },
  };
}
