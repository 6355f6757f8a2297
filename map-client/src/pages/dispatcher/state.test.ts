import { describe, expect, it } from 'vitest';
import type { AssignmentView, IncidentView, Recommendations, Unit } from '../../api/types';
import { frame } from '../../live/fixtures';
import {
  actionsFor,
  alarmedIncidents,
  applyEvent,
  assignmentChanged,
  assignmentCreated,
  availableUnits,
  cueFor,
  assignmentsOf,
  detailWanted,
  cancelDecision,
  cancelEdit,
  changedFields,
  changesSeen,
  correctionBody,
  decisionDone,
  editDone,
  editLocationPicked,
  openEdit,
  type DispatcherState,
  escalationNoteOf,
  incidentGone,
  incidentLoaded,
  initialState,
  mergeDone,
  openDecision,
  queue,
  recommendationsFailed,
  recommendationsLoaded,
  recommendationsMoved,
  recommendationsRequested,
  recommendationsWanted,
  rejectionsOf,
  selectIncident,
  slaCountdown,
  snapshotLoaded,
} from './state';

const OPD = 'agency-dinkes';

function incident(id: string, extra: Partial<IncidentView> = {}): IncidentView {
  return {
    id,
    number: `BTM-20250101-${id}`,
    status: 'escalated',
    category: 'health',
    priority: 'p2',
    location: { lon: 104.05, lat: 1.12 },
    region_chain: [],
    agencies: [{ agency_id: OPD, agency_type: 'health', status: 'escalated' }],
    victims: { count: 0, condition: 'unknown' },
    created_at: 1_000,
    updated_at: 1_000,
    call_ids: [],
    assignments: [],
    sla: [],
    ...extra,
  } as IncidentView;
}

function unit(id: string, status = 'available'): Unit {
  return { id, agency_id: OPD, call_sign: id.toUpperCase(), unit_type: 'ambulance', vehicle: 'car', status, position: { lon: 104, lat: 1.1 } };
}

function assignment(id: string, incidentId: string, unitId: string, status = 'assigned'): AssignmentView {
  return { id, incident_id: incidentId, unit_id: unitId, agency_id: OPD, status, assigned_at: 2_000, radio_reported: [] };
}

/** `s` after one more live event was folded in that changed nothing else. */
function counted(s: DispatcherState): DispatcherState {
  return { ...s, events: s.events + 1 };
}

function loaded(incidents: IncidentView[], units: Unit[] = []): DispatcherState {
  return snapshotLoaded(initialState(OPD), incidents, units);
}

const numbers = (s: DispatcherState) => queue(s).map((i) => i.id);

