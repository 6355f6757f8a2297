//! The caller behind the call, and the calls to make back.
//!
//! * The caller history (`GET /api/v1/callers/{ani}`), drawn the moment a call rings: the number's earlier
//!   calls with class and time, the incidents they created or joined, the repeat-prank flag with the prank
//!   calls that make it, and its open call-back tasks. It follows the answered call, else the longest ringing.
//! * The call-back work list (`GET /api/v1/call-backs`): open tasks for dropped and silent calls (and those a
//!   colleague asked for), soonest due first, overdue ones marked; a call taker takes one, rings, and records
//!   the outcome. "No answer", "busy" and "phone off" put it back on the list for another attempt.
//!
//! Both are audited reads of a number, so they are read when needed (a new caller; a `call.call_back_*`
//! event), not polled. This module keeps its own data beside the console's state: the console tells it which
//! call to follow and when the list changed.

import type { CallBackOutcome, CallBackView, CallerHistoryView } from '../../api/types';
import { CALL_BACK_OUTCOMES } from '../../api/types';
import { lang, t, tk } from '../../i18n';
import { h, options, replace } from '../../ui/dom';
import { clearError, messageFor, showError } from '../../ui/errors';
import { clock } from '../../ui/format';

export interface CallersApi {
  get<T>(path: string): Promise<T | null>;
  post<T>(path: string, body?: unknown): Promise<T>;
  toast(message: string): void;
}

/** The call the history follows: its number and id (the call itself is left out of "earlier calls"). */
export interface FollowedCall {
  readonly ani: string;
  readonly id: string;
}

const DAY_MS = 86_400_000;

function when(at: number): string {
  return `${new Date(at).toLocaleDateString(lang() === 'id' ? 'id-ID' : 'en-GB')} ${clock(at)}`;
}

/** Whether an open task is past its due time at `now`. */
export function isOverdue(task: Pick<CallBackView, 'status' | 'due_at'>, now: number): boolean {
  return task.status === 'open' && now > task.due_at;
}

