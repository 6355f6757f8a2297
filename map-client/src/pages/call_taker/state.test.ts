import { describe, expect, it } from 'vitest';
import type { CallView, IncidentView, PlaceView } from '../../api/types';
import { frame } from '../../live/fixtures';
import {
  applyEvent,
  callAnswered,
  type CallTakerState,
  callEnded,
  callUpdated,
  draftEdited,
  duplicatesLoaded,
  emptyDraft,
  incidentFiled,
  incidentRequest,
  initialState,
  newlyReturned,
  pinSet,
  placeChosen,
  placeMoved,
  placeSearchCleared,
  placeSearchStarted,
  placesFound,
  regionLocated,
  returnedList,
  returnedLoaded,
  shortcutFor,
  waitingCalls,
} from './state';

function call(id: string, ani: string, extra: Partial<CallView> = {}): CallView {
  return { id, ani, channel: 'voice', service_line: '112', status: 'ringing', ring_at: 1_000, prank_flag: false, route: {}, ...extra } as CallView;
}

function incident(id: string, extra: Partial<IncidentView> = {}): IncidentView {
  return { id, number: `BTM-${id}`, status: 'rejected', agencies: [], updated_at: 1_000, ...extra } as IncidentView;
}

function place(name: string, context = ''): PlaceView {
  return { kind: 'region', id: name, name, detail: 'village', context, position: { lon: 104.01, lat: 1.13 } };
}

const key = (k: string, typing = false) => ({ key: k, ctrl: false, alt: false, meta: false, typing });

/** Registers a manual call and answers it, as the console does (the server answers with the call answered). */
function registerAndAnswer(s: CallTakerState, id: string, ani: string): CallTakerState {
  const registered = callUpdated(s, call(id, ani));
  return callAnswered(registered, call(id, ani, { status: 'answered' }));
}

/** Presses a class key and applies what the server answers: non-emergency classes also end the call. */
function classify(s: CallTakerState, digit: string): CallTakerState {
  const shortcut = shortcutFor(s, key(digit));
  if (shortcut?.kind !== 'classify') throw new Error(`key ${digit} did not classify`);
  const id = s.activeId ?? '';
  const classified = callUpdated(s, { ...(s.calls.get(id) as CallView), class: shortcut.cls });
  return shortcut.cls === 'emergency' ? classified : callEnded(classified, { ...(classified.calls.get(id) as CallView), status: 'ended' });
}

