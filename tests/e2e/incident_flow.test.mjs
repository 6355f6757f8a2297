// One whole incident across three browsers at once: the call taker files it, the dispatcher sees it appear
// on the live map without a reload and assigns the recommended ambulance, the responder (phone, 360x740)
// acknowledges and resolves it, the dispatcher sees the status change and closes the incident with the final
// report (keyboard only). Screenshots of every page go to tests/e2e/artifacts/. Any request off localhost and
// any console error fails the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, endpointStatus, login, missing, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';
import { FLOW_ENDPOINTS, requireEndpoints } from './support/flow.mjs';

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

test('an incident travels from call taker to dispatcher to responder and back', async () => {
  await requireEndpoints(server.url, FLOW_ENDPOINTS);
  // Endpoints outside this flow that are not deployed yet are tolerated and printed, so the flow tests what
  // it is about.
  const optional404 = { allow404: missing(await endpointStatus(server.url)) };
  console.log('tolerated 404s:', optional404.allow404);
  const taker = await guardedContext(browser, server.url, { viewport: { width: 1440, height: 900 }, ...optional404 });
  const disp = await guardedContext(browser, server.url, { viewport: { width: 1440, height: 900 }, ...optional404 });
  const resp = await guardedContext(browser, server.url, {
    viewport: { width: 360, height: 740 },
    isMobile: true,
    hasTouch: true,
    permissions: ['geolocation'],
    geolocation: { longitude: 106.905, latitude: -6.16 },
    ...optional404,
  });
  const takerPage = await taker.context.newPage();
  const dispPage = await disp.context.newPage();
  const respPage = await resp.context.newPage();

  // All three sign in at once.
  await Promise.all([loginAs(takerPage, 'operator1'), loginAs(dispPage, 'dispatch.dinkes'), loginAs(respPage, 'amb01')]);
  await dispPage.waitForSelector('.maplibregl-canvas');
  await respPage.waitForSelector('[data-testid="assignment"]');
  await takerPage.waitForSelector('.maplibregl-canvas');
  await dispPage.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });

  // Call taker: a manual call, answered, classified as an emergency with one key, then the SOP form.
  await takerPage.getByLabel('Nomor penelepon').fill('081234567890');
  await takerPage.getByRole('button', { name: /Catat panggilan/ }).click();
  await takerPage.waitForSelector('[data-testid="call-card"]:not([hidden])');
  await takerPage.locator('body').click({ position: { x: 5, y: 5 } });
  await takerPage.keyboard.press('1');
  await takerPage.waitForFunction(() => document.activeElement?.id === 'reporter-name');
  await takerPage.keyboard.type('Budi Santoso');
  // Pin: the caller names the district; the address search puts the pin inside it, from the keyboard.
  await takerPage.locator('#place-search').focus();
  await takerPage.keyboard.type('kelapa ga');
  await takerPage.waitForSelector('[data-testid="place-results"] li[aria-selected="true"]:has-text("Kelapa Gading")');
  await takerPage.keyboard.press('Enter');
  await takerPage.waitForSelector('[data-testid="region-chain"]:has-text("Kelapa Gading")');
  await takerPage.getByLabel('Alamat / patokan').fill('Depan Mall Kelapa Gading');
  await takerPage.getByLabel('Kategori', { exact: true }).selectOption('health');
  await takerPage.getByLabel('Prioritas', { exact: true }).selectOption('p1');
  await takerPage.getByLabel('Jumlah korban').fill('1');
  await takerPage.getByLabel('Kondisi korban').selectOption('serious');
  await takerPage.getByLabel('Kronologi / keterangan').fill('Pengendara motor jatuh, tidak sadar.');
  await shot(takerPage, 'flow_1_call_taker_form');
  await takerPage.keyboard.press('Control+Enter');
  const number = await takerPage.waitForFunction(() => document.querySelector('[data-testid="incident-form"]')?.dataset.lastIncident);
  const incidentNumber = await number.jsonValue();
  assert.match(incidentNumber, /^[A-Z]{2,5}-\d{8}-\d{4,9}$/);
  await shot(takerPage, 'flow_2_call_taker_submitted');

  // Dispatcher: the incident appears live, with the recommendation list; assign AMB-01 in one action.
  const item = dispPage.locator('.queue-item', { hasText: incidentNumber });
  await item.waitFor({ timeout: 15_000 });
  await item.click();
  const assignButton = dispPage.locator('[data-testid="recommendations"] button[data-assign-unit]', { hasText: 'AMB-01' });
  await assignButton.waitFor({ timeout: 15_000 });
  await shot(dispPage, 'flow_3_dispatcher_selected');
  await assignButton.click();
  await dispPage.waitForSelector('[data-testid="assignments"] li');

  // Responder: the assignment arrives; acknowledge, en route, on scene, resolved with a note.
  await respPage.waitForSelector(`[data-testid="assignment"] h2:has-text("${incidentNumber}")`, { timeout: 20_000 });
  assert.match(await respPage.locator('[data-testid="navigate"]').getAttribute('href'), /^https:\/\/www\.google\.com\/maps\/dir\/\?api=1&destination=-?\d+(\.\d+)?,-?\d+(\.\d+)?$/);
  await shot(respPage, 'flow_4_responder_assigned');
  for (const status of ['acknowledged', 'en_route', 'on_scene']) {
    await respPage.locator(`.status-btn[data-status="${status}"]:not([disabled])`).click();
    await respPage.waitForSelector(`[data-testid="assignment-status"][data-status="${status}"]`);
    await respPage.waitForSelector('[data-testid="outbox-note"][hidden]', { state: 'attached' });
  }
  await dispPage.waitForSelector('[data-testid="assignments"] li[data-status="on_scene"]', { timeout: 15_000 });
  await shot(dispPage, 'flow_5_dispatcher_on_scene');
  await respPage.locator('.status-btn[data-status="resolved"]').click();
  await respPage.locator('#sheet-note').fill('Korban dibawa ke RS.');
  await respPage.getByTestId('sheet-confirm').click();
  await respPage.waitForSelector('[data-testid="outbox-note"][hidden]', { state: 'attached' });
  await shot(respPage, 'flow_6_responder_resolved');

  // Dispatcher sees the change without a reload.
  await dispPage.waitForSelector('[data-testid="assignments"] li[data-status="resolved"]', { timeout: 15_000 });
  await shot(dispPage, 'flow_7_dispatcher_resolved');

  // The incident is resolved: the dispatcher closes it with the final report, from the keyboard.
  const closeButton = dispPage.locator('[data-testid="incident-actions"] button[data-action="close"]');
  await closeButton.waitFor({ timeout: 15_000 });
  await closeButton.focus();
  await dispPage.keyboard.press('Enter');
  await dispPage.waitForFunction(() => document.activeElement?.id === 'close-report');
  // An empty report is refused in the user's language, with the field marked.
  await dispPage.keyboard.press('Control+Enter');
  await dispPage.waitForSelector('#close-report[aria-invalid="true"]');
  assert.equal(await dispPage.locator('#close-report-error').textContent(), 'Tuliskan laporan penutupan.');
  const report = 'AMB-01 tiba 8 menit, korban sadar, dirujuk ke RS Mitra Keluarga Kelapa Gading.';
  await dispPage.keyboard.type(report);
  await shot(dispPage, 'flow_8_dispatcher_close_report');
  await dispPage.keyboard.press('Control+Enter');
  await item.waitFor({ state: 'detached', timeout: 15_000 });
  await dispPage.waitForSelector('[data-testid="incident-detail"] p.muted');
  await shot(dispPage, 'flow_9_dispatcher_closed');
  const dispatcher = await login(server.url, 'dispatch.dinkes');
  const all = await api(server.url, 'GET', '/api/v1/incidents?open=false', dispatcher.token);
  const closed = all.body.find((i) => i.number === incidentNumber);
  assert.equal(closed?.status, 'closed', JSON.stringify(closed));
  assert.equal(closed.final_report, report);

  for (const [who, c] of Object.entries({ taker, disp, resp })) assert.deepEqual(c.problems, [], `${who}: ${c.problems.join('\n')}`);
});
