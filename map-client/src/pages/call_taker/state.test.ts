import { describe, expect, it } from 'vitest';
import type { CallView, IncidentView, PlaceView } from '../../api/types';
import { frame } from '../../live/fixtures';
import { isOverdue } from './callers';
import {
  agentStateSet,
  applyEvent,
  cueFor,
  buttonShortcut,
  callAnswered,
  type CallTakerState,
  callEnded,
  canScheduleFollowUps,
  linesLoaded,
  canRoute,
  isOfferedToMe,
  routeLocus,
  followUpsLoaded,
  isDue,
  callLinked,
  callUpdated,
  canCorrectFiled,
  correctionEnded,
  correctionRequest,
  correctionStarted,
  draftEdited,
  duplicatesLoaded,
  emptyDraft,
  endingArmed,
  endingCancelled,
  filedList,
  filedLoaded,
  filedUpdated,
  formRefused,
  freshWork,
  incidentFiled,
  incidentNumberOf,
  incidentRequest,
  initialState,
  locateQuery,
  newlyReturned,
  notesEdited,
  openCallsRestored,
  parseSavedWork,
  pinSet,
  placeChosen,
  placeMoved,
  placeSearchCleared,
  placeSearchStarted,
  placesFound,
  regionIsCurrent,
  regionLocated,
  returnedList,
  returnedLoaded,
  savedWork,
  shortcutFor,
  waitingCalls,
} from './state';

const ME = 'u-me';

function call(id: string, ani: string, extra: Partial<CallView> = {}): CallView {
  return { id, ani, channel: 'voice', service_line: '112', status: 'ringing', ring_at: 1_000, prank_flag: false, route: {}, ...extra } as CallView;
}

function incident(id: string, extra: Partial<IncidentView> = {}): IncidentView {
  return { id, number: `BTM-${id}`, status: 'rejected', category: 'health', priority: 'p2', agencies: [], created_at: 1_000, updated_at: 1_000, ...extra } as IncidentView;
}

function place(name: string, context = ''): PlaceView {
  return { kind: 'region', id: name, name, detail: 'village', context, position: { lon: 104.01, lat: 1.13 } };
}

const key = (k: string, typing = false) => ({ key: k, ctrl: false, alt: false, meta: false, typing });
const altE = { key: 'e', ctrl: false, alt: true, meta: false, typing: false };

/** Registers a manual call and answers it, as the console does (the server answers with the call answered). */
function registerAndAnswer(s: CallTakerState, id: string, ani: string, extra: Partial<CallView> = {}): CallTakerState {
  const registered = callUpdated(s, call(id, ani, extra));
  return callAnswered(registered, call(id, ani, { status: 'answered', call_taker_id: ME, ...extra }));
}

/** What the server answers to classifying the active call. */
function classified(s: CallTakerState, cls: string): CallTakerState {
  const id = s.activeId ?? '';
  return callUpdated(s, { ...(s.calls.get(id) as CallView), status: 'classified', class: cls });
}

/** Presses a class key, confirms it when it asks, and applies what the server answers. */
function classify(s: CallTakerState, digit: string): CallTakerState {
  let shortcut = shortcutFor(s, key(digit));
  if (shortcut?.kind === 'arm') {
    s = endingArmed(s, shortcut.ending);
    shortcut = shortcutFor(s, key('Enter'));
  }
  if (shortcut?.kind === 'classify') return classified(s, shortcut.cls);
  if (shortcut?.kind !== 'confirm') throw new Error(`key ${digit} did nothing`);
  const done = shortcut.ending.kind === 'classify' ? classified(s, shortcut.ending.cls) : s;
  return callEnded(done, { ...(done.calls.get(done.activeId ?? '') as CallView), status: 'ended' });
}

const cleanWork = (s: CallTakerState) => ({ draft: s.work.draft, notes: s.work.notes, region: s.work.region, duplicates: s.work.duplicates, pending: s.work.pending, invalid: s.work.invalid });