describe('call-taker draft across calls', () => {
  it("registering a second call resets the form state and does not carry the previous caller's number", () => {
    let s = registerAndAnswer(initialState(), 'c1', '+6281211110001');
    expect(s.draft.reporterPhone).toBe('+6281211110001');
    s = draftEdited(s, { reporterName: 'Penelepon pertama', description: 'Tanya jadwal vaksin' });
    s = pinSet(s, { lon: 104.0, lat: 1.1 });
    s = classify(s, '2');
    expect(s.activeId).toBeNull();

    s = registerAndAnswer(s, 'c2', '+6281322220002');
    s = classify(s, '1');
    expect(s.activeId).toBe('c2');
    expect(s.draft).toEqual({ ...emptyDraft(), callId: 'c2', reporterPhone: '+6281322220002' });
    expect(s.region).toEqual({ status: 'pending' });
    expect(incidentRequest(s)).toBeNull();
  });

  it('answering a call fills an empty reporter phone with its number and keeps one typed before', () => {
    expect(registerAndAnswer(initialState(), 'c1', '+6281211110001').draft.reporterPhone).toBe('+6281211110001');
    const typed = draftEdited(initialState(), { reporterPhone: '0778 123' });
    expect(registerAndAnswer(typed, 'c1', '+6281211110001').draft.reporterPhone).toBe('0778 123');
  });

  it('a draft begun before any call is kept for the call answered next, and answering the same call again keeps it', () => {
    let s = pinSet(draftEdited(initialState(), { address: 'Jl. Sudirman' }), { lon: 104, lat: 1.1 });
    s = registerAndAnswer(s, 'c1', '+6281211110001');
    expect(s.draft).toMatchObject({ callId: 'c1', address: 'Jl. Sudirman', pin: { lon: 104, lat: 1.1 } });
    s = draftEdited(s, { reporterName: 'Budi' });
    expect(callAnswered(s, s.calls.get('c1') as CallView).draft.reporterName).toBe('Budi');
  });

  it('taking another ringing call while one is answered starts a clean draft for the new caller', () => {
    let s = callUpdated(registerAndAnswer(initialState(), 'c1', '+6281211110001'), call('c2', '+6281322220002'));
    s = draftEdited(s, { reporterName: 'Penelepon pertama' });
    s = callAnswered(s, call('c2', '+6281322220002', { status: 'answered' }));
    expect(s.draft).toEqual({ ...emptyDraft(), callId: 'c2', reporterPhone: '+6281322220002' });
  });

  it('filing the incident empties the form and keeps the number filed', () => {
    let s = pinSet(registerAndAnswer(initialState(), 'c1', '+6281211110001'), { lon: 104, lat: 1.1 });
    s = incidentFiled(draftEdited(s, { description: 'Kebakaran' }), incident('i1', { number: 'BTM-20250101-0001' }));
    expect(s.draft).toEqual(emptyDraft());
    expect(s.region).toEqual({ status: 'pending' });
    expect(s.lastIncident).toBe('BTM-20250101-0001');
  });

  it('a locate answer for an earlier pin is dropped', () => {
    let s = pinSet(initialState(), { lon: 104, lat: 1.1 });
    const first = s.locateSeq;
    s = pinSet(s, { lon: 104.1, lat: 1.2 });
    s = regionLocated(s, first, { region_chain: [{ code: '21.71', name: 'Batam', level: 'regency' }], outside: false, agencies: {} } as never);
    expect(s.region).toEqual({ status: 'loading' });
  });

  it('duplicates found for a pin that has since moved are dropped', () => {
    const s = pinSet(initialState(), { lon: 104, lat: 1.1 });
    const old = s.draft.pin as { lon: number; lat: number };
    const moved = pinSet(s, { lon: 104.1, lat: 1.2 });
    expect(duplicatesLoaded(moved, old, []).duplicates).toEqual({ status: 'none' });
    expect(duplicatesLoaded(s, old, []).duplicates).toEqual({ status: 'loaded', list: [] });
  });
});

