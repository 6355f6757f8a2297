// The call taker's form belongs to one caller: a call classified as information (which ends it) and then a
// second registered call must not leave the first caller's number or details in the form the second
// caller's incident is filed with. Any request off localhost and any console error fails the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.mjs';
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

/** Registers a manual call from the side form; the console answers it and shows its card. */
async function registerCall(page, ani) {
  await page.getByLabel('Nomor penelepon').fill(ani);
  await page.getByRole('button', { name: /Catat panggilan/ }).click();
  await page.waitForSelector(`[data-testid="call-card"]:not([hidden]) h2:has-text("${ani.slice(1)}")`);
  // Shortcut keys act only outside the form's fields.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
}

test("a second caller's form starts clean: the previous caller's number and name are not carried over", async () => {
  const { context, problems } = await guardedContext(browser, server.url, { viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await loginAs(page, 'operator1');
  await page.waitForSelector('.maplibregl-canvas');
  await page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
  const phone = page.getByLabel('Telepon pelapor');
  const name = page.getByLabel('Nama pelapor');

  // First caller: asks for information (key 2, confirmed with Enter, classifies and ends the call).
  await registerCall(page, '081211110001');
  assert.equal(await phone.inputValue(), '+6281211110001');
  await name.fill('Penelepon pertama');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('2');
  await page.getByTestId('confirm-ending').waitFor();
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="call-card"][hidden]', { state: 'attached' });

  // Second caller: an emergency (key 1); the form is theirs alone.
  await registerCall(page, '081322220002');
  await page.keyboard.press('1');
  await page.waitForFunction(() => document.activeElement?.id === 'reporter-name');
  await shot(page, 'call_taker_second_caller');
  assert.equal(await phone.inputValue(), '+6281322220002');
  assert.equal(await name.inputValue(), '');
  assert.deepEqual(problems, [], problems.join('\n'));
});
