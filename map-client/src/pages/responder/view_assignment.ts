//! The responder's screen: the current assignment's card (priority, SLA countdown, incident, status, address,
//! victims, distance, navigation links to the phone's maps app, the decline control), the one big next-step
//! button fixed at the bottom of the viewport (it never moves: nothing else is drawn there), the bottom sheet
//! that asks for a note or a decline reason, and the notes on queued taps and position sharing.

import type { AssignmentStatus, DeclineReason } from '../../api/types';
import { DECLINE_REASONS } from '../../api/types';
import { t, tk } from '../../i18n';
import { h, options, replace } from '../../ui/dom';
import { clock, km, minutes } from '../../ui/format';
import {
  canDecline,
  countdown,
  distanceToIncident_m,
  minutesSeconds,
  navigationLinks,
  nextStep,
  type Platform,
  type ResponderState,
  shownStatus,
  statusBody,
} from './state';

const STEPS: Partial<Record<AssignmentStatus, { key: Parameters<typeof t>[0]; icon: string; cls: string }>> = {
  acknowledged: { key: 'resp.acknowledge', icon: '✔', cls: 'ack' },
  en_route: { key: 'resp.en_route', icon: '➤', cls: 'route' },
  on_scene: { key: 'resp.on_scene', icon: '▲', cls: 'scene' },
  resolved: { key: 'resp.resolved', icon: '■', cls: 'done' },
};

export interface AssignmentHandlers {
  /** Queues a status tap (with its note or reason) in the outbox. */
  queueStatus(body: ReturnType<typeof statusBody>): void;
  /** Any tap: lets the page's alarm sound play (browsers need a gesture). */
  tapped(): void;
  /** The crew has read the cancellation notice. */
  cancelSeen(): void;
}

