// The offline basemap: the demo centre's archive, built by `siaga basemap build` (support/basemap.mjs), is configured with
// `[map] basemap_pmtiles`; the dispatcher map draws the Protomaps basemap layers from it, fetched from the
// Siaga origin as HTTP range requests (206), under Siaga's own layers, with street and place names drawn from
// glyph ranges served by Siaga too. Any request off the origin and any console error fails the test.
//
// The label and pixel checks look at the archive's own features (a real street and kecamatan of the OSM and
// boundary data): the map is moved there after the page has fitted itself to its data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs } from './support/browser.mjs';
import { eventually } from './support/flow.mjs';
import { OVERVIEW_AT, PLACE_AT, PLACE_NAME, STREET_AT, STREET_NAME, buildDemoBasemap } from './support/basemap.mjs';

const VIEWPORT = { width: 1366, height: 768 };
/** Screenshots to look at (readability is judged by eye): a temp dir, printed once. */
const SHOTS = process.env.SIAGA_SHOTS ?? join(tmpdir(), 'siaga-basemap-shots');
mkdirSync(SHOTS, { recursive: true });

let server;
let browser;
let dir;
let archive;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'siaga-basemap-'));
  const path = join(dir, 'demo.pmtiles');
  archive = buildDemoBasemap(path);
  server = await startServer({ env: { SIAGA_MAP__BASEMAP_PMTILES: path } });
  browser = await launch();
  console.log(`basemap screenshots in ${SHOTS}`);
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
    const names = (layer) => (map.getLayer(layer) ? map.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties.name) : []);
    return {
      layers: style.layers.map((l) => l.id),
      sources: Object.fromEntries(Object.entries(style.sources).map(([id, s]) => [id, s.url ?? s.type])),
      glyphs: style.glyphs,
      tilesLoaded: map.areTilesLoaded(),
      zoom: map.getZoom(),
      drawn: {
        earth: rendered('earth'),
        water: rendered('water'),
        roads: rendered('roads_highway') + rendered('roads_major'),
        units: rendered('siaga-units-circle'),
      },
      labels: { roads: [...names('roads_labels_major'), ...names('roads_labels_minor')], places: [...names('places_locality'), ...names('places_subplace')] },
      attribution: document.querySelector('[data-testid="map"] .maplibregl-ctrl-attrib')?.textContent ?? '',
      theme: document.querySelector('[data-testid="map"]')?.dataset.mapTheme,
    };
  });
}

/** Waits until the map has stopped moving and loading (MapLibre's `idle`), or is idle already. */
function idle(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const map = document.querySelector('[data-testid="map"]').maplibreMap;
        if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) {
          // `loaded()` can be true while a repaint is still due; one more idle makes the pixels current.
          map.once('idle', () => resolve());
          map.triggerRepaint();
        } else map.once('idle', () => resolve());
      }),
  );
}

/** Moves the map to `center` at `zoom` and waits for it to be drawn. */
async function show(page, center, zoom) {
  await page.evaluate(([c, z]) => document.querySelector('[data-testid="map"]').maplibreMap.jumpTo({ center: c, zoom: z }), [center, zoom]);
  await idle(page);
}

/** Moves the map to the archive's street at `zoom` and waits for it to be drawn. */
const showStreet = (page, zoom) => show(page, STREET_AT, zoom);

/**
 * Pixels of the map canvas, as shown (a screenshot, decoded in the page): the share that differs from
 * `background` by more than a small tolerance, and the mean luminance (0–255), over the middle half.
 */
