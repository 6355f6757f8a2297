//! The follow-up work list: pending call-backs of lines with a programme, soonest due first, each with the
//! number to call and a form that records the outcome (and a note). A form being filled in survives live
//! redraws, as the returned incidents' forms do.

import type { FollowUpOutcome, FollowUpView } from '../../api/types';
import { FOLLOW_UP_OUTCOMES } from '../../api/types';
import { lang, t, tk } from '../../i18n';
import { h, options, replace } from '../../ui/dom';
import { clearError, showError } from '../../ui/errors';
import { clock } from '../../ui/format';
import { type CallTakerState, isDue } from './state';

export interface FollowUpHandlers {
  /** Records an outcome; rejects with the API error to show in the task's form. */
  record(id: string, outcome: FollowUpOutcome, note: string | null): Promise<void>;
}

export function mountFollowUps(list: HTMLElement, handlers: FollowUpHandlers) {
  const forms = new Map<string, HTMLFormElement>();

  function formOf(task: FollowUpView): HTMLFormElement {
    const kept = forms.get(task.id);
    if (kept) return kept;
    const outcome = h('select', { name: 'outcome', 'aria-label': t('ct.follow_up_outcome'), 'data-testid': 'follow-up-outcome' }, options(FOLLOW_UP_OUTCOMES, (o) => tk('follow_up_outcome', o)));
    const note = h('input', { name: 'note', 'aria-label': t('ct.follow_up_note'), placeholder: t('ct.follow_up_note'), autocomplete: 'off', maxlength: '500' });
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const form = h(
      'form',
      {
        class: 'follow-up-form',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          clearError(error, form);
          handlers.record(task.id, outcome.value as FollowUpOutcome, note.value.trim() || null).catch((e: unknown) => showError(error, e, form));
        },
      },
      outcome,
      note,
      h('button', { type: 'submit', class: 'btn', 'data-testid': 'follow-up-record' }, '✓ ', t('ct.follow_up_record')),
      error,
    );
    forms.set(task.id, form);
    return form;
  }

  return {
    render(state: CallTakerState, prev: CallTakerState | null, now: number): void {
      if (prev && prev.followUps === state.followUps) return;
      for (const id of forms.keys()) if (!state.followUps.some((f) => f.id === id)) forms.delete(id);
      replace(
        list,
        state.followUps.length === 0
          ? h('li', { class: 'muted' }, t('ct.follow_ups_none'))
          : state.followUps.map((task) =>
              h(
                'li',
                { class: `follow-up card${isDue(task, now) ? ' due' : ''}`, 'data-follow-up-id': task.id },
                h('strong', {}, '☎ ', task.ani),
                ' · ',
                t('ct.follow_up_nth', { n: task.ordinal }),
                ' · ',
                t(isDue(task, now) ? 'ct.follow_up_due_now' : 'ct.follow_up_due', { at: `${new Date(task.due_at).toLocaleDateString(lang() === 'id' ? 'id-ID' : 'en-GB')} ${clock(task.due_at)}` }),
                formOf(task),
              ),
            ),
      );
    },
  };
}