export function mountAssignment(handlers: AssignmentHandlers, platform: Platform) {
  const card = h('section', { class: 'assignment card', 'data-testid': 'assignment', 'aria-live': 'polite' });
  const next = h('button', { type: 'button', class: 'btn big status-btn next-step', 'data-testid': 'next-step' });
  const bar = h('div', { class: 'next-bar', 'data-testid': 'next-bar', hidden: true }, next);
  const queueNote = h('p', { class: 'queue-note', role: 'status', 'data-testid': 'outbox-note', hidden: true });
  const positionNote = h('p', { class: 'position-note', role: 'status', 'data-testid': 'position-note', hidden: true });
  const sheet = h('div', { class: 'sheet', hidden: true });
  const timer = h('span', { class: 'countdown', 'data-testid': 'sla-countdown', hidden: true });
  let last: ResponderState | null = null;

  next.addEventListener('click', () => {
    handlers.tapped();
    const status = next.dataset['status'] as AssignmentStatus | undefined;
    if (status) tap(status);
  });

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

  function renderTimer(state: ResponderState, now: number): void {
    const c = countdown(state, now);
    timer.hidden = c === null;
    if (!c) return;
    timer.classList.toggle('late', c.late);
    timer.dataset['late'] = String(c.late);
    timer.textContent = t(c.late ? 'resp.sla_late' : 'resp.sla_left', { kind: tk('sla', c.kind), time: minutesSeconds(c.remaining_ms) });
  }

  /** The planned drive: time, length and basis, and the turn list (road routes only). */
  function routeBox(route: NonNullable<ResponderState['route']>): HTMLElement {
    const p = route.properties;
    const summary = t(p.basis === 'road' ? 'disp.eta_road' : 'disp.eta_straight', { min: minutes(p.travel_time_s), km: km(p.route_m) });
    return h(
      'details',
      { class: 'route', 'data-testid': 'route', 'data-basis': p.basis },
      h('summary', {}, '⤷ ', summary),
      p.turns.length > 0
        ? h(
            'ol',
            { class: 'turns', 'data-testid': 'turns' },
            p.turns.map((turn) =>
              h(
                'li',
                { 'data-maneuver': turn.maneuver },
                tk('maneuver', turn.maneuver),
                turn.street ? ` · ${turn.street}` : '',
                turn.maneuver === 'arrive' ? '' : ` · ${meters(turn.distance_m)}`,
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('resp.no_turns')),
    );
  }

  function meters(m: number): string {
    return m >= 1000 ? t('common.km', { km: km(m) }) : `${Math.round(m)} m`;
  }

  function renderCard(state: ResponderState): void {
    const current = state.current;
    const status = shownStatus(state);
    const notice = state.cancelled;
    if (notice && (!current || current.id === notice.assignment_id)) {
      // The incident's reason when the incident was withdrawn; a dispatcher taking the unit off (a reassignment)
      // gives none.
      const title = notice.reason ? t('resp.cancelled', { reason: tk('cancel_reason', notice.reason) }) : t('resp.cancelled_plain');
      replace(
        card,
        h(
          'div',
          { class: 'cancelled-notice', role: 'alert', 'data-testid': 'assignment-cancelled', 'data-reason': notice.reason ?? '' },
          h('h2', {}, '⊘ ', title),
          h('p', {}, t('resp.cancelled_detail', { number: notice.incident_number })),
          h('button', { type: 'button', class: 'btn big', 'data-testid': 'cancelled-ok', onclick: () => handlers.cancelSeen() }, t('resp.cancelled_ok')),
        ),
      );
      bar.hidden = true;
      return;
    }
    if (!current || !status) {
      replace(card, h('p', { class: 'idle' }, '✓ ', t('resp.no_assignment')));
      bar.hidden = true;
      return;
    }
    const inc = state.incident;
    const dist = distanceToIncident_m(state);
    const links = inc ? navigationLinks(inc.location, platform) : null;
    const firstApp = platform === 'ios' ? 'resp.open_apple' : 'resp.open_google';
    const otherApp = platform === 'ios' ? 'resp.open_google' : 'resp.open_apple';
    replace(
      card,
      h(
        'div',
        { class: 'card-top' },
        inc ? h('span', { class: `prio ${inc.priority}`, 'data-testid': 'priority', 'data-priority': inc.priority }, tk('priority', inc.priority)) : null,
        timer,
      ),
      inc ? h('h2', {}, inc.number, ' · ', tk('category', inc.category)) : h('h2', {}, t('resp.loading')),
      h('p', { class: 'status-now', 'data-testid': 'assignment-status', 'data-status': status }, t('resp.status_now', { status: tk('assignment_status', status) })),
      inc ? h('p', { class: 'address' }, '◉ ', inc.address ?? `${inc.location.lat.toFixed(5)}, ${inc.location.lon.toFixed(5)}`) : null,
      inc ? h('p', {}, t('disp.victims', { count: inc.victims.count, condition: tk('condition', inc.victims.condition) })) : null,
      current.note ? h('p', { class: 'notice' }, t('resp.dispatcher_note', { note: current.note })) : null,
      inc?.description ? h('p', { class: 'desc' }, inc.description) : null,
      dist !== null ? h('p', {}, t('resp.distance', { km: km(dist) })) : null,
      state.route ? routeBox(state.route) : null,
      links
        ? h(
            'div',
            { class: 'nav-links' },
            h('a', { class: 'btn nav big', href: links.primary, target: '_blank', rel: 'noopener', 'data-testid': 'navigate' }, '➚ ', t('resp.navigate'), h('small', {}, t(firstApp))),
            h('a', { class: 'nav-alt', href: links.alternate, target: '_blank', rel: 'noopener', 'data-testid': 'navigate-alt' }, t(otherApp)),
          )
        : null,
      canDecline(state)
        ? h('button', { type: 'button', class: 'btn danger decline-btn', 'data-testid': 'decline', onclick: () => (handlers.tapped(), tap('declined')) }, '✖ ', t('resp.decline'))
        : null,
    );
    const step = nextStep(state);
    const look = step ? STEPS[step] : undefined;
    bar.hidden = false;
    next.disabled = !look;
    next.className = `btn big status-btn next-step ${look?.cls ?? ''}`;
    if (step) next.dataset['status'] = step;
    else delete next.dataset['status'];
    replace(next, look ? [h('span', { 'aria-hidden': 'true' }, look.icon, ' '), t(look.key)] : t('resp.no_next'));
  }

  return {
    card,
    bar,
    sheet,
    queueNote,
    positionNote,
    /** Redraws the countdown (called every second). */
    tick(now: number): void {
      if (last) renderTimer(last, now);
    },
    render(state: ResponderState, prev: ResponderState | null): void {
      last = state;
      if (
        !prev ||
        prev.current !== state.current ||
        prev.incident !== state.incident ||
        prev.optimistic !== state.optimistic ||
        prev.here !== state.here ||
        prev.cancelled !== state.cancelled
      ) {
        renderCard(state);
        renderTimer(state, Date.now());
      }
      if (!prev || prev.queued !== state.queued || prev.online !== state.online) {
        const n = state.queued;
        queueNote.hidden = n === 0;
        queueNote.textContent = n === 0 ? '' : `⧗ ${t('resp.queued', { n })}${state.online ? '' : ` ${t('resp.offline')}`}`;
        queueNote.dataset['count'] = String(n);
      }
      if (!prev || prev.position !== state.position) {
        const p = state.position;
        positionNote.hidden = p === null;
        positionNote.dataset['kind'] = p?.kind ?? '';
        positionNote.classList.toggle('bad', p !== null && p.kind !== 'shared');
        positionNote.textContent =
          p?.kind === 'shared'
            ? `⇡ ${t('resp.position_shared', { time: clock(p.at) })}`
            : p?.kind === 'denied'
              ? `⚠ ${t('resp.position_denied')}`
              : p?.kind === 'failed'
                ? `⚠ ${t('resp.position_failed')}`
                : p?.kind === 'unsupported'
                  ? `⚠ ${t('resp.position_unsupported')}`
                  : '';
      }
    },
  };
}