describe('dispatcher queue', () => {
  it('incident.created without its live state (an older server) asks for the incident, which then joins the queue in priority order (oldest first within a priority)', () => {
    const s = loaded([incident('a', { priority: 'p3' }), incident('b', { priority: 'p1', created_at: 3_000 })]);
    const step = applyEvent(s, frame('incident.created', { incident_id: 'c', status: 'escalated' }));
    expect(step.followUp).toEqual({ kind: 'load_incident', id: 'c' });
    expect(numbers(step.state)).toEqual(['b', 'a']);
    const after = incidentLoaded(step.state, incident('c', { priority: 'p1', created_at: 2_000 }));
    expect(numbers(after)).toEqual(['c', 'b', 'a']);
  });

  it('every incident event asks for the incident view; SLA breaches, agent states and call events ask for nothing', () => {
    const s = loaded([incident('a')]);
    for (const type of ['incident.updated', 'incident.escalated', 'incident.closed'] as const) {
      const step = applyEvent(s, frame(type, { incident_id: 'a' }));
      expect(step).toEqual({ state: counted(s), followUp: { kind: 'load_incident', id: 'a' } });
    }
    for (const type of ['sla.breach', 'agent.state', 'call.created', 'call.updated'] as const) {
      expect(applyEvent(s, frame(type))).toEqual({ state: counted(s), followUp: null });
    }
  });

  it('leaves out closed incidents and those this OPD sent back, which stay open for the other OPDs', () => {
    const sentBack = incident('b', {
      agencies: [
        { agency_id: OPD, agency_type: 'health', status: 'rejected', reason: 'not ours' },
        { agency_id: 'agency-bpbd', agency_type: 'disaster', status: 'escalated' },
      ],
    });
    expect(numbers(loaded([incident('a'), sentBack, incident('c', { status: 'closed' })]))).toEqual(['a']);
  });

  it('a reconnect resync replaces the snapshot: incidents and units gone from the server go, and so does the selection', () => {
    let s = selectIncident(loaded([incident('a'), incident('b')], [unit('amb01'), unit('amb02')]), 'b');
    expect(s.selected).toBe('b');
    s = snapshotLoaded(s, [incident('a', { priority: 'p1' }), incident('d')], [unit('amb01', 'en_route')]);
    expect(numbers(s)).toEqual(['a', 'd']);
    expect([...s.units.values()].map((u) => [u.id, u.status])).toEqual([['amb01', 'en_route']]);
    expect(s.selected).toBeNull();
  });

  it("this OPD's own rejection drops the incident without reading it again; another OPD's is read again", () => {
    const s = loaded([incident('a'), incident('b')]);
    const own = applyEvent(s, frame('incident.updated', { incident_id: 'a', agency_id: OPD, decision: 'rejected', reason: 'x' }));
    expect(own.followUp).toBeNull();
    expect(numbers(own.state)).toEqual(['b']);
    const other = applyEvent(s, frame('incident.updated', { incident_id: 'a', agency_id: 'agency-bpbd', decision: 'rejected' }));
    expect(other.followUp).toEqual({ kind: 'load_incident', id: 'a' });
    expect(numbers(other.state)).toEqual(['a', 'b']);
  });

  it('a read asked before this OPD rejected the incident does not bring it back when it answers late', () => {
    // The incident arrives: the page asks for it (asked = 1 event folded in).
    const created = applyEvent(loaded([]), frame('incident.created', { incident_id: 'a' }));
    const asked = created.state.events;
    // Another desk of this OPD sends it back before the read answers.
    const rejected = applyEvent(created.state, frame('incident.updated', { incident_id: 'a', agency_id: OPD, decision: 'rejected', reason: 'x' }));
    // The read answers with the incident as it was, still escalated to this OPD.
    expect(numbers(incidentLoaded(rejected.state, incident('a'), asked))).toEqual([]);
    // A read asked after a later event (escalated here again) is news.
    const again = applyEvent(rejected.state, frame('incident.escalated', { incident_id: 'a' }));
    expect(numbers(incidentLoaded(again.state, incident('a'), again.state.events))).toEqual(['a']);
  });

  it('of two reads of one incident, the older answering last changes nothing', () => {
    let s = applyEvent(loaded([incident('a')]), frame('incident.updated', { incident_id: 'a' })).state;
    const older = s.events;
    s = applyEvent(s, frame('incident.updated', { incident_id: 'a' })).state;
    s = incidentLoaded(s, incident('a', { priority: 'p1' }), s.events);
    s = incidentLoaded(s, incident('a', { priority: 'p3' }), older);
    expect(s.incidents.get('a')?.priority).toBe('p1');
    // A 404/403 from the older read does not drop what the newer one found either.
    expect(numbers(incidentGone(s, 'a', older))).toEqual(['a']);
  });

  it('an incident gone for this OPD (404/403 on refetch) leaves the queue', () => {
    expect(numbers(incidentGone(loaded([incident('a'), incident('b')]), 'a'))).toEqual(['b']);
  });

  it('shows the SLA clock due soonest, amber near the end and red past due', () => {
    const inc = incident('a', {
      created_at: 0,
      sla: [
        { kind: 'dispatch', subject_type: 'incident', subject_id: 'a', started_at: 0, due_at: 600_000 },
        { kind: 'resolution', subject_type: 'incident', subject_id: 'a', started_at: 0, due_at: 3_600_000 },
      ],
    });
    expect(slaCountdown(inc, 60_000)).toEqual({ kind: 'dispatch', level: 'ok', remaining_ms: 540_000 });
    expect(slaCountdown(inc, 500_000)?.level).toBe('amber');
    expect(slaCountdown(inc, 660_000)).toEqual({ kind: 'dispatch', level: 'red', remaining_ms: -60_000 });
    expect(slaCountdown(incident('b'), 0)).toBeNull();
  });

  it('sets the ETA planned at assignment beside an arrival clock, late when it is past the target', () => {
    const planned = (eta: number) =>
      incident('a', {
        created_at: 0,
        assignments: [{ ...assignment('as1', 'a', 'amb01'), planned_eta_s: eta }],
        sla: [{ kind: 'arrival', subject_type: 'assignment', subject_id: 'as1', started_at: 10_000, due_at: 610_000 }],
      });
    expect(slaCountdown(planned(240), 60_000)).toEqual({
      kind: 'arrival',
      level: 'ok',
      remaining_ms: 550_000,
      plan: { eta_at: 250_000, due_at: 610_000, eta_s: 240, target_s: 600, late: false },
    });
    expect(slaCountdown(planned(601), 60_000)?.plan?.late).toBe(true);
    // No plan (a unit assigned without a position, or before this was recorded): the clock alone.
    const unplanned = incident('a', { assignments: [assignment('as1', 'a', 'amb01')], sla: planned(1).sla });
    expect(slaCountdown(unplanned, 60_000)?.plan).toBeUndefined();
  });
});