async function canvasPixels(page, name, background) {
  const png = await page.locator('[data-testid="map"] canvas.maplibregl-canvas').screenshot();
  writeFileSync(join(SHOTS, `${name}.png`), png);
  return page.evaluate(
    async ([b64, bg]) => {
      // An <img> may load a data: URL under the page's CSP (img-src data:); fetch() may not (connect-src 'self').
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const bitmap = await createImageBitmap(img);
      const c = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      const [x0, y0, w, h] = [bitmap.width / 4, bitmap.height / 4, bitmap.width / 2, bitmap.height / 2].map(Math.round);
      const { data } = ctx.getImageData(x0, y0, w, h);
      const [br, bgc, bb] = [1, 3, 5].map((i) => parseInt(bg.slice(i, i + 2), 16));
      let differing = 0;
      let luminance = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (Math.abs(r - br) + Math.abs(g - bgc) + Math.abs(b - bb) > 12) differing++;
        luminance += 0.2126 * r + 0.7152 * g + 0.0722 * b;
      }
      const n = data.length / 4;
      return { share: differing / n, luminance: luminance / n };
    },
    [png.toString('base64'), background],
  );
}

/** The background layer's colour in the map's current style. */
function backgroundColour(page) {
  return page.evaluate(() => {
    const map = document.querySelector('[data-testid="map"]').maplibreMap;
    const c = map.getPaintProperty('background', 'background-color');
    const css = typeof c === 'string' ? c : '#000000';
    const probe = document.createElement('canvas').getContext('2d');
    probe.fillStyle = css;
    return probe.fillStyle; // normalised to #rrggbb
  });
}

/** Records the glyph ranges the page asks for, with their status. */
function watchGlyphs(context) {
  const glyphs = [];
  context.on('requestfinished', async (req) => {
    if (!req.url().includes('/glyphs/')) return;
    const res = await req.response();
    glyphs.push({ url: req.url(), status: res?.status() });
  });
  return glyphs;
}

