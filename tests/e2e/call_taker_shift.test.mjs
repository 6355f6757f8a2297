// A call taker's shift on the console at 1366×768, as the user sees it: two calls back to back leave nothing of
// the first caller in the second (number, name, pin, description, priority bar, map view); keys that end a call
// ask first, and a stray digit after classifying is explained in plain words; a reload and a language switch
// in the middle of a call keep the call and the form; the OPDs shown for a health incident are Dinkes only; bad
// victims counts name the field and the rule; the submit button is on screen without scrolling the page; a
// filed incident appears in "my incidents" with its number and follows the dispatcher's verification live; and
// AUX is what the supervisor's agent list shows. Any request off localhost and any console error fails a test.
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

const VIEWPORT = { width: 1366, height: 768 };
/** An AML fix on Boulevard Timur, Kelapa Gading (inside the demo district 31.72.06). */
const AML_LON = 106.9095;
const AML_LAT = -6.16289;
const AML =
  'v=3&emergency_number=112&source=call&time=1795575590000&location_latitude=-6.16289&location_longitude=106.90950' +
  '&location_time=1795575590000&location_source=gps&location_accuracy=12.5&location_confidence=0.68&device_number=%2B6281211110001';

async function openConsole(username = 'operator1') {
  const { context, problems } = await guardedContext(browser, server.url, { viewport: VIEWPORT });
  const page = await context.newPage();
  await loginAs(page, username);
  await page.waitForSelector('.maplibregl-canvas');
  await page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
  // The demo centre has no follow-up programme: no work list.
  assert.equal(await page.getByTestId('follow-up-section').isHidden(), true);
  return { context, page, problems };
}

/** Clicks somewhere neutral, so shortcut keys do not go into a field. */
async function leaveFields(page) {
  await page.locator('[data-testid="shortcuts"]').click();
}

/** Registers a manual call from the side form; the console answers it and shows its card. */
async function registerCall(page, ani) {
  await page.getByLabel('Nomor penelepon').fill(ani);
  await page.getByRole('button', { name: /Catat panggilan/ }).click();
  await page.waitForSelector(`[data-testid="call-card"]:not([hidden]) h2:has-text("${ani.slice(1)}")`);
  await leaveFields(page);
}

async function mapView(page) {
  return page.evaluate(() => {
    const map = document.querySelector('[data-testid="map"]').maplibreMap;
    const c = map.getCenter();
    return { lon: c.lng, lat: c.lat, zoom: map.getZoom(), moving: map.isMoving() };
  });
}

async function settledMap(page) {
  await page.waitForFunction(() => !document.querySelector('[data-testid="map"]').maplibreMap.isMoving());
  return mapView(page);
}

