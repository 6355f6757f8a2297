// Service lines on the call taker's console, on a centre whose "quitline" is tiered (offered to the Jakarta
// regional team by the caller's locus) and has a call-back programme: a quitline call answered on the console
// is enrolled from its card, its call-backs appear in the work list with the number to call, and recording
// an ending outcome empties the list (the server cancels the rest of the series); a central call taker routes
// a call by the pin once the caller says where they are, and a member of the regional team takes the call
// offered to it with the same key as answering. (A centre without these shows neither: call_taker_shift.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, login, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';

let server;
let browser;
const dir = mkdtempSync(join(tmpdir(), 'siaga-e2e-config-'));

before(async () => {
  const config = join(dir, 'siaga.toml');
  writeFileSync(
    config,
    '[[routing.lines]]\nline = "quitline"\nfallback_after_ms = 600000\n' +
      'regional_teams = [{ team_id = "quitline-jakarta", region_codes = ["31.72", "31.75"] }]\n' +
      '[[routing.follow_ups]]\nline = "quitline"\nday_offsets = [1, 3]\n',
  );
  server = await startServer({ env: { SIAGA_CONFIG: config } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a quitline call is enrolled for call-backs from its card and an outcome is recorded from the work list', async () => {
  const { context, problems } = await guardedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await loginAs(page, 'operator1');
  await page.waitForSelector('.maplibregl-canvas');
  await page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
  await page.getByTestId('follow-ups').getByText('Tidak ada panggilan balik yang menunggu.').waitFor();

  const gateway = await login(server.url, 'operator2');
  const call = await api(server.url, 'POST', '/api/v1/calls', gateway.token, { ani: '081266660006', channel: 'voice', service_line: 'quitline' });
  assert.equal(call.status, 201, JSON.stringify(call.body));
  await page.waitForSelector(`[data-call-id="${call.body.id}"]`);
  await page.locator('[data-testid="shortcuts"]').click();
  await page.keyboard.press('a');
  await page.getByTestId('schedule-follow-ups').click();
  await page.getByText('2 panggilan balik dijadwalkan.').waitFor();
  const tasks = page.locator('[data-testid="follow-ups"] li[data-follow-up-id]');
  await tasks.first().waitFor();
  assert.equal(await tasks.count(), 2);
  assert.match(await tasks.first().textContent(), /\+6281266660006 · panggilan ke-1/);
  await tasks.first().scrollIntoViewIfNeeded();
  await shot(page, 'call_taker_follow_ups');

  await tasks.first().getByTestId('follow-up-outcome').selectOption('refused');
  await tasks.first().getByTestId('follow-up-record').click();
  await page.getByText('Hasil panggilan balik dicatat.').waitFor();
  await page.getByTestId('follow-ups').getByText('Tidak ada panggilan balik yang menunggu.').waitFor();
  const left = await api(server.url, 'GET', `/api/v1/follow-ups?status=all&call_id=${call.body.id}`, gateway.token);
  assert.deepEqual(left.body.map((f) => f.status).sort(), ['cancelled', 'done']);
  // The call ends (a call left open would come back as this desk's call in the next test).
  await page.locator('[data-testid="shortcuts"]').click();
  await page.keyboard.press('Alt+e');
  await page.waitForSelector('[data-testid="call-card"][hidden]', { state: 'attached' });
  assert.deepEqual(problems, [], problems.join('\n'));
  await context.close();
});

test('a central call taker routes a quitline call by the pin; a member of the regional team takes the offer', async () => {
  // A member of the Jakarta quitline team.
  const admin = await login(server.url, 'admin');
  const created = await api(server.url, 'POST', '/api/v1/users', admin.token, {
    username: 'konselor1',
    display_name: 'Konselor Satu',
    role: 'call_taker',
    password: 'rahasia-konselor-1',
    team_id: 'quitline-jakarta',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const member = await login(server.url, 'konselor1', 'rahasia-konselor-1');
  if (member.must_change_password) {
    const changed = await api(server.url, 'POST', '/api/v1/auth/password', member.token, { current_password: 'rahasia-konselor-1', new_password: 'rahasia-konselor-2' });
    assert.equal(changed.status < 300, true, JSON.stringify(changed.body));
  }

  // The central desk answers a quitline call without a location, then routes it by the pin.
  const { context, problems } = await guardedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await loginAs(page, 'operator1');
  await page.waitForSelector('.maplibregl-canvas');
  await page.waitForSelector('[data-testid="live-banner"][hidden]', { state: 'attached' });
  const gateway = await login(server.url, 'operator2');
  const call = await api(server.url, 'POST', '/api/v1/calls', gateway.token, { ani: '081277770007', channel: 'voice', service_line: 'quitline' });
  assert.equal(call.status, 201, JSON.stringify(call.body));
  await page.waitForSelector(`[data-call-id="${call.body.id}"]`);
  await page.locator('[data-testid="shortcuts"]').click();
  await page.keyboard.press('a');
  await page.getByTestId('call-route').getByText('Jalur berjenjang: ditangani tim pusat').waitFor();
  assert.equal(await page.getByTestId('route-call').isDisabled(), true, 'no locus yet');
  // The caller says where they are: a pin in Kelapa Gading (Jakarta Utara), the regional team's area.
  await page.waitForFunction(() => !document.querySelector('[data-testid="map"]').maplibreMap.isMoving());
  const pin = await page.evaluate(() => document.querySelector('[data-testid="map"]').maplibreMap.project([106.9095, -6.1629]));
  await page.locator('[data-testid="map"] canvas').click({ position: { x: pin.x, y: pin.y } });
  await page.waitForSelector('[data-testid="route-call"]:not([disabled])');
  await page.getByTestId('route-call').click();
  await page.getByText('Panggilan ditawarkan ke tim quitline-jakarta.').waitFor();
  await page.getByTestId('call-route').getByText('Jalur berjenjang: ditawarkan ke tim quitline-jakarta').waitFor();
  await context.close();

  // A ringing quitline call from Kelapa Gading (AML) is offered to the team: its member takes it with A.
  const aml =
    'v=3&emergency_number=112&source=call&time=1795575590000&location_latitude=-6.16289&location_longitude=106.90950' +
    '&location_time=1795575590000&location_source=gps&location_accuracy=12.5';
  const offered = await api(server.url, 'POST', '/api/v1/calls', gateway.token, { ani: '081288880008', channel: 'voice', service_line: 'quitline', aml });
  assert.equal(offered.body.route.team_id, 'quitline-jakarta', JSON.stringify(offered.body.route));
  const team = await guardedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const teamPage = await team.context.newPage();
  await loginAs(teamPage, 'konselor1', member.must_change_password ? 'rahasia-konselor-2' : 'rahasia-konselor-1');
  await teamPage.waitForSelector('.maplibregl-canvas');
  await teamPage.waitForSelector(`[data-call-id="${offered.body.id}"] [data-testid="offered-to-me"]`);
  await teamPage.locator('[data-testid="shortcuts"]').click();
  await teamPage.keyboard.press('a');
  await teamPage.waitForSelector('[data-testid="call-card"]:not([hidden]) h2:has-text("6281288880008")');
  await teamPage.getByTestId('call-route').getByText('Jalur berjenjang: diambil tim quitline-jakarta').waitFor();
  const taken = await api(server.url, 'GET', `/api/v1/calls/${offered.body.id}`, gateway.token);
  assert.deepEqual([taken.body.status, taken.body.route.taken_by], ['answered', member.user.id]);
  await shot(teamPage, 'call_taker_regional_take');
  assert.deepEqual([...problems, ...team.problems], [], [...problems, ...team.problems].join('\n'));
  await team.context.close();
});
