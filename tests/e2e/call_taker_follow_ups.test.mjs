// The follow-up work list on the call taker's console, on a centre whose "quitline" has a call-back
// programme: a quitline call answered on the console is enrolled from its card, its call-backs appear in the
// work list with the number to call, and recording an ending outcome empties the list (the server cancels
// the rest of the series). A centre without a programme shows no work list at all.
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
  writeFileSync(config, '[[routing.follow_ups]]\nline = "quitline"\nday_offsets = [1, 3]\n');
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
  assert.deepEqual(problems, [], problems.join('\n'));
  await context.close();
});