describe('call-taker work across calls', () => {
  it("a second call starts clean: no number, name, pin, region, notes or priority of the first caller", () => {
    let s = registerAndAnswer(initialState(ME), 'c1', '+6281211110001');
    expect(s.work.draft.reporterPhone).toBe('+6281211110001');
    s = draftEdited(s, { reporterName: 'Penelepon pertama', description: 'Tanya jadwal vaksin', priority: 'p1', category: 'health' });
    s = notesEdited(pinSet(s, { lon: 104.0, lat: 1.1 }), 'menanyakan jadwal');
    s = regionLocated(s, s.work.locateSeq, { region_chain: [], outside: false, agencies: {} });
    const firstSerial = s.work.serial;
    s = classify(s, '2');
    expect(s.activeId).toBeNull();

    s = registerAndAnswer(s, 'c2', '+6281322220002');
    s = classify(s, '1');
    expect(s.activeId).toBe('c2');
    expect(s.work.serial).toBeGreaterThan(firstSerial);
    expect(cleanWork(s)).toEqual({
      draft: { ...emptyDraft(), reporterPhone: '+6281322220002' },
      notes: '',
      region: { status: 'pending' },
      duplicates: { status: 'none' },
      pending: null,
      invalid: null,
    });
    expect(s.work.draft.priority).toBe('p2');
    expect(incidentRequest(s)).toEqual({ field: 'category', rule: 'required' });
  });

  it('ending the call (Alt+E) empties the form even while the call taker was typing in it', () => {
    let s = registerAndAnswer(initialState(ME), 'c1', '+6281211110001');
    s = classify(s, '1');
    s = pinSet(draftEdited(s, { reporterName: 'Budi', description: 'Asap' }), { lon: 104, lat: 1.1 });
    const shortcut = shortcutFor(s, altE);
    expect(shortcut).toEqual({ kind: 'arm', ending: { kind: 'hang_up' } });
    s = endingArmed(s, { kind: 'hang_up' });
    expect(shortcutFor(s, altE)).toEqual({ kind: 'confirm', ending: { kind: 'hang_up' } });
    s = callEnded(s, { ...(s.calls.get('c1') as CallView), status: 'ended' });
    expect(s.work.draft).toEqual(emptyDraft());
    expect(s.work.callId).toBeNull();
    expect(savedWork(s)).toBeNull();
  });

  it('answering a call fills an empty reporter phone with its number and keeps one typed before', () => {
    expect(registerAndAnswer(initialState(ME), 'c1', '+6281211110001').work.draft.reporterPhone).toBe('+6281211110001');
    const typed = draftEdited(initialState(ME), { reporterPhone: '0778 123' });
    expect(registerAndAnswer(typed, 'c1', '+6281211110001').work.draft.reporterPhone).toBe('0778 123');
  });

  it('a draft begun before any call is kept for the call answered next, and answering the same call again keeps it', () => {
    let s = pinSet(draftEdited(initialState(ME), { address: 'Jl. Sudirman' }), { lon: 104, lat: 1.1 });
    s = registerAndAnswer(s, 'c1', '+6281211110001');
    expect(s.work).toMatchObject({ callId: 'c1', draft: { address: 'Jl. Sudirman', pin: { lon: 104, lat: 1.1 } } });
    s = draftEdited(s, { reporterName: 'Budi' });
    expect(callAnswered(s, s.calls.get('c1') as CallView).work.draft.reporterName).toBe('Budi');
  });

  it('taking another call while one is answered starts a clean sheet for the new caller', () => {
    let s = callUpdated(registerAndAnswer(initialState(ME), 'c1', '+6281211110001'), call('c2', '+6281322220002'));
    s = notesEdited(draftEdited(s, { reporterName: 'Penelepon pertama' }), 'x');
    s = callAnswered(s, call('c2', '+6281322220002', { status: 'answered' }));
    expect(s.work.draft).toEqual({ ...emptyDraft(), reporterPhone: '+6281322220002' });
    expect(s.work.notes).toBe('');
  });

  it('filing the incident empties the form, keeps the call, and shows the number on it and in my incidents', () => {
    let s = pinSet(registerAndAnswer(initialState(ME), 'c1', '+6281211110001'), { lon: 104, lat: 1.1 });
    s = incidentFiled(draftEdited(s, { description: 'Kebakaran' }), incident('i1', { number: 'BTM-20250101-0001', status: 'escalated' }));
    expect(s.work.draft).toEqual(emptyDraft());
    expect(s.work.region).toEqual({ status: 'pending' });
    expect(s.activeId).toBe('c1');
    expect(s.lastIncident).toBe('BTM-20250101-0001');
    expect(incidentNumberOf(s, s.calls.get('c1') as CallView)).toBe('BTM-20250101-0001');
    expect(filedList(s).map((i) => [i.number, i.status])).toEqual([['BTM-20250101-0001', 'escalated']]);
    // Nothing is left to lose: Alt+E ends at once.
    expect(shortcutFor(s, altE)).toEqual({ kind: 'end_call' });
  });

  it('linking the call to a duplicate empties the form and shows that number on the call, not in my incidents', () => {
    let s = classified(registerAndAnswer(initialState(ME), 'c1', '0812'), 'emergency');
    s = callLinked(draftEdited(s, { reporterName: 'Budi' }), incident('dup', { number: 'BTM-20250101-0009', status: 'verified' }));
    expect(s.work.draft).toEqual(emptyDraft());
    expect(incidentNumberOf(s, s.calls.get('c1') as CallView)).toBe('BTM-20250101-0009');
    expect(filedList(s)).toEqual([]);
  });

  it('a locate answer for an earlier pin, or for the previous caller, is dropped', () => {
    let s = pinSet(initialState(ME), { lon: 104, lat: 1.1 });
    const first = s.work.locateSeq;
    s = pinSet(s, { lon: 104.1, lat: 1.2 });
    s = regionLocated(s, first, { region_chain: [{ code: '21.71', name: 'Batam', level: 'regency', inside: true, distance_m: 0 }], outside: false, agencies: {} });
    expect(s.work.region).toEqual({ status: 'loading' });
    const late = s.work.locateSeq;
    s = callEnded(registerAndAnswer(s, 'c1', '0812'), null);
    s = regionLocated(s, late, { region_chain: [], outside: false, agencies: {} });
    expect(s.work.region).toEqual({ status: 'pending' });
    expect(freshWork(s.work, null).locateSeq).toBeGreaterThan(late);
  });

  it('duplicates found for a pin that has since moved are dropped', () => {
    const s = pinSet(initialState(ME), { lon: 104, lat: 1.1 });
    const old = s.work.draft.pin as { lon: number; lat: number };
    const moved = pinSet(s, { lon: 104.1, lat: 1.2 });
    expect(duplicatesLoaded(moved, old, []).work.duplicates).toEqual({ status: 'none' });
    expect(duplicatesLoaded(s, old, []).work.duplicates).toEqual({ status: 'loaded', list: [] });
  });
});

