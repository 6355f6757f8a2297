// The admin and supervisor screens on a real server, at 1366×768 with three browsers at once:
// * the admin creates a unit and a responder for it on the admin screen; the dispatcher of its OPD sees the new
//   unit appear on the unit list and, once it is assigned through the API, its new status;
// * invalid input on admin forms shows the server's own message at the field the error body names (and the
//   form's own checks, the API's limits, refuse before any request); the admin edits an OPD's phone;
// * the supervisor's KPI tiles show today's figures of GET /api/v1/reports/kpi, refreshed by the calls made
//   meanwhile (answered fast, one abandoned, one prank); the supervisor downloads a daily CSV and a monthly
//   XLSX report and the test reads both back; the heat-map legend lists distinct whole-number classes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { api, login, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';

const VIEWPORT = { width: 1366, height: 768 };
const SPOT = { lon: 106.9095, lat: -6.1629 };

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

/** A call through the API: answered at once and classified `cls`, or left ringing (`answer: false`). */
async function call(taker, { cls, answer = true }) {
  const c = await api(server.url, 'POST', '/api/v1/calls', taker, { ani: '081377778888', channel: 'voice', service_line: '112' });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  if (answer) {
    assert.equal((await api(server.url, 'POST', `/api/v1/calls/${c.body.id}/answer`, taker, {})).status, 200);
    assert.equal((await api(server.url, 'POST', `/api/v1/calls/${c.body.id}/classify`, taker, { class: cls })).status, 200);
  }
  return c.body.id;
}

async function fileIncident(taker, at, category = 'health') {
  const id = await call(taker, { cls: 'emergency' });
  const inc = await api(server.url, 'POST', '/api/v1/incidents', taker, {
    call_id: id,
    category,
    priority: 'p2',
    location: at,
    victims: { count: 1, condition: 'minor' },
  });
  assert.equal(inc.status, 201, JSON.stringify(inc.body));
  await api(server.url, 'POST', `/api/v1/calls/${id}/end`, taker, {});
  return inc.body;
}

/** The entries of a zip file (stored or deflated), by name: enough for an XLSX. */
function unzip(buf) {
  const entries = new Map();
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, 'a zip file ends with its central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, 'central directory entry');
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataAt, dataAt + size);
    entries.set(name, (method === 8 ? inflateRawSync(data) : data).toString('utf8'));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The rows of one XLSX sheet as arrays of strings and numbers (shared strings resolved). */
function sheetRows(entries, sheetName) {
  const book = entries.get('xl/workbook.xml');
  const sheets = [...book.matchAll(/<sheet [^>]*name="([^"]+)"[^>]*r:id="rId(\d+)"/g)];
  const index = sheets.findIndex((m) => m[1] === sheetName);
  assert.ok(index >= 0, `sheet ${sheetName} among ${sheets.map((m) => m[1]).join(', ')}`);
  const shared = [...(entries.get('xl/sharedStrings.xml') ?? '').matchAll(/<si>(?:<t[^>]*>([^<]*)<\/t>)<\/si>/g)].map((m) => m[1]);
  const xml = entries.get(`xl/worksheets/sheet${index + 1}.xml`);
  assert.ok(xml, `xl/worksheets/sheet${index + 1}.xml`);
  return [...xml.matchAll(/<row [^>]*>(.*?)<\/row>/g)].map((row) =>
    [...row[1].matchAll(/<c r="[A-Z]+\d+"([^>]*?)(?:\/>|>(?:<v>([^<]*)<\/v>)?<\/c>)/g)].map((c) => (c[2] === undefined ? null : /t="s"/.test(c[1]) ? shared[Number(c[2])] : Number(c[2]))),
  );
}

