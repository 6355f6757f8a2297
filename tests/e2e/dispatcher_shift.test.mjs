// A dispatcher's shift at 1366×768 (Dinkes), with a call taker filing and a crew answering through the API
// at the same time, and AMB-01's crew on a phone (360×740) that rings while it does not acknowledge (and a call taker's page, which hears an incident sent back to it): new incidents are heard and flash the title while the tab is hidden, and a visible mute
// silences them; recommendations follow the units; a crew that never acknowledges raises an alarm, and the
// dispatcher cancels, reassigns, records the crew's radio reports and closes; units are selected, followed,
// and taken out of service and back; a resolved incident offers no assignment. Any request off localhost and
// any console error fails the test.
//
// Cues are observed through the documented hook of `ui/cues.ts`: `data-last-cue`, `data-cue-count` and
// `data-cue-sounded` on <body>, and the document title. The short P1 acknowledge target comes from the
// server's configuration (SIAGA_DISPATCH__SLA__PRIORITIES__P1__*).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, login, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';
import { eventually } from './support/flow.mjs';

const VIEWPORT = { width: 1366, height: 768 };
/** P1 targets (seconds): a crew has 3 s to acknowledge; everything else is far away. */
const P1 = { ESCALATION_S: 600, DISPATCH_S: 600, ACKNOWLEDGE_S: 3, ARRIVAL_URBAN_S: 3600, ARRIVAL_RURAL_S: 3600, RESOLUTION_S: 14400 };
const REALERT_S = 5;
/** AMB-01's crew phone: 360×740, touch, Android. */
const PHONE = {
  viewport: { width: 360, height: 740 },
  isMobile: true,
  hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
};
/** How many times the phone has alarmed (`<html data-alert-count>`, see pages/responder/alerts.ts). */
const alertCount = (page) => page.evaluate(() => Number(document.documentElement.dataset.alertCount ?? 0));

let server;
let browser;
let taker;
let desk;
let disp;
/** Incident reads the dispatcher's page may be refused: ones its OPD sent back while the page was reading them. */
const dispForbidden = [];

