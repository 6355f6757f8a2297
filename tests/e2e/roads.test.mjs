// Drive times on the demo's real streets: the graph prepared by `siaga import roads` from
// geodata/demo/streets.osm.pbf and loaded at start ([roads] graph). The dispatcher (1366×768) sees drive-time
// ETAs with their basis, and clicking a recommendation draws its route on the map (asserted on the map source's
// features, not pixels); AMB-01's crew phone (360×740) shows the route's time and turn list beside the
// navigate button. With an arrival target no unit can make, the dispatcher is warned before assigning and the
// assignment shows its planned ETA beside the target. Any request off localhost and any console error fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, api, login, siagaBin, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';
import { eventually } from './support/flow.mjs';

const VIEWPORT = { width: 1366, height: 768 };
const PHONE = {
  viewport: { width: 360, height: 740 },
  isMobile: true,
  hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
};
/** On Jalan Bulevar Utara, Kelapa Gading: a main road, a kilometre or two from the parked ambulances. */
const AT = { lon: 106.8951876, lat: -6.1756064 };

let server;
let browser;
let graphDir;
let taker;
let desk;

before(async () => {
  graphDir = mkdtempSync(join(tmpdir(), 'siaga-e2e-roads-'));
  const graph = join(graphDir, 'roads.graph');
  const made = spawnSync(siagaBin(), ['import', 'roads', 'geodata/demo/streets.osm.pbf', '--out', graph], { cwd: REPO, encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /road graph: \d+ nodes/);
  // A p4 arrival target of one minute, which no parked ambulance can make (the SLA planning test); p2, the
  // first test's, keeps its defaults.
  const p4 = { ESCALATION_S: '600', DISPATCH_S: '3600', ACKNOWLEDGE_S: '900', ARRIVAL_URBAN_S: '60', ARRIVAL_RURAL_S: '120', RESOLUTION_S: '259200' };
  const sla = Object.fromEntries(Object.entries(p4).map(([k, v]) => [`SIAGA_DISPATCH__SLA__PRIORITIES__P4__${k}`, v]));
  server = await startServer({ env: { SIAGA_ROADS__GRAPH: graph, ...sla } });
  browser = await launch();
  taker = await login(server.url, 'operator1');
  desk = await login(server.url, 'dispatch.dinkes');
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (graphDir) rmSync(graphDir, { recursive: true, force: true });
});

async function fileIncident(priority = 'p2') {
  const call = await api(server.url, 'POST', '/api/v1/calls', taker.token, { ani: '081299990001', channel: 'voice', service_line: '112' });
  assert.equal(call.status, 201, JSON.stringify(call.body));
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/answer`, taker.token, {});
  await api(server.url, 'POST', `/api/v1/calls/${call.body.id}/classify`, taker.token, { class: 'emergency' });
  const inc = await api(server.url, 'POST', '/api/v1/incidents', taker.token, {
    call_id: call.body.id,
    category: 'health',
    priority,
    location: AT,
    address: 'Kelapa Gading',
    victims: { count: 1, condition: 'serious' },
  });
  assert.equal(inc.status, 201, JSON.stringify(inc.body));
  return inc.body;
}

test('the dispatcher sees drive-time ETAs and the chosen unit\'s route on the map; the crew sees its route and turns', async () => {
  const inc = await fileIncident();
  const recs = await api(server.url, 'GET', `/api/v1/incidents/${inc.id}/recommendations`, desk.token);
  assert.equal(recs.status, 200);
  // Units parked on the extract's own streets are routed by road (one off the extract would be the straight line).
  const first = recs.body.units.find((u) => u.basis === 'road');
  assert.ok(first, JSON.stringify(recs.body));
  assert.ok(first.route_m > 0 && first.travel_time_s > 0);

  const disp = await guardedContext(browser, server.url, { viewport: VIEWPORT });
  const page = await disp.context.newPage();
  await loginAs(page, 'dispatch.dinkes');
  const item = page.locator('.queue-item', { hasText: inc.number });
  await item.waitFor({ timeout: 15_000 });
  await item.click();
  const rec = page.locator(`[data-testid="recommendations"] li[data-unit-id="${first.unit_id}"]`);
  await rec.waitFor({ timeout: 15_000 });
  assert.equal(await rec.getAttribute('data-basis'), 'road');
  const eta = await rec.getByTestId('rec-eta').innerText();
  const minutes = String(Math.max(1, Math.round(first.travel_time_s / 60)));
  assert.match(eta, new RegExp(`±${minutes} menit lewat jalan`), eta);

  // Choosing it draws its route: one road line from the unit to the incident, in the map's route source.
  await rec.locator(`[data-route-unit="${first.unit_id}"]`).click();
  const routeFeatures = () =>
    page.evaluate(async () => {
      const map = document.querySelector('[data-testid="map"]').maplibreMap;
      const data = await map.getSource('siaga-route').getData();
      return data.features.map((f) => ({ props: f.properties, type: f.geometry.type, n: f.geometry.coordinates.length, last: f.geometry.coordinates.at(-1) }));
    });
  const drawn = await eventually(async () => {
    const fs = await routeFeatures();
    return fs.length === 1 ? fs : null;
  }, 15_000, 'the route drawn');
  assert.equal(drawn[0].type, 'LineString');
  assert.equal(drawn[0].props.unit_id, first.unit_id);
  assert.equal(drawn[0].props.basis, 'road');
  assert.ok(drawn[0].n > 3, JSON.stringify(drawn));
  assert.deepEqual(drawn[0].last, [AT.lon, AT.lat]);
  await shot(page, 'roads_dispatcher_route');
  assert.deepEqual(disp.problems, []);

  // AMB-01 is sent; its crew's phone shows the route (time, length, basis) and the turn list.
  const amb = (await api(server.url, 'GET', '/api/v1/units', desk.token)).body.find((u) => u.call_sign === 'AMB-01');
  await api(server.url, 'POST', `/api/v1/incidents/${inc.id}/verify`, desk.token, {});
  const sent = await api(server.url, 'POST', `/api/v1/incidents/${inc.id}/assignments`, desk.token, { unit_id: amb.id });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const crew = await guardedContext(browser, server.url, PHONE);
  const phone = await crew.context.newPage();
  await loginAs(phone, 'amb01');
  const route = phone.getByTestId('route');
  await route.waitFor({ timeout: 20_000 });
  const crewRoute = await api(server.url, 'GET', `/api/v1/incidents/${inc.id}/route?unit_id=${amb.id}`, desk.token);
  assert.equal(await route.getAttribute('data-basis'), 'road', JSON.stringify({ ...crewRoute.body.properties, turns: undefined }) + JSON.stringify(recs.body.units.map((u) => [u.call_sign, u.basis, u.fallback])));
  await route.locator('summary').click();
  const turns = phone.locator('[data-testid="turns"] li');
  assert.ok((await turns.count()) >= 2);
  assert.equal(await turns.first().getAttribute('data-maneuver'), 'depart');
  assert.equal(await turns.last().getAttribute('data-maneuver'), 'arrive');
  assert.ok(await phone.getByTestId('navigate').isVisible());
  await shot(phone, 'roads_responder_route');
  assert.deepEqual(crew.problems, []);
});

test('when no unit can make the arrival target the dispatcher is warned, and the assignment shows its ETA beside the target', async () => {
  const inc = await fileIncident('p4');
  const recs = await api(server.url, 'GET', `/api/v1/incidents/${inc.id}/recommendations`, desk.token);
  assert.equal(recs.status, 200);
  assert.equal(recs.body.arrival_target_s, 60);
  assert.equal(recs.body.none_meets_target, true, JSON.stringify(recs.body));
  const best = recs.body.units[0];
  assert.ok(best && best.travel_time_s > 60, JSON.stringify(recs.body));

  const disp = await guardedContext(browser, server.url, { viewport: VIEWPORT });
  const page = await disp.context.newPage();
  await loginAs(page, 'dispatch.dinkes');
  const item = page.locator('.queue-item', { hasText: inc.number });
  await item.waitFor({ timeout: 15_000 });
  await item.click();
  const warning = page.locator('[data-testid="recommendations"] [data-testid="sla-warning"]');
  await warning.waitFor({ timeout: 15_000 });
  const minutes = Math.max(1, Math.ceil(best.travel_time_s / 60));
  assert.equal(await warning.innerText(), `⚠ Unit tercepat tiba ±${minutes} menit, target 1 menit`);
  const rec = page.locator(`[data-testid="recommendations"] li[data-unit-id="${best.unit_id}"]`);
  assert.equal(await rec.getAttribute('data-meets-target'), 'false');
  assert.ok(await rec.getByTestId('misses-target').isVisible());
  await shot(page, 'roads_sla_warning');
  // Picking the same unit by hand warns before it is sent.
  const manual = page.getByTestId('manual-assign');
  await manual.locator('select').selectOption(best.unit_id);
  const manualWarning = manual.getByTestId('manual-sla-warning');
  assert.ok(await manualWarning.isVisible());
  assert.equal(await manualWarning.innerText(), `⚠ ${best.call_sign} tiba ±${minutes} menit, target 1 menit`);

  await rec.locator(`[data-assign-unit="${best.unit_id}"]`).click();
  const eta = page.locator('[data-testid="assignments"] [data-testid="asg-eta"]');
  await eta.waitFor({ timeout: 15_000 });
  assert.equal(await eta.getAttribute('data-late'), 'true');
  const text = await eta.innerText();
  assert.match(text, /ETA \d{2}[.:]\d{2} · target \d{2}[.:]\d{2}/, text);
  assert.match(text, new RegExp(`tiba ±${minutes} menit, target 1 menit`), text);
  const sent = (await api(server.url, 'GET', `/api/v1/incidents/${inc.id}`, desk.token)).body.assignments[0];
  assert.equal(sent.planned_eta_s, Math.ceil(best.travel_time_s));
  // The queue's SLA cell, now the one-minute arrival clock, carries the planned ETA too.
  const cell = page.locator(`[data-sla-for="${inc.id}"]`);
  await eventually(async () => (await cell.getAttribute('data-late')) === 'true', 5_000, 'the planned ETA in the SLA cell');
  assert.match(await cell.innerText(), /Tiba di lokasi .* · ETA \d{2}[.:]\d{2} ⚠/);
  await shot(page, 'roads_sla_planned_eta');
  assert.deepEqual(disp.problems, []);
});