describe('dispatcher assignments and units', () => {
  it('assignment.status updates the assignment on its incident, moves the unit, and reloads the incident', () => {
    const inc = incident('a', { status: 'dispatched', assignments: [assignment('as1', 'a', 'amb01')] });
    const s = loaded([inc], [unit('amb01', 'assigned')]);
    const step = applyEvent(
      s,
      frame('assignment.status', { assignment_id: 'as1', incident_id: 'a', unit_id: 'amb01', from: 'acknowledged', status: 'en_route' }),
    );
    expect(step.followUp).toEqual({ kind: 'load_incident', id: 'a' });
    expect(assignmentsOf(step.state, 'a').map((a) => a.status)).toEqual(['en_route']);
    expect(step.state.units.get('amb01')?.status).toBe('en_route');
  });

  it('a newer status learnt from an event wins until the refetched incident has caught up', () => {
    const s = loaded([incident('a', { assignments: [assignment('as1', 'a', 'amb01')] })], [unit('amb01', 'assigned')]);
    const step = applyEvent(s, frame('assignment.status', { assignment_id: 'as1', incident_id: 'a', unit_id: 'amb01', status: 'on_scene' }));
    // The refetch answered with the older embedded status: the event's stays.
    const stale = incidentLoaded(step.state, incident('a', { assignments: [assignment('as1', 'a', 'amb01', 'en_route')] }));
    expect(assignmentsOf(stale, 'a').map((a) => a.status)).toEqual(['on_scene']);
    const caughtUp = incidentLoaded(step.state, incident('a', { status: 'resolved', assignments: [assignment('as1', 'a', 'amb01', 'resolved')] }));
    expect(assignmentsOf(caughtUp, 'a').map((a) => a.status)).toEqual(['resolved']);
  });

  it('an assignment of an incident not loaded (or an assignment not known yet) only reloads its incident', () => {
    const s = loaded([incident('a')], [unit('amb01')]);
    const created = frame('assignment.created', { assignment_id: 'as9', incident_id: 'z', unit_id: 'amb01' });
    expect(applyEvent(s, created)).toEqual({ state: counted(s), followUp: { kind: 'load_incident', id: 'z' } });
    const moved = frame('assignment.status', { assignment_id: 'as9', incident_id: 'a', unit_id: 'amb01', status: 'en_route' });
    expect(applyEvent(s, moved)).toEqual({ state: counted(s), followUp: { kind: 'load_incident', id: 'a' } });
  });

  it('resolving an assignment makes its unit available again', () => {
    const s = loaded([incident('a', { assignments: [assignment('as1', 'a', 'amb01', 'on_scene')] })], [unit('amb01', 'on_scene')]);
    const step = applyEvent(s, frame('assignment.status', { assignment_id: 'as1', incident_id: 'a', unit_id: 'amb01', from: 'on_scene', status: 'resolved' }));
    expect(step.state.units.get('amb01')?.status).toBe('available');
  });

  it('unit events add a new unit, change a status and move a unit; events for unknown units change nothing', () => {
    let s = loaded([], [unit('amb01')]);
    s = applyEvent(s, frame('unit.created', { unit_id: 'amb02', unit: unit('amb02') })).state;
    s = applyEvent(s, frame('unit.status', { unit_id: 'amb01', status: 'en_route' })).state;
    // The fix's own time (`position_at`) is the unit's, not the frame's commit time (`at`).
    s = applyEvent(s, frame('unit.position', { unit_id: 'amb02', lon: 104.2, lat: 1.2, position_at: 9_000, at: 9_400 })).state;
    expect(s.units.get('amb01')?.status).toBe('en_route');
    expect(s.units.get('amb02')).toMatchObject({ position: { lon: 104.2, lat: 1.2 }, position_at: 9_000 });
    expect(applyEvent(s, frame('unit.position', { unit_id: 'ghost', lon: 1, lat: 1 })).state).toEqual(counted(s));
  });
});

