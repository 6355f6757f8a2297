//! The call side of the console: the agent's ready/AUX control, the incoming-call queue, the answered call's
//! card (ANI, AML, prank flag, the incident it was filed as, call notes, one-key classification with a
//! confirmation for the keys that end the call, end call) and the form that registers a call by hand.

import type { CallView } from '../../api/types';
import { t, tk } from '../../i18n';
import { h, options, replace } from '../../ui/dom';
import { clearError, showError } from '../../ui/errors';
import { clock } from '../../ui/format';
import { activeCall, AUX_REASONS, buttonShortcut, canRoute, canScheduleFollowUps, CLASS_KEYS, isOfferedToMe, routeLocus, type CallTakerState, type Ending, incidentNumberOf, type Shortcut, waitingCalls } from './state';

export interface CallHandlers {
  answer(call: CallView): void;
  /** A class button, the confirmation's buttons: the same actions as their keys. */
  act(shortcut: Shortcut): void;
  endCall(): void;
  notes(text: string): void;
  /** Sets this agent's state (`ready`, or `aux` with a reason); rejects with the API error. */
  setAgent(state: 'ready' | 'aux', reason: string | null): Promise<void>;
  /** Routes a tiered call by the caller's locus. */
  route(call: CallView): void;
  /** Enrolls the call for call-backs (its line has a programme). */
  scheduleFollowUps(call: CallView): void;
  /** Registers a call by hand; rejects with the API error to show under the form. */
  register(ani: string, channel: string): Promise<void>;
}

/** The question a pending ending asks, in plain words. */
export function endingQuestion(e: Ending): string {
  return e.kind === 'hang_up' ? t('ct.confirm_hang_up') : t('ct.confirm_class', { class: tk('call_class', e.cls) });
}

