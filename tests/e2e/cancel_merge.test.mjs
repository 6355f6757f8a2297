// Withdrawing incidents from the dispatcher's screen: cancelling an assigned incident as a false alarm tells
// the crew on its phone (the card says "Dibatalkan — <alasan>" and the alarm stops), and merging a duplicate
// report into the incident it repeats leaves one incident in the queue with both calls. Any request off
// localhost and any console error fails the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, hasEndpoint, login, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';
import { eventually } from './support/flow.mjs';

const ANDROID_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36';
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, userAgent: ANDROID_UA };
const DESK = { viewport: { width: 1366, height: 768 } };

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

/** Files a health incident in Kelapa Gading from an answered emergency call (one per caller number). */
async function fileIncident(taker, ani, lon, description) {
  const call = await api(server.url, 'POST', '/api/v1/calls', taker.token, { ani, channel: 'voice', service_line: '112' });
  assert.equal(call.status, 201, JSON.stringify(call.body));
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/answer`, taker.token, {});
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/classify`, taker.token, { class: 'emergency' });
  const inc = await api(server.url, 'POST', '/api/v1/incidents', taker.token, {
    call_id: call.body.id,
    category: 'health',
    priority: 'p2',
    location: { lon, lat: -6.1602 },
    address: 'Jl. Boulevard Barat 1',
    victims: { count: 1, condition: 'serious' },
    description,
  });
  assert.equal(inc.status, 201, JSON.stringify(inc.body));
  return { incident: inc.body, call: call.body.id };
}

async function openInQueue(page, number) {
  const item = page.locator('.queue-item', { hasText: number });
  await item.waitFor({ timeout: 15_000 });
  await item.click();
  await page.locator('[data-testid="incident-detail"] h2', { hasText: number }).waitFor();
  return item;
}

test('a dispatcher cancels an assigned incident as a false alarm and the crew’s phone says so', async () => {
  assert.ok(await hasEndpoint(server.url, '/api/v1/incidents/{id}/cancel'), 'the server has no cancel route');
  const phone = await guardedContext(browser, server.url, PHONE);
  const desk = await guardedContext(browser, server.url, DESK);
  const phonePage = await phone.context.newPage();
  const deskPage = await desk.context.newPage();
  await Promise.all([loginAs(phonePage, 'amb01'), loginAs(deskPage, 'dispatch.dinkes')]);
  await phonePage.getByText(/Belum ada penugasan/).waitFor();
  await deskPage.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });

  const taker = await login(server.url, 'operator1');
  const dispatcher = await login(server.url, 'dispatch.dinkes');
  const { incident } = await fileIncident(taker, '081298760001', 106.9051, 'Pingsan di halte.');
  const units = await api(server.url, 'GET', `/api/v1/units?agency_id=${dispatcher.user.agency_id}`, dispatcher.token);
  const amb01 = units.body.find((u) => u.call_sign === 'AMB-01');
  const asg = await api(server.url, 'POST', `/api/v1/incidents/${incident.id}/assignments`, dispatcher.token, { unit_id: amb01.id });
  assert.equal(asg.status, 201, JSON.stringify(asg.body));
  await phonePage.locator('[data-testid="assignment-status"][data-status="assigned"]').waitFor({ timeout: 15_000 });
  await phonePage.waitForSelector('html[data-alert="ringing"]', { timeout: 15_000 });

  // The dispatcher opens the incident and cancels it: a false alarm, with a note for the crew.
  const item = await openInQueue(deskPage, incident.number);
  await deskPage.locator('[data-testid="incident-actions"] button[data-action="cancel"]').click();
  const form = deskPage.getByTestId('cancel-form');
  await form.waitFor();
  await form.locator('#cancel-reason').selectOption('false_alarm');
  // The master's number is asked only for a duplicate.
  assert.equal(await form.locator('#cancel-master').isVisible(), false);
  await form.locator('#cancel-note').fill('Pelapor salah lihat, korban sudah pulang.');
  await shot(deskPage, 'cancel_1_dispatcher_form');
  await deskPage.getByTestId('cancel-submit').click();
  await item.waitFor({ state: 'detached', timeout: 15_000 });

  // The phone: the alarm stops and the card says the assignment was cancelled, and why.
  const notice = phonePage.getByTestId('assignment-cancelled');
  await notice.waitFor({ timeout: 15_000 });
  assert.equal(await notice.getAttribute('data-reason'), 'false_alarm');
  assert.match(await notice.innerText(), /Dibatalkan — Laporan palsu/);
  assert.ok((await notice.innerText()).includes(incident.number));
  await phonePage.waitForSelector('html[data-alert="idle"]', { timeout: 15_000 });
  await shot(phonePage, 'cancel_2_responder_cancelled');
  await phonePage.getByTestId('cancelled-ok').click();
  await phonePage.getByText(/Belum ada penugasan/).waitFor();

  // The server agrees: the incident is cancelled, the unit free.
  const after = await api(server.url, 'GET', `/api/v1/incidents/${incident.id}`, dispatcher.token);
  assert.equal(after.body.status, 'cancelled');
  assert.equal(after.body.cancel_reason, 'false_alarm');
  const freed = await api(server.url, 'GET', `/api/v1/units?agency_id=${dispatcher.user.agency_id}`, dispatcher.token);
  assert.equal(freed.body.find((u) => u.call_sign === 'AMB-01').status, 'available');
  assert.deepEqual([...phone.problems, ...desk.problems], []);
  await phone.context.close();
  await desk.context.close();
});