describe('dispatcher selection, actions and decisions', () => {
  it('offers verify and reject while the incident is escalated to this OPD, cancel and merge while it is open, and close once it is resolved', () => {
    const s = loaded([]);
    expect(actionsFor(s, incident('a'))).toEqual(['verify', 'reject', 'cancel', 'merge']);
    expect(actionsFor(s, incident('a', { status: 'verified', agencies: [{ agency_id: OPD, agency_type: 'health', status: 'verified' }] }))).toEqual(['edit', 'cancel', 'merge']);
    expect(actionsFor(s, incident('a', { status: 'resolved', agencies: [{ agency_id: OPD, agency_type: 'health', status: 'verified' }] }))).toEqual(['close', 'edit']);
  });

  it('the open reject form closes when another dispatcher verified the incident meanwhile', () => {
    let s = openDecision(selectIncident(loaded([incident('a')]), 'a'), 'a', 'reject');
    expect(s.decision).toEqual({ incidentId: 'a', kind: 'reject' });
    s = incidentLoaded(s, incident('a', { status: 'verified', agencies: [{ agency_id: OPD, agency_type: 'health', status: 'verified' }] }));
    expect(s.decision).toBeNull();
    expect(s.selected).toBe('a');
  });

  it('selecting another incident closes the form; cancelling closes it too', () => {
    const s = openDecision(selectIncident(loaded([incident('a'), incident('b')]), 'a'), 'a', 'reject');
    expect(selectIncident(s, 'b').decision).toBeNull();
    expect(cancelDecision(s).decision).toBeNull();
  });

  it('a rejection that went through takes the incident out of the queue and clears the panel', () => {
    const s = openDecision(selectIncident(loaded([incident('a'), incident('b')]), 'a'), 'a', 'reject');
    const after = decisionDone(s, incident('a', { status: 'rejected', agencies: [{ agency_id: OPD, agency_type: 'health', status: 'rejected', reason: 'x' }] }));
    expect(numbers(after)).toEqual(['b']);
    expect(after.selected).toBeNull();
    expect(after.decision).toBeNull();
  });

  it('shows the reasons of other OPDs that sent the incident back and the call taker note to this OPD', () => {
    const inc = incident('a', {
      agencies: [
        { agency_id: 'agency-bpbd', agency_type: 'disaster', status: 'rejected', reason: 'Not a flood.' },
        { agency_id: OPD, agency_type: 'health', status: 'escalated', reason: 'Caller corrected the address.' },
      ],
    });
    const s = { ...loaded([inc]), agencyNames: new Map([['agency-bpbd', 'BPBD Kota Batam']]) };
    expect(rejectionsOf(s, inc)).toEqual([{ agency: 'BPBD Kota Batam', reason: 'Not a flood.' }]);
    expect(escalationNoteOf(s, inc)).toBe('Caller corrected the address.');
  });
});