describe('call-taker reload', () => {
  it('my open call comes back as the answered call with the form saved for it', () => {
    let before = registerAndAnswer(initialState(ME), 'c1', '+6281211110001');
    before = notesEdited(pinSet(draftEdited(classified(before, 'emergency'), { reporterName: 'Budi', category: 'fire' }), { lon: 104, lat: 1.1 }), 'asap');
    const saved = parseSavedWork(JSON.parse(JSON.stringify(savedWork(before))));
    const mine = [call('c1', '+6281211110001', { status: 'classified', class: 'emergency', call_taker_id: ME, ring_at: 2_000 }), call('old', '0812', { status: 'ended', call_taker_id: ME })];
    const after = openCallsRestored(initialState(ME), mine, saved);
    expect(after.activeId).toBe('c1');
    expect(after.work.draft).toEqual(before.work.draft);
    expect(after.work.notes).toBe('asap');
    expect(waitingCalls(after).map((c) => c.id)).toEqual(['c1']);
  });

  it('work saved for another call is not restored; junk in storage is ignored', () => {
    const saved = parseSavedWork({ callId: 'other', draft: { reporterName: 'X', pin: { lon: 'a' } }, notes: 3 });
    expect(saved).toEqual({ callId: 'other', draft: { ...emptyDraft(), reporterName: 'X' }, notes: '' });
    const after = openCallsRestored(initialState(ME), [call('c1', '0812', { status: 'answered', call_taker_id: ME })], saved);
    expect(after.activeId).toBe('c1');
    expect(after.work.draft).toEqual({ ...emptyDraft(), reporterPhone: '0812' });
    expect(parseSavedWork('x')).toBeNull();
    expect(parseSavedWork({ draft: {} })).toBeNull();
    expect(openCallsRestored(initialState(ME), [], null).activeId).toBeNull();
  });
});

