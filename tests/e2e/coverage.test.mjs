// The supervisor's coverage layer on the demo's real streets (the graph of geodata/demo/streets.osm.pbf) and
// the gazetteer's population table: the "Cakupan" toggle draws the H3 cells reachable within the arrival target
// from the available ambulances and says what share of the chosen regency lies outside (the demo supervisor
// has no region: the first regency of the map is chosen); switching the unit type re-reads it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, siagaBin, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';

/** The gazetteer's population per kab/kota (`SIAGA_GEODATA_DIR`, else `../shared/geodata` beside the workspace). */
const POPULATION = join(process.env.SIAGA_GEODATA_DIR ?? join(REPO, '../shared/geodata'), 'gazetteer/wilayah_population_area.csv');

let server;
let browser;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'siaga-e2e-coverage-'));
  const graph = join(dir, 'roads.graph');
  const made = spawnSync(siagaBin(), ['import', 'roads', 'geodata/demo/streets.osm.pbf', '--out', graph], { cwd: REPO, encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const env = { SIAGA_ROADS__GRAPH: graph };
  if (existsSync(POPULATION)) env.SIAGA_COVERAGE__POPULATION_CSV = POPULATION;
  server = await startServer({ env });
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
  // The regencies of the map are offered; the first (Jakarta Utara) is chosen for a supervisor of no region.
  await page.waitForSelector('#coverage-region option[value="31.72"]', { state: 'attached' });
  await page.getByTestId('coverage-toggle').check();
  const line = page.getByTestId('coverage-summary');
  await page.waitForFunction(() => ['ready', 'failed'].includes(document.querySelector('[data-testid="coverage-summary"]').dataset.status), null, { timeout: 30_000 });
  assert.equal(await line.getAttribute('data-status'), 'ready', await line.textContent());
  assert.equal(requests.at(-1).get('unit_type'), 'ambulance');
  assert.equal(requests.at(-1).get('region'), '31.72');
  assert.match(await line.textContent(), /^\d+\.\d% wilayah Kota Administrasi Jakarta Utara di luar jangkauan 10 menit dari \d+ unit tersedia/);
  if (existsSync(POPULATION)) assert.match(await line.textContent(), /sekitar [\d.,]+ penduduk/);
  const share = Number(await line.getAttribute('data-share-outside'));
  assert.ok(share > 0 && share < 1, `share outside ${share}`);
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