describe('dispatcher recommendations', () => {
  const recs = (callSign: string): Recommendations => ({
    units: [{ unit_id: callSign, call_sign: callSign, unit_type: 'ambulance', agency_id: OPD, distance_m: 1_200, eta_s: 180 }],
    excluded: [],
    facilities: [],
  } as unknown as Recommendations);

  it('are asked for when an incident is selected, and again when a newer view of it arrives', () => {
    let s = loaded([incident('a')]);
    expect(recommendationsWanted(s)).toBeNull();
    s = selectIncident(s, 'a');
    expect(recommendationsWanted(s)).toBe('a');
    s = recommendationsRequested(s, 'a');
    expect(s.recommendations?.view).toEqual({ status: 'loading' });
    expect(recommendationsWanted(s)).toBeNull();
    s = recommendationsLoaded(s, s.recommendations?.seq ?? -1, recs('AMB-01'));
    expect(s.recommendations?.view).toEqual({ status: 'ready', recs: recs('AMB-01') });
    expect(recommendationsWanted(incidentLoaded(s, incident('a', { priority: 'p1' })))).toBe('a');
  });

  it('are asked for again after this dispatcher assigns a unit', () => {
    let s = recommendationsRequested(selectIncident(loaded([incident('a')], [unit('amb01')]), 'a'), 'a');
    s = assignmentCreated(s, assignment('as1', 'a', 'amb01'));
    expect(recommendationsWanted(s)).toBe('a');
    expect(s.units.get('amb01')?.status).toBe('assigned');
  });

  it('a late answer for an earlier selection is ignored', () => {
    let s = recommendationsRequested(selectIncident(loaded([incident('a'), incident('b')]), 'a'), 'a');
    const first = s.recommendations?.seq ?? -1;
    s = recommendationsRequested(selectIncident(s, 'b'), 'b');
    s = recommendationsLoaded(s, first, recs('AMB-01'));
    expect(s.recommendations).toMatchObject({ incidentId: 'b', view: { status: 'loading' } });
    s = recommendationsFailed(s, s.recommendations?.seq ?? -1, new Error('offline'));
    expect(s.recommendations?.view.status).toBe('failed');
  });
});

describe('dispatcher recommendations follow the units', () => {
  const recs: Recommendations = { units: [], incident_snap_m: null, excluded: [], facilities: [], arrival_target_s: 900, none_meets_target: true };

  function shown(units: Unit[]): DispatcherState {
    let s = selectIncident(loaded([incident('a', { status: 'verified' })], units), 'a');
    s = recommendationsRequested(s, 'a');
    return recommendationsLoaded(s, s.requests, recs);
  }

  it('a unit of the OPD turning available asks for the list again at once, keeping the shown one meanwhile', () => {
    const s = shown([unit('amb01', 'on_scene')]);
    expect(recommendationsWanted(s)).toBeNull();
    const after = applyEvent(s, frame('unit.status', { unit_id: 'amb01', status: 'available' })).state;
    expect(recommendationsWanted(after)).toBe('a');
    const asked = recommendationsRequested(after, 'a');
    expect(asked.recommendations?.view).toEqual({ status: 'ready', recs });
    expect(recommendationsWanted(asked)).toBeNull();
  });

  it('a unit that only moves makes the list stale for a later, gentler refresh', () => {
    const s = shown([unit('amb01')]);
    const moved = applyEvent(s, frame('unit.position', { unit_id: 'amb01', lon: 104.1, lat: 1.2 })).state;
    expect(recommendationsWanted(moved)).toBeNull();
    expect(recommendationsMoved(moved)).toBe('a');
    expect(recommendationsMoved(s)).toBeNull();
  });

  it('a resolved incident asks for no recommendations (nothing may be assigned to it)', () => {
    const s = selectIncident(loaded([incident('a', { status: 'resolved' })], [unit('amb01')]), 'a');
    expect(recommendationsWanted(s)).toBeNull();
  });

  it('the units a dispatcher may assign by hand are the OPD\'s available ones, by call sign', () => {
    const other = { ...unit('dmk01'), agency_id: 'agency-damkar' };
    const s = loaded([], [unit('amb02'), unit('amb01'), unit('amb03', 'en_route'), other]);
    expect(availableUnits(s).map((u) => u.id)).toEqual(['amb01', 'amb02']);
  });
});