describe('call-taker keys', () => {
  it('A answers the longest-ringing call; digits act only on an answered call and never while typing', () => {
    let s = callUpdated(callUpdated(initialState(ME), call('late', '0812', { ring_at: 2_000 })), call('early', '0813', { ring_at: 1_000 }));
    expect(shortcutFor(s, key('a'))).toMatchObject({ kind: 'answer', call: { id: 'early' } });
    expect(shortcutFor(s, key('1'))).toBeNull();
    s = callAnswered(s, call('early', '0813', { status: 'answered' }));
    expect(shortcutFor(s, key('1'))).toEqual({ kind: 'classify', cls: 'emergency' });
    expect(shortcutFor(s, key('1', true))).toBeNull();
    expect(shortcutFor(s, { ...key('Enter', true), ctrl: true })).toEqual({ kind: 'submit' });
    expect(shortcutFor(s, { ...altE, typing: true })).toEqual({ kind: 'end_call' });
  });

  it('keys 2–7 end the call only after Enter or the same key again; Escape or another key changes nothing', () => {
    let s = registerAndAnswer(initialState(ME), 'c1', '0812');
    expect(shortcutFor(s, key('3'))).toEqual({ kind: 'arm', ending: { kind: 'classify', cls: 'prank' } });
    expect(shortcutFor(s, key('6'))).toEqual({ kind: 'arm', ending: { kind: 'hang_up' } });
    // The start-of-shift test call is classified `test`, then the line ends.
    expect(shortcutFor(s, key('7'))).toEqual({ kind: 'arm', ending: { kind: 'classify', cls: 'test' } });
    expect(buttonShortcut('information')).toEqual({ kind: 'arm', ending: { kind: 'classify', cls: 'information' } });
    expect(buttonShortcut('emergency')).toEqual({ kind: 'classify', cls: 'emergency' });
    s = endingArmed(s, { kind: 'classify', cls: 'prank' });
    expect(shortcutFor(s, key('3'))).toEqual({ kind: 'confirm', ending: { kind: 'classify', cls: 'prank' } });
    expect(shortcutFor(s, key('Enter'))).toEqual({ kind: 'confirm', ending: { kind: 'classify', cls: 'prank' } });
    expect(shortcutFor(s, key('2'))).toEqual({ kind: 'arm', ending: { kind: 'classify', cls: 'information' } });
    expect(shortcutFor(s, key('Escape'))).toEqual({ kind: 'cancel' });
    s = endingCancelled(s);
    expect(s.work.pending).toBeNull();
    expect(s.calls.get('c1')?.status).toBe('answered');
  });

  it('a digit after classifying is explained, not sent to the server', () => {
    const s = classified(registerAndAnswer(initialState(ME), 'c1', '0812'), 'emergency');
    expect(shortcutFor(s, key('2'))).toEqual({ kind: 'explain', why: 'already_classified' });
    expect(shortcutFor(s, key('1'))).toEqual({ kind: 'explain', why: 'already_classified' });
    expect(shortcutFor(s, key('8'))).toBeNull();
  });

  it('the queue lists ringing calls and my open ones, oldest first; ended calls and others’ calls leave it', () => {
    let s = callUpdated(callUpdated(initialState(ME), call('b', '0812', { ring_at: 2_000 })), call('a', '0813', { ring_at: 1_000 }));
    s = callUpdated(s, call('theirs', '0814', { status: 'answered', call_taker_id: 'u-other' }));
    s = callAnswered(s, call('b', '0812', { status: 'answered', ring_at: 2_000, call_taker_id: ME }));
    expect(waitingCalls(s).map((c) => c.id)).toEqual(['a', 'b']);
    s = callEnded(s, call('b', '0812', { status: 'ended', ring_at: 2_000 }));
    expect(waitingCalls(s).map((c) => c.id)).toEqual(['a']);
  });
});

