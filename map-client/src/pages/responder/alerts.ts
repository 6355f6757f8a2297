//! How the responder's phone wakes its crew: a loud synthesized alarm (Web Audio), vibration, a notification
//! through the service worker while the page is in the background, repeated every `realert_s` seconds until
//! the assignment is acknowledged; the screen kept awake while on duty (Screen Wake Lock); and the Web Push
//! subscription that reaches a phone whose page is closed.
//!
//! Test hook (documented for the browser tests): `<html data-alert="ringing|idle" data-alert-count="N">`;
//! `N` counts alarms rung since the page loaded (the first ring and each repeat).

import { audioContext, playTones, type Tone } from '../../ui/tones';

/** Vibration pattern of one alarm (ms on, off, …): long enough to feel in a pocket. */
export const VIBRATE_PATTERN = [600, 200, 600, 200, 1200];

/** One alarm: three rising two-tone bursts (880 then 1320 Hz, square), about two seconds. */
const ALARM: readonly Tone[] = [0, 1, 2].flatMap((i) =>
  [880, 1320].map((hz, j): Tone => [hz, i * 0.7 + j * 0.25, 0.22, 'square']),
);

export interface AlertText {
  title: string;
  body: string;
}

export interface Alerter {
  /** Rings now for `id` and again every re-alert interval until `stop`; a second `start` for the same id does nothing. */
  start(id: string, text: AlertText): void;
  stop(): void;
  /** Lets the audio play: call from a user gesture (a tap), as browsers require. */
  unlock(): void;
}

export function createAlerter(realertMs: number): Alerter {
  const root = document.documentElement;
  let current: string | null = null;
  let text: AlertText = { title: '', body: '' };
  let timer: number | null = null;
  let count = 0;
  root.dataset['alert'] = 'idle';
  root.dataset['alertCount'] = '0';

  function sound(): void {
    const a = audioContext();
    if (!a) return;
    if (a.state === 'suspended') void a.resume().catch(() => undefined);
    playTones(a, ALARM, 0.9, 0.05);
  }

  async function notify(): Promise<void> {
    if (document.visibilityState !== 'hidden' || !('serviceWorker' in navigator)) return;
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    try {
      const reg = await navigator.serviceWorker.ready;
      await reg.showNotification(text.title, {
        body: text.body,
        tag: `assignment-${current ?? ''}`,
        requireInteraction: true,
        data: { url: '/' },
        // Not in every TypeScript DOM library yet, read by Chromium on Android.
        ...({ vibrate: VIBRATE_PATTERN, renotify: true } as object),
      });
    } catch {
      // No service worker (first load offline): the sound and vibration still ring.
    }
  }

  function ring(): void {
    count += 1;
    root.dataset['alert'] = 'ringing';
    root.dataset['alertCount'] = String(count);
    sound();
    if ('vibrate' in navigator) navigator.vibrate(VIBRATE_PATTERN);
    void notify();
  }

  return {
    start(id, t) {
      text = t;
      if (current === id) return;
      this.stop();
      current = id;
      ring();
      timer = window.setInterval(ring, realertMs);
    },
    stop() {
      if (timer !== null) window.clearInterval(timer);
      timer = null;
      const was = current;
      current = null;
      root.dataset['alert'] = 'idle';
      if (was !== null && 'vibrate' in navigator) navigator.vibrate(0);
      if (was !== null && 'serviceWorker' in navigator) {
        void navigator.serviceWorker.getRegistration().then((reg) =>
          reg?.getNotifications({ tag: `assignment-${was}` }).then((list) => list.forEach((n) => n.close())),
        );
      }
    },
    unlock() {
      const a = audioContext();
      if (a && a.state === 'suspended') void a.resume().catch(() => undefined);
    },
  };
}

/** Keeps the screen on while on duty; re-acquired when the page becomes visible again (browsers drop it). */
export function createWakeLock(): { set(on: boolean): void } {
  let wanted = false;
  let lock: WakeLockSentinel | null = null;
  const root = document.documentElement;
  async function acquire(): Promise<void> {
    if (!wanted || lock || !('wakeLock' in navigator) || document.visibilityState !== 'visible') return;
    try {
      lock = await navigator.wakeLock.request('screen');
      root.dataset['wakeLock'] = 'held';
      lock.addEventListener('release', () => {
        lock = null;
        root.dataset['wakeLock'] = 'released';
      });
    } catch {
      root.dataset['wakeLock'] = 'refused';
    }
  }
  document.addEventListener('visibilitychange', () => void acquire());
  return {
    set(on) {
      wanted = on;
      if (on) void acquire();
      else {
        void lock?.release();
        lock = null;
      }
    },
  };
}

function keyBytes(base64url: string): Uint8Array {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/**
 * Subscribes this phone to Web Push with the server's VAPID key and returns the subscription to hand to the
 * server, or null when the browser cannot or the crew refused notifications. Call from a tap.
 */
export async function pushSubscription(vapidPublicKey: string): Promise<PushSubscriptionJSON | null> {
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return null;
  const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
  if (permission !== 'granted') return null;
  const reg = await navigator.serviceWorker.ready;
  const existing = await reg.pushManager.getSubscription();
  const sub =
    existing ??
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(vapidPublicKey) as BufferSource }));
  return sub.toJSON();
}
