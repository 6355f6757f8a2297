// Callers and call-backs on the call taker's console (issue 16): a call rings from a number with three prank
// calls this month, and the caller's history appears on the console at once, with the prank flag and the
// calls that make it; a dropped call's call-back task arrives live in the work list, and the call taker takes
// it and records that the caller was reached; the ringing caller is put on the list to be rung back later. No coordinates: nothing here depends on where the demo is.
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

/** A call from `ani` answered by `token`'s call taker, classified and ended. */
async function handled(token, ani, cls, notes) {
  const call = await api(server.url, 'POST', '/api/v1/calls', token, { ani, channel: 'voice' });
  assert.equal(call.status, 201, JSON.stringify(call.body));
  const path = `/api/v1/calls/${call.body.id}`;
  for (const [step, body] of [
    ['answer', {}],
    ['classify', { class: cls, notes }],
    ['end', {}],
  ]) {
    const r = await api(server.url, 'POST', `${path}/${step}`, token, body);
    assert.equal(r.status, 200, `${step}: ${JSON.stringify(r.body)}`);
  }
  return call.body.id;
}

test('a ringing call shows its caller history with the prank flag, and a dropped call is called back from the list', async () => {
  const colleague = await login(server.url, 'operator2');
  for (const notes of ['lapor kebakaran palsu', 'tertawa lalu menutup', 'iseng lagi']) await handled(colleague.token, '081266670001', 'prank', notes);

  const { context, problems } = await guardedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await loginAs(page, 'operator1');
  await page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
  await page.getByTestId('call-backs').getByText('Tidak ada panggilan balik yang menunggu.').waitFor();

  // The number rings again: its history is on the console before anyone answers.
  const ringing = await api(server.url, 'POST', '/api/v1/calls', colleague.token, { ani: '0812-6667-0001', channel: 'voice' });
  assert.equal(ringing.status, 201, JSON.stringify(ringing.body));
  await page.waitForSelector(`[data-call-id="${ringing.body.id}"]`);
  const history = page.getByTestId('caller-history');
  await history.getByText('Riwayat +6281266670001').waitFor();
  const prank = history.getByTestId('history-prank');
  await prank.getByText(/Penelepon iseng berulang: 3 panggilan iseng dalam 30 hari terakhir/).waitFor();
  for (const note of ['lapor kebakaran palsu', 'tertawa lalu menutup', 'iseng lagi']) await prank.getByText(note, { exact: false }).waitFor();
  assert.equal(await history.getByTestId('history-calls').locator('li').count(), 3);
  await shot(page, 'call_taker_caller_history');

  // Another caller drops before anyone answers: the call-back task arrives live.
  const dropped = await api(server.url, 'POST', '/api/v1/calls', colleague.token, { ani: '081266670002', channel: 'voice' });
  assert.equal(dropped.status, 201, JSON.stringify(dropped.body));
  const ended = await api(server.url, 'POST', `/api/v1/calls/${dropped.body.id}/end`, colleague.token, {});
  assert.equal(ended.body.status, 'abandoned');
  const task = page.locator('[data-testid="call-backs"] li[data-call-back-id]');
  await task.first().waitFor();
  assert.equal(await task.count(), 1);
  assert.match(await task.first().textContent(), /\+6281266670002 · terputus sebelum dijawab · batas/);
  assert.equal(await task.first().getAttribute('data-overdue'), 'false');

  await task.first().getByTestId('call-back-claim').click();
  await page.getByText('Anda menelepon balik +6281266670002.').waitFor();
  await task.first().getByTestId('call-back-outcome').selectOption('reached');
  await task.first().getByTestId('call-back-record').click();
  await page.getByText('Panggilan balik dicatat.').waitFor();
  await page.getByTestId('call-backs').getByText('Tidak ada panggilan balik yang menunggu.').waitFor();
  await shot(page, 'call_taker_call_backs');

  // The ringing caller is to be rung back later to confirm: asked from the history, it joins the list.
  await history.getByTestId('ask-call-back').click();
  await page.getByText('Panggilan balik dijadwalkan.').waitFor();
  await task.first().waitFor();
  assert.match(await task.first().textContent(), /\+6281266670001 · konfirmasi/);
  await history.getByText(/Panggilan balik terbuka: konfirmasi/).waitFor();

  const done = await api(server.url, 'GET', '/api/v1/call-backs?status=done', colleague.token);
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const mine = done.body.find((b) => b.call_id === dropped.body.id);
  assert.equal(mine?.status, 'done', JSON.stringify(done.body));
  assert.equal(mine.last_outcome, 'reached');
  assert.equal(mine.attempts, 1);
  assert.deepEqual(problems, [], problems.join('\n'));
  await context.close();
});

test("a dispatcher asks for a call back to confirm from the incident panel; the call takers' list gets it", async () => {
  const colleague = await login(server.url, 'operator2');
  // A place inside the demo area, as the API lists it (no coordinates written here): where AMB-01 is parked.
  const units = await api(server.url, 'GET', '/api/v1/units', colleague.token);
  const { lon, lat } = units.body.find((u) => u.call_sign === 'AMB-01').position;
  const call = await api(server.url, 'POST', '/api/v1/calls', colleague.token, { ani: '081266670003', channel: 'voice' });
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/answer`, colleague.token, {});
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/classify`, colleague.token, { class: 'emergency' });
  const inc = await api(server.url, 'POST', '/api/v1/incidents', colleague.token, {
    call_id: call.body.id,
    category: 'health',
    priority: 'p3',
    location: { lon, lat },
    victims: { count: 2, condition: 'minor' },
    description: 'dua orang pingsan, jumlah korban perlu dipastikan',
  });
  assert.equal(inc.status, 201, JSON.stringify(inc.body));
  const dinkes = inc.body.agencies.find((a) => a.agency_type === 'health');
  assert.ok(dinkes, JSON.stringify(inc.body.agencies));
  const dispatcher = (await api(server.url, 'GET', '/api/v1/users', (await login(server.url, 'admin')).token)).body.find(
    (u) => u.role === 'dispatcher' && u.agency_id === dinkes.agency_id,
  );
  assert.ok(dispatcher, 'a dispatcher of the health OPD');

  const { context, problems } = await guardedContext(browser, server.url, { viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await loginAs(page, dispatcher.username);
  await page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
  const item = page.locator('.queue-item', { hasText: inc.body.number });
  await item.waitFor({ timeout: 15_000 });
  await item.click();
  await page.locator('[data-testid="incident-actions"] button[data-action="call-back"]').click();
  await page.getByText('Permintaan panggilan balik dikirim ke penerima panggilan.').waitFor();

  const open = await api(server.url, 'GET', '/api/v1/call-backs', colleague.token);
  const asked = open.body.find((b) => b.incident_id === inc.body.id);
  assert.equal(asked?.reason, 'confirm', JSON.stringify(open.body));
  assert.equal(asked.call_id, call.body.id);
  assert.equal(asked.ani, '+6281266670003');
  assert.deepEqual(problems, [], problems.join('\n'));
  await context.close();
});