describe('dispatcher cues and the unacknowledged alarm', () => {
  it('an incident escalated to this OPD is a new incident; one escalated elsewhere is silent', () => {
    const s = loaded([]);
    expect(cueFor(s, frame('incident.escalated', { incident_id: 'x', agency_ids: [OPD] }))).toBe('new_incident');
    expect(cueFor(s, frame('incident.escalated', { incident_id: 'x', agency_ids: [OPD, 'b'], escalated_to: ['b'] }))).toBeNull();
    expect(cueFor(s, frame('incident.escalated', { incident_id: 'x', agency_ids: ['b'] }))).toBeNull();
    expect(cueFor(initialState(null), frame('incident.escalated', { incident_id: 'x', agency_ids: [OPD] }))).toBeNull();
  });

  it('a breach of this OPD\'s clock is an SLA breach; of an acknowledge clock, an alarm on the assignment until the crew moves', () => {
    const s = loaded([incident('a', { status: 'dispatched', assignments: [assignment('as1', 'a', 'amb01')] })], [unit('amb01', 'assigned')]);
    expect(cueFor(s, frame('sla.breach', { kind: 'dispatch', subject_type: 'incident', subject_id: 'a', agency_id: OPD }))).toBe('sla_breach');
    expect(cueFor(s, frame('sla.breach', { kind: 'dispatch', subject_type: 'incident', subject_id: 'z', agency_id: 'other' }))).toBeNull();
    const breach = frame('sla.breach', { kind: 'acknowledge', subject_type: 'assignment', subject_id: 'as1', agency_id: OPD });
    expect(cueFor(s, breach)).toBe('unacknowledged');
    const step = applyEvent(s, breach);
    // The incident is known here: the breach is folded in without reading it back.
    expect(step.followUp).toBeNull();
    expect([...alarmedIncidents(step.state)]).toEqual(['a']);
    const cancelled = assignmentChanged(step.state, assignment('as1', 'a', 'amb01', 'cancelled'));
    expect([...alarmedIncidents(cancelled)]).toEqual([]);
    const acked = applyEvent(step.state, frame('assignment.status', { assignment_id: 'as1', incident_id: 'a', unit_id: 'amb01', agency_id: OPD, status: 'acknowledged' }));
    expect(acked.state.alarms.size).toBe(0);
  });
});

describe('events carry the incident as their change left it', () => {
  const clock = (subject_type: string, subject_id: string, kind: string, extra: Record<string, unknown> = {}) => ({
    kind,
    subject_type,
    subject_id,
    started_at: 1_000,
    due_at: 61_000,
    stopped_at: null,
    breached_at: null,
    ...extra,
  });

  it('incident.created with its live state joins the queue without reading the incident back, and the panel reads it once when opened', () => {
    const s = loaded([]);
    const e = frame('incident.created', {
      incident_id: 'a',
      number: 'BTM-20250101-a',
      status: 'escalated',
      priority: 'p1',
      agency_ids: [OPD],
      agencies: [{ agency_id: OPD, agency_type: 'health', status: 'escalated', reason: null }],
      live: { assignments: [], sla: [clock('incident', 'a', 'dispatch')] },
    });
    const step = applyEvent(s, e);
    expect(step.followUp).toBeNull();
    expect(numbers(step.state)).toEqual(['a']);
    const shown = step.state.incidents.get('a');
    expect(shown?.priority).toBe('p1');
    expect(shown?.sla.map((c) => c.kind)).toEqual(['dispatch']);
    // Events never carry the reporter: opening the incident reads it, once.
    const opened = selectIncident(step.state, 'a');
    expect(detailWanted(opened)).toBe('a');
    const read = incidentLoaded(opened, incident('a', { priority: 'p1', reporter: { name: 'Ani' } } as Partial<IncidentView>));
    expect(detailWanted(read)).toBeNull();
    // A later event keeps what the read learnt and takes the rest from the event.
    const later = applyEvent(read, frame('incident.updated', { ...e, type: 'incident.updated', status: 'verified' }));
    expect(later.followUp).toBeNull();
    expect(later.state.incidents.get('a')?.status).toBe('verified');
    expect(later.state.incidents.get('a')?.reporter).toEqual({ name: 'Ani' });
    expect(detailWanted(later.state)).toBeNull();
  });

  it('an assignment event brings the assignments and clocks; the answer of a read asked before it is dropped', () => {
    const s = loaded([incident('a', { status: 'verified' })], [unit('amb01')]);
    const asked = s.events;
    const step = applyEvent(
      s,
      frame('assignment.created', {
        assignment_id: 'as1',
        incident_id: 'a',
        unit_id: 'amb01',
        live: { assignments: [assignment('as1', 'a', 'amb01')], sla: [clock('assignment', 'as1', 'acknowledge')] },
      }),
    );
    expect(step.followUp).toBeNull();
    expect(step.state.incidents.get('a')?.assignments.map((x) => x.id)).toEqual(['as1']);
    expect(step.state.incidents.get('a')?.sla.map((c) => c.kind)).toEqual(['acknowledge']);
    expect(step.state.units.get('amb01')?.status).toBe('assigned');
    const late = incidentLoaded(step.state, incident('a', { status: 'verified' }), asked);
    expect(late.incidents.get('a')?.assignments.map((x) => x.id)).toEqual(['as1']);
  });

  it('an SLA breach marks its clock and raises the unacknowledged alarm without a read', () => {
    const inc = incident('a', { assignments: [assignment('as1', 'a', 'amb01')], sla: [clock('assignment', 'as1', 'acknowledge')] });
    const s = loaded([inc], [unit('amb01', 'assigned')]);
    const step = applyEvent(
      s,
      frame('sla.breach', { subject_type: 'assignment', subject_id: 'as1', kind: 'acknowledge', agency_id: OPD, detected_at: 70_000 }),
    );
    expect(step.followUp).toBeNull();
    expect(step.state.incidents.get('a')?.sla[0]?.breached_at).toBe(70_000);
    expect([...alarmedIncidents(step.state)]).toEqual(['a']);
  });
});

