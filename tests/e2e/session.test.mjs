// The browser session is an HttpOnly cookie: no script can read the token, a reload (or reopening the
// responder's PWA) keeps the user signed in until the session expires, and logout ends it for good. Every
// page runs under the server's content security policy: a violation is a console error, which fails the
// guard.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs } from './support/browser.mjs';

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

/** Everything scripts of the page can reach: both storages and `document.cookie`. */
function scriptVisible(page) {
  return page.evaluate(() => ({
    local: Object.fromEntries(Object.entries(localStorage)),
    session: Object.fromEntries(Object.entries(sessionStorage)),
    cookie: document.cookie,
  }));
}

test('the session survives a reload and a restart, stays out of scripts, and ends with logout', async () => {
  const { context, problems } = await guardedContext(browser, server.url, { viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await loginAs(page, 'amb01');

  // The token is in an HttpOnly, SameSite=Strict cookie that lasts as long as the session (12 h).
  const [cookie] = (await context.cookies()).filter((c) => c.name === 'siaga_session');
  assert.ok(cookie, 'login set the session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  const hoursLeft = (cookie.expires - Date.now() / 1000) / 3600;
  assert.ok(hoursLeft > 11.9 && hoursLeft <= 12, `the cookie lives ${hoursLeft} h`);
  const visible = await scriptVisible(page);
  assert.ok(!JSON.stringify(visible).includes(cookie.value), `the token is visible to scripts: ${JSON.stringify(visible)}`);
  assert.equal(visible.local['siaga.token'], undefined);
  assert.equal(JSON.parse(visible.local['siaga.user']).username, 'amb01');

  // A reload keeps the user signed in.
  await page.reload();
  await page.waitForSelector('[data-testid="who"]');
  assert.match(await page.getByTestId('who').textContent(), /AMB|amb01/i);

  // So does closing the app and opening it again (a new browser context with the stored state).
  const state = await context.storageState();
  const reopened = await guardedContext(browser, server.url, { storageState: state, viewport: { width: 360, height: 740 } });
  const again = await reopened.context.newPage();
  await again.goto('/');
  await again.waitForSelector('[data-testid="who"]');
  await reopened.context.close();

  // Logout (after its confirmation) clears the cookie; a reload then shows the login.
  await page.getByTestId('logout').click();
  await page.getByTestId('logout-yes').click();
  await page.getByLabel(/Nama pengguna|Username/).waitFor();
  assert.deepEqual((await context.cookies()).filter((c) => c.name === 'siaga_session'), []);
  await page.reload();
  await page.getByLabel(/Nama pengguna|Username/).waitFor();
  assert.equal(await page.locator('[data-testid="who"]').count(), 0);
  assert.deepEqual(problems, [], problems.join('\n'));
  assert.deepEqual(reopened.problems, [], reopened.problems.join('\n'));
  await context.close();
});

test('every role page loads under the content security policy', async () => {
  for (const username of ['operator1', 'dispatch.dinkes', 'supervisor']) {
    const { context, problems } = await guardedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const csp = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) csp.push(msg.text());
    });
    const response = await page.goto('/');
    assert.match(response.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    await loginAs(page, username);
    // Map pages draw with MapLibre (workers from blob: URLs): wait until the map has rendered.
    if (username !== 'operator1') {
      await page.waitForFunction(() => document.querySelector('[data-testid="map"]')?.maplibreMap?.loaded?.() === true, null, {
        timeout: 30_000,
      });
    }
    await page.waitForTimeout(500);
    assert.deepEqual(csp, [], `${username}: ${csp.join('\n')}`);
    assert.deepEqual(problems, [], `${username}: ${problems.join('\n')}`);
    await context.close();
  }
});