describe('call-taker incident request', () => {
  const located = (s: CallTakerState) => pinSet(s, { lon: 104, lat: 1.1 });

  it('needs a category (no default) and a location; sends trimmed fields and leaves blank ones out', () => {
    expect(emptyDraft().category).toBe('');
    expect(incidentRequest(located(initialState(ME)))).toEqual({ field: 'category', rule: 'required' });
    expect(incidentRequest(draftEdited(initialState(ME), { category: 'fire' }))).toEqual({ field: 'location', rule: 'required' });
    const s = draftEdited(located(initialState(ME)), {
      reporterName: '  Budi ',
      address: ' ',
      category: 'fire',
      priority: 'p1',
      victimsCount: '2',
      victimsCondition: 'serious',
      description: ' Asap tebal ',
    });
    expect(incidentRequest(s)).toEqual({
      category: 'fire',
      priority: 'p1',
      location: { lon: 104, lat: 1.1 },
      victims: { count: 2, condition: 'serious' },
      reporter: { name: 'Budi' },
      description: 'Asap tebal',
    });
  });

  it.each([
    ['-3', 'whole_number'],
    ['2.5', 'whole_number'],
    ['dua', 'whole_number'],
    ['99999999', 'range'],
  ])('victims %s is refused naming the field and the rule (%s)', (count, rule) => {
    const s = draftEdited(located(initialState(ME)), { category: 'health', victimsCount: count });
    expect(incidentRequest(s)).toEqual({ field: 'victims.count', rule });
    const refused = formRefused(s, { field: 'victims.count', rule: rule as 'range' });
    expect(draftEdited(refused, { victimsCount: '3' }).work.invalid).toBeNull();
    expect(draftEdited(refused, { description: 'x' }).work.invalid).not.toBeNull();
  });

  it('sends the time of the event, refusing one in the future', () => {
    const s = draftEdited(located(initialState(ME)), { category: 'health', occurredAt: '2026-11-25T09:40' });
    expect(incidentRequest(s, 1_000, 2_000)).toMatchObject({ occurred_at: 1_000 });
    expect(incidentRequest(s, 10_000_000, 2_000)).toEqual({ field: 'occurred_at', rule: 'future' });
    expect(incidentRequest(s, null, 2_000)).toEqual({ field: 'occurred_at', rule: 'invalid' });
  });

  it("links the answered call; the AML radius is the accuracy only while the pin is the caller's fix, and the fix is the reporter's position", () => {
    const aml = { lon: 104.02, lat: 1.12, radius_m: 35, at: 1_000, raw: '' };
    let s = callAnswered(initialState(ME), call('c1', '+6281211110001', { status: 'answered', aml }));
    s = draftEdited(pinSet(s, { lon: aml.lon, lat: aml.lat }), { category: 'crime' });
    expect(incidentRequest(s)).toMatchObject({ call_id: 'c1', accuracy_m: 35, reporter: { phone: '+6281211110001', position: { lon: 104.02, lat: 1.12 } } });
    const moved = incidentRequest(pinSet(s, { lon: 104.03, lat: 1.12 }));
    expect('accuracy_m' in moved).toBe(false);
  });

  it('asks the receiving OPDs for the category and victims, and asks again when they change', () => {
    let s = pinSet(initialState(ME), { lon: 104, lat: 1.1 });
    expect(locateQuery(s.work)).toBe('lat=1.1&lon=104');
    s = draftEdited(s, { category: 'fire', victimsCount: '2' });
    expect(locateQuery(s.work)).toBe('lat=1.1&lon=104&category=fire&victims=2');
    s = regionLocated(s, s.work.locateSeq, { region_chain: [], outside: false, agencies: {}, receiving: [] }, { category: 'fire', victims: 2 });
    expect(regionIsCurrent(s.work)).toBe(true);
    expect(regionIsCurrent(draftEdited(s, { victimsCount: '0' }).work)).toBe(false);
    expect(regionIsCurrent(draftEdited(s, { category: 'health' }).work)).toBe(false);
  });
});

