// The supervisor's coverage layer on the demo's real streets (the graph of geodata/demo/streets.osm.pbf) and
// the gazetteer's population table: the "Cakupan" toggle draws the H3 cells reachable within the arrival target
// from the available ambulances and says what share of Jakarta Timur (the supervisor's region being none, the
// demo's region chosen here) lies outside; switching the unit type re-reads it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, siagaBin, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';

let server;
let browser;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'siaga-e2e-coverage-'));
  const graph = join(dir, 'roads.graph');
  const made = spawnSync(siagaBin(), ['import', 'roads', 'geodata/demo/streets.osm.pbf', '--out', graph], { cwd: REPO, encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  server = await startServer({ env: { SIAGA_ROADS__GRAPH: graph } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const drawn = (page) => page.evaluate(() => document.querySelector('[data-testid="map"]').maplibreMap.querySourceFeatures('siaga-coverage').length);

test('supervisor turns coverage on, reads the share outside and switches the unit type', async () => {
  const sup = await guardedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const requests = [];
  sup.context.on('request', (r) => {
    if (r.url().includes('/api/v1/coverage')) requests.push(new URL(r.url()).searchParams);
  });
  const page = await sup.context.newPage();
  await loginAs(page, 'supervisor');
  await page.getByTestId('coverage-toggle').check();
  const line = page.getByTestId('coverage-summary');
  await page.waitForSelector('[data-testid="coverage-summary"][data-status="ready"]', { timeout: 30_000 });
  assert.equal(requests.at(-1).get('unit_type'), 'ambulance');
  assert.match(await line.textContent(), /unit tersedia/);
  await page.waitForFunction(() => document.querySelector('[data-testid="map"]').maplibreMap.querySourceFeatures('siaga-coverage').length > 0, null, { timeout: 15_000 });
  await page.getByTestId('coverage-summary').scrollIntoViewIfNeeded();
  await shot(page, 'supervisor_coverage');

  await page.getByTestId('coverage-type').selectOption('fire_engine');
  await page.waitForFunction(() => document.querySelector('[data-testid="coverage-summary"]').dataset.status === 'ready');
  assert.equal(requests.at(-1).get('unit_type'), 'fire_engine');

  await page.getByTestId('coverage-toggle').uncheck();
  await page.waitForFunction(() => document.querySelector('[data-testid="map"]').maplibreMap.querySourceFeatures('siaga-coverage').length === 0);
  assert.equal(await drawn(page), 0);
  assert.deepEqual(sup.problems, [], sup.problems.join('\n'));
});
