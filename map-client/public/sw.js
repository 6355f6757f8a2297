// Siaga service worker: keeps the app shell available offline for the responder PWA.
//
// Rules:
// * `/api/*` and `/metrics` are never answered by the worker: no respondWith, so the browser goes to the
//   network and an offline API call fails as a network error (which the outbox handles), never as the app
//   shell's HTML (traccar's navigateFallbackDenylist: [/^\/api/]).
// * Navigations: network first, falling back to the cached shell when offline.
// * Hashed build assets (/assets/*): cache first; they never change under the same name.
// * Everything is same-origin; requests to other origins are left alone.
const CACHE = 'siaga-shell-v1';
const SHELL = ['/', '/index.html', '/manifest.webmanifest', '/icons/icon.svg', '/icons/icon-192.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api') || url.pathname === '/metrics') return;

  if (req.mode === 'navigate') {
    event.respondWith(
      fetch(req)
        .then((res) => {
          const copy = res.clone();
          if (res.ok) caches.open(CACHE).then((c) => c.put('/index.html', copy));
          return res;
        })
        .catch(() => caches.match('/index.html').then((r) => r || Response.error())),
    );
    return;
  }

  if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/icons/')) {
    event.respondWith(
      caches.match(req).then(
        (hit) =>
          hit ||
          fetch(req).then((res) => {
            if (res.ok) {
              const copy = res.clone();
              caches.open(CACHE).then((c) => c.put(req, copy));
            }
            return res;
          }),
      ),
    );
  }
});

// Web Push (the centre's server, VAPID): a new assignment, or one still not acknowledged at its SLA target,
// for this phone's crew. The payload is the server's `PushMessage` JSON (title and body already in
// Indonesian); the notification stays until it is tapped and vibrates the phone.
self.addEventListener('push', (event) => {
  let msg = {};
  try {
    msg = event.data ? event.data.json() : {};
  } catch {
    msg = { body: event.data ? event.data.text() : '' };
  }
  const title = msg.title || 'Siaga: penugasan baru';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: msg.body || '',
      tag: msg.assignment_id ? `assignment-${msg.assignment_id}` : 'assignment',
      renotify: true,
      requireInteraction: true,
      vibrate: [600, 200, 600, 200, 1200],
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { url: '/', assignment_id: msg.assignment_id || null },
    }),
  );
});

// A tap on the notification brings the responder page forward (or opens it).
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || '/';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((list) => {
      const open = list.find((c) => new URL(c.url).origin === self.location.origin);
      if (open) return open.focus();
      return self.clients.openWindow(url);
    }),
  );
});
