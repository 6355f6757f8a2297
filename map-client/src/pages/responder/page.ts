//! Responder phone view (360 px and up, no map library): the current assignment, big status buttons, and
//! position sharing while on duty. Status taps go through the IndexedDB outbox, so a tap made without signal
//! is kept and sent, in order and with its original Idempotency-Key, when the network returns.

import { ApiError, get, getOptional, post, request } from '../../api/client';
import type { AssignmentStatus, AssignmentView, DeclineReason, IncidentView } from '../../api/types';
import { DECLINE_REASONS } from '../../api/types';
import { t, tk } from '../../i18n';
import { assignmentOf, type LiveEvent } from '../../live/events';
import { connectLive } from '../../live/connect';
import type { PageContext } from '../../main';
import { Outbox, type OutboxEntry, type SendResult, openIdbStore } from '../../offline/outbox';
import { h, options, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { clock, haversine_m, km } from '../../ui/format';
import { mountShell } from '../../ui/shell';

const CLOSED: AssignmentStatus[] = ['resolved', 'declined', 'cancelled'];

/** The view carries the status as a string; the server only ever writes an `AssignmentStatus` there. */
function statusOf(a: AssignmentView): AssignmentStatus {
  return a.status as AssignmentStatus;
}

/** The buttons offered in each status (the server still decides; these only avoid pointless taps). */
const NEXT: Record<AssignmentStatus, AssignmentStatus[]> = {
  assigned: ['acknowledged', 'declined'],
  acknowledged: ['en_route', 'declined'],
  en_route: ['on_scene'],
  on_scene: ['resolved'],
  resolved: [],
  declined: [],
  cancelled: [],
};

const BUTTONS: { status: AssignmentStatus; key: Parameters<typeof t>[0]; icon: string; cls: string }[] = [
  { status: 'acknowledged', key: 'resp.acknowledge', icon: '✔', cls: 'ack' },
  { status: 'en_route', key: 'resp.en_route', icon: '➤', cls: 'route' },
  { status: 'on_scene', key: 'resp.on_scene', icon: '▲', cls: 'scene' },
  { status: 'resolved', key: 'resp.resolved', icon: '■', cls: 'done' },
  { status: 'declined', key: 'resp.decline', icon: '✖', cls: 'decline' },
];

/** Sends one outbox entry and classifies the outcome for the outbox's ordering rule. */
export async function sendEntry(entry: OutboxEntry): Promise<SendResult> {
  try {
    await request(entry.method, entry.path, entry.body, { idempotencyKey: entry.idempotency_key });
    return { ok: true };
  } catch (e) {
    if (e instanceof ApiError) return { ok: false, retryable: e.retryable, code: e.code };
    return { ok: false, retryable: true, code: 'network_error' };
  }
}

export async function mount({ root, user }: PageContext): Promise<void> {
  const shell = mountShell(root, user, t('resp.title'));
  const card = h('section', { class: 'assignment card', 'data-testid': 'assignment', 'aria-live': 'polite' });
  const buttons = h('div', { class: 'big-buttons', 'data-testid': 'status-buttons' });
  const queueNote = h('p', { class: 'queue-note', role: 'status', 'data-testid': 'outbox-note', hidden: true });
  const dutyBox = h('input', { type: 'checkbox', id: 'duty', 'data-testid': 'duty' });
  const dutyNote = h('p', { class: 'muted', 'data-testid': 'position-note' });
  const dialog = h('div', { class: 'sheet', hidden: true });
  replace(
    shell.main,
    h(
      'div',
      { class: 'responder' },
      h('label', { class: 'duty big-toggle', for: 'duty' }, dutyBox, ' ', t('resp.on_duty')),
      dutyNote,
      card,
      buttons,
      dialog,
      queueNote,
    ),
  );

  let current: AssignmentView | null = null;
  let incident: IncidentView | null = null;
  let here: { lon: number; lat: number } | null = null;
  /** Status shown while taps are queued: the last queued target, so the next button is offered at once. */
  let optimistic: AssignmentStatus | null = null;

  const outbox = new Outbox(await openIdbStore(), sendEntry);

  async function flush(): Promise<void> {
    const report = await outbox.flush();
    for (const r of report.refused) {
      shell.toast(t('resp.failed', { label: r.entry.label, error: messageFor(new ApiError(r.code, 400, r.code)) }), 'error');
    }
    if (report.sent > 0 && report.remaining === 0) {
      shell.toast(t('resp.sent'));
      await refresh();
    }
    await showQueue();
  }

  async function showQueue(): Promise<void> {
    const n = (await outbox.pending()).length;
    queueNote.hidden = n === 0;
    queueNote.textContent = n === 0 ? '' : `⧗ ${t('resp.queued', { n })}${navigator.onLine ? '' : ` ${t('resp.offline')}`}`;
    queueNote.dataset['count'] = String(n);
  }

  async function refresh(): Promise<void> {
    let list: AssignmentView[] = [];
    try {
      list = (await getOptional<AssignmentView[]>('/api/v1/assignments')) ?? [];
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 0)) shell.toast(messageFor(e), 'error');
      return;
    }
    const open = list.filter((a) => !CLOSED.includes(statusOf(a))).sort((a, b) => b.assigned_at - a.assigned_at);
    const next = open[0] ?? null;
    if (next?.id !== current?.id) optimistic = null;
    current = next;
    if ((await outbox.pending()).length === 0) optimistic = null;
    incident = null;
    if (current) {
      try {
        incident = await get<IncidentView>(`/api/v1/incidents/${encodeURIComponent(current.incident_id)}`);
      } catch {
        incident = null;
      }
    }
    render();
  }

  function render(): void {
    if (!current) {
      replace(card, h('p', { class: 'idle' }, '✓ ', t('resp.no_assignment')));
      replace(buttons);
      return;
    }
    const status = optimistic ?? statusOf(current);
    const inc = incident;
    const dist = inc && here ? haversine_m(here, inc.location) : null;
    replace(
      card,
      inc ? h('h2', {}, inc.number, ' · ', tk('category', inc.category)) : h('h2', {}, current.incident_id),
      h('p', { class: 'status-now', 'data-testid': 'assignment-status', 'data-status': status }, t('resp.status_now', { status: tk('assignment_status', status) })),
      inc ? h('p', { class: 'address' }, '◉ ', inc.address ?? `${inc.location.lat.toFixed(5)}, ${inc.location.lon.toFixed(5)}`) : null,
      inc ? h('p', {}, t('disp.victims', { count: inc.victims.count, condition: tk('condition', inc.victims.condition) })) : null,
      inc?.description ? h('p', { class: 'desc' }, inc.description) : null,
      dist !== null ? h('p', {}, t('resp.distance', { km: km(dist) })) : null,
      inc
        ? h('a', { class: 'btn nav big', href: `geo:${inc.location.lat},${inc.location.lon}`, 'data-testid': 'navigate' }, '➚ ', t('resp.navigate'))
        : null,
    );
    const allowed = NEXT[status] ?? [];
    replace(
      buttons,
      BUTTONS.map((b) =>
        h(
          'button',
          {
            type: 'button',
            class: `btn big status-btn ${b.cls}`,
            'data-status': b.status,
            disabled: !allowed.includes(b.status),
            onclick: () => tap(b.status),
          },
          h('span', { 'aria-hidden': 'true' }, b.icon, ' '),
          t(b.key),
        ),
      ),
    );
  }

  function tap(status: AssignmentStatus): void {
    if (status === 'resolved') {
      ask('resp.note', null, (note) => void queueStatus('resolved', note ? { note } : {}));
    } else if (status === 'declined') {
      ask('resp.reason', DECLINE_REASONS, (note, reason) => void queueStatus('declined', { reason: reason ?? 'other', ...(note ? { note } : {}) }));
    } else {
      void queueStatus(status, {});
    }
  }

  function ask(labelKey: 'resp.note' | 'resp.reason', reasons: readonly DeclineReason[] | null, done: (note: string, reason?: DeclineReason) => void): void {
    const note = h('textarea', { id: 'sheet-note', name: 'note', rows: 3 });
    const select = reasons ? h('select', { id: 'sheet-reason', name: 'reason' }, options(reasons, (r) => tk('decline', r))) : null;
    const close = () => {
      dialog.hidden = true;
      replace(dialog);
    };
    replace(
      dialog,
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
    dialog.hidden = false;
    (select ?? note).focus();
  }

  async function queueStatus(status: AssignmentStatus, extra: { note?: string; reason?: string }): Promise<void> {
    if (!current) return;
    await outbox.enqueue({
      method: 'POST',
      path: `/api/v1/assignments/${encodeURIComponent(current.id)}/status`,
      body: { status, ...extra },
      idempotency_key: crypto.randomUUID(),
      label: tk('assignment_status', status),
    });
    optimistic = status;
    render();
    await showQueue();
    void flush();
  }

  // Position sharing while on duty: at most one fix every 10 s is sent; fixes are not queued offline, because
  // only the newest position matters.
  let watch: number | null = null;
  let lastSent = 0;
  dutyBox.addEventListener('change', () => {
    if (dutyBox.checked) startSharing();
    else stopSharing();
    localStorage.setItem('siaga.on_duty', dutyBox.checked ? '1' : '0');
  });
  function startSharing(): void {
    if (!('geolocation' in navigator) || watch !== null) return;
    watch = navigator.geolocation.watchPosition(
      (pos) => {
        here = { lon: pos.coords.longitude, lat: pos.coords.latitude };
        render();
        const now = Date.now();
        if (!user.unit_id || now - lastSent < 10_000 || !navigator.onLine) return;
        lastSent = now;
        void post(`/api/v1/units/${encodeURIComponent(user.unit_id)}/position`, {
          lon: here.lon,
          lat: here.lat,
          accuracy_m: pos.coords.accuracy,
          at: pos.timestamp,
        })
          .then(() => (dutyNote.textContent = `⇡ ${t('resp.position_shared', { time: clock(now) })}`))
          .catch(() => {
            // A lost fix is replaced by the next one.
          });
      },
      () => {
        dutyNote.textContent = t('resp.position_denied');
      },
      { enableHighAccuracy: true, maximumAge: 5_000, timeout: 20_000 },
    );
  }
  function stopSharing(): void {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
  }
  if (localStorage.getItem('siaga.on_duty') === '1') {
    dutyBox.checked = true;
    startSharing();
  }

  addEventListener('online', () => void flush());
  addEventListener('offline', () => void showQueue());
  setInterval(() => void flush(), 15_000);

  const onEvent = (e: LiveEvent) => {
    if (e.type.startsWith('assignment.') || e.type.startsWith('incident.')) {
      const a = assignmentOf(e);
      if (a && current && a.id === current.id && !optimistic) {
        current = { ...current, ...a };
        render();
      }
      void refresh();
    }
  };
  await showQueue();
  connectLive({
    onEvent,
    snapshot: async () => {
      await flush();
      await refresh();
    },
    onState: shell.setLive,
  });
}