describe('correcting an incident', () => {
  const verified = (extra: Partial<IncidentView> = {}) =>
    incident('a', { status: 'verified', agencies: [{ agency_id: OPD, agency_type: 'health', status: 'verified' }], ...extra });

  it('offers the correction once this OPD verified it, not before, and not once it is final', () => {
    expect(actionsFor(loaded([incident('a')]), incident('a'))).not.toContain('edit');
    const s = loaded([verified()]);
    expect(actionsFor(s, verified())).toContain('edit');
    expect(actionsFor(s, verified({ status: 'closed' }))).not.toContain('edit');
    // A supervisor's all-OPD view corrects any open incident.
    const all = snapshotLoaded(initialState(null), [incident('a')], []);
    expect(actionsFor(all, incident('a'))).toContain('edit');
  });

  it('keeps the form on the selected incident, takes a location picked on the map, and closes on success', () => {
    let s = selectIncident(loaded([verified()]), 'a');
    s = editLocationPicked(s, { lon: 1, lat: 2 });
    expect(s.editing).toBeNull();
    s = openEdit(s, 'a');
    s = editLocationPicked(s, { lon: 104.1, lat: 1.13 });
    expect(s.editing).toEqual({ incidentId: 'a', location: { lon: 104.1, lat: 1.13 } });
    // Opening the reject/close form closes the correction form, and the other way round.
    expect(openDecision(s, 'a', 'reject').editing).toBeNull();
    expect(cancelEdit(s).editing).toBeNull();
    const done = editDone(s, verified({ priority: 'p1', updated_at: 2_000 }));
    expect(done.editing).toBeNull();
    expect(done.incidents.get('a')?.priority).toBe('p1');
  });

  it('sends only the fields that differ, and nothing when nothing does', () => {
    const inc = verified({ address: 'Jl. A', description: 'pingsan', subcategory: 'x' });
    const same = {
      priority: 'p2',
      category: 'health',
      subcategory: 'x',
      address: 'Jl. A',
      description: 'pingsan',
      victimsCount: 0,
      victimsCondition: 'unknown',
    };
    expect(correctionBody(inc, same, null)).toBeNull();
    expect(correctionBody(inc, same, { lon: 104.05, lat: 1.12 })).toBeNull();
    expect(correctionBody(inc, { ...same, priority: 'p1', victimsCount: 2 }, { lon: 104.2, lat: 1.1 })).toEqual({
      priority: 'p1',
      victims: { count: 2, condition: 'unknown' },
      location: { lon: 104.2, lat: 1.1 },
    });
  });

  it('highlights the fields an incident.updated changed until seen, and reads the incident again', () => {
    const s = loaded([verified()]);
    const step = applyEvent(
      s,
      frame('incident.updated', { incident_id: 'a', changes: [{ field: 'priority', before: 'p2', after: 'p1' }, { field: 'address' }] }),
    );
    expect(step.followUp).toEqual({ kind: 'load_incident', id: 'a' });
    expect(changedFields(step.state, 'a')).toEqual(['priority', 'address']);
    expect(changedFields(changesSeen(step.state, 'a'), 'a')).toEqual([]);
  });

  it('drops an incident a re-location took from this OPD, with a notice naming where it went', () => {
    let s = selectIncident(loaded([verified()]), 'a');
    s = { ...s, agencyNames: new Map([['agency-polsek', 'Polsek Lubuk Baja']]) };
    s = openEdit(s, 'a');
    const step = applyEvent(
      s,
      frame('incident.updated', {
        incident_id: 'a',
        number: 'BTM-20250101-a',
        agency_ids: ['agency-polsek'],
        withdrawn_from: [OPD],
        escalated_to: ['agency-polsek'],
        changes: [{ field: 'location' }],
      }),
    );
    expect(step.followUp).toBeNull();
    expect(numbers(step.state)).toEqual([]);
    expect(step.state.selected).toBeNull();
    expect(step.state.editing).toBeNull();
    expect(step.state.moved).toEqual({ incidentId: 'a', number: 'BTM-20250101-a', to: ['Polsek Lubuk Baja'] });
    // An incident whose own row reads `withdrawn` (from a read) is not in the queue either.
    const read = incidentLoaded(loaded([]), verified({ agencies: [{ agency_id: OPD, agency_type: 'health', status: 'withdrawn' }] }));
    expect(numbers(read)).toEqual([]);
  });
});

