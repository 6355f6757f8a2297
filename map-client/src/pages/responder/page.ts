//! Responder phone view (360 px and up, no map library): the current assignment, big status buttons, and
//! position sharing while on duty. Status taps go through the IndexedDB outbox, so a tap made without signal
//! is kept and sent, in order and with its original Idempotency-Key, when the network returns.
//!
//! This module wires the pieces: REST, the outbox, geolocation and the socket feed `state.ts`, whose changes
//! `view_assignment.ts` draws; `alerts.ts` rings, vibrates and notifies while an assignment waits to be
//! acknowledged, keeps the screen awake on duty and subscribes the phone to Web Push.

import { ApiError, get, getOptional, post, request } from '../../api/client';
import type { AssignmentView, ClientConfig, IncidentView, RouteView } from '../../api/types';
import { t, tk } from '../../i18n';
import { connectLive } from '../../live/connect';
import type { PageContext } from '../../main';
import { Outbox, type OutboxEntry, type SendResult, openIdbStore } from '../../offline/outbox';
import { h, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { mountShell } from '../../ui/shell';
import { loadTimeline, mountTimeline, timelinePath } from '../../ui/timeline';
import type { PendingNote } from '../../domain/timeline';
import { createStore } from '../store';
import { createAlerter, createWakeLock, pushSubscription } from './alerts';
import {
  cancelNoticeSeen,
  alertingFor,
  applyEvent,
  currentAssignment,
  fixDue,
  initialState,
  outboxCounted,
  platformOf,
  positionDenied,
  positionFailed,
  positionFixed,
  positionOff,
  positionUnsupported,
  positionShared,
  refreshed,
  statusQueued,
} from './state';
import { mountAssignment } from './view_assignment';

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
  const store = createStore(initialState());
  // Optional: a server without it (or without Web Push) still rings the open page every 30 s.
  const config = await getOptional<ClientConfig>('/api/v1/client-config').catch(() => null);
  const alerter = createAlerter((config?.realert_s ?? 30) * 1000);
  const wakeLock = createWakeLock();
  const view = mountAssignment({
    tapped: () => alerter.unlock(),
    cancelSeen: () => store.update(cancelNoticeSeen),
    async queueStatus(body) {
      const current = store.get().current;
      if (!current) return;
      await outbox.enqueue({
        method: 'POST',
        path: `/api/v1/assignments/${encodeURIComponent(current.id)}/status`,
        body,
        idempotency_key: crypto.randomUUID(),
        label: tk('assignment_status', body.status),
      });
      store.update((s) => statusQueued(s, body.status));
      await showQueue();
      void flush();
    },
  }, platformOf(navigator.userAgent));
  // The incident's timeline under the card; crew notes go through the outbox like status taps, each with a
  // `client_ref` (also its Idempotency-Key), so a note typed without signal is sent once when it returns.
  const timeline = mountTimeline({
    compact: true,
    load: loadTimeline,
    async send(incidentId, text) {
      const ref = crypto.randomUUID();
      await outbox.enqueue({
        method: 'POST',
        path: timelinePath(incidentId),
        body: { text, client_ref: ref, at: Date.now() },
        idempotency_key: ref,
        label: t('tl.kind.note'),
      });
      await showQueue();
      void flush();
      return null;
    },
    failed: (e) => shell.toast(messageFor(e), 'error'),
  });
  store.subscribe((s) => timeline.show(s.current?.incident_id ?? null));
  const dutyBox = h('input', { type: 'checkbox', id: 'duty', 'data-testid': 'duty' });
  const alertBanner = h('p', { class: 'alert-banner', role: 'alert', 'data-testid': 'alert-banner', hidden: true }, '⚠ ', t('resp.alert_banner'));
  replace(
    shell.main,
    h(
      'div',
      { class: 'responder' },
      h('label', { class: 'duty big-toggle', for: 'duty' }, dutyBox, ' ', t('resp.on_duty')),
      view.positionNote,
      view.queueNote,
      alertBanner,
      view.card,
      timeline.el,
      view.sheet,
    ),
    view.bar,
  );
  store.subscribe(view.render);
  view.render(store.get(), null);
  setInterval(() => view.tick(Date.now()), 1000);
  // Any tap lets the alarm's audio play later (browsers allow sound only after a gesture).
  root.addEventListener('pointerdown', () => alerter.unlock(), { passive: true });

  // The alarm follows the state: it rings while the current assignment waits to be acknowledged.
  store.subscribe((s) => {
    const id = alertingFor(s);
    alertBanner.hidden = id === null;
    if (id === null) {
      alerter.stop();
      return;
    }
    const inc = s.incident;
    alerter.start(id, {
      title: inc ? `${t('resp.alert_title')} · ${tk('priority', inc.priority)}` : t('resp.alert_title'),
      body: inc ? `${inc.number} · ${tk('category', inc.category)}\n${inc.address ?? ''}`.trim() : t('resp.alert_body'),
    });
  });

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
    const pending = await outbox.pending();
    store.update((s) => outboxCounted(s, pending.length, navigator.onLine));
    const incidentId = store.get().current?.incident_id;
    const notes: PendingNote[] = incidentId
      ? pending.flatMap((e) => {
          const b = e.body as { text?: unknown; client_ref?: unknown; at?: unknown };
          return e.path === timelinePath(incidentId) && typeof b.text === 'string' && typeof b.client_ref === 'string'
            ? [{ text: b.text, client_ref: b.client_ref, at: typeof b.at === 'number' ? b.at : e.created_at }]
            : [];
        })
      : [];
    timeline.setPending(notes);
  }

  async function refresh(): Promise<void> {
    let list: AssignmentView[] = [];
    try {
      list = (await getOptional<AssignmentView[]>('/api/v1/assignments')) ?? [];
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 0)) shell.toast(messageFor(e), 'error');
      return;
    }
    const current = currentAssignment(list);
    const queued = (await outbox.pending()).length;
    let incident: IncidentView | null = null;
    let route: RouteView | null = null;
    if (current) {
      const path = `/api/v1/incidents/${encodeURIComponent(current.incident_id)}`;
      try {
        incident = await get<IncidentView>(path);
      } catch {
        incident = null;
      }
      try {
        route = await get<RouteView>(`${path}/route?unit_id=${encodeURIComponent(current.unit_id)}`);
      } catch {
        // No route (offline, or the unit has no fix yet): the card shows the straight distance as before.
        route = null;
      }
    }
    store.update((s) => refreshed(s, current, incident, queued, route));
  }

  // Position sharing while on duty: fixes are throttled and not queued offline, because only the newest
  // position matters.
  let watch: number | null = null;
  let lastSent = 0;
  dutyBox.addEventListener('change', () => {
    alerter.unlock();
    if (dutyBox.checked) {
      startSharing();
      void subscribePush();
    } else stopSharing();
    localStorage.setItem('siaga.on_duty', dutyBox.checked ? '1' : '0');
  });
  /** Web Push, where the centre configured it: asked on the duty tap (a gesture, as permission prompts need). */
  async function subscribePush(): Promise<void> {
    if (!config?.vapid_public_key) return;
    try {
      const sub = await pushSubscription(config.vapid_public_key);
      if (sub) await post('/api/v1/push/subscriptions', sub);
    } catch (e) {
      shell.toast(t('resp.push_failed', { error: messageFor(e) }), 'error');
    }
  }
  function startSharing(): void {
    wakeLock.set(true);
    if (!('geolocation' in navigator)) {
      store.update(positionUnsupported);
      return;
    }
    if (watch !== null) return;
    watch = navigator.geolocation.watchPosition(
      (pos) => {
        const here = { lon: pos.coords.longitude, lat: pos.coords.latitude };
        store.update((s) => positionFixed(s, here));
        const now = Date.now();
        if (!user.unit_id || !fixDue(lastSent, now) || !navigator.onLine) return;
        lastSent = now;
        void post(`/api/v1/units/${encodeURIComponent(user.unit_id)}/position`, { ...here, accuracy_m: pos.coords.accuracy, at: pos.timestamp })
          .then(() => store.update((s) => positionShared(s, now)))
          .catch(() => {
            // A lost fix is replaced by the next one.
          });
      },
      (err) => store.update(err.code === err.PERMISSION_DENIED ? positionDenied : positionFailed),
      { enableHighAccuracy: true, maximumAge: 5_000, timeout: 20_000 },
    );
  }
  function stopSharing(): void {
    wakeLock.set(false);
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    store.update(positionOff);
  }
  if (localStorage.getItem('siaga.on_duty') === '1') {
    dutyBox.checked = true;
    startSharing();
  }

  addEventListener('online', () => void flush());
  addEventListener('offline', () => void showQueue());
  setInterval(() => void flush(), 15_000);

  await showQueue();
  connectLive({
    onEvent: (e) => {
      timeline.onEvent(e);
      const step = applyEvent(store.get(), e);
      store.update(() => step.state);
      if (step.refresh) void refresh();
    },
    snapshot: async () => {
      await flush();
      await refresh();
      timeline.reload();
      await showQueue();
    },
    onState: shell.setLive,
  });
}