export function mountCalls(handlers: CallHandlers) {
  const callList = h('ul', { class: 'call-list', 'data-testid': 'call-queue' });
  const callCard = h('section', { class: 'call-card card', 'data-testid': 'call-card', 'aria-live': 'polite', hidden: true });
  const notes = h('textarea', { id: 'call-notes', name: 'notes', rows: 2, maxlength: 4000, 'data-testid': 'call-notes' });
  notes.addEventListener('input', () => handlers.notes(notes.value));

  // Ready / AUX with a reason.
  const agentSelect = h(
    'select',
    { id: 'agent-state', 'data-testid': 'agent-state' },
    h('option', { value: 'ready' }, '● ', t('ct.state_ready')),
    AUX_REASONS.map((r) => h('option', { value: `aux:${r}` }, '◐ ', t('ct.state_aux'), ': ', tk('aux_reason', r))),
  );
  const agentNow = h('span', { class: 'muted', 'data-testid': 'agent-now' });
  const agentError = h('p', { id: 'agent-error', class: 'error', role: 'alert', hidden: true });
  agentSelect.addEventListener('change', () => {
    clearError(agentError);
    const [state, reason] = agentSelect.value.split(':');
    handlers.setAgent(state === 'aux' ? 'aux' : 'ready', reason ?? null).catch((e: unknown) => showError(agentError, e));
  });
  const agentBox = h('div', { class: 'agent card', 'data-testid': 'agent' }, h('label', { for: 'agent-state' }, t('ct.state')), agentSelect, agentNow, agentError);

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
                c.status === 'ringing' ? tk('channel', c.channel) : tk('call_status', c.status),
                ' · ',
                clock(c.ring_at),
                c.prank_flag ? h('span', { class: 'flag' }, ' ⚑ ', t('ct.prank_flag')) : null,
                isOfferedToMe(state, c) ? h('span', { class: 'offer', 'data-testid': 'offered-to-me' }, ' ⇲ ', t('ct.offered_to_my_team')) : null,
              ),
            ),
          ),
    );
  }

  function renderCard(state: CallTakerState): void {
    const c = activeCall(state);
    if (!c) {
      replace(callCard);
      callCard.hidden = true;
      notes.value = '';
      return;
    }
    callCard.hidden = false;
    const answered = c.status === 'answered';
    const number = incidentNumberOf(state, c);
    const pending = state.work.pending;
    // Notes are written with the classification; afterwards they are the call's record.
    if (answered) {
      if (notes.value !== state.work.notes) notes.value = state.work.notes;
    }
    const typing = document.activeElement === notes ? notes.selectionStart : null;
    replace(
      callCard,
      h('h2', {}, '☎ ', c.ani),
      h('p', { 'data-testid': 'call-status' }, tk('call_status', c.status), c.class ? ` · ${tk('call_class', c.class)}` : ''),
      c.incident_id ? h('p', { class: 'incident-number', 'data-testid': 'call-incident' }, t('ct.call_incident', { number: number ?? '…' })) : null,
      c.prank_flag ? h('p', { class: 'warn', 'data-testid': 'prank-flag' }, '⚑ ', t('ct.prank_flag')) : null,
      h('p', {}, t('ct.aml'), ': ', c.aml ? `${c.aml.lat.toFixed(5)}, ${c.aml.lon.toFixed(5)} ${t('ct.aml_radius', { m: Math.round(c.aml.radius_m), method: 'AML' })}` : t('ct.aml_none')),
      c.status === 'ringing' ? h('button', { type: 'button', class: 'btn primary', onclick: () => handlers.answer(c) }, '☎ ', t(isOfferedToMe(state, c) ? 'ct.take' : 'ct.answer'), ' [A]') : null,
      answered
        ? h('div', { class: 'field' }, h('label', { for: 'call-notes' }, t('ct.notes')), notes, h('p', { class: 'muted small' }, t('ct.notes_hint')))
        : c.notes
          ? h('p', { 'data-testid': 'call-notes-saved' }, h('strong', {}, t('ct.notes'), ': '), c.notes)
          : null,
      pending
        ? h(
            'div',
            { class: 'confirm notice', role: 'alertdialog', 'aria-label': endingQuestion(pending), 'data-testid': 'confirm-ending' },
            h('p', {}, endingQuestion(pending)),
            h(
              'div',
              { class: 'row' },
              h('button', { type: 'button', class: 'btn danger', 'data-testid': 'confirm-yes', onclick: () => handlers.act({ kind: 'confirm', ending: pending }) }, t('ct.confirm_yes'), ' [Enter]'),
              h('button', { type: 'button', class: 'btn', 'data-testid': 'confirm-no', onclick: () => handlers.act({ kind: 'cancel' }) }, t('disp.cancel'), ' [Esc]'),
            ),
          )
        : null,
      answered
        ? h(
            'div',
            { class: 'classify', role: 'group', 'aria-label': t('ct.classify') },
            Object.entries(CLASS_KEYS).map(([key, cls]) =>
              h('button', { type: 'button', class: 'btn', 'data-class': cls, onclick: () => handlers.act(buttonShortcut(cls)) }, `[${key}] `, tk('call_class', cls)),
            ),
          )
        : null,
      state.tieredLines.has(c.service_line)
        ? h(
            'p',
            { 'data-testid': 'call-route' },
            c.route.tier === 'regional' && c.route.team_id ? t(c.route.taken_at ? 'ct.route_taken' : 'ct.route_regional', { team: c.route.team_id }) : t('ct.route_central'),
          )
        : null,
      canRoute(state, c)
        ? h(
            'button',
            { type: 'button', class: 'btn', 'data-testid': 'route-call', disabled: routeLocus(state, c) === null, title: routeLocus(state, c) ? '' : t('ct.route_needs_locus'), onclick: () => handlers.route(c) },
            '⇲ ',
            t('ct.route'),
          )
        : null,
      canScheduleFollowUps(state, c)
        ? h('button', { type: 'button', class: 'btn', 'data-testid': 'schedule-follow-ups', onclick: () => handlers.scheduleFollowUps(c) }, '↻ ', t('ct.follow_up_schedule'))
        : null,
      c.status !== 'ringing' ? h('button', { type: 'button', class: 'btn ghost', onclick: () => handlers.endCall() }, '■ ', t('ct.end_call'), ' [Alt+E]') : null,
    );
    // A redraw moves the notes box; whoever was typing in it keeps typing.
    if (typing !== null && notes.isConnected) {
      notes.focus();
      notes.setSelectionRange(typing, typing);
    }
  }

  function renderAgent(state: CallTakerState): void {
    const a = state.agent;
    const value = a?.state === 'aux' ? `aux:${a.reason ?? ''}` : 'ready';
    if ([...agentSelect.options].some((o) => o.value === value)) agentSelect.value = value;
    agentBox.dataset['state'] = a?.state ?? '';
    replace(agentNow, a ? `${tk('agent_state', a.state)}${a.state === 'aux' && a.reason ? ` · ${tk('aux_reason', a.reason)}` : ''}` : '');
  }

  return {
    agentBox,
    callList,
    callCard,
    manualForm,
    render(state: CallTakerState, prev: CallTakerState | null): void {
      if (!prev || prev.agent !== state.agent) renderAgent(state);
      if (prev && prev.calls === state.calls && prev.activeId === state.activeId && prev.filed === state.filed && prev.linked === state.linked && prev.followUpLines === state.followUpLines && prev.tieredLines === state.tieredLines && prev.work.draft.pin === state.work.draft.pin && prev.work.pending === state.work.pending && prev.work.serial === state.work.serial) return;
      renderList(state);
      renderCard(state);
    },
  };
}