describe('call-taker address search', () => {
  it('highlights the first result, wraps with the arrows, and drops the answer to an earlier query', () => {
    let s = placeSearchStarted(initialState(ME));
    const first = s.work.places.seq;
    s = placeSearchStarted(s);
    s = placesFound(s, first, [place('Lama')]);
    expect(s.work.places.results).toEqual([]);
    s = placesFound(s, s.work.places.seq, [place('Lubuk Baja'), place('Lubuk Raja')]);
    expect(s.work.places.active).toBe(0);
    s = placeMoved(s, -1);
    expect(s.work.places.active).toBe(1);
    s = placeMoved(s, 1);
    expect(s.work.places.active).toBe(0);
    expect(placesFound(placeSearchStarted(s), s.work.places.seq + 1, []).work.places.message).toEqual({ kind: 'none' });
    expect(placeSearchCleared(s).work.places.results).toEqual([]);
  });

  it('choosing a place closes the list and fills an empty address with its name and context, never a typed one', () => {
    const p = place('Lubuk Baja Kota', 'Lubuk Baja, Batam');
    const started = placeSearchStarted(initialState(ME));
    const chosen = placeChosen(placesFound(started, started.work.places.seq, [p]), p);
    expect(chosen.work.places.results).toEqual([]);
    expect(chosen.work.draft).toMatchObject({ placeQuery: 'Lubuk Baja Kota', address: 'Lubuk Baja Kota, Lubuk Baja, Batam' });
    expect(placeChosen(draftEdited(initialState(ME), { address: 'Depan Mall' }), p).work.draft.address).toBe('Depan Mall');
  });
});