export function mountCallers(api: CallersApi, userId: string) {
  const historyBox = h('section', { class: 'caller-history card', 'data-testid': 'caller-history', 'aria-live': 'polite', hidden: true });
  const list = h('ul', { class: 'call-back-list', 'data-testid': 'call-backs', 'aria-live': 'polite' });
  const heading = h('h2', {});
  const section = h('section', { 'data-testid': 'call-back-section' }, heading, list);

  let followed: FollowedCall | null = null;
  let history: CallerHistoryView | null = null;
  let reads = 0;
  let tasks: CallBackView[] = [];
  const forms = new Map<string, HTMLFormElement>();

  function drawHistory(): void {
    if (!followed) {
      historyBox.hidden = true;
      replace(historyBox);
      return;
    }
    historyBox.hidden = false;
    const title = h('h3', {}, '🕘 ', t('ct.history_for', { ani: followed.ani }));
    if (!history || history.ani === '') {
      replace(historyBox, title, h('p', { class: 'muted' }, t('ct.history_loading')));
      return;
    }
    const current = followed.id;
    const earlier = history.calls.filter((c) => c.id !== current);
    const prank = history.prank;
    const days = Math.round(prank.window_ms / DAY_MS);
    const prankLine =
      prank.pranks_in_window > 0
        ? h(
            'div',
            { class: `history-prank${prank.flagged ? ' flagged' : ''}`, 'data-testid': 'history-prank', role: prank.flagged ? 'alert' : null },
            h('strong', {}, prank.flagged ? '⚠ ' : '', t(prank.flagged ? 'ct.history_prank_flagged' : 'ct.history_prank_some', { n: prank.pranks_in_window, days, threshold: prank.threshold })),
            h(
              'ul',
              {},
              prank.calls.map((c) => h('li', {}, t('ct.history_prank_call', { at: when(c.ring_at) }), c.notes ? ` — ${c.notes}` : '')),
            ),
          )
        : null;
    replace(
      historyBox,
      title,
      prankLine,
      earlier.length === 0
        ? h('p', { class: 'muted', 'data-testid': 'history-first' }, t('ct.history_first'))
        : [
            h('h4', {}, t('ct.history_calls', { n: earlier.length })),
            h(
              'ul',
              { 'data-testid': 'history-calls' },
              earlier.slice(0, 10).map((c) => h('li', {}, when(c.ring_at), ' · ', c.class ? tk('call_class', c.class) : tk('call_status', c.status))),
            ),
          ],
      history.incidents.length === 0
        ? null
        : [
            h('h4', {}, t('ct.history_incidents')),
            h(
              'ul',
              { 'data-testid': 'history-incidents' },
              history.incidents.map((i) => h('li', {}, h('strong', {}, i.number), ' · ', tk('category', i.category), ' · ', tk('incident_status', i.status))),
            ),
          ],
      history.call_backs.map((b) => h('p', { class: 'muted' }, '☎ ', t('ct.history_open_call_backs', { reason: tk('call_back_reason', b.reason), at: when(b.due_at) }))),
      askButton(followed.id),
    );
  }

  /** "Call back to confirm": a task to ring this caller back later (after the line closed, say). */
  function askButton(callId: string): HTMLElement {
    return h(
      'button',
      {
        type: 'button',
        class: 'btn',
        'data-testid': 'ask-call-back',
        onclick: () => {
          api
            .post<CallBackView>('/api/v1/call-backs', { call_id: callId })
            .then(async () => {
              api.toast(t('ct.call_back_asked'));
              await reload();
            })
            .catch((e: unknown) => api.toast(messageFor(e)));
        },
      },
      '☎ ',
      t('ct.call_back_ask'),
    );
  }

  function formOf(task: CallBackView): HTMLFormElement {
    const kept = forms.get(task.id);
    if (kept) return kept;
    const outcome = h('select', { name: 'outcome', 'aria-label': t('ct.call_back_outcome'), 'data-testid': 'call-back-outcome' }, options(CALL_BACK_OUTCOMES, (o) => tk('call_back_outcome', o)));
    const note = h('input', { name: 'note', 'aria-label': t('ct.call_back_note'), placeholder: t('ct.call_back_note'), autocomplete: 'off', maxlength: '500' });
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const form = h(
      'form',
      {
        class: 'call-back-form',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          clearError(error, form);
          const body = note.value.trim() ? { outcome: outcome.value as CallBackOutcome, note: note.value.trim() } : { outcome: outcome.value as CallBackOutcome };
          api
            .post<CallBackView>(`/api/v1/call-backs/${encodeURIComponent(task.id)}/outcome`, body)
            .then(async () => {
              forms.delete(task.id);
              api.toast(t('ct.call_back_recorded'));
              await reload();
            })
            .catch((e: unknown) => showError(error, e, form));
        },
      },
      outcome,
      note,
      h('button', { type: 'submit', class: 'btn', 'data-testid': 'call-back-record' }, '✓ ', t('ct.call_back_record')),
      error,
    );
    forms.set(task.id, form);
    return form;
  }

  function claimButton(task: CallBackView): HTMLElement {
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const button = h(
      'button',
      {
        type: 'button',
        class: 'btn',
        'data-testid': 'call-back-claim',
        onclick: () => {
          api
            .post<CallBackView>(`/api/v1/call-backs/${encodeURIComponent(task.id)}/claim`)
            .then(async (claimed) => {
              api.toast(t('ct.call_back_claimed', { ani: claimed.ani }));
              await reload();
            })
            .catch((e: unknown) => showError(error, e, button));
        },
      },
      '☎ ',
      t('ct.call_back_claim'),
    );
    return h('span', {}, button, error);
  }

  function drawCallBacks(): void {
    heading.replaceChildren('☎ ', t('ct.call_backs'));
    const now = Date.now();
    for (const id of forms.keys()) if (!tasks.some((task) => task.id === id && task.claimed_by === userId)) forms.delete(id);
    replace(
      list,
      tasks.length === 0
        ? h('li', { class: 'muted' }, t('ct.call_backs_none'))
        : tasks.map((task) => {
            const overdue = isOverdue(task, now);
            const mine = task.claimed_by === userId;
            return h(
              'li',
              { class: `call-back card${overdue ? ' due' : ''}`, 'data-call-back-id': task.id, 'data-overdue': String(overdue) },
              h('strong', {}, '☎ ', task.ani),
              ' · ',
              tk('call_back_reason', task.reason),
              ' · ',
              h('span', { class: overdue ? 'overdue' : '' }, t(overdue ? 'ct.call_back_overdue' : 'ct.call_back_due', { at: when(task.due_at) })),
              task.note ? h('p', { class: 'muted' }, task.note) : null,
              task.attempts > 0 ? h('p', { class: 'muted' }, t('ct.call_back_attempts', { n: task.attempts, outcome: tk('call_back_outcome', task.last_outcome) })) : null,
              mine ? formOf(task) : task.claimed_by ? h('p', { class: 'muted' }, t('ct.call_back_held')) : claimButton(task),
            );
          }),
    );
  }

  async function readHistory(): Promise<void> {
    const call = followed;
    if (!call) return;
    const mine = ++reads;
    const got = await api.get<CallerHistoryView>(`/api/v1/callers/${encodeURIComponent(call.ani)}`).catch(() => null);
    if (mine !== reads || followed !== call) return;
    history = got;
    drawHistory();
  }

  /** Re-reads the work list, and the followed caller's history (its open tasks may have changed). */
  async function reload(): Promise<void> {
    tasks = (await api.get<CallBackView[]>('/api/v1/call-backs?status=open&limit=50')) ?? [];
    drawCallBacks();
    if (followed) await readHistory();
  }

  // Overdue marks move with the clock.
  setInterval(drawCallBacks, 30_000);

  return {
    historyBox,
    section,
    /** Follows another call (or none): its caller's history is read when the number changes. */
    follow(call: FollowedCall | null): void {
      const same = call?.ani === followed?.ani && call?.id === followed?.id;
      if (same) return;
      const sameNumber = call !== null && followed !== null && call.ani === followed.ani;
      followed = call;
      if (!sameNumber) history = null;
      drawHistory();
      if (call && !sameNumber) void readHistory();
    },
    reload,
    /** Draws both again (after a language switch). */
    redraw(): void {
      forms.clear();
      drawHistory();
      drawCallBacks();
    },
  };
}