test('the dispatcher map draws the offline basemap from the Siaga origin with range requests', async () => {
  const { context, problems } = await guardedContext(browser, server.url, { viewport: VIEWPORT });
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
  await show(page, OVERVIEW_AT, 10);

  const state = await eventually(
    async () => {
      const s = await mapState(page);
      return s && s.tilesLoaded && s.drawn.earth > 0 && s.drawn.water > 0 ? s : null;
    },
    20_000,
    'basemap features drawn',
  );
  // The Protomaps layers are in the style, read from the archive on this origin, under Siaga's layers.
  for (const id of ['background', 'earth', 'water', 'landuse_park', 'roads_highway', 'roads_labels_major', 'places_locality']) {
    assert.ok(state.layers.includes(id), `style lacks ${id}: ${state.layers}`);
  }
  assert.equal(state.sources.protomaps, `pmtiles://${server.url}/api/v1/basemap.pmtiles`);
  assert.equal(state.glyphs, `${server.url}/glyphs/{fontstack}/{range}.pbf`);
  const firstSiaga = state.layers.findIndex((id) => id.startsWith('siaga-'));
  const lastBase = Math.max(...['roads_highway', 'roads_labels_major', 'places_locality', 'pois'].map((id) => state.layers.indexOf(id)));
  assert.ok(firstSiaga > lastBase, `Siaga layers must be drawn over the basemap: ${state.layers}`);
  assert.ok(state.drawn.roads > 0, `roads drawn: ${JSON.stringify(state.drawn)}`);
  // Whenever the basemap is shown, its data is credited.
  assert.match(state.attribution, /© OpenStreetMap contributors/);

  // Every archive read was a byte range answered 206 with its Content-Range.
  assert.ok(basemapRequests.length >= 2, `header and tiles read: ${JSON.stringify(basemapRequests)}`);
  for (const r of basemapRequests) {
    assert.equal(new URL(r.url).origin, server.url);
    assert.match(r.range ?? '', /^bytes=\d+-\d+$/, JSON.stringify(r));
    assert.equal(r.status, 206, JSON.stringify(r));
    assert.match(r.contentRange ?? '', new RegExp(`^bytes \\d+-\\d+/${archive.bytes.length}$`), JSON.stringify(r));
  }

  // Drawn, not just loaded: most of the middle of the canvas is land, water or road, not the background.
  const pixels = await canvasPixels(page, 'light_z10', await backgroundColour(page));
  assert.ok(pixels.share > 0.5, `share of the map centre drawn over the background: ${JSON.stringify(pixels)}`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('street and place names from the archive are drawn with glyphs from the Siaga origin', async () => {
  const { context, problems } = await guardedContext(browser, server.url, { viewport: VIEWPORT });
  const glyphs = watchGlyphs(context);
  const page = await context.newPage();
  await loginAs(page, 'dispatch.dinkes');
  await page.waitForSelector('[data-testid="map"][data-basemap="pmtiles"] .maplibregl-canvas');
  await page.waitForSelector('[data-testid="unit-list"] li');

  // Street zoom: the street's name is placed along it, from the archive's `name`.
  await showStreet(page, 15);
  const street = await eventually(
    async () => {
      const s = await mapState(page);
      return s && s.labels.roads.includes(STREET_NAME) ? s : null;
    },
    20_000,
    `"${STREET_NAME}" drawn as a road label`,
  );
  assert.ok(street.zoom >= 15);
  await canvasPixels(page, 'light_street_z15', await backgroundColour(page));

  // Neighbourhood zoom: the kelurahan's name.
  await show(page, PLACE_AT, 14);
  await eventually(
    async () => {
      const s = await mapState(page);
      return s && s.labels.places.includes(PLACE_NAME) ? s : null;
    },
    20_000,
    `"${PLACE_NAME}" drawn as a place label`,
  );

  // The glyphs came from this origin, each range answered 200, Latin text included.
  assert.ok(glyphs.length > 0, 'glyph ranges requested');
  for (const g of glyphs) {
    assert.equal(new URL(g.url).origin, server.url, JSON.stringify(g));
    assert.equal(g.status, 200, JSON.stringify(g));
  }
  assert.ok(
    glyphs.some((g) => decodeURIComponent(g.url).endsWith('/glyphs/Noto Sans Regular/0-255.pbf')),
    `Latin glyphs of the street labels' font: ${JSON.stringify(glyphs)}`,
  );
  assert.deepEqual(problems, []);
  await context.close();
});

test('the night-shift switch darkens the basemap under the same Siaga layers and is remembered after a reload', async () => {
  const { context, problems } = await guardedContext(browser, server.url, { viewport: VIEWPORT });
  const page = await context.newPage();
  await loginAs(page, 'dispatch.dinkes');
  await page.waitForSelector('[data-testid="map"][data-basemap="pmtiles"] .maplibregl-canvas');
  await page.waitForSelector('[data-testid="unit-list"] li');
  const toggle = page.getByTestId('night-shift-toggle');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');

  // The page's own view (fitted to its data): the units it draws in the light theme.
  await idle(page);
  const light = await eventually(
    async () => {
      const s = await mapState(page);
      return s && s.tilesLoaded && s.drawn.units > 0 ? s : null;
    },
    20_000,
    'units drawn',
  );
  const view = await page.evaluate(() => {
    const map = document.querySelector('[data-testid="map"]').maplibreMap;
    return { center: map.getCenter().toArray(), zoom: map.getZoom() };
  });
  await showStreet(page, 14);
  const lightPixels = await canvasPixels(page, 'light_z14', await backgroundColour(page));
  await page.evaluate((v) => document.querySelector('[data-testid="map"]').maplibreMap.jumpTo(v), view);
  await idle(page);

  await toggle.click();
  await page.waitForSelector('[data-testid="map"][data-map-theme="dark"]');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  await idle(page);
  const dark = await mapState(page);
  // Only the base layers changed: Siaga's layers are all there, still on top and in the same order.
  const siaga = (s) => s.layers.filter((id) => id.startsWith('siaga-'));
  assert.deepEqual(siaga(dark), siaga(light));
  assert.deepEqual(dark.layers, light.layers, 'same layers, same order');
  assert.equal(dark.drawn.units, light.drawn.units, 'the same units drawn');
  assert.match(dark.attribution, /© OpenStreetMap contributors/);

  await showStreet(page, 14);
  const darkPixels = await canvasPixels(page, 'dark_z14', await backgroundColour(page));
  assert.ok(darkPixels.luminance < lightPixels.luminance - 60, `dark is darker: light ${JSON.stringify(lightPixels)}, dark ${JSON.stringify(darkPixels)}`);
  assert.ok(darkPixels.share > 0.5, `dark map drawn over its background: ${JSON.stringify(darkPixels)}`);
  await showStreet(page, 15);
  await eventually(
    async () => {
      const s = await mapState(page);
      return s && s.labels.roads.includes(STREET_NAME) ? s : null;
    },
    20_000,
    'street label in the dark theme',
  );
  await canvasPixels(page, 'dark_street_z15', await backgroundColour(page));

  // Remembered on this device: a reload comes back dark.
  await page.reload();
  await page.waitForSelector('[data-testid="map"][data-map-theme="dark"][data-basemap="pmtiles"] .maplibregl-canvas');
  assert.equal(await page.getByTestId('night-shift-toggle').getAttribute('aria-pressed'), 'true');
  await page.waitForSelector('[data-testid="unit-list"] li');
  await showStreet(page, 14);
  const reloaded = await canvasPixels(page, 'dark_z14_reloaded', await backgroundColour(page));
  assert.ok(Math.abs(reloaded.luminance - darkPixels.luminance) < 20, `reloaded dark ${JSON.stringify(reloaded)} vs ${JSON.stringify(darkPixels)}`);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a dispatcher's map reopens where the desk left it, at street zoom, after a reload; a new device fits to the data", async () => {
  const { context, problems } = await guardedContext(browser, server.url, { viewport: VIEWPORT });
  const page = await context.newPage();
  await loginAs(page, 'dispatch.dinkes');
  await page.waitForSelector('[data-testid="map"][data-basemap="pmtiles"] .maplibregl-canvas');
  await page.waitForSelector('[data-testid="unit-list"] li');
  await idle(page);
  const view = () =>
    page.evaluate(() => {
      const map = document.querySelector('[data-testid="map"]').maplibreMap;
      return { center: map.getCenter().toArray(), zoom: map.getZoom() };
    });
  const fitted = await view();
  assert.ok(fitted.zoom < 14, `the first view fits the OPD's area: ${JSON.stringify(fitted)}`);

  await showStreet(page, 15.5);
  await page.reload();
  await page.waitForSelector('[data-testid="map"][data-basemap="pmtiles"] .maplibregl-canvas');
  await page.waitForSelector('[data-testid="unit-list"] li');
  await idle(page);
  const back = await view();
  assert.ok(Math.abs(back.zoom - 15.5) < 0.01, `reopened at street zoom: ${JSON.stringify(back)}`);
  assert.ok(Math.abs(back.center[0] - STREET_AT[0]) < 1e-4 && Math.abs(back.center[1] - STREET_AT[1]) < 1e-4, JSON.stringify(back));
  await eventually(
    async () => {
      const s = await mapState(page);
      return s && s.labels.roads.includes(STREET_NAME) ? s : null;
    },
    20_000,
    'the street drawn with its name at the reopened view',
  );
  assert.deepEqual(problems, []);
  await context.close();

  // Another device (a fresh browser profile) has no saved view: the map fits to the data again.
  const other = await guardedContext(browser, server.url, { viewport: VIEWPORT });
  const fresh = await other.context.newPage();
  await loginAs(fresh, 'dispatch.dinkes');
  await fresh.waitForSelector('[data-testid="unit-list"] li');
  await idle(fresh);
  const firstView = await fresh.evaluate(() => document.querySelector('[data-testid="map"]').maplibreMap.getZoom());
  assert.ok(firstView < 14, `fitted on a new device: zoom ${firstView}`);
  assert.deepEqual(other.problems, []);
  await other.context.close();
});