test('an admin adds a unit and its responder, a dispatcher assigns it, the supervisor reads the figures and downloads the reports', async () => {
  const adminToken = (await login(server.url, 'admin')).token;
  const taker = (await login(server.url, 'operator2')).token;
  const agencies = (await api(server.url, 'GET', '/api/v1/agencies', adminToken)).body;
  const dinkes = agencies.find((a) => a.agency_type === 'health');

  // The dispatcher's map is open before the unit exists: it must appear there live.
  const disp = await guardedContext(browser, server.url, { viewport: VIEWPORT });
  const dispPage = await disp.context.newPage();
  await loginAs(dispPage, 'dispatch.dinkes');
  await dispPage.waitForSelector('[data-testid="unit-list"] li');

  // ---- Admin: the unit. The server refuses a call sign that exists (409) and the form shows its words there.
  // A refused form is answered 409/422 on purpose; Chromium logs those responses.
  const adm = await guardedContext(browser, server.url, { viewport: VIEWPORT, allowConsole: ['409', '422'] });
  const page = await adm.context.newPage();
  await loginAs(page, 'admin');
  await page.waitForSelector('header h1:has-text("Administrasi")');
  await page.waitForSelector('[data-testid="units"] tr[data-call-sign="AMB-01"]');
  const unitForm = page.getByTestId('unit-form');
  await unitForm.getByLabel('OPD').selectOption(dinkes.id);
  await unitForm.getByLabel('Tanda panggil').fill('AMB-01');
  await unitForm.getByLabel('Jenis unit').selectOption('ambulance');
  await unitForm.getByRole('button', { name: 'Simpan' }).click();
  const callSignError = unitForm.locator('[data-error-for="call_sign"]');
  await callSignError.waitFor();
  assert.match(await callSignError.textContent(), /a unit with this call sign exists/);
  assert.equal(await unitForm.getByLabel('Tanda panggil').getAttribute('aria-invalid'), 'true');
  await shot(page, 'admin_unit_refused');

  await unitForm.getByLabel('Tanda panggil').fill('AMB-09');
  await unitForm.getByLabel('Bujur pangkalan').fill(String(SPOT.lon + 0.001));
  await unitForm.getByLabel('Lintang pangkalan').fill(String(SPOT.lat + 0.001));
  await unitForm.getByRole('button', { name: 'Simpan' }).click();
  await unitForm.getByText('Unit AMB-09 dibuat.').waitFor();
  assert.equal(await callSignError.isHidden(), true, 'the refusal is cleared');
  const newRow = page.locator('[data-testid="units"] tr[data-call-sign="AMB-09"]');
  await newRow.waitFor();
  assert.equal(await newRow.locator("[data-status]").getAttribute("data-status"), "available");
  const unit = (await api(server.url, 'GET', '/api/v1/units', adminToken)).body.find((u) => u.call_sign === 'AMB-09');
  assert.equal(unit.agency_id, dinkes.id);

  // ---- Admin: the OPD's phone, edited from its row; a malformed number is refused by the form's own check.
  await page.getByRole('button', { name: 'Ubah: DINKES-DKI' }).click();
  const agencyEdit = page.getByTestId('agency-edit-form');
  assert.equal(await agencyEdit.getByLabel('Nama').inputValue(), dinkes.name);
  await agencyEdit.getByLabel('Telepon').fill('021-119-x');
  await agencyEdit.getByRole('button', { name: 'Simpan' }).click();
  assert.match(await agencyEdit.locator('[data-error-for="phone"]').textContent(), /3–20 angka/);
  await agencyEdit.getByLabel('Telepon').fill('021-119');
  await agencyEdit.getByRole('button', { name: 'Simpan' }).click();
  await agencyEdit.getByText(`OPD ${dinkes.name} disimpan.`).waitFor();
  await page.locator('[data-testid="agencies"] tr[data-code="DINKES-DKI"] td:has-text("021-119")').waitFor();
  assert.equal((await api(server.url, 'GET', '/api/v1/agencies', adminToken)).body.find((a) => a.id === dinkes.id).phone, '021-119');

  // ---- Admin: its responder. A common password passes the form's checks; the server's refusal names it.
  const userForm = page.getByTestId('user-form');
  await userForm.getByLabel('Nama pengguna').fill('amb09');
  await userForm.getByLabel('Nama lengkap').fill('Kru Ambulans 09');
  await userForm.getByLabel('Peran').selectOption('responder');
  await userForm.getByLabel('OPD').selectOption(dinkes.id);
  await userForm.getByLabel('Unit', { exact: true }).selectOption({ label: 'AMB-09' });
  await userForm.getByLabel('Kata sandi awal').fill('password123');
  await userForm.getByRole('button', { name: 'Simpan' }).click();
  const passwordError = userForm.locator('[data-error-for="password"]');
  await passwordError.waitFor();
  assert.match(await passwordError.textContent(), /common password/);
  assert.equal(await userForm.getByLabel('Kata sandi awal').evaluate((el) => document.activeElement === el), true, 'focus on the refused field');
  // The form's own check, before any request: a responder needs a unit.
  await userForm.getByLabel('Unit', { exact: true }).selectOption('');
  await userForm.getByRole('button', { name: 'Simpan' }).click();
  assert.equal(await userForm.locator('[data-error-for="unit_id"]').textContent(), 'Petugas lapangan wajib terikat ke unit.');
  await userForm.getByLabel('Unit', { exact: true }).selectOption({ label: 'AMB-09' });
  await userForm.getByLabel('Kata sandi awal').fill('Ambulans-Jakarta-09');
  await userForm.getByRole('button', { name: 'Simpan' }).click();
  await userForm.getByText('Pengguna amb09 dibuat.').waitFor();
  await page.locator('[data-testid="users"] tr[data-username="amb09"]').waitFor();
  const created = (await api(server.url, 'GET', '/api/v1/users', adminToken)).body.find((u) => u.username === 'amb09');
  assert.deepEqual([created.role, created.agency_id, created.unit_id, created.must_change_password], ['responder', dinkes.id, unit.id, true]);
  await shot(page, 'admin_created');

  // ---- Admin: schedules. A bad row is refused by the server, its words shown at the CSV.
  const schedules = page.getByTestId('schedule-form');
  await schedules.getByLabel('Isi CSV').fill('username,shift_start,shift_end\noperator1,2026-12-07 07:00,besok pagi\n');
  await schedules.getByRole('button', { name: 'Simpan' }).click();
  const csvError = schedules.locator('[data-error-for="body"]');
  await csvError.waitFor();
  assert.match(await csvError.textContent(), /shift_end/);
  await schedules.getByLabel('Isi CSV').fill('username,shift_start,shift_end\noperator1,2026-12-07 07:00,2026-12-07 15:00\n');
  await schedules.getByRole('button', { name: 'Simpan' }).click();
  await schedules.getByText('1 jadwal disimpan.').waitFor();

  // ---- Dispatcher: the new unit appeared live; assigned through the API, its status follows.
  const dispRow = dispPage.locator(`[data-testid="unit-list"] li[data-unit-id="${unit.id}"]`);
  await dispRow.waitFor({ timeout: 15_000 });
  assert.match(await dispRow.textContent(), /AMB-09/);
  const incidents = [];
  for (const at of [SPOT, SPOT, SPOT, { lon: 106.925, lat: -6.2 }]) incidents.push(await fileIncident(taker, at));
  const dispatcher = (await login(server.url, 'dispatch.dinkes')).token;
  const assigned = await api(server.url, 'POST', `/api/v1/incidents/${incidents[0].id}/assignments`, dispatcher, { unit_id: unit.id });
  assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
  await dispPage.waitForSelector(`[data-testid="unit-list"] li[data-unit-id="${unit.id}"][data-status="assigned"]`, { timeout: 15_000 });
  await shot(dispPage, 'admin_unit_on_dispatcher_list');

  // ---- Supervisor: tiles of today's report, refreshed by calls made while the board is open.
  const sup = await guardedContext(browser, server.url, { viewport: VIEWPORT, acceptDownloads: true });
  const supPage = await sup.context.newPage();
  await loginAs(supPage, 'supervisor');
  const tiles = supPage.getByTestId('kpi-tiles');
  await supPage.waitForSelector('[data-testid="kpi-offered"]');
  const before = Number(await supPage.getByTestId('kpi-offered').getAttribute('data-value'));
  assert.equal(before, incidents.length, 'the four calls behind the incidents');
  const supervisorToken = (await login(server.url, 'supervisor')).token;
  await call(taker, { cls: 'emergency' });
  await call(taker, { cls: 'prank' });
  const abandoned = await call(taker, { answer: false });
  assert.equal((await api(server.url, 'POST', `/api/v1/calls/${abandoned}/end`, taker, {})).status, 200);
  // Live events, not the 30 s timer, bring the new figures.
  await supPage.waitForSelector(`[data-testid="kpi-offered"][data-value="${incidents.length + 3}"]`, { timeout: 10_000 });
  await supPage.waitForSelector('[data-testid="kpi-abandoned"][data-value="1"]', { timeout: 10_000 });
  const period = await tiles.getAttribute('data-period');
  assert.match(period, /^\d{4}-\d{2}-\d{2}$/);
  const report = (await api(server.url, 'GET', `/api/v1/reports/kpi?period=${period}`, supervisorToken)).body;
  const c = report.calls;
  assert.equal(c.abandoned, 1);
  assert.ok(c.prank_ratio > 0, JSON.stringify(c));
  const expected = {
    offered: c.offered,
    asa: c.asa_ms,
    sl15: c.service_level_15s,
    sl20: c.service_level_20s,
    abandoned: c.abandoned,
    aht: c.aht_ms,
    success: c.success_call_ratio,
    prank: c.prank_ratio,
  };
  for (const [id, value] of Object.entries(expected)) {
    const shown = await supPage.getByTestId(`kpi-${id}`).getAttribute('data-value');
    assert.equal(shown === '' ? null : Number(shown), value ?? null, `tile ${id}`);
  }
  // What a person reads: the prank share as a percentage, the abandoned share of calls offered.
  const pct = (x) => `${(Math.round(x * 1000) / 10).toLocaleString('id-ID')} %`;
  assert.match(await supPage.getByTestId('kpi-prank').textContent(), new RegExp(pct(c.prank_ratio)));
  assert.match(await supPage.getByTestId('kpi-abandoned').textContent(), new RegExp(`${pct(c.abandoned_ratio)} dari panggilan masuk`));
  await shot(supPage, 'supervisor_kpi');

  // ---- Downloads: a daily CSV, read back row by row.
  const form = supPage.getByTestId('report-form');
  await form.getByLabel('Jenis laporan').selectOption('day');
  assert.equal(await form.getByLabel('Periode').inputValue(), period);
  await form.getByLabel('Format berkas').selectOption('csv');
  const [csvDownload] = await Promise.all([supPage.waitForEvent('download'), form.getByRole('button', { name: /Unduh/ }).click()]);
  assert.equal(csvDownload.suggestedFilename(), `siaga-kpi-${period}.csv`);
  const csv = readFileSync(await csvDownload.path(), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'section,key,metric,value');
  const summary = Object.fromEntries(csv.filter((l) => l.startsWith('summary,')).map((l) => l.split(',')).map(([, key, , value]) => [key, value]));
  assert.equal(Number(summary.calls_offered), c.offered);
  assert.equal(Number(summary.calls_abandoned), 1);
  assert.equal(Number(summary.prank_ratio), c.prank_ratio);
  assert.equal(Number(summary.service_level_15s), c.service_level_15s);

  // ---- A monthly XLSX: a zip holding the worksheets, with the same figures.
  await form.getByLabel('Jenis laporan').selectOption('month');
  const month = period.slice(0, 7);
  assert.equal(await form.getByLabel('Periode').inputValue(), month);
  await form.getByLabel('Format berkas').selectOption('xlsx');
  const [xlsxDownload] = await Promise.all([supPage.waitForEvent('download'), form.getByRole('button', { name: /Unduh/ }).click()]);
  assert.equal(xlsxDownload.suggestedFilename(), `siaga-monthly-${month}.xlsx`);
  const entries = unzip(readFileSync(await xlsxDownload.path()));
  assert.ok([...entries.keys()].some((n) => n.startsWith('xl/worksheets/')), [...entries.keys()].join(', '));
  const monthly = (await api(server.url, 'GET', `/api/v1/reports/monthly?period=${month}`, supervisorToken)).body;
  const rows = Object.fromEntries(sheetRows(entries, 'summary').slice(1).map(([k, v]) => [k, v]));
  assert.equal(rows.calls_offered, monthly.calls.offered);
  assert.equal(rows.calls_abandoned, monthly.calls.abandoned);
  assert.equal(rows.prank_ratio, monthly.calls.prank_ratio);
  const days = sheetRows(entries, 'days');
  const today = days.find((r) => r[0] === period);
  assert.ok(today, `a row for ${period}`);
  assert.equal(today[days[0].indexOf('offered')], c.offered);

  // ---- Heat map: three incidents in one hexagon and one in another: classes 1, 2, 3, each once.
  await supPage.waitForSelector('[data-testid="heat-legend"][data-total="4"]', { timeout: 15_000 });
  const classes = await supPage.locator('[data-testid="heat-classes"] li').allTextContents();
  assert.deepEqual(classes, ['1', '2', '3']);
  await supPage.getByTestId('heat-legend').scrollIntoViewIfNeeded();
  await shot(supPage, 'supervisor_heat_legend');

  for (const ctx of [adm, disp, sup]) assert.deepEqual(ctx.problems, [], ctx.problems.join('\n'));
});
