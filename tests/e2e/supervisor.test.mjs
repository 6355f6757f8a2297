// The supervisor board on the real endpoints: the agent list (GET /api/v1/agents) shows a call taker who is
// signed in and ready; force logout ends the call taker's session (the console returns to the login page)
// and the board shows the agent signed out; the H3 heat map (GET /api/v1/reports/heatmap) draws hexagons for
// a period with incidents and none for a period without.
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

/** Files incidents at `points` through the API (an answered emergency call each). */
async function fileIncidents(points) {
  const taker = await login(server.url, 'operator2');
  for (const [lon, lat] of points) {
    const call = await api(server.url, 'POST', '/api/v1/calls', taker.token, { ani: '081311112222', channel: 'voice', service_line: '112' });
    await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/answer`, taker.token, {});
    await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/classify`, taker.token, { class: 'emergency' });
    const inc = await api(server.url, 'POST', '/api/v1/incidents', taker.token, {
      call_id: call.body.id,
      category: 'fire',
      priority: 'p2',
      location: { lon, lat },
      victims: { count: 0, condition: 'unknown' },
    });
    assert.equal(inc.status, 201, JSON.stringify(inc.body));
    await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/end`, taker.token, {});
  }
}

function heatCells(page) {
  return page.evaluate(() => {
    const map = document.querySelector('[data-testid="map"]').maplibreMap;
    return map.querySourceFeatures('siaga-hexbins').length;
  });
}

test('supervisor sees agents, forces a logout, and reads the heat map of a period', async () => {
  // Three incidents: two in one spot, one across town.
  await fileIncidents([
    [106.9095, -6.1629],
    [106.9096, -6.163],
    [106.925, -6.2],
  ]);

  // The call taker signs in; the console reports "ready".
  const operator = await guardedContext(browser, server.url, { viewport: { width: 1440, height: 900 }, allowConsole: ['401'] });
  const opPage = await operator.context.newPage();
  await loginAs(opPage, 'operator1');
  await opPage.waitForSelector('header h1:has-text("Konsol penerima panggilan")');
  const operatorToken = (await login(server.url, 'supervisor')).token;
  const ready = async () => (await api(server.url, 'GET', '/api/v1/agents', operatorToken)).body.find((a) => a.username === 'operator1')?.state === 'ready';
  for (let i = 0; i < 50 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 100));

  const sup = await guardedContext(browser, server.url, { viewport: { width: 1400, height: 1000 } });
  const heatRequests = [];
  sup.context.on('request', (r) => {
    if (r.url().includes('/api/v1/reports/heatmap')) heatRequests.push(new URL(r.url()).searchParams);
  });
  const page = await sup.context.newPage();
  await loginAs(page, 'supervisor');

  // Agents: operator1 is ready; the list comes from /api/v1/agents (dispatchers are agents too).
  const state = page.getByTestId('agent-state-operator1');
  await state.waitFor();
  assert.equal(await state.getAttribute('data-state'), 'ready');
  assert.match(await state.textContent(), /Siap/);
  assert.equal(await page.getByTestId('agent-state-dispatch.dinkes').getAttribute('data-state'), 'logged_out');

  // Heat map of the last 24 hours: three incidents in two hexagons.
  const legend = page.getByTestId('heat-legend');
  await page.waitForSelector('[data-testid="heat-legend"][data-total="3"]', { timeout: 15_000 });
  assert.equal(await legend.getAttribute('data-cells'), '2');
  await page.waitForFunction(() => document.querySelector('[data-testid="map"]').maplibreMap.areTilesLoaded());
  assert.ok((await heatCells(page)) >= 2, 'hexagons drawn');
  const rendered = await page.evaluate(() => document.querySelector('[data-testid="map"]').maplibreMap.queryRenderedFeatures({ layers: ['siaga-hexbins-fill'] }).length);
  assert.ok(rendered >= 2, `hexagons rendered: ${rendered}`);
  assert.equal(heatRequests.at(-1).get('resolution'), '8');
  await shot(page, 'supervisor_heatmap');

  // A period without incidents: an empty map and the message saying so.
  await page.locator('#period').selectOption('custom');
  await page.locator('#from').fill('2025-01-01T00:00');
  await page.locator('#to').fill('2025-01-31T00:00');
  await page.getByRole('button', { name: 'Tampilkan' }).click();
  await page.waitForSelector('[data-testid="heat-legend"][data-total="0"]');
  assert.equal(await legend.textContent(), 'Tidak ada kejadian pada periode ini.');
  assert.equal(heatRequests.at(-1).get('from'), String(new Date('2025-01-01T00:00').getTime()));
  await page.waitForFunction(() => document.querySelector('[data-testid="map"]').maplibreMap.querySourceFeatures('siaga-hexbins').length === 0);

  // Force logout: confirmed, the call taker's console returns to the login page, the board shows it.
  page.once('dialog', (d) => d.accept());
  await page.getByTestId('force-logout-operator1').click();
  await page.waitForSelector('[data-testid="agent-state-operator1"][data-state="logged_out"]', { timeout: 15_000 });
  assert.equal(await page.getByTestId('force-logout-operator1').count(), 0, 'no force-logout button for a signed-out agent');
  await opPage.waitForSelector('form button:has-text("Masuk")', { timeout: 30_000 });
  await shot(page, 'supervisor_forced_logout');
  await shot(opPage, 'supervisor_forced_logout_operator');

  assert.deepEqual(sup.problems, [], sup.problems.join('\n'));
  assert.deepEqual(operator.problems, [], operator.problems.join('\n'));
});
