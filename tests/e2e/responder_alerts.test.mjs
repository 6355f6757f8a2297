// The responder's phone (360×740, touch) when an assignment arrives: it rings (Web Audio), vibrates, shows a
// service-worker notification while the page is in the background, and rings again every `realert_s` seconds
// until the crew acknowledges; the card shows the priority and the SLA countdown; the one big next-step button
// stays at the same place through every status and no toast covers it; navigation opens the phone's maps
// app; signing out asks first; a refused position permission is said on screen.
//
// Hooks (see map-client/src/pages/responder/alerts.ts): `<html data-alert="ringing|idle" data-alert-count="N">`
// counts alarms; `navigator.vibrate` is replaced by a recorder before the page loads; `document.visibilityState`
// is made switchable so the test can put the page "in the background" as a phone in a pocket does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, login, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';
import { eventually, requireEndpoints } from './support/flow.mjs';

const REALERT_S = 5;
const ANDROID_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36';
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, userAgent: ANDROID_UA };

let server;
let browser;

before(async () => {
  server = await startServer({ env: { SIAGA_PUSH__REALERT_S: String(REALERT_S) } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Records vibrations and lets the test hide the page, before any page script runs. */
function phoneHooks() {
  window.__vibrations = [];
  navigator.vibrate = (pattern) => {
    window.__vibrations.push(pattern);
    return true;
  };
  window.__hidden = false;
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (window.__hidden ? 'hidden' : 'visible') });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__hidden });
}

async function assignAmb01(priority = 'p1') {
  const taker = await login(server.url, 'operator1');
  const dispatcher = await login(server.url, 'dispatch.dinkes');
  const inc = await api(server.url, 'POST', '/api/v1/incidents', taker.token, {
    category: 'health',
    priority,
    location: { lon: 106.9051, lat: -6.1602 },
    address: 'Jl. Boulevard Barat 1',
    victims: { count: 1, condition: 'serious' },
  });
  assert.equal(inc.status, 201, JSON.stringify(inc.body));
  const units = await api(server.url, 'GET', `/api/v1/units?agency_id=${dispatcher.user.agency_id}`, dispatcher.token);
  const amb01 = units.body.find((u) => u.call_sign === 'AMB-01');
  const asg = await api(server.url, 'POST', `/api/v1/incidents/${inc.body.id}/assignments`, dispatcher.token, { unit_id: amb01.id });
  assert.equal(asg.status, 201, JSON.stringify(asg.body));
  return { incident: inc.body, assignment: asg.body };
}

const alertCount = (page) => page.evaluate(() => Number(document.documentElement.dataset.alertCount ?? 0));

