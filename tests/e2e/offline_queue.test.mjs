// The responder's offline outbox: with the phone offline, two status taps are queued; when the network
// returns they reach the server exactly once each, in the order tapped, with their Idempotency-Keys.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, login, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';
import { eventually, requireEndpoints } from './support/flow.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('status taps made offline are sent once each, in order, when the network returns', async () => {
  await requireEndpoints(server.url, ['/api/v1/calls', '/api/v1/incidents', '/api/v1/incidents/{id}/assignments', '/api/v1/assignments', '/api/v1/assignments/{id}/status']);
  // Arrange through the API: an incident near AMB-01, assigned to it.
  const taker = await login(server.url, 'operator1');
  const dispatcher = await login(server.url, 'dispatch.dinkes');
  const call = await api(server.url, 'POST', '/api/v1/calls', taker.token, { ani: '081234567891', channel: 'voice', service_line: '112' });
  assert.equal(call.status, 201, JSON.stringify(call.body));
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/answer`, taker.token, {});
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/classify`, taker.token, { class: 'emergency' });
  const inc = await api(server.url, 'POST', '/api/v1/incidents', taker.token, {
    call_id: call.body.id,
    category: 'health',
    priority: 'p2',
    location: { lon: 106.9051, lat: -6.1602 },
    victims: { count: 1, condition: 'minor' },
  });
  assert.equal(inc.status, 201, JSON.stringify(inc.body));
  const units = await api(server.url, 'GET', `/api/v1/units?agency_id=${dispatcher.user.agency_id}`, dispatcher.token);
  const amb01 = units.body.find((u) => u.call_sign === 'AMB-01');
  const asg = await api(server.url, 'POST', `/api/v1/incidents/${inc.body.id}/assignments`, dispatcher.token, { unit_id: amb01.id });
  assert.equal(asg.status, 201, JSON.stringify(asg.body));

  const resp = await guardedContext(browser, server.url, {
    viewport: { width: 360, height: 740 },
    isMobile: true,
    // While offline, Chromium logs the refused requests (and the socket's reconnect attempts).
    allowConsole: ['ERR_INTERNET_DISCONNECTED'],
  });
  const statusPosts = [];
  resp.context.on('requestfinished', async (req) => {
    if (req.method() === 'POST' && /\/api\/v1\/assignments\/[^/]+\/status$/.test(req.url())) {
      const res = await req.response();
      statusPosts.push({ status: JSON.parse(req.postData()).status, key: req.headers()['idempotency-key'], code: res?.status() });
    }
  });
  const page = await resp.context.newPage();
  await loginAs(page, 'amb01');
  await page.waitForSelector('.status-btn[data-status="acknowledged"]:not([disabled])', { timeout: 15_000 });

  // Act: offline, two taps.
  await resp.context.setOffline(true);
  await page.locator('.status-btn[data-status="acknowledged"]').click();
  await page.locator('.status-btn[data-status="en_route"]:not([disabled])').click();
  await page.waitForSelector('[data-testid="outbox-note"][data-count="2"]');
  await shot(page, 'offline_1_queued');
  assert.deepEqual(statusPosts, [], 'nothing reached the server while offline');

  // Back online: the outbox drains in order.
  await resp.context.setOffline(false);
  await page.waitForSelector('[data-testid="outbox-note"][hidden]', { state: 'attached', timeout: 20_000 });
  await shot(page, 'offline_2_sent');

  // Assert: exactly two posts, in tap order, each with its own key, both accepted; the server agrees.
  await eventually(() => statusPosts.length >= 2, 5000, 'both status posts');
  assert.deepEqual(statusPosts.map((p) => p.status), ['acknowledged', 'en_route']);
  assert.ok(statusPosts.every((p) => p.code >= 200 && p.code < 300), JSON.stringify(statusPosts));
  assert.notEqual(statusPosts[0].key, statusPosts[1].key);
  const responder = await login(server.url, 'amb01');
  const mine = await api(server.url, 'GET', '/api/v1/assignments?open=false', responder.token);
  assert.equal(mine.body.find((a) => a.id === asg.body.id)?.status, 'en_route');
  assert.deepEqual(resp.problems, [], resp.problems.join('\n'));
});