before(async () => {
  const env = Object.fromEntries(Object.entries(P1).map(([k, v]) => [`SIAGA_DISPATCH__SLA__PRIORITIES__P1__${k}`, String(v)]));
  // The crew's phone rings again every 5 s while an assignment is not acknowledged.
  env.SIAGA_PUSH__REALERT_S = String(REALERT_S);
  server = await startServer({ env });
  browser = await launch();
  taker = await login(server.url, 'operator2');
  desk = await login(server.url, 'dispatch.dinkes');
  disp = await guardedContext(browser, server.url, { viewport: VIEWPORT, allow403: dispForbidden });
  disp.page = await disp.context.newPage();
  await loginAs(disp.page, 'dispatch.dinkes');
  await disp.page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

let calls = 0;
/** Numbers of the incidents Dinkes sent back in the first test: a call taker signing in later finds them listed. */
const sentBackEarlier = [];
/** Files a health incident (Dinkes only) from an answered emergency call, as a call taker would; by default where
 * AMB-01 is parked (Jalan Janur Elok IX, Kelapa Gading). */
async function fileIncident({ priority = 'p2', lon = 106.90518, lat = -6.14666, description = 'Warga pingsan di depan toko.' } = {}) {
  calls += 1;
  const ani = `08121111${String(calls).padStart(4, '0')}`;
  const call = await api(server.url, 'POST', '/api/v1/calls', taker.token, { ani, channel: 'voice', service_line: '112' });
  assert.equal(call.status, 201, JSON.stringify(call.body));
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/answer`, taker.token, {});
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/classify`, taker.token, { class: 'emergency' });
  const inc = await api(server.url, 'POST', '/api/v1/incidents', taker.token, {
    call_id: call.body.id,
    category: 'health',
    priority,
    location: { lon, lat },
    address: 'Jl. Janur Elok IX',
    reporter: { name: 'Siti Aminah', phone: ani },
    victims: { count: 1, condition: 'serious' },
    description,
  });
  assert.equal(inc.status, 201, JSON.stringify(inc.body));
  return inc.body;
}

async function unitId(callSign) {
  const r = await api(server.url, 'GET', '/api/v1/units', desk.token);
  const u = r.body.find((x) => x.call_sign === callSign);
  assert.ok(u, `unit ${callSign}`);
  return u.id;
}

const body = (page, name) => page.evaluate((n) => document.body.dataset[n] ?? null, name);
const detail = (page) => page.locator('[data-testid="incident-detail"]');

async function openIncident(page, number) {
  const item = page.locator('.queue-item', { hasText: number });
  await item.waitFor({ timeout: 15_000 });
  await item.click();
  await detail(page).locator('h2', { hasText: number }).waitFor();
}

test('a new incident for the OPD is heard and flashes the title while the tab is hidden; the mute is visible, remembered and effective', async () => {
  const page = disp.page;
  const mute = page.getByTestId('mute-toggle');
  await mute.waitFor();
  assert.equal(await mute.getAttribute('aria-pressed'), 'false');
  assert.match(await mute.innerText(), /Suara aktif/);
  const title = await page.title();

  // The desk works in another window: the page is hidden.
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const first = await fileIncident();
  await eventually(async () => (await body(page, 'lastCue')) === 'new_incident', 15_000, 'the new-incident cue');
  assert.equal(await body(page, 'cueSounded'), '1', 'the cue played a sound');
  await eventually(async () => (await page.title()).includes('Kejadian baru'), 5_000, 'the title flash');
  // Back to the tab: the title is itself again.
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await eventually(async () => (await page.title()) === title, 5_000, 'the title restored');
  await page.locator('.queue-item', { hasText: first.number }).waitFor();

  // Muted: the header says so, also after a reload, and the next incident is shown but not heard.
  await mute.click();
  await eventually(async () => (await mute.getAttribute('aria-pressed')) === 'true', 5_000, 'muted');
  assert.match(await mute.innerText(), /Suara dibisukan/);
  await page.reload();
  await page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
  assert.match(await page.getByTestId('mute-toggle').innerText(), /Suara dibisukan/);
  await shot(page, 'dispatcher_shift_1_muted_header');
  const second = await fileIncident({ description: 'Anak demam tinggi dan kejang.' });
  await page.locator('.queue-item', { hasText: second.number }).waitFor({ timeout: 15_000 });
  await eventually(async () => (await body(page, 'lastCue')) === 'new_incident', 5_000, 'the cue recorded while muted');
  assert.equal(await body(page, 'cueSounded'), null, 'no sound while muted');

  // Unmuted again for the rest of the shift.
  await page.getByTestId('mute-toggle').click();
  await eventually(async () => (await page.getByTestId('mute-toggle').getAttribute('aria-pressed')) === 'false', 5_000, 'unmuted');
  for (const inc of [first, second]) {
    const r = await api(server.url, 'POST', `/api/v1/incidents/${inc.id}/reject`, desk.token, { reason: 'uji: bukan untuk shift ini' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    sentBackEarlier.push(inc.number);
  }
});

test('recommendations refresh when a unit of the OPD becomes available, list only the OPD\'s own units, and any available unit can be assigned by hand and withdrawn', async () => {
  const page = disp.page;
  const amb1 = await unitId('AMB-01');
  const out = await api(server.url, 'PATCH', `/api/v1/units/${amb1}/status`, desk.token, { status: 'out_of_service' });
  assert.equal(out.status, 200, JSON.stringify(out.body));
  const inc = await fileIncident({ description: 'Lansia jatuh di kamar mandi.' });
  await openIncident(page, inc.number);
  await detail(page).locator('[data-testid="incident-actions"] [data-action="verify"]').click();
  const recs = page.getByTestId('recommendations');
  await recs.locator('[data-assign-unit]').first().waitFor({ timeout: 15_000 });
  assert.equal(await recs.locator(`[data-assign-unit="${amb1}"]`).count(), 0, 'an out-of-service unit is not recommended');
  // Not recommended: Dinkes' own units only (today's server already leaves the others out).
  const ownSigns = new Set((await api(server.url, 'GET', '/api/v1/units', desk.token)).body.map((u) => u.call_sign));
  const excluded = recs.locator('details li');
  await excluded.first().waitFor({ state: 'attached' });
  const reasons = await excluded.evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  for (const text of reasons) assert.ok(ownSigns.has(text.split(':')[0]), `another OPD's unit among the excluded: ${text}`);

  // The unit comes back (here: at another desk): the list follows without touching the page.
  const back = await api(server.url, 'PATCH', `/api/v1/units/${amb1}/status`, desk.token, { status: 'available' });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  await recs.locator(`[data-assign-unit="${amb1}"]`).waitFor({ timeout: 10_000 });
  // The reason was told in words, not as a code.
  assert.ok(reasons.includes('AMB-01: tidak bertugas'), reasons.join(' | '));
  await shot(page, 'dispatcher_shift_2_recommendations_refreshed');

  // Any available unit may be assigned by hand, and an assignment withdrawn.
  const amb4 = await unitId('AMB-04');
  const manual = detail(page).getByTestId('manual-assign');
  await manual.locator('select').selectOption(amb4);
  await manual.locator('[data-action="manual-assign"]').click();
  const sent = detail(page).locator('[data-assignment-id][data-status="assigned"]', { hasText: 'AMB-04' });
  await sent.waitFor({ timeout: 10_000 });
  // Withdrawing a crew is asked first: "Tidak" keeps it, "Ya, batalkan" withdraws it.
  const assignmentId = await sent.getAttribute('data-assignment-id');
  await sent.locator('[data-action="cancel-assignment"]').click();
  assert.equal(await sent.locator('.confirm').textContent(), 'Tarik AMB-04 dari kejadian ini? Ya, batalkan Tidak');
  await sent.locator('[data-action="keep-assignment"]').click();
  assert.equal(await page.evaluate(() => document.activeElement?.dataset?.action), 'cancel-assignment');
  assert.equal((await api(server.url, 'GET', `/api/v1/assignments/${assignmentId}`, desk.token)).body.status, 'assigned');
  await sent.locator('[data-action="cancel-assignment"]').click();
  await sent.locator('[data-action="confirm-cancel-assignment"]').click();
  await detail(page).locator('[data-assignment-id][data-status="cancelled"]', { hasText: 'AMB-04' }).waitFor({ timeout: 10_000 });
  assert.equal((await api(server.url, 'GET', `/api/v1/units/${amb4}`, desk.token)).body.status, 'available');
});

test('a crew that never acknowledges raises the alarm; the dispatcher reassigns, records the radio reports, sees the caller and the crew note, and closes', async () => {
  const page = disp.page;
  const [amb1, amb2] = [await unitId('AMB-01'), await unitId('AMB-02')];
  // AMB-01's crew has the responder page open on a phone, on duty but looking elsewhere.
  const crew = await guardedContext(browser, server.url, PHONE);
  // Headless Chromium has no vibrator: the calls are accepted and ignored (responder_alerts.test.mjs records them).
  await crew.context.addInitScript(() => {
    navigator.vibrate = () => true;
  });
  const phone = await crew.context.newPage();
  await loginAs(phone, 'amb01');
  await phone.getByText(/Belum ada penugasan/).waitFor();
  const inc = await fileIncident({ priority: 'p1', description: 'Pengendara motor tidak sadarkan diri.' });
  await openIncident(page, inc.number);
  // The caller's contact is on the panel.
  const reporter = detail(page).getByTestId('reporter');
  await reporter.waitFor();
  assert.match(await reporter.innerText(), /Siti Aminah/);
  await detail(page).locator('[data-testid="incident-actions"] [data-action="verify"]').click();
  const assign1 = page.locator(`[data-testid="recommendations"] [data-assign-unit="${amb1}"]`);
  await assign1.waitFor({ timeout: 15_000 });
  await assign1.click();

  // Nobody on AMB-01 answers: after the 3 s target the desk hears the alarm and sees the assignment marked.
  const first = detail(page).locator('[data-assignment-id][data-status="assigned"]', { hasText: 'AMB-01' });
  await first.waitFor();
  await eventually(async () => (await body(page, 'lastCue')) === 'unacknowledged', 15_000, 'the unacknowledged alarm');
  await detail(page).locator('[data-assignment-id][data-alarm="true"]', { hasText: 'AMB-01' }).waitFor({ timeout: 5_000 });
  await page.locator(`.queue-item[data-alarm="true"]`, { hasText: inc.number }).waitFor();
  await shot(page, 'dispatcher_shift_3_unacknowledged_alarm');
  // Meanwhile the phone rang and, unanswered, rings again.
  await phone.waitForSelector('html[data-alert="ringing"]');
  await eventually(async () => (await alertCount(phone)) >= 2, (REALERT_S + 5) * 1000, 'the phone ringing again');
  await shot(phone, 'dispatcher_shift_3b_phone_ringing');

  // Reassign to AMB-02 in one action: AMB-01's assignment is cancelled, AMB-02 assigned.
  await first.locator('select.unit-pick').selectOption(amb2);
  await first.locator('[data-action="reassign"]').click();
  await detail(page).locator('[data-assignment-id][data-status="cancelled"]', { hasText: 'AMB-01' }).waitFor({ timeout: 10_000 });
  const second = detail(page).locator('[data-assignment-id]', { hasText: 'AMB-02' });
  await second.waitFor();
  // AMB-01's phone stops ringing and says its assignment was withdrawn; once read, it waits for the next one.
  await phone.waitForSelector('html[data-alert="idle"]', { timeout: 10_000 });
  await phone.getByTestId('assignment-cancelled').waitFor({ timeout: 10_000 });
  assert.match(await phone.getByTestId('assignment-cancelled').innerText(), /Penugasan dibatalkan/);
  await phone.getByTestId('cancelled-ok').click();
  await phone.getByText(/Belum ada penugasan/).waitFor({ timeout: 10_000 });
  assert.deepEqual(crew.problems, []);
  await crew.context.close();

  // AMB-02's crew reports by radio; the dispatcher records each step.
  for (const step of ['acknowledged', 'en_route', 'on_scene']) {
    const button = second.locator(`[data-radio-step="${step}"]`);
    await button.waitFor({ timeout: 10_000 });
    await button.click();
    await detail(page).locator(`[data-assignment-id][data-status="${step}"]`, { hasText: 'AMB-02' }).waitFor({ timeout: 10_000 });
  }
  const radioNote = second.locator('input.radio-note');
  await radioNote.fill('Pasien distabilkan,');
  // A second caller reports the same crash while the dispatcher types: the panel is drawn again (its heading
  // is a new element), and the note being typed keeps its text and the focus.
  const heading = await detail(page).locator('h2').elementHandle();
  const again = await api(server.url, 'POST', '/api/v1/calls', taker.token, { ani: '081299990009', channel: 'voice', service_line: '112' });
  await api(server.url, 'POST', `/api/v1/calls/${again.body.id}/answer`, taker.token, {});
  const linked = await api(server.url, 'POST', `/api/v1/incidents/${inc.id}/calls`, taker.token, { call_id: again.body.id });
  assert.equal(linked.status < 300, true, JSON.stringify(linked.body));
  await page.waitForFunction((h) => !h.isConnected, heading, { timeout: 10_000 });
  assert.equal(await radioNote.inputValue(), 'Pasien distabilkan,');
  assert.equal(await radioNote.evaluate((el) => el === document.activeElement), true);
  await page.keyboard.type(' dibawa ke RS Mitra Keluarga Kelapa Gading.');
  assert.equal(await radioNote.inputValue(), 'Pasien distabilkan, dibawa ke RS Mitra Keluarga Kelapa Gading.');
  await second.locator('[data-radio-step="resolved"]').click();
  await detail(page).locator('[data-testid="detail-status"][data-status="resolved"]').waitFor({ timeout: 10_000 });
  const done = detail(page).locator('[data-assignment-id][data-status="resolved"]', { hasText: 'AMB-02' });
  await done.waitFor();
  assert.equal(await done.getByTestId('radio-steps').getAttribute('data-steps'), 'acknowledged en_route on_scene resolved');
  assert.match(await done.getByTestId('radio-steps').innerText(), /radio/);
  assert.match(await done.getByTestId('assignment-note').innerText(), /RS Mitra Keluarga Kelapa Gading/);
  // The server recorded them as radio reports by this dispatcher.
  const a = (await api(server.url, 'GET', `/api/v1/incidents/${inc.id}`, desk.token)).body.assignments.find((x) => x.unit_id === amb2);
  assert.deepEqual(a.radio_reported, ['acknowledged', 'en_route', 'on_scene', 'resolved']);
  // No alarm left, and nothing to assign to a resolved incident.
  assert.equal(await page.locator('.queue-item[data-alarm="true"]', { hasText: inc.number }).count(), 0);
  assert.equal(await detail(page).getByRole('button', { name: /Tugaskan/ }).count(), 0, 'a resolved incident offers no "Tugaskan"');
  assert.equal(await page.getByTestId('recommendations').count(), 0);
  await shot(page, 'dispatcher_shift_4_resolved_by_radio');

  // Close with a report: it leaves the queue.
  await detail(page).locator('[data-action="close"]').click();
  await page.locator('#close-report').fill('Korban ditangani AMB-02 (laporan radio), dirujuk ke RSUD.');
  await page.getByTestId('close-submit').click();
  await page.locator('.queue-item', { hasText: inc.number }).waitFor({ state: 'detached', timeout: 10_000 });
});

test('a unit is selected on the map or in the list, followed on the map as it moves, and taken out of service and back', async () => {
  const page = disp.page;
  const amb1 = await unitId('AMB-01');
  // The map still shows the last incident, where AMB-01 stands: clicking the unit there selects it.
  const home = (await api(server.url, 'GET', `/api/v1/units/${amb1}`, desk.token)).body.position;
  const centre = async () => (await page.getByTestId('map').getAttribute('data-center'))?.split(',').map(Number) ?? [0, 0];
  await eventually(async () => {
    const [lon, lat] = await centre();
    return Math.abs(lon - home.lon) < 0.0005 && Math.abs(lat - home.lat) < 0.0005;
  }, 10_000, 'the map at AMB-01');
  const box = await page.getByTestId('map').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const card = page.getByTestId('unit-card');
  await card.locator('h3', { hasText: 'AMB-01' }).waitFor();
  const row = page.locator(`[data-testid="unit-list"] li[data-unit-id="${amb1}"] button`);
  assert.equal(await row.getAttribute('aria-pressed'), 'true', 'the list shows the unit clicked on the map as selected');
  await page.locator(`[data-testid="unit-list"] li:not([data-unit-id="${amb1}"]) button`).first().click();
  await row.click();
  await card.locator('h3', { hasText: 'AMB-01' }).waitFor();
  await card.getByTestId('follow-unit').check();

  // The crew drives: the map follows the fix.
  const amb01 = await login(server.url, 'amb01');
  const fix = { lon: 106.92, lat: -6.17 };
  const r = await api(server.url, 'POST', `/api/v1/units/${amb1}/position`, amb01.token, { ...fix, accuracy_m: 8, at: Date.now() });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await eventually(
    async () => {
      const c = await page.getByTestId('map').getAttribute('data-center');
      if (!c) return false;
      const [lon, lat] = c.split(',').map(Number);
      return Math.abs(lon - fix.lon) < 0.002 && Math.abs(lat - fix.lat) < 0.002;
    },
    10_000,
    'the map centred on the followed unit',
  );

  // Out of service and back, from the card; the list and the server agree.
  await card.locator('[data-action="unit-out"]').click();
  await page.locator(`[data-testid="unit-list"] li[data-unit-id="${amb1}"][data-status="out_of_service"]`).waitFor({ timeout: 10_000 });
  await shot(page, 'dispatcher_shift_5_unit_out_of_service');
  assert.equal((await api(server.url, 'GET', `/api/v1/units/${amb1}`, desk.token)).body.status, 'out_of_service');
  await card.locator('[data-action="unit-back"]').click();
  await page.locator(`[data-testid="unit-list"] li[data-unit-id="${amb1}"][data-status="available"]`).waitFor({ timeout: 10_000 });
  assert.equal((await api(server.url, 'GET', `/api/v1/units/${amb1}`, desk.token)).body.status, 'available');
  assert.deepEqual(disp.problems, []);
});

test('a call taker hears an incident sent back by every OPD, with the visible mute in the header', async () => {
  const ct = await guardedContext(browser, server.url, { viewport: VIEWPORT });
  const page = await ct.context.newPage();
  await loginAs(page, 'operator1');
  // Once read, the list holds what was sent back before this desk signed in (the first test's two incidents).
  const returned = page.locator('[data-testid="returned"][aria-busy="false"]');
  await returned.waitFor();
  const listed = await returned.locator(':scope > li').evaluateAll((els) => els.map((e) => e.dataset.number));
  assert.deepEqual(listed.sort(), [...sentBackEarlier].sort());
  await page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
  assert.match(await page.getByTestId('mute-toggle').innerText(), /Suara aktif/);
  const inc = await fileIncident({ description: 'Penelepon hanya menanyakan jadwal praktik dokter.' });
  // The call behind it rang this ready console first (its own cue); the return is heard after it.
  await eventually(async () => (await body(page, 'lastCue')) === 'incoming_call', 5_000, 'the incoming-call cue');
  const sounded = Number(await body(page, 'cueSounded'));
  // The dispatcher's page may be reading it when Dinkes sends it back; it then drops it.
  dispForbidden.push(`/api/v1/incidents/${inc.id}`);
  const back = await api(server.url, 'POST', `/api/v1/incidents/${inc.id}/reject`, desk.token, { reason: 'Bukan kedaruratan.' });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  await page.locator(`[data-testid="returned"] li[data-number="${inc.number}"]`).waitFor({ timeout: 15_000 });
  await eventually(async () => (await body(page, 'lastCue')) === 'returned_incident', 5_000, 'the returned-incident cue');
  assert.equal(await body(page, 'cueSounded'), String(sounded + 1));
  await shot(page, 'dispatcher_shift_6_call_taker_returned_cue');
  assert.deepEqual(ct.problems, []);
  assert.deepEqual(disp.problems, []);
});