test('an assignment rings, vibrates and notifies in the background, re-alerts until acknowledged; the next-step button never moves', async () => {
  await requireEndpoints(server.url, ['/api/v1/incidents', '/api/v1/incidents/{id}/assignments', '/api/v1/client-config']);
  const resp = await guardedContext(browser, server.url, PHONE);
  await resp.context.grantPermissions(['notifications'], { origin: server.url });
  await resp.context.addInitScript(phoneHooks);
  const scripts = [];
  resp.context.on('response', (r) => {
    if (r.url().endsWith('.js')) scripts.push(r.url());
  });
  const page = await resp.context.newPage();
  await loginAs(page, 'amb01');
  await page.getByText(/Belum ada penugasan/).waitFor();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  assert.equal(await page.evaluate(() => document.documentElement.dataset.alert), 'idle');

  // The phone goes into a pocket (page hidden); a dispatcher assigns AMB-01 to a P1.
  await page.evaluate(() => {
    window.__hidden = true;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const { incident } = await assignAmb01('p1');

  // It rings and vibrates at once, and the service worker shows a notification that stays.
  await page.waitForSelector('html[data-alert="ringing"]', { timeout: 15_000 });
  assert.ok((await alertCount(page)) >= 1);
  const vibrations = await page.evaluate(() => window.__vibrations);
  assert.ok(vibrations.length >= 1 && Array.isArray(vibrations[0]) && vibrations[0].length > 1, JSON.stringify(vibrations));
  const notes = await eventually(
    async () => {
      const list = await page.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, sticky: n.requireInteraction })),
      );
      return list.length > 0 ? list : null;
    },
    10_000,
    'a service-worker notification',
  );
  assert.match(notes[0].title, /Penugasan baru.*P1/, JSON.stringify(notes));
  assert.ok(notes[0].body.includes(incident.number), JSON.stringify(notes));
  assert.equal(notes[0].sticky, true);

  // Nobody taps: it rings again after the re-alert interval.
  await page.waitForFunction(() => Number(document.documentElement.dataset.alertCount) >= 2, null, { timeout: (REALERT_S + 5) * 1000 });
  assert.ok((await page.evaluate(() => window.__vibrations.length)) >= 2);

  // Back in hand: the card shows P1 and the acknowledge countdown; the alarm banner says what to do.
  await page.evaluate(() => {
    window.__hidden = false;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const prio = page.getByTestId('priority');
  await prio.waitFor();
  assert.match(await prio.innerText(), /P1/);
  const countdown = page.getByTestId('sla-countdown');
  await countdown.waitFor();
  assert.match(await countdown.innerText(), /Konfirmasi unit.*\d+:\d\d/);
  await page.getByTestId('alert-banner').waitFor();

  // Navigation opens Google Maps on this Android phone, Apple Maps offered too.
  assert.equal(await page.getByTestId('navigate').getAttribute('href'), 'https://www.google.com/maps/dir/?api=1&destination=-6.1602,106.9051');
  assert.equal(await page.getByTestId('navigate-alt').getAttribute('href'), 'https://maps.apple.com/?daddr=-6.1602,106.9051');
  await shot(page, 'responder_alert_ringing');

  // The next-step button: at the bottom of the 740 px screen, fully visible, the same box in every status.
  const next = page.getByTestId('next-step');
  const boxes = [];
  const steps = [
    ['acknowledged', 'en_route'],
    ['en_route', 'on_scene'],
    ['on_scene', 'resolved'],
  ];
  for (const [status, then] of steps) {
    await page.waitForSelector(`[data-testid="next-step"][data-status="${status}"]:not([disabled])`);
    boxes.push(await next.boundingBox());
    await next.tap();
    await page.waitForSelector(`[data-testid="next-step"][data-status="${then}"]`);
    // The "sent" toast appears and does not cover the button.
    const toast = page.locator('.toast').last();
    await toast.waitFor();
    const t = await toast.boundingBox();
    const b = await next.boundingBox();
    const overlap = t.x < b.x + b.width && b.x < t.x + t.width && t.y < b.y + b.height && b.y < t.y + t.height;
    assert.equal(overlap, false, `toast ${JSON.stringify(t)} covers the button ${JSON.stringify(b)}`);
    await shot(page, `responder_step_${then}`);
    if (status === 'acknowledged') {
      // Acknowledged: the alarm stops and stays stopped past another re-alert interval.
      await page.waitForSelector('html[data-alert="idle"]');
      const rung = await alertCount(page);
      await page.waitForTimeout((REALERT_S + 1) * 1000);
      assert.equal(await alertCount(page), rung, 'no alarm after the acknowledge');
      assert.equal(await page.getByTestId('alert-banner').isVisible(), false);
      const left = await page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).length);
      assert.equal(left, 0, 'the notification is withdrawn');
    }
  }
  boxes.push(await next.boundingBox());
  for (const box of boxes) {
    assert.deepEqual(box, boxes[0], `the next-step button moved: ${JSON.stringify(boxes)}`);
  }
  assert.ok(boxes[0].y + boxes[0].height <= 740 && boxes[0].y > 740 - 120, `at the bottom of the screen: ${JSON.stringify(boxes[0])}`);
  await next.tap();
  await page.getByTestId('sheet-confirm').tap();
  await page.getByText(/Belum ada penugasan/).waitFor({ timeout: 15_000 });
  assert.equal(await next.isVisible(), false);

  // The responder bundle stays light: no map library on this page.
  assert.ok(scripts.length > 0);
  assert.deepEqual(scripts.filter((u) => /maplibre/i.test(u)), [], scripts.join('\n'));
  assert.deepEqual(resp.problems, [], resp.problems.join('\n'));
  await resp.context.close();
});

