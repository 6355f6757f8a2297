// A dispatcher rejects an incident with a reason, from the keyboard; it leaves the dispatcher's queue and
// appears, live and with the reason, on the call taker's console, who sends it on to another OPD. Any request off localhost and any console
// error fails the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, login, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';

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

/** Files a health incident (escalated to Dinkes only) from an answered emergency call, through the API. */
async function fileIncident(taker, description) {
  const call = await api(server.url, 'POST', '/api/v1/calls', taker.token, { ani: '081298765432', channel: 'voice', service_line: '112' });
  assert.equal(call.status, 201, JSON.stringify(call.body));
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/answer`, taker.token, {});
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/classify`, taker.token, { class: 'emergency' });
  const inc = await api(server.url, 'POST', '/api/v1/incidents', taker.token, {
    call_id: call.body.id,
    category: 'health',
    priority: 'p3',
    location: { lon: 106.9095, lat: -6.1629 },
    address: 'Jl. Boulevard Timur',
    victims: { count: 0, condition: 'unknown' },
    description,
  });
  assert.equal(inc.status, 201, JSON.stringify(inc.body));
  return inc.body;
}

test('a rejection with its reason reaches the call taker live, who escalates it to another OPD', async () => {
  const takerCtx = await guardedContext(browser, server.url, { viewport: { width: 1440, height: 900 } });
  const dispForbidden = [];
  const dispCtx = await guardedContext(browser, server.url, { viewport: { width: 1440, height: 900 }, allow403: dispForbidden });
  const takerPage = await takerCtx.context.newPage();
  const dispPage = await dispCtx.context.newPage();
  await Promise.all([loginAs(takerPage, 'operator1'), loginAs(dispPage, 'dispatch.dinkes')]);
  // A fresh centre: once read, the desk says nothing was sent back.
  const none = takerPage.locator('[data-testid="returned"][aria-busy="false"] li.muted');
  await none.waitFor();
  assert.equal(await none.innerText(), 'Tidak ada kejadian yang dikembalikan.');
  await dispPage.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
  await takerPage.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });

  const taker = await login(server.url, 'operator2');
  const incident = await fileIncident(taker, 'Penelepon minta info jadwal vaksin, bukan darurat.');

  // Dispatcher: the incident arrives; reject it from the keyboard.
  const item = dispPage.locator('.queue-item', { hasText: incident.number });
  await item.waitFor({ timeout: 15_000 });
  await item.focus();
  await dispPage.keyboard.press('Enter');
  const rejectButton = dispPage.locator('[data-testid="incident-actions"] button[data-action="reject"]');
  await rejectButton.waitFor();
  await rejectButton.focus();
  await dispPage.keyboard.press('Enter');
  await dispPage.waitForFunction(() => document.activeElement?.id === 'reject-reason');
  // Escape cancels and gives the focus back to the button; the incident stays.
  await dispPage.keyboard.press('Escape');
  await dispPage.waitForFunction(() => document.activeElement?.dataset?.action === 'reject');
  assert.equal(await dispPage.locator('[data-testid="reject-form"]').count(), 0);
  await dispPage.keyboard.press('Enter');
  await dispPage.waitForFunction(() => document.activeElement?.id === 'reject-reason');
  const reason = 'Bukan kedaruratan medis: permintaan informasi, arahkan ke layanan 119.';
  await dispPage.keyboard.type(reason);
  await shot(dispPage, 'reject_1_dispatcher_reason');
  await dispPage.keyboard.press('Tab');
  assert.equal(await dispPage.evaluate(() => document.activeElement?.dataset?.testid), 'reject-submit');
  await dispPage.keyboard.press('Enter');
  await item.waitFor({ state: 'detached', timeout: 15_000 });

  // Call taker: the incident is back, with the OPD and its reason, without a reload.
  const back = takerPage.locator(`[data-testid="returned"] li[data-number="${incident.number}"]`);
  await back.waitFor({ timeout: 15_000 });
  const text = await back.textContent();
  assert.ok(text.includes('Ditolak'), text);
  assert.equal(await back.locator('[data-testid="return-reason"]').textContent(), `Dinas Kesehatan Provinsi DKI Jakarta / PSC 119 (DEMO): ${reason}`);
  await shot(takerPage, 'reject_2_call_taker_returned');

  // The server agrees.
  const seen = await api(server.url, 'GET', `/api/v1/incidents/${incident.id}`, taker.token);
  assert.equal(seen.body.status, 'rejected');
  assert.equal(seen.body.agencies[0].reason, reason);

  // The call taker sends it on, from the keyboard, to another OPD with a note; it leaves the returned list.
  const agencies = await api(server.url, 'GET', '/api/v1/agencies', taker.token);
  const bpbd = agencies.body.find((a) => a.code === 'BPBD-DKI');
  const form = back.locator('[data-testid="escalate-form"]');
  await form.locator('select[name="agency_ids"]').selectOption(bpbd.id);
  await form.locator('input[name="note"]').focus();
  await takerPage.keyboard.type('Genangan setinggi lutut');
  // Meanwhile another incident is sent back: the list redraws under the call taker's hands, and what is being
  // typed (focus, text) survives it.
  const other = await fileIncident(taker, 'Laporan kedua, duplikat.');
  // The dispatcher's page reads `other` when its created/escalated events arrive; another Dinkes desk sends it
  // back at once, and an OPD that rejected an incident may no longer read it, so those reads may be refused
  // (403). The page then drops it: what its user sees is checked below.
  dispForbidden.push(`/api/v1/incidents/${other.id}`);
  const dinkesDesk = await login(server.url, 'dispatch.dinkes');
  const sentBack = await api(server.url, 'POST', `/api/v1/incidents/${other.id}/reject`, dinkesDesk.token, { reason: 'Duplikat.' });
  assert.equal(sentBack.status, 200, JSON.stringify(sentBack.body));
  await takerPage.locator(`[data-testid="returned"] li[data-number="${other.number}"]`).waitFor({ timeout: 15_000 });
  await dispPage.locator('.queue-item', { hasText: other.number }).waitFor({ state: 'detached', timeout: 15_000 });
  await takerPage.keyboard.type(' di lokasi, mohon BPBD.');
  assert.equal(await form.locator('input[name="note"]').inputValue(), 'Genangan setinggi lutut di lokasi, mohon BPBD.');
  await shot(takerPage, 'reject_3_call_taker_escalates');
  await takerPage.keyboard.press('Enter');
  await back.waitFor({ state: 'detached', timeout: 15_000 });
  const again = await api(server.url, 'GET', `/api/v1/incidents/${incident.id}`, taker.token);
  assert.equal(again.body.status, 'escalated');
  assert.deepEqual(
    again.body.agencies.map((a) => [a.agency_id === bpbd.id ? 'BPBD' : 'other', a.status]).sort(),
    [['BPBD', 'escalated'], ['other', 'rejected']],
  );

  // BPBD's desk has it in its queue, with the call taker's note and Dinkes's reason.
  const bpbdCtx = await guardedContext(browser, server.url, { viewport: { width: 1440, height: 900 } });
  const bpbdPage = await bpbdCtx.context.newPage();
  await loginAs(bpbdPage, 'dispatch.bpbd');
  const queued = bpbdPage.locator('.queue-item', { hasText: incident.number });
  await queued.waitFor({ timeout: 15_000 });
  await queued.focus();
  await bpbdPage.keyboard.press('Enter');
  const note = bpbdPage.locator('[data-testid="escalation-note"]');
  await note.waitFor();
  assert.equal(await note.textContent(), '✎ Catatan penerima panggilan: Genangan setinggi lutut di lokasi, mohon BPBD.');
  assert.ok((await bpbdPage.locator('[data-testid="rejections"]').textContent()).includes(reason));
  await shot(bpbdPage, 'reject_4_bpbd_desk_note');

  for (const [who, c] of Object.entries({ takerCtx, dispCtx, bpbdCtx })) assert.deepEqual(c.problems, [], `${who}: ${c.problems.join('\n')}`);
});
