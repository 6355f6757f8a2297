// The incident timeline across screens: the crew types a note on a 360×740 phone with no signal; when the
// network returns the note reaches the dispatcher's detail timeline exactly once, live, and the server holds it
// once; a note the dispatcher writes appears on the crew's phone live.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, login, startServer } from './support/server.mjs';
import { guardedContext, launch, loginAs, shot } from './support/browser.mjs';
import { eventually, requireEndpoints } from './support/flow.mjs';

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

test('a crew note typed offline reaches the dispatcher once, and a dispatcher note reaches the phone live', async () => {
  await requireEndpoints(server.url, ['/api/v1/incidents', '/api/v1/incidents/{id}/assignments']);
  // Arrange through the API: an incident near AMB-01, assigned to it.
  const taker = await login(server.url, 'operator1');
  const dispatcher = await login(server.url, 'dispatch.dinkes');
  const inc = await api(server.url, 'POST', '/api/v1/incidents', taker.token, {
    category: 'health',
    priority: 'p2',
    location: { lon: 106.9051, lat: -6.1602 },
    victims: { count: 1, condition: 'minor' },
  });
  assert.equal(inc.status, 201, JSON.stringify(inc.body));
  const units = await api(server.url, 'GET', `/api/v1/units?agency_id=${dispatcher.user.agency_id}`, dispatcher.token);
  const amb01 = units.body.find((u) => u.call_sign === 'AMB-01');
  const asg = await api(server.url, 'POST', `/api/v1/incidents/${inc.body.id}/assignments`, dispatcher.token, { unit_id: amb01.id });
  assert.equal(asg.status, 201, JSON.stringify(asg.body));

  // The dispatcher's desk, with the incident's detail open.
  const desk = await guardedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const deskPage = await desk.context.newPage();
  await loginAs(deskPage, 'dispatch.dinkes');
  const item = deskPage.locator('.queue-item', { hasText: inc.body.number });
  await item.waitFor({ timeout: 15_000 });
  await item.click();
  const deskTimeline = deskPage.getByTestId('timeline');
  await deskTimeline.locator('[data-kind="assignment.created"]').waitFor({ timeout: 15_000 });

  // The crew's phone.
  const phone = await guardedContext(browser, server.url, {
    viewport: { width: 360, height: 740 },
    isMobile: true,
    allowConsole: ['ERR_INTERNET_DISCONNECTED'],
  });
  const notePosts = [];
  phone.context.on('requestfinished', async (req) => {
    if (req.method() === 'POST' && /\/api\/v1\/incidents\/[^/]+\/timeline$/.test(req.url())) {
      const res = await req.response();
      notePosts.push({ body: JSON.parse(req.postData()), key: req.headers()['idempotency-key'], code: res?.status() });
    }
  });
  const phonePage = await phone.context.newPage();
  await loginAs(phonePage, 'amb01');
  const phoneTimeline = phonePage.getByTestId('timeline');
  await phoneTimeline.locator('[data-kind="assignment.created"]').waitFor({ timeout: 15_000 });

  // Offline, the crew types a note: it is shown as waiting, and nothing is sent.
  await phone.context.setOffline(true);
  const crewNote = 'Jalan ditutup, kami memutar lewat Jl. Yos Sudarso';
  await phonePage.getByTestId('timeline-note').fill(crewNote);
  await phonePage.getByTestId('timeline-send').click();
  await phoneTimeline.locator('[data-pending="true"]', { hasText: crewNote }).waitFor();
  await shot(phonePage, 'timeline_1_phone_offline_note');
  assert.deepEqual(notePosts, [], 'nothing reached the server while offline');

  // Back online: the outbox sends it; the desk shows it once, live (the desk page is not reloaded).
  await phone.context.setOffline(false);
  const deskNote = deskTimeline.locator('[data-kind="note"]', { hasText: crewNote });
  await deskNote.waitFor({ timeout: 30_000 });
  await phoneTimeline.locator('[data-kind="note"]:not([data-pending])', { hasText: crewNote }).waitFor({ timeout: 20_000 });
  // The phone's own pending line gave way to the stored note.
  assert.equal(await phoneTimeline.locator('[data-pending="true"]').count(), 0);
  await eventually(() => notePosts.some((p) => p.code === 201), 10_000, 'the note was stored');
  assert.equal(await deskNote.count(), 1, 'the desk shows the crew note exactly once');
  assert.equal(await phoneTimeline.locator('[data-kind="note"]', { hasText: crewNote }).count(), 1);
  const stored = await api(server.url, 'GET', `/api/v1/incidents/${inc.body.id}/timeline`, dispatcher.token);
  const notes = stored.body.filter((e) => e.kind === 'note');
  assert.equal(notes.length, 1, JSON.stringify(notes));
  assert.equal(notes[0].text, crewNote);
  assert.equal(notes[0].actor_role, 'responder');
  assert.equal(notes[0].client_ref, notePosts[0].body.client_ref);
  assert.equal(notePosts[0].key, notePosts[0].body.client_ref, 'the outbox key is the note reference');
  await shot(deskPage, 'timeline_2_desk_crew_note');

  // The dispatcher writes; the phone shows it live.
  const dispatcherNote = 'Pasien kedua dilaporkan di gang sebelah';
  await deskPage.getByTestId('timeline-note').fill(dispatcherNote);
  await deskPage.getByTestId('timeline-send').click();
  await phoneTimeline.locator('[data-kind="note"]', { hasText: dispatcherNote }).waitFor({ timeout: 15_000 });
  await deskTimeline.locator('[data-kind="note"]', { hasText: dispatcherNote }).waitFor();
  assert.equal(await deskTimeline.locator('[data-kind="note"]', { hasText: dispatcherNote }).count(), 1);
  await shot(phonePage, 'timeline_3_phone_dispatcher_note');

  assert.deepEqual(desk.problems, [], desk.problems.join('\n'));
  assert.deepEqual(phone.problems, [], phone.problems.join('\n'));
});
