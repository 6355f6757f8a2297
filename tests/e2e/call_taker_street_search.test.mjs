// The call taker finds a street by name: typing "jl bulevar utara" lists the OpenStreetMap street of the demo
// extract (geodata/demo/streets.osm.pbf, Kelapa Gading, Jakarta) labelled as a street; choosing it pins the
// incident on the street itself (not a kecamatan centre) and centres the map there. Whether the pin is on the
// street is asked of the server: the street's point nearest the pin is the pin. Any request off localhost and
// any console error fails the test.
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

/** Great-circle distance in metres. */
function metres(a, b) {
  const r = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

test('a street typed by name is listed as a street and choosing it pins the incident on the street', async () => {
  const { context, problems } = await guardedContext(browser, server.url, { viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await loginAs(page, 'operator1');
  await page.waitForSelector('.maplibregl-canvas');

  // What the console asks the server (the map centre goes along as the bias).
  const answers = [];
  page.on('response', async (r) => {
    if (r.url().includes('/api/v1/geo/search?')) answers.push({ url: r.url(), body: await r.json().catch(() => null) });
  });

  await page.locator('#place-search').focus();
  await page.keyboard.type('jl bulevar utara');
  const option = page.locator('[data-testid="place-results"] li[data-kind="street"]', { hasText: 'Jalan Bulevar Utara Kelapa Gading' }).first();
  await option.waitFor();
  // Labelled as a street (Bahasa Indonesia first), with its own mark.
  assert.match(await option.innerText(), /Jalan Bulevar Utara Kelapa Gading · Jalan/);
  const last = answers.at(-1);
  assert.ok(last && /[?&]lon=[-\d.]+&lat=[-\d.]+/.test(last.url), `the search sends the map centre as the bias: ${last?.url}`);
  const chosen = last.body.find((p) => p.kind === 'street' && p.name === 'Jalan Bulevar Utara Kelapa Gading');
  assert.ok(chosen, JSON.stringify(last.body));
  await shot(page, 'call_taker_street_search');

  await option.click();
  const location = page.locator('#location');
  await page.waitForFunction(() => /^-?\d+\.\d{5}, -?\d+\.\d{5}$/.test(document.querySelector('#location')?.textContent ?? ''));
  const [lat, lon] = (await location.innerText()).split(',').map(Number);
  const pin = { lon, lat };
  assert.ok(metres(pin, chosen.position) < 2, `pin ${lat},${lon} is the chosen point ${JSON.stringify(chosen.position)}`);

  // The map is centred on the pin: the marker sits in the middle of the map once the flight ends.
  await page.waitForFunction(() => {
    const canvas = document.querySelector('.maplibregl-canvas')?.getBoundingClientRect();
    const marker = document.querySelector('.maplibregl-marker')?.getBoundingClientRect();
    if (!canvas || !marker) return false;
    const dx = marker.left + marker.width / 2 - (canvas.left + canvas.width / 2);
    const dy = marker.bottom - (canvas.top + canvas.height / 2);
    return Math.hypot(dx, dy) < 30;
  }, null, { timeout: 10_000 });
  await shot(page, 'call_taker_street_pinned');
  assert.deepEqual(problems, [], problems.join('\n'));

  // The pin lies on the street: asked with the pin as the bias, the street's nearest point is the pin itself.
  const token = (await login(server.url, 'operator1')).token;
  const again = await api(server.url, 'GET', `/api/v1/geo/search?q=${encodeURIComponent('Jl. Bulevar Utara Kelapa Gading')}&lon=${lon}&lat=${lat}`, token);
  const onStreet = again.body[0];
  assert.equal(onStreet.kind, 'street', JSON.stringify(again.body));
  assert.ok(metres(pin, onStreet.position) < 2, `pin ${lat},${lon} is ${metres(pin, onStreet.position)} m off the street`);
});