test("two calls back to back: nothing of the first caller shows in the second, and ending keys ask first", async () => {
  const { context, page, problems } = await openConsole();
  const taker = await login(server.url, 'operator2');
  const phone = page.getByLabel('Telepon pelapor');
  const name = page.getByLabel('Nama pelapor');
  const description = page.getByLabel('Kronologi / keterangan');

  // First caller: a phone with an AML fix rings; A answers it and the map goes to the caller.
  const first = await api(server.url, 'POST', '/api/v1/calls', taker.token, { ani: '081211110001', channel: 'voice', service_line: '112', aml: AML });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  await page.waitForSelector(`[data-call-id="${first.body.id}"]`);
  // A ready console with no call answered is rung (a telephone's double ring; the title flashes when hidden).
  await page.waitForFunction(() => document.body.dataset.lastCue === 'incoming_call');
  await leaveFields(page);
  await page.keyboard.press('a');
  await page.waitForSelector('[data-testid="call-card"]:not([hidden]) h2:has-text("6281211110001")');
  await page.waitForFunction(() => document.getElementById('location').textContent.includes('-6.16289'));
  const atCaller = await settledMap(page);
  assert.ok(atCaller.zoom >= 14, `the map zooms to the caller (zoom ${atCaller.zoom})`);
  assert.equal(await phone.inputValue(), '+6281211110001');
  await name.fill('Penelepon pertama');
  await description.fill('Menanyakan jadwal vaksin');
  await page.getByLabel('Catatan panggilan').fill('Tanya jadwal vaksin di puskesmas');
  await page.getByLabel('Prioritas').selectOption('p1');
  assert.equal(await page.getByLabel('Prioritas').evaluate((el) => getComputedStyle(el).borderLeftColor), 'rgb(183, 28, 28)');

  // Key 2 (information) would end the call: it asks first, and the server still has the call open.
  await leaveFields(page);
  await page.keyboard.press('2');
  const confirm = page.getByTestId('confirm-ending');
  await confirm.waitFor();
  assert.match(await confirm.textContent(), /Akhiri panggilan sebagai “Informasi”\?/);
  const still = await api(server.url, 'GET', `/api/v1/calls/${first.body.id}`, taker.token);
  assert.equal(still.body.status, 'answered');
  await shot(page, 'call_taker_confirm_ending');
  // Escape keeps the call; 2 and Enter end it.
  await page.keyboard.press('Escape');
  await confirm.waitFor({ state: 'detached' });
  await page.keyboard.press('2');
  await confirm.waitFor();
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="call-card"][hidden]', { state: 'attached' });
  const ended = await api(server.url, 'GET', `/api/v1/calls/${first.body.id}`, taker.token);
  assert.deepEqual([ended.body.status, ended.body.class, ended.body.notes], ['ended', 'information', 'Tanya jadwal vaksin di puskesmas']);

  // Second caller: an emergency (key 1); the form is theirs alone, and the map has left the first caller.
  await registerCall(page, '081322220002');
  await page.keyboard.press('1');
  await page.waitForFunction(() => document.activeElement?.id === 'reporter-name');
  const view = await settledMap(page);
  await shot(page, 'call_taker_second_caller');
  assert.equal(await phone.inputValue(), '+6281322220002');
  assert.equal(await name.inputValue(), '');
  assert.equal(await description.inputValue(), '');
  assert.equal(await page.getByLabel('Kategori', { exact: true }).inputValue(), '');
  assert.equal(await page.getByLabel('Prioritas').inputValue(), 'p2');
  assert.notEqual(await page.getByLabel('Prioritas').evaluate((el) => getComputedStyle(el).borderLeftColor), 'rgb(183, 28, 28)');
  assert.equal(await page.locator('#location').textContent(), 'Lokasi kejadian belum ditetapkan.');
  assert.equal(await page.locator('.maplibregl-marker').count(), 0, 'no pin of the first caller');
  assert.equal(await page.getByTestId('call-notes-saved').count(), 0, 'no notes of the first caller');
  assert.ok(view.zoom < 13, `the map is back to the overview (zoom ${view.zoom})`);

  // A stray digit after classifying says what happened, in plain words, and sends nothing.
  await leaveFields(page);
  await page.keyboard.press('3');
  await page.getByText(/sudah diklasifikasikan sebagai “Darurat”/).waitFor();
  assert.equal(await page.getByText('Status tidak dapat diubah ke langkah tersebut.').count(), 0);

  // Alt+E with a half-filled form asks, then ends the call and leaves nothing behind.
  await name.fill('Penelepon kedua');
  await page.locator('[data-testid="map"] canvas').click({ position: { x: 200, y: 200 } });
  await page.waitForSelector('.maplibregl-marker');
  await page.keyboard.press('Alt+e');
  await confirm.waitFor();
  assert.match(await confirm.textContent(), /Akhiri panggilan ini\?/);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="call-card"][hidden]', { state: 'attached' });
  assert.equal(await name.inputValue(), '');
  assert.equal(await phone.inputValue(), '');
  assert.equal(await page.locator('.maplibregl-marker').count(), 0);
  assert.deepEqual(problems, [], problems.join('\n'));
  await context.close();
});