test('on duty the screen stays awake; signing out asks first; a refused position permission is shown to the crew', async () => {
  const resp = await guardedContext(browser, server.url, PHONE);
  const page = await resp.context.newPage();
  await loginAs(page, 'dmk01');

  // The screen is kept awake while on duty (the wake lock is granted here as a phone grants it to the
  // page in front).
  const cdp = await resp.context.newCDPSession(page);
  await cdp.send('Browser.grantPermissions', { permissions: ['wakeLockScreen'], origin: new URL(server.url).origin });
  await page.getByTestId('duty').check();
  await page.waitForSelector('html[data-wake-lock="held"]', { timeout: 10_000 });
  const note = page.locator('[data-testid="position-note"][data-kind="denied"]');
  await note.waitFor({ timeout: 15_000 });
  assert.match(await note.innerText(), /Izin lokasi ditolak/);
  await shot(page, 'responder_position_denied');

  assert.equal(await page.getByTestId('logout-confirm').isVisible(), false, 'no question before the tap');
  await page.getByTestId('logout').tap();
  await page.getByTestId('logout-confirm').waitFor();
  assert.equal(await page.getByTestId('logout').isVisible(), false);
  await shot(page, 'responder_logout_confirm');
  await page.getByTestId('logout-no').tap();
  assert.equal(await page.getByTestId('who').isVisible(), true, 'still signed in after "Batal"');
  await page.getByTestId('logout').tap();
  await page.getByTestId('logout-yes').tap();
  await page.getByLabel(/Nama pengguna|Username/).waitFor();
  assert.deepEqual(resp.problems, [], resp.problems.join('\n'));
  await resp.context.close();
});

test('a Web Push message is shown by the service worker as a notification that stays until tapped', async () => {
  // The push service is not reachable here; DevTools' own push delivery stands in for it and hands the
  // service worker the payload the server sends (`PushMessage`, after decryption by the browser).
  const resp = await guardedContext(browser, server.url, PHONE);
  await resp.context.grantPermissions(['notifications'], { origin: server.url });
  const page = await resp.context.newPage();
  await loginAs(page, 'ptl01');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  const cdp = await resp.context.newCDPSession(page);
  const registration = new Promise((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const r = registrations.find((x) => x.scopeURL.startsWith(server.url) && !x.isDeleted);
      if (r) resolve(r);
    });
  });
  await cdp.send('ServiceWorker.enable');
  const { registrationId } = await registration;
  const message = {
    kind: 'unacknowledged',
    assignment_id: 'a-1',
    incident_id: 'i-1',
    incident_number: 'JKU-20261206-0042',
    priority: 'p1',
    title: 'Belum dikonfirmasi · P1 · JKU-20261206-0042',
    body: 'Jl. Boulevard Barat 1',
  };
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(server.url).origin + '/', registrationId, data: JSON.stringify(message) });
  const notes = await eventually(
    async () => {
      const list = await page.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, sticky: n.requireInteraction })),
      );
      return list.length > 0 ? list : null;
    },
    10_000,
    'the pushed notification',
  );
  assert.deepEqual(notes, [{ title: message.title, body: message.body, tag: 'assignment-a-1', sticky: true }]);
  assert.deepEqual(resp.problems, [], resp.problems.join('\n'));
  await resp.context.close();
});
