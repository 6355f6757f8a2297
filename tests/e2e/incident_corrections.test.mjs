// Correcting an incident on screen: the call taker re-locates her own, still unverified incident from
// "my incidents" (the filing form, the address search moving the pin) from Jakarta Utara into Jakarta Timur;
// it leaves Polres Jakarta Utara's queue live with a notice naming where it went and arrives live in Polres
// Jakarta Timur's queue. Polres Jakarta Timur's dispatcher then verifies it and corrects its priority and
// address with "Ubah"; the changed facts are highlighted on the other desk. Any request off localhost and any
// console error fails the test.
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

/** Kelapa Gading, Jakarta Utara: Polres Metro Jakarta Utara's. */
const IN_JAKARTA_UTARA = { lon: 106.9095, lat: -6.1629 };

test('re-locating an incident moves it from one Polres desk to the other live; a dispatcher corrects it with "Ubah"', async () => {
  const desk = { viewport: { width: 1366, height: 768 } };
  const juForbidden = [];
  const juCtx = await guardedContext(browser, server.url, { ...desk, allow403: juForbidden });
  const jtCtx = await guardedContext(browser, server.url, desk);
  const takerCtx = await guardedContext(browser, server.url, desk);
  const juPage = await juCtx.context.newPage();
  const jtPage = await jtCtx.context.newPage();
  const takerPage = await takerCtx.context.newPage();

  // The call taker filed a theft in Kelapa Gading (through the API, before her console opens).
  const taker = await login(server.url, 'operator1');
  const agencies = (await api(server.url, 'GET', '/api/v1/agencies', taker.token)).body;
  const ju = agencies.find((a) => a.code === 'POLRES-JU');
  const jt = agencies.find((a) => a.code === 'POLRES-JT');
  const filed = await api(server.url, 'POST', '/api/v1/incidents', taker.token, {
    category: 'crime',
    priority: 'p3',
    location: IN_JAKARTA_UTARA,
    address: 'Jl. Boulevard Raya',
    victims: { count: 0, condition: 'unknown' },
    description: 'Motor dicuri dari parkiran.',
  });
  assert.equal(filed.status, 201, JSON.stringify(filed.body));
  const incident = filed.body;
  assert.deepEqual(
    incident.agencies.map((a) => a.agency_id),
    [ju.id],
  );
  juForbidden.push(`/api/v1/incidents/${incident.id}`);

  await Promise.all([loginAs(juPage, 'dispatch.polres'), loginAs(jtPage, 'dispatch.polres.jt'), loginAs(takerPage, 'operator1')]);
  for (const page of [juPage, jtPage, takerPage]) await page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
  const juItem = juPage.locator('.queue-item', { hasText: incident.number });
  const jtItem = jtPage.locator('.queue-item', { hasText: incident.number });
  await juItem.waitFor({ timeout: 15_000 });
  assert.equal(await jtItem.count(), 0);

  // The call taker opens it from "my incidents" and moves it: the caller meant Cakung Barat, Jakarta Timur.
  const mine = takerPage.locator(`[data-testid="my-incidents"] li[data-number="${incident.number}"]`);
  await mine.waitFor();
  await mine.locator('button[data-action="edit-incident"]').click();
  await takerPage.waitForSelector(`[data-testid="incident-form"][data-correcting="${incident.number}"]`);
  assert.equal(await takerPage.getByLabel('Kategori', { exact: true }).inputValue(), 'crime');
  assert.equal(await takerPage.getByLabel('Alamat / patokan').inputValue(), 'Jl. Boulevard Raya');
  await takerPage.locator('#place-search').focus();
  await takerPage.keyboard.type('cakung bar');
  await takerPage.waitForSelector('[data-testid="place-results"] li[aria-selected="true"]:has-text("Cakung Barat")');
  await takerPage.keyboard.press('Enter');
  await takerPage.waitForSelector('[data-testid="region-chain"]:has-text("Cakung")');
  await takerPage.getByLabel('Alamat / patokan').fill('Jl. Raya Bekasi km 18');
  await shot(takerPage, 'correct_1_call_taker_relocates');
  await takerPage.keyboard.press('Control+Enter');
  await takerPage.waitForSelector('[data-testid="incident-form"]:not([data-correcting])');

  // Jakarta Utara's desk sees it leave, told where it went; Jakarta Timur's desk gets it, without a reload.
  await juItem.waitFor({ state: 'detached', timeout: 15_000 });
  const notice = juPage.locator('.toast', { hasText: incident.number }).last();
  await notice.waitFor({ timeout: 15_000 });
  assert.equal(await notice.textContent(), `Kejadian ${incident.number} dipindahkan ke ${jt.name}.`);
  await shot(juPage, 'correct_2_ju_desk_moved_away');
  await jtItem.waitFor({ timeout: 15_000 });
  await shot(jtPage, 'correct_3_jt_desk_arrived');
  const seen = await api(server.url, 'GET', `/api/v1/incidents/${incident.id}`, taker.token);
  assert.equal(seen.body.address, 'Jl. Raya Bekasi km 18');
  assert.ok(seen.body.region_code.startsWith('31.75'), seen.body.region_code);
  assert.deepEqual(
    seen.body.agencies.map((a) => [a.agency_id === jt.id ? 'JT' : 'JU', a.status]).sort(),
    [
      ['JT', 'escalated'],
      ['JU', 'withdrawn'],
    ],
  );

  // Jakarta Timur's dispatcher verifies it and corrects priority and address with "Ubah".
  await jtItem.click();
  await jtPage.locator('[data-testid="incident-actions"] button[data-action="verify"]').click();
  const edit = jtPage.locator('[data-testid="incident-actions"] button[data-action="edit"]');
  await edit.waitFor({ timeout: 15_000 });
  // Once it is verified, the call taker's "Ubah" goes away with the live status.
  await mine.locator('button[data-action="edit-incident"]').waitFor({ state: 'detached', timeout: 15_000 });
  await edit.click();
  const form = jtPage.locator('[data-testid="edit-form"]');
  await form.waitFor();
  await form.getByLabel('Prioritas').selectOption('p1');
  await form.getByLabel('Alamat / patokan').fill('Jl. Raya Bekasi km 18, depan SPBU');
  await shot(jtPage, 'correct_4_jt_desk_edit_form');
  await form.locator('[data-testid="edit-submit"]').click();
  await form.waitFor({ state: 'detached', timeout: 15_000 });
  const address = jtPage.locator('[data-testid="detail-address"]');
  await jtPage.waitForFunction(() => document.querySelector('[data-testid="detail-address"]')?.textContent?.includes('depan SPBU'));
  assert.equal(await address.getAttribute('data-changed'), 'true');
  await shot(jtPage, 'correct_5_jt_desk_changed_highlighted');
  const after = await api(server.url, 'GET', `/api/v1/incidents/${incident.id}`, taker.token);
  assert.equal(after.body.priority, 'p1');

  for (const [who, c] of Object.entries({ juCtx, jtCtx, takerCtx })) assert.deepEqual(c.problems, [], `${who}: ${c.problems.join('\n')}`);
});
