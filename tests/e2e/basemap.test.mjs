// The offline basemap: a PMTiles archive made by the test (support/pmtiles.mjs) is configured with
// `[map] basemap_pmtiles`; the dispatcher map draws the Protomaps basemap layers from it, fetched from the
// Siaga origin as HTTP range requests (206), under Siaga's own layers. Any request off localhost and any
// console error fails the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';
import { eventually } from './support/flow.mjs';
import { writeBasemap } from './support/pmtiles.mjs';

let server;
let browser;
let dir;
let archive;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'siaga-basemap-'));
  const path = join(dir, 'demo.pmtiles');
  archive = writeBasemap(path);
  server = await startServer({ env: { SIAGA_MAP__BASEMAP_PMTILES: path } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What the map in `[data-testid="map"]` shows: style layers and sources, and features drawn per layer. */
function mapState(page) {
  return page.evaluate(() => {
    const map = document.querySelector('[data-testid="map"]')?.maplibreMap;
    if (!map) return null;
    const style = map.getStyle();
    const rendered = (layer) => (map.getLayer(layer) ? map.queryRenderedFeatures({ layers: [layer] }).length : -1);
    return {
      layers: style.layers.map((l) => l.id),
      sources: Object.fromEntries(Object.entries(style.sources).map(([id, s]) => [id, s.url ?? s.type])),
      tilesLoaded: map.areTilesLoaded(),
      drawn: { earth: rendered('earth'), water: rendered('water'), roads: rendered('roads_highway') + rendered('roads_major') },
    };
  });
}

test('the dispatcher map draws the offline basemap from the Siaga origin with range requests', async () => {
  const { context, problems } = await guardedContext(browser, server.url, { viewport: { width: 1400, height: 860 } });
  const basemapRequests = [];
  context.on('requestfinished', async (req) => {
    if (!req.url().includes('/api/v1/basemap.pmtiles')) return;
    const res = await req.response();
    basemapRequests.push({ url: req.url(), range: req.headers()['range'], status: res?.status(), contentRange: res?.headers()['content-range'] });
  });
  const page = await context.newPage();
  await loginAs(page, 'dispatch.dinkes');
  await page.waitForSelector('[data-testid="map"][data-basemap="pmtiles"] .maplibregl-canvas');
  await page.waitForSelector('[data-testid="unit-list"] li');

  const state = await eventually(
    async () => {
      const s = await mapState(page);
      return s && s.tilesLoaded && s.drawn.earth > 0 && s.drawn.water > 0 ? s : null;
    },
    20_000,
    'basemap features drawn',
  );
  // The Protomaps layers are in the style, read from the archive on this origin, under Siaga's layers.
  for (const id of ['background', 'earth', 'water', 'landuse_park', 'roads_highway']) assert.ok(state.layers.includes(id), `style lacks ${id}: ${state.layers}`);
  assert.equal(state.sources.protomaps, `pmtiles://${server.url}/api/v1/basemap.pmtiles`);
  const firstSiaga = state.layers.findIndex((id) => id.startsWith('siaga-'));
  assert.ok(firstSiaga > state.layers.indexOf('roads_highway'), `Siaga layers must be drawn over the basemap: ${state.layers}`);
  assert.ok(state.drawn.roads > 0, `roads drawn: ${JSON.stringify(state.drawn)}`);

  // Every archive read was a byte range answered 206 with its Content-Range.
  assert.ok(basemapRequests.length >= 2, `header and tiles read: ${JSON.stringify(basemapRequests)}`);
  for (const r of basemapRequests) {
    assert.equal(new URL(r.url).origin, server.url);
    assert.match(r.range ?? '', /^bytes=\d+-\d+$/, JSON.stringify(r));
    assert.equal(r.status, 206, JSON.stringify(r));
    assert.match(r.contentRange ?? '', new RegExp(`^bytes \\d+-\\d+/${archive.bytes.length}$`), JSON.stringify(r));
  }
  await shot(page, 'basemap_dispatcher');
  assert.deepEqual(problems, []);
  await context.close();
});