describe('call-taker incidents, agent state and events', () => {
  it('keeps the incidents sent back, most recently changed first, and names each new one once', () => {
    const before = returnedLoaded(initialState(ME), [incident('a', { updated_at: 1 })]);
    const after = returnedLoaded(before, [incident('a', { updated_at: 1 }), incident('b', { updated_at: 5 }), incident('c', { status: 'escalated' })]);
    expect(returnedList(after).map((i) => i.id)).toEqual(['b', 'a']);
    expect(newlyReturned(before, after).map((i) => i.id)).toEqual(['b']);
  });

  it('knows whether the list was read: an empty list before the first read is not "none sent back"', () => {
    expect(initialState(ME).returnedRead).toBe(false);
    const read = returnedLoaded(initialState(ME), [incident('c', { status: 'escalated' })]);
    expect(read.returnedRead).toBe(true);
    expect(returnedList(read)).toEqual([]);
  });

  it('a call event asks to re-read the call; a rejection, or news of a returned incident, re-reads the returned list', () => {
    const s = returnedLoaded(initialState(ME), [incident('back')]);
    for (const type of ['call.created', 'call.updated', 'call.routed', 'call.taken'] as const) {
      expect(applyEvent(s, frame(type, { call_id: 'c1' })).followUp).toEqual({ kind: 'load_call', id: 'c1' });
    }
    for (const type of ['call.follow_up_scheduled', 'call.follow_up_recorded'] as const) {
      expect(applyEvent(s, frame(type, { call_id: 'c1' })).followUp).toEqual({ kind: 'reload_follow_ups' });
    }
    const rejected = frame('incident.updated', { incident_id: 'x', status: 'rejected', decision: 'rejected', reason: 'Bukan wilayah kami' });
    expect(applyEvent(s, rejected).followUp).toEqual({ kind: 'reload_returned' });
    expect(applyEvent(s, frame('incident.escalated', { incident_id: 'back', status: 'escalated' })).followUp).toEqual({ kind: 'reload_returned' });
    expect(applyEvent(s, frame('incident.updated', { incident_id: 'other', status: 'verified' })).followUp).toBeNull();
    expect(applyEvent(s, frame('unit.position')).followUp).toBeNull();
  });

  it('a new call rings at a ready console with no call answered; not on a call, in AUX, or for other news', () => {
    const ringing = frame('call.created', { call_id: 'c9' });
    const ready = agentStateSet(initialState(ME), { state: 'ready', reason: null });
    expect(cueFor(ready, ringing)).toBe('incoming_call');
    expect(cueFor(ready, frame('call.updated', { call_id: 'c9' }))).toBeNull();
    expect(cueFor(registerAndAnswer(ready, 'c1', '0812'), ringing)).toBeNull();
    expect(cueFor(agentStateSet(initialState(ME), { state: 'aux', reason: 'break' }), ringing)).toBeNull();
  });

  it('an incident I filed changes status live, without a read', () => {
    const s = filedLoaded(initialState(ME), [incident('mine', { status: 'escalated', number: 'BTM-1' })]);
    const step = applyEvent(s, frame('incident.updated', { incident_id: 'mine', status: 'verified', updated_at: 5_000 }));
    expect(step.followUp).toBeNull();
    expect(filedList(step.state).map((i) => [i.number, i.status])).toEqual([['BTM-1', 'verified']]);
    expect(applyEvent(s, frame('incident.updated', { incident_id: 'other', status: 'verified' })).state).toBe(s);
  });

  it('an incident I cancel, or one cancelled elsewhere, shows as cancelled in my list', () => {
    const s = filedLoaded(initialState(ME), [incident('mine', { status: 'escalated', number: 'BTM-1' })]);
    const mine = filedUpdated(s, incident('mine', { status: 'cancelled', number: 'BTM-1' }));
    expect(filedList(mine).map((i) => i.status)).toEqual(['cancelled']);
    expect(filedUpdated(s, incident('other', { status: 'cancelled' }))).toBe(s);
    const live = applyEvent(s, frame('incident.cancelled', { incident_id: 'mine', status: 'cancelled', reason: 'caller_withdrew', updated_at: 6_000 }));
    expect(filedList(live.state).map((i) => i.status)).toEqual(['cancelled']);
  });

  it('a call can be enrolled for call-backs only on a line with a programme, once answered; the work list is soonest first', () => {
    const s = linesLoaded(initialState(ME), ['quitline'], []);
    expect(canScheduleFollowUps(s, call('q', '0812', { service_line: 'quitline', status: 'answered' }))).toBe(true);
    expect(canScheduleFollowUps(s, call('q', '0812', { service_line: 'quitline' }))).toBe(false);
    expect(canScheduleFollowUps(s, call('e', '0812', { status: 'answered' }))).toBe(false);
    const task = (id: string, due_at: number) => ({ id, call_id: 'q', service_line: 'quitline', ani: '0812', ordinal: 1, day_offset: 1, due_at, status: 'pending' });
    const loaded = followUpsLoaded(s, [task('later', 5_000), task('sooner', 1_000)]);
    expect(loaded.followUps.map((f) => f.id)).toEqual(['sooner', 'later']);
    // Read again with the same tasks (a live event's re-read): nothing changes, so nothing is redrawn.
    expect(followUpsLoaded(loaded, [task('sooner', 1_000), task('later', 5_000)])).toBe(loaded);
    expect(followUpsLoaded(loaded, [task('later', 5_000)]).followUps.map((f) => f.id)).toEqual(['later']);
    expect(isDue(task('x', 1_000), 1_000)).toBe(true);
    expect(isDue(task('x', 1_001), 1_000)).toBe(false);
  });

  it('a call offered to my regional team is taken; a tiered call can be routed by the pin, else the AML fix', () => {
    const s = linesLoaded(initialState(ME, 'team-batam'), [], ['quitline']);
    const offered = call('q', '0812', { service_line: 'quitline', route: { tier: 'regional', team_id: 'team-batam' } });
    expect(isOfferedToMe(s, offered)).toBe(true);
    expect(isOfferedToMe(s, { ...offered, route: { tier: 'regional', team_id: 'team-other' } })).toBe(false);
    expect(isOfferedToMe(s, { ...offered, route: { tier: 'regional', team_id: 'team-batam', fell_back_at: 5 } })).toBe(false);
    const answered = { ...offered, status: 'answered', route: { tier: 'central' } };
    expect(canRoute(s, answered)).toBe(true);
    expect(canRoute(s, { ...answered, service_line: '112' })).toBe(false);
    expect(canRoute(s, { ...answered, status: 'ended' })).toBe(false);
    const aml = { lon: 104.02, lat: 1.12, radius_m: 35, at: 1_000, raw: '' };
    let mine = callAnswered(s, { ...answered, aml });
    expect(routeLocus(mine, mine.calls.get('q') as CallView)).toEqual({ lon: 104.02, lat: 1.12 });
    mine = pinSet(mine, { lon: 104.05, lat: 1.1 });
    expect(routeLocus(mine, mine.calls.get('q') as CallView)).toEqual({ lon: 104.05, lat: 1.1 });
    expect(routeLocus(s, answered)).toBeNull();
  });

  it("my own agent.state event sets my state; another agent's does not", () => {
    const s = agentStateSet(initialState(ME), { state: 'ready', reason: null });
    expect(applyEvent(s, frame('agent.state', { user_id: ME, state: 'aux', reason: 'break' })).state.agent).toEqual({ state: 'aux', reason: 'break' });
    expect(applyEvent(s, frame('agent.state', { user_id: 'u-other', state: 'aux', reason: 'break' })).state).toBe(s);
  });
});