test('a reload and a language switch mid-call keep the call and the form; the filed incident follows its OPD live', async () => {
  const { context, page, problems } = await openConsole();
  await registerCall(page, '081344440004');
  await page.keyboard.press('1');
  await page.waitForFunction(() => document.activeElement?.id === 'reporter-name');
  await page.getByLabel('Nama pelapor').fill('Siti Aminah');
  await page.getByLabel('Kronologi / keterangan').fill('Ibu hamil pendarahan');
  await page.getByLabel('Kategori', { exact: true }).selectOption('health');
  await page.locator('[data-testid="map"] canvas').click({ position: { x: 300, y: 250 } });
  await page.waitForSelector('[data-testid="receiving"] li');
  const pinned = await page.locator('#location').textContent();

  // Reload: the call (classified, not ended) comes back with its card and the form as typed.
  await page.reload();
  await page.waitForSelector('[data-testid="call-card"]:not([hidden]) h2:has-text("6281344440004")');
  assert.match(await page.getByTestId('call-status').textContent(), /Diklasifikasi · Darurat/);
  assert.equal(await page.getByLabel('Nama pelapor').inputValue(), 'Siti Aminah');
  assert.equal(await page.getByLabel('Kronologi / keterangan').inputValue(), 'Ibu hamil pendarahan');
  assert.equal(await page.getByLabel('Kategori', { exact: true }).inputValue(), 'health');
  assert.equal(await page.locator('#location').textContent(), pinned);
  await page.waitForSelector('.maplibregl-marker');

  // Only the OPD a health incident goes to is listed, by name, with no raw codes.
  await page.waitForSelector('[data-testid="receiving"] li');
  const receiving = await page.getByTestId('receiving').locator('li').allTextContents();
  assert.equal(receiving.length, 1, receiving.join(' | '));
  assert.match(receiving[0], /Dinas Kesehatan|Dinkes/i);
  const regionText = await page.getByTestId('region').textContent();
  for (const raw of ['health:', 'fire:', 'disaster:', 'police:', 'social:']) assert.ok(!regionText.includes(raw), `raw code ${raw} in "${regionText}"`);

  // A language switch redraws in place: no reload, the call and the form stay.
  await page.evaluate(() => (window.__noReload = true));
  await page.locator('header select.lang').selectOption('en');
  await page.waitForSelector('header h1:has-text("Call-taker console")');
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was not reloaded');
  await page.waitForSelector('[data-testid="call-card"]:not([hidden]) h2:has-text("6281344440004")');
  assert.equal(await page.getByLabel('Reporter name').inputValue(), 'Siti Aminah');
  assert.equal(await page.getByLabel('Category', { exact: true }).inputValue(), 'health');
  await shot(page, 'call_taker_english_mid_call');
  await page.locator('header select.lang').selectOption('id');
  await page.waitForSelector('header h1:has-text("Konsol penerima panggilan")');
  assert.equal(await page.getByLabel('Nama pelapor').inputValue(), 'Siti Aminah');

  // The submit button is on screen at 1366×768 without scrolling the page.
  const submit = page.getByTestId('submit-incident');
  const box = await submit.boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= VIEWPORT.height, `submit at ${JSON.stringify(box)}`);
  assert.equal(await page.evaluate(() => document.scrollingElement.scrollTop), 0);

  // Victims counts the server cannot take are refused naming the field and the rule.
  const victims = page.getByLabel('Jumlah korban');
  for (const bad of ['-3', '2.5', '99999999']) {
    await victims.fill(bad);
    await submit.click();
    const error = page.locator('#form-error');
    await error.waitFor();
    assert.match(await error.textContent(), /Jumlah korban harus bilangan bulat dari 0 sampai 100\.000/, bad);
    assert.equal(await victims.getAttribute('aria-invalid'), 'true');
  }
  await shot(page, 'call_taker_victims_rule');
  await victims.fill('1');
  // The time of the event, ten minutes ago to the minute (the browser and this test share the machine's zone).
  const then = new Date(Date.now() - 10 * 60_000);
  then.setSeconds(0, 0);
  const pad = (n) => String(n).padStart(2, '0');
  const local = `${then.getFullYear()}-${pad(then.getMonth() + 1)}-${pad(then.getDate())}T${pad(then.getHours())}:${pad(then.getMinutes())}`;
  await page.getByLabel('Waktu kejadian').fill(local);

  // Filed: the card shows the number, and "my incidents" lists it, escalated.
  await page.keyboard.press('Control+Enter');
  await page.getByText(/Kejadian JK[UT]-\d{8}-\d{4} dibuat\./).waitFor();
  const card = page.getByTestId('call-incident');
  await card.waitFor();
  const number = (await card.textContent()).match(/JK[UT]-\d{8}-\d{4}/)[0];
  const mine = page.locator(`[data-testid="my-incidents"] li[data-number="${number}"]`);
  await mine.waitFor();
  assert.match(await mine.textContent(), /Diteruskan ke OPD/);

  // The Dinkes dispatcher verifies it through the API: the list follows live.
  const dinkes = await login(server.url, 'dispatch.dinkes');
  const id = await mine.getAttribute('data-incident-id');
  const verified = await api(server.url, 'POST', `/api/v1/incidents/${id}/verify`, dinkes.token, {});
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  const filed = await api(server.url, 'GET', `/api/v1/incidents/${id}`, dinkes.token);
  assert.equal(filed.body.occurred_at, then.getTime());
  await page.waitForSelector(`[data-testid="my-incidents"] li[data-number="${number}"][data-status="verified"]`);
  assert.match(await mine.textContent(), /Terverifikasi/);
  await shot(page, 'call_taker_my_incidents');

  // The call is still open; Alt+E ends it without asking (the form has nothing unsent).
  await leaveFields(page);
  await page.keyboard.press('Alt+e');
  await page.waitForSelector('[data-testid="call-card"][hidden]', { state: 'attached' });
  assert.deepEqual(problems, [], problems.join('\n'));
  await context.close();
});

