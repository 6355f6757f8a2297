//! The incident timeline panel every screen showing an incident embeds (dispatcher detail, call taker's incident,
//! responder's assignment, supervisor's board): the ordered list of what happened and who did it, and a note
//! input. The list is loaded once per incident and kept current from the live socket: an
//! `incident.note_added` frame carries its entry and is merged in; any other frame about the shown incident
//! (its incident and assignment events, an SLA breach) reloads the list, whose entries are then merged by id,
//! so nothing is shown twice after a reconnect. The merge rules live in `domain/timeline.ts`.
//!
//! Sending is the page's: a desk posts at once, the phone queues the note in its outbox and tells the panel
//! which notes still wait there.

import { get, newIdempotencyKey, post } from '../api/client';
import { t, tk } from '../i18n';
import type { LiveEvent } from '../live/events';
import { emptyTimeline, loaded, mergeEntries, pendingNotes, rows, showIncident, type PendingNote, type Timeline, type TimelineEntry } from '../domain/timeline';
import { h, replace } from './dom';
import { clock } from './format';

/** A note's longest text, as the server takes it (`TimelineNote`). */
export const NOTE_MAX_CHARS = 2000;
/** How long the panel waits for a burst of frames about its incident to end before reloading once. */
const RELOAD_DELAY_MS = 250;

export interface TimelineOptions {
  /** The phone's compact layout. */
  readonly compact?: boolean;
  /** Reads the incident's stored timeline. */
  load(incidentId: string): Promise<TimelineEntry[]>;
  /** Sends (or queues) a note; resolves to the stored entry, or null when it was queued. Rejects on a refusal. */
  send(incidentId: string, text: string): Promise<TimelineEntry | null>;
  /** Tells the page a send failed (a toast). */
  failed(error: unknown): void;
}

export interface TimelinePanel {
  readonly el: HTMLElement;
  /** Shows the timeline of an incident (or hides the panel for null). */
  show(incidentId: string | null): void;
  /** Folds in one live frame. */
  onEvent(e: LiveEvent): void;
  /** Loads the shown incident's list again (after a reconnect's snapshot). */
  reload(): void;
  /** The notes of the shown incident still waiting in the outbox. */
  setPending(notes: PendingNote[]): void;
}

/** The incident a frame concerns, when the panel must look again; `sla.breach` names a clock's subject only. */
function concerns(e: LiveEvent, incidentId: string): boolean {
  switch (e.type) {
    case 'incident.created':
    case 'incident.updated':
    case 'incident.escalated':
    case 'incident.closed':
    case 'assignment.created':
    case 'assignment.status':
      return e.incident_id === incidentId;
    case 'sla.breach':
      return true;
    default:
      return false;
  }
}

function label(entry: TimelineEntry): string {
  const d = entry.detail as Record<string, unknown>;
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : null);
  switch (entry.kind) {
    case 'incident.updated':
      if (str('decision') === 'verified') return t('tl.verified');
      if (str('decision') === 'rejected') return t('tl.rejected');
      if (str('linked_call_id')) return t('tl.call_linked');
      return str('status') ? `${t('tl.kind.incident.updated')}: ${tk('incident_status', str('status'))}` : t('tl.kind.incident.updated');
    case 'assignment.status': {
      const from = str('from');
      const to = str('status');
      return `${entry.call_sign ?? ''} ${tk('assignment_status', from)} → ${tk('assignment_status', to)}`.trim();
    }
    case 'assignment.created':
      return `${t('tl.kind.assignment.created')} ${entry.call_sign ?? ''}`.trim();
    case 'sla.started':
    case 'sla.stopped':
    case 'sla.breach': {
      const kind = tk('sla', str('sla_kind'));
      const base = `${tk('tl.kind', entry.kind)}: ${kind}`;
      if (entry.kind === 'sla.stopped' && d['cancelled'] === true) return `${base} (${t('tl.cancelled')})`;
      if (entry.kind !== 'sla.stopped' || typeof d['met'] !== 'boolean') return base;
      return `${base} (${d['met'] ? t('tl.met') : t('tl.missed')})`;
    }
    default:
      return tk('tl.kind', entry.kind);
  }
}

function actor(entry: TimelineEntry): string {
  if (!entry.actor_id) return t('tl.system');
  const role = entry.actor_role ? tk('app.role', entry.actor_role) : '';
  const unit = entry.kind === 'note' && entry.call_sign ? ` · ${entry.call_sign}` : '';
  return `${entry.actor_name ?? ''}${role ? ` (${role})` : ''}${unit}`;
}