test('merging a duplicate in the dispatcher screen leaves one incident with both calls', async () => {
  assert.ok(await hasEndpoint(server.url, '/api/v1/incidents/{id}/merge'), 'the server has no merge route');
  const desk = await guardedContext(browser, server.url, DESK);
  const page = await desk.context.newPage();
  await loginAs(page, 'dispatch.dinkes');
  await page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });

  const taker = await login(server.url, 'operator1');
  const first = await fileIncident(taker, '081298760002', 106.9071, 'Kecelakaan, korban tidak sadar.');
  const second = await fileIncident(taker, '081298760003', 106.9072, 'Orang pingsan di depan ruko.');

  // The duplicate's panel offers the nearby incident it repeats; one click merges it there.
  const dupItem = await openInQueue(page, second.incident.number);
  await page.locator('[data-testid="incident-actions"] button[data-action="merge"]').click();
  const pick = page.locator(`[data-testid="merge-form"] [data-merge-into="${first.incident.id}"]`);
  await pick.waitFor();
  await shot(page, 'merge_1_dispatcher_candidates');
  await pick.click();
  await dupItem.waitFor({ state: 'detached', timeout: 15_000 });

  // One incident is left, selected, with both calls.
  await page.locator('[data-testid="incident-detail"] h2', { hasText: first.incident.number }).waitFor();
  await page.locator('[data-testid="detail-calls"][data-count="2"]').waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('.queue-item', { hasText: first.incident.number }).count(), 1);
  await shot(page, 'merge_2_master_with_both_calls');

  const dispatcher = await login(server.url, 'dispatch.dinkes');
  const master = await api(server.url, 'GET', `/api/v1/incidents/${first.incident.id}`, dispatcher.token);
  assert.deepEqual([...master.body.call_ids].sort(), [first.call, second.call].sort());
  const dup = await api(server.url, 'GET', `/api/v1/incidents/${second.incident.id}`, dispatcher.token);
  assert.equal(dup.body.status, 'cancelled');
  assert.deepEqual(dup.body.merged_into, { id: first.incident.id, number: first.incident.number });
  // The duplicate's number finds the master.
  const found = await eventually(async () => {
    const r = await api(server.url, 'GET', `/api/v1/incidents?number=${second.incident.number}`, dispatcher.token);
    return r.status === 200 && r.body.length === 1 ? r.body[0] : null;
  });
  assert.equal(found.id, first.incident.id);
  assert.deepEqual(desk.problems, []);
  await desk.context.close();
});