describe('call-back tasks', () => {
  it('are overdue only while open and past their due time', () => {
    expect(isOverdue({ status: 'open', due_at: 1_000 }, 1_000)).toBe(false);
    expect(isOverdue({ status: 'open', due_at: 1_000 }, 1_001)).toBe(true);
    expect(isOverdue({ status: 'done', due_at: 1_000 }, 9_999)).toBe(false);
  });

  it('a call-back event re-reads the work list, not a call', () => {
    const s = initialState(ME);
    const e = { seq: 1, at: 1, type: 'call.call_back_created', call_back_id: 'b1', call_id: 'c1', reason: 'abandoned', due_at: 2, ani_masked: '+62***890', by: null } as const;
    expect(applyEvent(s, e).followUp).toEqual({ kind: 'reload_call_backs' });
  });
});

describe('correcting an incident this desk filed', () => {
  const filed = incident('i1', {
    status: 'escalated',
    location: { lon: 104.05, lat: 1.12 },
    address: 'Jl. A',
    victims: { count: 1, condition: 'serious' },
    description: 'pingsan',
    reporter: { name: 'Budi', phone: '0812', position: { lon: 104.0, lat: 1.1 } },
  });

  it('offers "Ubah" until an OPD verifies it, and not while a call is answered', () => {
    const s = filedLoaded(initialState(ME), [filed]);
    const mine = filedList(s)[0]!;
    expect(canCorrectFiled(s, mine)).toBe(true);
    expect(canCorrectFiled(s, { ...mine, status: 'verified' })).toBe(false);
    expect(canCorrectFiled(registerAndAnswer(s, 'c1', '0811'), mine)).toBe(false);
  });

  it('fills the form from the incident and sends only what changed', () => {
    let s = correctionStarted(filedLoaded(initialState(ME), [filed]), filed);
    expect(s.correcting?.id).toBe('i1');
    expect(s.work.draft).toMatchObject({ pin: { lon: 104.05, lat: 1.12 }, category: 'health', address: 'Jl. A', victimsCount: '1', reporterName: 'Budi' });
    expect(correctionRequest(s)).toBeNull();
    s = pinSet(s, { lon: 104.2, lat: 1.15 });
    s = draftEdited(s, { priority: 'p1', victimsCount: '3' });
    expect(correctionRequest(s)).toEqual({ priority: 'p1', location: { lon: 104.2, lat: 1.15 }, victims: { count: 3, condition: 'serious' } });
    // A reporter change replaces it whole, keeping where the caller was.
    s = draftEdited(s, { reporterName: 'Ibu Sari' });
    expect(correctionRequest(s)).toMatchObject({ reporter: { name: 'Ibu Sari', phone: '0812', position: { lon: 104.0, lat: 1.1 } } });
    // A broken field is a problem, as when filing.
    expect(correctionRequest(draftEdited(s, { victimsCount: 'x' }))).toMatchObject({ field: 'victims.count' });
  });

  it('ends with the answer in "my incidents" and an empty form; answering a call ends it too', () => {
    const s = correctionStarted(filedLoaded(initialState(ME), [filed]), filed);
    const done = correctionEnded(s, { ...filed, priority: 'p1', updated_at: 2_000 });
    expect(done.correcting).toBeNull();
    expect(done.work.draft).toEqual(emptyDraft());
    expect(done.filed.get('i1')?.priority).toBe('p1');
    const answered = registerAndAnswer(s, 'c1', '0811');
    expect(answered.correcting).toBeNull();
    expect(answered.work.draft.category).toBe('');
    expect(answered.work.draft.reporterPhone).toBe('0811');
  });
});