export function mountTimeline(opts: TimelineOptions): TimelinePanel {
  let state: Timeline = emptyTimeline;
  let reloadTimer: ReturnType<typeof setTimeout> | null = null;
  let loading = 0;
  const list = h('ol', { class: 'timeline-list', 'data-testid': 'timeline', 'aria-live': 'polite' });
  const input = h('textarea', {
    class: 'timeline-input',
    'data-testid': 'timeline-note',
    rows: 2,
    maxlength: NOTE_MAX_CHARS,
    placeholder: t('tl.note_placeholder'),
    'aria-label': t('tl.note_placeholder'),
  });
  const sendButton = h('button', { type: 'submit', class: opts.compact ? 'big' : '', 'data-testid': 'timeline-send' }, t('tl.add_note'));
  const form = h('form', { class: 'timeline-form' }, input, sendButton);
  const el = h('section', { class: `timeline card${opts.compact ? ' compact' : ''}`, 'data-testid': 'timeline-panel', hidden: true }, h('h3', {}, t('tl.title')), list, form);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = state.incidentId;
    const text = input.value.trim();
    if (!id || !text) return;
    sendButton.disabled = true;
    opts
      .send(id, text)
      .then((entry) => {
        input.value = '';
        if (entry) update(mergeEntries(state, [entry]));
      })
      .catch((e: unknown) => opts.failed(e))
      .finally(() => {
        sendButton.disabled = false;
      });
  });

  function update(next: Timeline): void {
    if (next === state) return;
    state = next;
    render();
  }

  function render(): void {
    el.hidden = state.incidentId === null;
    const items = rows(state).map((r) => {
      if (r.kind === 'pending') {
        return h(
          'li',
          { class: 'timeline-item note pending', 'data-testid': 'timeline-item', 'data-kind': 'note', 'data-pending': 'true' },
          h('span', { class: 'timeline-time' }, clock(r.note.at)),
          ' ',
          h('span', { class: 'timeline-label' }, t('tl.kind.note'), ' · ', t('tl.pending')),
          h('p', { class: 'timeline-text' }, r.note.text),
        );
      }
      const e = r.entry;
      return h(
        'li',
        { class: `timeline-item${e.kind === 'note' ? ' note' : ''}`, 'data-testid': 'timeline-item', 'data-kind': e.kind, 'data-id': e.id },
        h('span', { class: 'timeline-time' }, clock(e.at)),
        ' ',
        h('span', { class: 'timeline-label' }, label(e)),
        ' ',
        h('span', { class: 'timeline-actor' }, actor(e)),
        e.text ? h('p', { class: 'timeline-text' }, e.text) : null,
      );
    });
    if (items.length === 0) replace(list, h('li', { class: 'muted' }, state.loaded ? t('tl.empty') : '…'));
    else replace(list, items);
  }

  async function load(): Promise<void> {
    const id = state.incidentId;
    if (!id) return;
    const ticket = ++loading;
    try {
      const entries = await opts.load(id);
      if (ticket === loading) update(loaded(state, id, entries));
    } catch {
      // A list that could not be read keeps what it shows; the next frame or reconnect reads it again.
    }
  }

  function reloadSoon(): void {
    if (reloadTimer !== null) return;
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      void load();
    }, RELOAD_DELAY_MS);
  }

  return {
    el,
    show(incidentId) {
      if (incidentId === state.incidentId) return;
      update(showIncident(state, incidentId));
      input.value = '';
      void load();
    },
    onEvent(e) {
      const id = state.incidentId;
      if (!id) return;
      if (e.type === 'incident.note_added') update(mergeEntries(state, [e.entry]));
      else if (concerns(e, id)) reloadSoon();
    },
    reload() {
      void load();
    },
    setPending(notes) {
      update(pendingNotes(state, notes));
    },
  };
}

/** The timeline's path of an incident. */
export function timelinePath(incidentId: string): string {
  return `/api/v1/incidents/${encodeURIComponent(incidentId)}/timeline`;
}

/** Reads an incident's stored timeline. */
export function loadTimeline(incidentId: string): Promise<TimelineEntry[]> {
  return get<TimelineEntry[]>(timelinePath(incidentId));
}

/**
 * A desk's panel: notes are posted at once, each with its own `client_ref` and `Idempotency-Key`, so a retried
 * click or request stores one note.
 */
export function mountDeskTimeline(failed: (error: unknown) => void): TimelinePanel {
  return mountTimeline({
    load: loadTimeline,
    send: (incidentId, text) => {
      const ref = newIdempotencyKey();
      return post<TimelineEntry>(timelinePath(incidentId), { text, client_ref: ref }, { idempotencyKey: ref });
    },
    failed,
  });
}
