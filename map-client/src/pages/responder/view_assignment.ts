//! The responder's screen: the current assignment's card (incident, status, address, victims, distance, a
//! navigate link), big status buttons, the bottom sheet that asks for a note or a decline reason, and the
//! notes on queued taps and position sharing.

import type { AssignmentStatus, DeclineReason } from '../../api/types';
import { DECLINE_REASONS } from '../../api/types';
import { t, tk } from '../../i18n';
import { h, options, replace } from '../../ui/dom';
import { clock, km } from '../../ui/format';
import { distanceToIncident_m, offeredStatuses, type ResponderState, shownStatus, statusBody } from './state';

const BUTTONS: { status: AssignmentStatus; key: Parameters<typeof t>[0]; icon: string; cls: string }[] = [
  { status: 'acknowledged', key: 'resp.acknowledge', icon: '✔', cls: 'ack' },
  { status: 'en_route', key: 'resp.en_route', icon: '➤', cls: 'route' },
  { status: 'on_scene', key: 'resp.on_scene', icon: '▲', cls: 'scene' },
  { status: 'resolved', key: 'resp.resolved', icon: '■', cls: 'done' },
  { status: 'declined', key: 'resp.decline', icon: '✖', cls: 'decline' },
];

export interface AssignmentHandlers {
  /** Queues a status tap (with its note or reason) in the outbox. */
  queueStatus(body: ReturnType<typeof statusBody>): void;
}

export function mountAssignment(handlers: AssignmentHandlers) {
  const card = h('section', { class: 'assignment card', 'data-testid': 'assignment', 'aria-live': 'polite' });
  const buttons = h('div', { class: 'big-buttons', 'data-testid': 'status-buttons' });
  const queueNote = h('p', { class: 'queue-note', role: 'status', 'data-testid': 'outbox-note', hidden: true });
  const positionNote = h('p', { class: 'muted', 'data-testid': 'position-note' });
  const sheet = h('div', { class: 'sheet', hidden: true });

  function tap(status: AssignmentStatus): void {
    if (status === 'resolved') ask('resp.note', null, (note) => handlers.queueStatus(statusBody('resolved', note)));
    else if (status === 'declined') ask('resp.reason', DECLINE_REASONS, (note, reason) => handlers.queueStatus(statusBody('declined', note, reason)));
    else handlers.queueStatus(statusBody(status, ''));
  }

  function ask(labelKey: 'resp.note' | 'resp.reason', reasons: readonly DeclineReason[] | null, done: (note: string, reason?: DeclineReason) => void): void {
    const note = h('textarea', { id: 'sheet-note', name: 'note', rows: 3 });
    const select = reasons ? h('select', { id: 'sheet-reason', name: 'reason' }, options(reasons, (r) => tk('decline', r))) : null;
    const close = () => {
      sheet.hidden = true;
      replace(sheet);
    };
    replace(
      sheet,
      h(
        'form',
        {
          class: 'card',
          onsubmit: (ev: Event) => {
            ev.preventDefault();
            done(note.value.trim(), (select?.value as DeclineReason | undefined) ?? undefined);
            close();
          },
        },
        select ? h('label', { for: 'sheet-reason' }, t('resp.reason')) : null,
        select,
        h('label', { for: 'sheet-note' }, t(reasons ? 'resp.note' : labelKey)),
        note,
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'sheet-confirm' }, t('resp.confirm')),
          h('button', { type: 'button', class: 'btn big', onclick: close }, t('resp.cancel')),
        ),
      ),
    );
    sheet.hidden = false;
    (select ?? note).focus();
  }

  function renderCard(state: ResponderState): void {
    const current = state.current;
    const status = shownStatus(state);
    if (!current || !status) {
      replace(card, h('p', { class: 'idle' }, '✓ ', t('resp.no_assignment')));
      replace(buttons);
      return;
    }
    const inc = state.incident;
    const dist = distanceToIncident_m(state);
    replace(
      card,
      inc ? h('h2', {}, inc.number, ' · ', tk('category', inc.category)) : h('h2', {}, current.incident_id),
      h('p', { class: 'status-now', 'data-testid': 'assignment-status', 'data-status': status }, t('resp.status_now', { status: tk('assignment_status', status) })),
      inc ? h('p', { class: 'address' }, '◉ ', inc.address ?? `${inc.location.lat.toFixed(5)}, ${inc.location.lon.toFixed(5)}`) : null,
      inc ? h('p', {}, t('disp.victims', { count: inc.victims.count, condition: tk('condition', inc.victims.condition) })) : null,
      inc?.description ? h('p', { class: 'desc' }, inc.description) : null,
      dist !== null ? h('p', {}, t('resp.distance', { km: km(dist) })) : null,
      inc ? h('a', { class: 'btn nav big', href: `geo:${inc.location.lat},${inc.location.lon}`, 'data-testid': 'navigate' }, '➚ ', t('resp.navigate')) : null,
    );
    const offered = offeredStatuses(state);
    replace(
      buttons,
      BUTTONS.map((b) =>
        h(
          'button',
          { type: 'button', class: `btn big status-btn ${b.cls}`, 'data-status': b.status, disabled: !offered.includes(b.status), onclick: () => tap(b.status) },
          h('span', { 'aria-hidden': 'true' }, b.icon, ' '),
          t(b.key),
        ),
      ),
    );
  }

  return {
    card,
    buttons,
    sheet,
    queueNote,
    positionNote,
    render(state: ResponderState, prev: ResponderState | null): void {
      if (!prev || prev.current !== state.current || prev.incident !== state.incident || prev.optimistic !== state.optimistic || prev.here !== state.here) renderCard(state);
      if (!prev || prev.queued !== state.queued || prev.online !== state.online) {
        const n = state.queued;
        queueNote.hidden = n === 0;
        queueNote.textContent = n === 0 ? '' : `⧗ ${t('resp.queued', { n })}${state.online ? '' : ` ${t('resp.offline')}`}`;
        queueNote.dataset['count'] = String(n);
      }
      if (!prev || prev.position !== state.position) {
        const p = state.position;
        positionNote.textContent = p?.kind === 'shared' ? `⇡ ${t('resp.position_shared', { time: clock(p.at) })}` : p?.kind === 'denied' ? t('resp.position_denied') : '';
      }
    },
  };
}