describe('call-taker incident request', () => {
  it('needs a location; sends trimmed fields and leaves blank ones out', () => {
    expect(incidentRequest(initialState())).toBeNull();
    const s = draftEdited(pinSet(initialState(), { lon: 104, lat: 1.1 }), {
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

  it("links the answered call and uses the AML radius as accuracy only while the pin is the caller's AML fix", () => {
    const aml = { lon: 104.02, lat: 1.12, radius_m: 35, at: 1_000, raw: '' };
    let s = callAnswered(initialState(), call('c1', '+6281211110001', { status: 'answered', aml }));
    s = pinSet(s, { lon: aml.lon, lat: aml.lat });
    expect(incidentRequest(s)).toMatchObject({ call_id: 'c1', accuracy_m: 35, reporter: { phone: '+6281211110001' } });
    expect(incidentRequest(pinSet(s, { lon: 104.03, lat: 1.12 }))?.accuracy_m).toBeUndefined();
  });
});

describe('call-taker keys and queue', () => {
  it('A answers the longest-ringing call; digits classify only an answered call and never while typing', () => {
    let s = callUpdated(callUpdated(initialState(), call('late', '0812', { ring_at: 2_000 })), call('early', '0813', { ring_at: 1_000 }));
    expect(shortcutFor(s, key('a'))).toMatchObject({ kind: 'answer', call: { id: 'early' } });
    expect(shortcutFor(s, key('1'))).toBeNull();
    s = callAnswered(s, call('early', '0813', { status: 'answered' }));
    expect(shortcutFor(s, key('1'))).toEqual({ kind: 'classify', cls: 'emergency' });
    expect(shortcutFor(s, key('3'))).toEqual({ kind: 'classify', cls: 'prank' });
    expect(shortcutFor(s, key('1', true))).toBeNull();
    expect(shortcutFor(s, { ...key('Enter', true), ctrl: true })).toEqual({ kind: 'submit' });
    expect(shortcutFor(s, { ...key('e', true), alt: true })).toEqual({ kind: 'end_call' });
  });

  it('the queue lists ringing calls and the answered one, oldest first; ended calls leave it', () => {
    let s = callUpdated(callUpdated(initialState(), call('b', '0812', { ring_at: 2_000 })), call('a', '0813', { ring_at: 1_000 }));
    s = callAnswered(s, call('b', '0812', { status: 'answered', ring_at: 2_000 }));
    expect(waitingCalls(s).map((c) => c.id)).toEqual(['a', 'b']);
    s = callEnded(s, call('b', '0812', { status: 'ended', ring_at: 2_000 }));
    expect(waitingCalls(s).map((c) => c.id)).toEqual(['a']);
  });
});

describe('call-taker address search', () => {
  it('highlights the first result, wraps with the arrows, and drops the answer to an earlier query', () => {
    let s = placeSearchStarted(initialState());
    const first = s.places.seq;
    s = placeSearchStarted(s);
    s = placesFound(s, first, [place('Lama')]);
    expect(s.places.results).toEqual([]);
    s = placesFound(s, s.places.seq, [place('Lubuk Baja'), place('Lubuk Raja')]);
    expect(s.places.active).toBe(0);
    s = placeMoved(s, -1);
    expect(s.places.active).toBe(1);
    s = placeMoved(s, 1);
    expect(s.places.active).toBe(0);
    expect(placesFound(placeSearchStarted(s), s.places.seq + 1, []).places.message).toEqual({ kind: 'none' });
    expect(placeSearchCleared(s).places.results).toEqual([]);
  });

  it('choosing a place closes the list and fills an empty address with its name and context, never a typed one', () => {
    const p = place('Lubuk Baja Kota', 'Lubuk Baja, Batam');
    const chosen = placeChosen(placesFound(placeSearchStarted(initialState()), 1, [p]), p);
    expect(chosen.places.results).toEqual([]);
    expect(chosen.draft).toMatchObject({ placeQuery: 'Lubuk Baja Kota', address: 'Lubuk Baja Kota, Lubuk Baja, Batam' });
    expect(placeChosen(draftEdited(initialState(), { address: 'Depan Mall' }), p).draft.address).toBe('Depan Mall');
  });
});

describe('call-taker returned incidents and events', () => {
  it('keeps the incidents sent back, most recently changed first, and names each new one once', () => {
    const before = returnedLoaded(initialState(), [incident('a', { updated_at: 1 })]);
    const after = returnedLoaded(before, [incident('a', { updated_at: 1 }), incident('b', { updated_at: 5 }), incident('c', { status: 'escalated' })]);
    expect(returnedList(after).map((i) => i.id)).toEqual(['b', 'a']);
    expect(newlyReturned(before, after).map((i) => i.id)).toEqual(['b']);
  });

  it('a call event asks to re-read the call; a rejection, or news of a returned incident, re-reads the returned list', () => {
    const s = returnedLoaded(initialState(), [incident('back')]);
    for (const type of ['call.created', 'call.updated', 'call.routed', 'call.taken', 'call.follow_up_scheduled', 'call.follow_up_recorded'] as const) {
      expect(applyEvent(s, frame(type, { call_id: 'c1' })).followUp).toEqual({ kind: 'load_call', id: 'c1' });
    }
    const rejected = frame('incident.updated', { incident_id: 'x', status: 'rejected', decision: 'rejected', reason: 'Bukan wilayah kami' });
    expect(applyEvent(s, rejected).followUp).toEqual({ kind: 'reload_returned' });
    expect(applyEvent(s, frame('incident.escalated', { incident_id: 'back', status: 'escalated' })).followUp).toEqual({ kind: 'reload_returned' });
    expect(applyEvent(s, frame('incident.updated', { incident_id: 'other', status: 'verified' })).followUp).toBeNull();
    expect(applyEvent(s, frame('unit.position')).followUp).toBeNull();
    expect(applyEvent(s, frame('agent.state')).followUp).toBeNull();
  });
});