test('a second call about the same event is linked to the open incident instead of a new ticket', async () => {
  const { context, page, problems } = await openConsole();
  await registerCall(page, '081355550005');
  await page.keyboard.press('1');
  await page.waitForFunction(() => document.activeElement?.id === 'reporter-name');
  await page.getByLabel('Kategori', { exact: true }).selectOption('health');
  // The same spot as the health incident filed in the test before.
  await page.locator('[data-testid="map"] canvas').click({ position: { x: 300, y: 250 } });
  const link = page.getByTestId('link-duplicate').first();
  await link.waitFor();
  await link.click();
  await page.getByText(/Panggilan digabungkan ke kejadian JK[UT]-\d{8}-\d{4}\./).waitFor();
  const number = (await page.getByTestId('call-incident').textContent()).match(/JK[UT]-\d{8}-\d{4}/)[0];
  const taker = await login(server.url, 'operator1');
  const calls = await api(server.url, 'GET', '/api/v1/calls?mine=true&open=true', taker.token);
  const linked = calls.body.find((c) => c.ani === '+6281355550005');
  const inc = await api(server.url, 'GET', `/api/v1/incidents/${linked.incident_id}`, taker.token);
  assert.equal(inc.body.number, number);
  assert.equal(await page.getByLabel('Kategori', { exact: true }).inputValue(), '', 'the form starts again');
  await shot(page, 'call_taker_linked_duplicate');
  await leaveFields(page);
  await page.keyboard.press('Alt+e');
  await page.waitForSelector('[data-testid="call-card"][hidden]', { state: 'attached' });
  assert.deepEqual(problems, [], problems.join('\n'));
  await context.close();
});

test("AUX chosen on the console is what the supervisor's agent list shows, also after a reload", async () => {
  // operator2 has no call open (the board would show it on a call, whatever its chosen state).
  const { context, page, problems } = await openConsole('operator2');
  const supervisor = await login(server.url, 'supervisor');
  const agent = async () => (await api(server.url, 'GET', '/api/v1/agents', supervisor.token)).body.find((a) => a.username === 'operator2');
  await page.getByLabel('Status agen').selectOption({ label: '◐ Tidak siap: Istirahat' });
  await page.waitForSelector('[data-testid="agent"][data-state="aux"]');
  assert.deepEqual(await agent().then((a) => [a.state, a.reason]), ['aux', 'break']);
  await shot(page, 'call_taker_aux');
  await page.reload();
  await page.waitForSelector('[data-testid="agent"][data-state="aux"]');
  assert.deepEqual(await agent().then((a) => [a.state, a.reason]), ['aux', 'break']);
  await page.getByLabel('Status agen').selectOption('ready');
  await page.waitForSelector('[data-testid="agent"][data-state="ready"]');
  assert.equal((await agent()).state, 'ready');
  assert.deepEqual(problems, [], problems.join('\n'));
  await context.close();
});
