//! A compact "cancel this incident" control for lists (the call taker's own incidents, the supervisor's open
//! incidents): a disclosure with the reason, the master's number for a duplicate, and the send button. The
//! request body is shaped by `domain/withdraw.ts`; the server decides whether the caller may.

import { CANCEL_REASONS, type CancelRequest } from '../api/types';
import { cancelBody } from '../domain/withdraw';
import { t, tk } from '../i18n';
import { h } from './dom';

export function cancelControl(incidentId: string, label: string, cancel: (id: string, body: CancelRequest) => Promise<boolean>): HTMLElement {
  const reason = h('select', { 'aria-label': t('cancel.reason'), name: 'reason' }, CANCEL_REASONS.map((r) => h('option', { value: r }, tk('cancel_reason', r))));
  const master = h('input', { type: 'text', name: 'duplicate_of', 'aria-label': t('cancel.duplicate_of'), placeholder: t('cancel.duplicate_of'), hidden: true });
  reason.addEventListener('change', () => {
    master.hidden = reason.value !== 'duplicate';
  });
  const send = h('button', { type: 'submit', class: 'btn danger', 'data-action': 'cancel-own' }, t('cancel.submit'));
  const form = h(
    'form',
    {
      class: 'row cancel-own',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const checked = cancelBody(reason.value as (typeof CANCEL_REASONS)[number], master.value, '');
        if (!checked.ok) {
          master.setAttribute('aria-invalid', 'true');
          master.focus();
          return;
        }
        send.disabled = true;
        void cancel(incidentId, checked.body).then((ok) => {
          if (!ok) send.disabled = false;
        });
      },
    },
    reason,
    master,
    send,
  );
  return h('details', { class: 'cancel-own' }, h('summary', {}, '⊘ ', label), form);
}
