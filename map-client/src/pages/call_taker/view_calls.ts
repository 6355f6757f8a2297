//! The call side of the console: the incoming-call queue, the answered call's card (ANI, AML, prank flag,
//! one-key classification, end call) and the form that registers a call by hand.

import type { CallClass, CallView } from '../../api/types';
import { t, tk } from '../../i18n';
import { h, options, replace } from '../../ui/dom';
import { clearError, showError } from '../../ui/errors';
import { clock } from '../../ui/format';
import { activeCall, CLASS_KEYS, type CallTakerState, waitingCalls } from './state';

export interface CallHandlers {
  answer(call: CallView): void;
  classify(cls: CallClass): void;
  endCall(): void;
  /** Registers a call by hand; rejects with the API error to show under the form. */
  register(ani: string, channel: string): Promise<void>;
}

export function mountCalls(handlers: CallHandlers) {
  const callList = h('ul', { class: 'call-list', 'data-testid': 'call-queue' });
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
      await handlers.register(manualAni.value.trim(), manualChannel.value);
      manualAni.value = '';
    } catch (e) {
      showError(manualError, e, manualForm);
    }
  });

  function renderList(state: CallTakerState): void {
    const waiting = waitingCalls(state);
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
                { type: 'button', class: `call-item${c.id === state.activeId ? ' selected' : ''}`, 'data-call-id': c.id, onclick: () => handlers.answer(c) },
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

  function renderCard(c: CallView | null): void {
    if (!c) {
      replace(callCard);
      callCard.hidden = true;
      return;
    }
    callCard.hidden = false;
    replace(
      callCard,
      h('h2', {}, '☎ ', c.ani),
      h('p', {}, tk('call_status', c.status), c.class ? ` · ${tk('call_class', c.class)}` : ''),
      c.prank_flag ? h('p', { class: 'warn', 'data-testid': 'prank-flag' }, '⚑ ', t('ct.prank_flag')) : null,
      h('p', {}, t('ct.aml'), ': ', c.aml ? `${c.aml.lat.toFixed(5)}, ${c.aml.lon.toFixed(5)} ${t('ct.aml_radius', { m: Math.round(c.aml.radius_m), method: 'AML' })}` : t('ct.aml_none')),
      c.status === 'ringing' ? h('button', { type: 'button', class: 'btn primary', onclick: () => handlers.answer(c) }, '☎ ', t('ct.answer'), ' [A]') : null,
      h(
        'div',
        { class: 'classify', role: 'group', 'aria-label': t('ct.classify') },
        Object.entries(CLASS_KEYS).map(([key, cls]) =>
          h('button', { type: 'button', class: 'btn', 'data-class': cls, disabled: c.status === 'ringing', onclick: () => handlers.classify(cls) }, `[${key}] `, tk('call_class', cls)),
        ),
      ),
      h('button', { type: 'button', class: 'btn ghost', onclick: () => handlers.endCall() }, '■ ', t('ct.end_call'), ' [Alt+E]'),
    );
  }

  return {
    callList,
    callCard,
    manualForm,
    render(state: CallTakerState, prev: CallTakerState | null): void {
      if (prev && prev.calls === state.calls && prev.activeId === state.activeId) return;
      renderList(state);
      const active = activeCall(state);
      if (!prev || activeCall(prev) !== active) renderCard(active);
    },
  };
}