describe('cancel and merge', () => {
  it('offers cancel and merge on an open incident of this OPD, not on a closed, cancelled or merged one', () => {
    const s = loaded([incident('1', { status: 'dispatched' })]);
    expect(actionsFor(s, incident('1', { status: 'dispatched' }))).toEqual(expect.arrayContaining(['cancel', 'merge']));
    for (const status of ['resolved', 'closed', 'cancelled']) expect(actionsFor(s, incident('1', { status }))).not.toContain('cancel');
    expect(actionsFor(s, incident('1', { merged_into: { id: '2', number: 'N2' } }))).not.toContain('merge');
  });

  it('incident.cancelled drops the incident from the queue at once and closes its panel', () => {
    let s = selectIncident(loaded([incident('1'), incident('2')]), '1');
    s = openDecision(s, '1', 'cancel');
    const step = applyEvent(s, frame('incident.cancelled', { incident_id: '1', status: 'cancelled', reason: 'false_alarm', merged_into: null }));
    expect(numbers(step.state)).toEqual(['2']);
    expect(step.state.selected).toBeNull();
    expect(step.state.decision).toBeNull();
    expect(step.followUp).toBeNull();
  });

  it('a merged duplicate that was selected hands the panel to its master, which is read again', () => {
    const s = selectIncident(loaded([incident('1'), incident('2')]), '1');
    const step = applyEvent(s, frame('incident.cancelled', { incident_id: '1', status: 'cancelled', reason: 'duplicate', merged_into: { incident_id: '2', number: 'N2' } }));
    expect(numbers(step.state)).toEqual(['2']);
    expect(step.state.selected).toBe('2');
    expect(step.state.incidents.get('1')?.merged_into).toEqual({ id: '2', number: 'N2' });
    expect(step.followUp).toEqual({ kind: 'load_incident', id: '2' });
  });

  it('the merge answer replaces the master and selects it', () => {
    const s = openDecision(selectIncident(loaded([incident('1'), incident('2')]), '1'), '1', 'merge');
    const master = incident('2', { call_ids: ['c1', 'c2'] });
    const next = mergeDone(s, '1', master);
    expect(numbers(next)).toEqual(['2']);
    expect(next.selected).toBe('2');
    expect(next.decision).toBeNull();
    expect(next.incidents.get('2')?.call_ids).toEqual(['c1', 'c2']);
  });
});
