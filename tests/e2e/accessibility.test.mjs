// Every page through axe-core (WCAG 2.1 A/AA rules and best practices): login, the password change, call
// taker (with a call on screen), dispatcher (an incident selected), responder on a 360×740 phone (an
// assignment on screen), supervisor and admin. No `serious` or `critical` violation may remain; each found is
// printed with its rule, the elements and axe's advice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { api, login, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DESK = { width: 1366, height: 768 };
const PHONE = { width: 360, height: 740 };

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

/** Runs axe on the page as it is; returns the serious and critical violations, described. */
async function audit(page) {
  // Injected through the debugging protocol: the page's CSP allows no inline script, rightly.
  await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    globalThis.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] }),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 3).join(' ')}`).join('\n')}`);
}

async function check(name, page) {
  const found = await audit(page);
  await shot(page, `a11y_${name}`);
  return found.map((f) => `[${name}] ${f}`);
}

test('every page passes axe with no serious or critical violation', async () => {
  const admin = (await login(server.url, 'admin')).token;
  const taker = (await login(server.url, 'operator2')).token;
  const users = (await api(server.url, 'GET', '/api/v1/users', admin)).body;
  const violations = [];
  const pageProblems = [];

  // Login (and its error).
  {
    const { context, problems } = await guardedContext(browser, server.url, { viewport: DESK, allowConsole: ['401'] });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('Nama pengguna').waitFor();
    violations.push(...(await check('login', page)));
    await page.getByLabel('Nama pengguna').fill('operator1');
    await page.getByLabel('Kata sandi').fill('salah-sekali');
    await page.getByRole('button', { name: /Masuk/ }).click();
    await page.getByRole('alert').waitFor();
    violations.push(...(await check('login_error', page)));
    pageProblems.push(...problems);
    await context.close();
  }

  // The password change a reset forces.
  {
    const dp3a = users.find((u) => u.username === 'dispatch.dp3a');
    assert.equal((await api(server.url, 'PATCH', `/api/v1/users/${dp3a.id}`, admin, { password: 'sementara-112' })).status, 200);
    const { context, problems } = await guardedContext(browser, server.url, { viewport: DESK });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('Nama pengguna').fill('dispatch.dp3a');
    await page.getByLabel('Kata sandi').fill('sementara-112');
    await page.getByRole('button', { name: /Masuk/ }).click();
    await page.getByTestId('password-form').waitFor();
    violations.push(...(await check('change_password', page)));
    pageProblems.push(...problems);
    await context.close();
  }

  // Call taker with a ringing call answered on screen.
  const call = await api(server.url, 'POST', '/api/v1/calls', taker, { ani: '081211112222', channel: 'voice', service_line: '112' });
  {
    const { context, problems } = await guardedContext(browser, server.url, { viewport: DESK });
    const page = await context.newPage();
    await loginAs(page, 'operator1');
    await page.waitForSelector('.maplibregl-canvas');
    await page.locator(`[data-call-id="${call.body.id}"]`).first().click();
    await page.waitForSelector('[data-testid="call-card"]:not([hidden])');
    violations.push(...(await check('call_taker', page)));
    pageProblems.push(...problems);
    await context.close();
  }

  // Dispatcher with an incident selected.
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/answer`, taker, {});
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/classify`, taker, { class: 'emergency' });
  const incident = await api(server.url, 'POST', '/api/v1/incidents', taker, {
    call_id: call.body.id,
    category: 'health',
    priority: 'p1',
    location: { lon: 106.9095, lat: -6.1629 },
    victims: { count: 1, condition: 'serious' },
  });
  assert.equal(incident.status, 201, JSON.stringify(incident.body));
  {
    const { context, problems } = await guardedContext(browser, server.url, { viewport: DESK });
    const page = await context.newPage();
    await loginAs(page, 'dispatch.dinkes');
    await page.waitForSelector('.maplibregl-canvas');
    const row = page.locator('.queue-item').first();
    await row.waitFor();
    await row.click();
    await page.waitForSelector('[data-testid="detail-status"]');
    await page.waitForSelector('[data-testid="recommendations"] li');
    violations.push(...(await check('dispatcher', page)));
    pageProblems.push(...problems);
    await context.close();
  }

  // Responder on a phone, with an assignment.
  const dispatcher = (await login(server.url, 'dispatch.dinkes')).token;
  const units = (await api(server.url, 'GET', '/api/v1/units', dispatcher)).body;
  const amb01 = units.find((u) => u.call_sign === 'AMB-01');
  assert.equal((await api(server.url, 'POST', `/api/v1/incidents/${incident.body.id}/assignments`, dispatcher, { unit_id: amb01.id })).status, 201);
  {
    const { context, problems } = await guardedContext(browser, server.url, { viewport: PHONE, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await loginAs(page, 'amb01');
    await page.waitForSelector('[data-testid="next-step"]');
    violations.push(...(await check('responder', page)));
    pageProblems.push(...problems);
    await context.close();
  }

  // Supervisor and admin.
  for (const [username, name, ready] of [
    ['supervisor', 'supervisor', '[data-testid="kpi-offered"]'],
    ['admin', 'admin', '[data-testid="units"] tr'],
  ]) {
    const { context, problems } = await guardedContext(browser, server.url, { viewport: DESK });
    const page = await context.newPage();
    await loginAs(page, username);
    await page.waitForSelector(ready);
    violations.push(...(await check(name, page)));
    pageProblems.push(...problems);
    await context.close();
  }

  assert.deepEqual(violations, [], `\n${violations.join('\n')}`);
  assert.deepEqual(pageProblems, [], pageProblems.join('\n'));
});
