import { describe, expect, it } from 'vitest';
import type { AssignmentView, IncidentView } from '../../api/types';
import { frame } from '../../live/fixtures';
import {
  alertingFor,
  applyEvent,
  canDecline,
  cancelNoticeSeen,
  countdown,
  minutesSeconds,
  navigationLinks,
  nextStep,
  platformOf,
  currentAssignment,
  distanceToIncident_m,
  fixDue,
  initialState,
  offeredStatuses,
  positionFixed,
  refreshed,
  shownStatus,
  statusBody,
  statusQueued,
} from './state';

function assignment(id: string, status: string, assigned_at = 1_000): AssignmentView {
  return { id, incident_id: `inc-${id}`, unit_id: 'amb01', agency_id: 'dinkes', status, assigned_at, radio_reported: [] };
}

const incident = { id: 'inc-a', number: 'BTM-1', location: { lon: 104.05, lat: 1.12 } } as IncidentView;

describe('responder assignment', () => {
  it('works on the newest open assignment; resolved, declined and cancelled ones are done', () => {
    expect(currentAssignment([assignment('a', 'en_route', 1), assignment('b', 'assigned', 3), assignment('c', 'resolved', 5)])?.id).toBe('b');
    expect(currentAssignment([assignment('a', 'declined'), assignment('b', 'cancelled')])).toBeNull();
  });

  it('offers the next steps of the status: acknowledge or decline first, then en route, on scene, resolved', () => {
    const s = refreshed(initialState(), assignment('a', 'assigned'), incident, 0);
    expect(offeredStatuses(s)).toEqual(['acknowledged', 'declined']);
    expect(offeredStatuses(refreshed(s, assignment('a', 'on_scene'), incident, 0))).toEqual(['resolved']);
    expect(offeredStatuses(initialState())).toEqual([]);
  });

  it('a queued tap shows its status at once and offers the next step, until the outbox drains or the assignment changes', () => {
    let s = statusQueued(refreshed(initialState(), assignment('a', 'assigned'), incident, 0), 'acknowledged');
    expect(shownStatus(s)).toBe('acknowledged');
    expect(offeredStatuses(s)).toEqual(['en_route', 'declined']);
    s = refreshed(s, assignment('a', 'assigned'), incident, 1);
    expect(shownStatus(s)).toBe('acknowledged');
    expect(shownStatus(refreshed(s, assignment('a', 'acknowledged'), incident, 0))).toBe('acknowledged');
    expect(refreshed(s, assignment('b', 'assigned'), null, 1).optimistic).toBeNull();
  });

  it('an event with the current assignment updates it at once unless a tap is queued; assignment and incident events re-read', () => {
    const s = refreshed(initialState(), assignment('a', 'assigned'), incident, 0);
    const event = frame('assignment.status', { assignment_id: 'a', incident_id: 'inc-a', unit_id: 'amb01', from: 'assigned', status: 'cancelled' });
    const step = applyEvent(s, event);
    expect(step).toMatchObject({ refresh: true, state: { current: { id: 'a', status: 'cancelled' } } });
    // A queued tap is newer news than another step of the crew's own…
    const step2 = frame('assignment.status', { assignment_id: 'a', incident_id: 'inc-a', unit_id: 'amb01', from: 'assigned', status: 'acknowledged' });
    expect(applyEvent(statusQueued(s, 'declined'), step2).state.current?.status).toBe('assigned');
    // …but not than the desk withdrawing the assignment: the queued tap will be refused.
    expect(applyEvent(statusQueued(s, 'acknowledged'), event).state.current?.status).toBe('cancelled');
    expect(applyEvent(s, frame('assignment.status', { assignment_id: 'b', status: 'cancelled' }))).toEqual({ state: s, refresh: true });
    expect(applyEvent(s, frame('assignment.created', { assignment_id: 'b', incident_id: 'inc-b' }))).toEqual({ state: s, refresh: true });
    expect(applyEvent(s, frame('incident.updated', { incident_id: 'inc-a' }))).toEqual({ state: s, refresh: true });
    expect(applyEvent(s, frame('unit.position', { unit_id: 'amb01' })).refresh).toBe(false);
  });
});

describe('responder taps and position', () => {
  it('a decline always names a reason (other when none was chosen); a blank note is left out', () => {
    expect(statusBody('declined', '')).toEqual({ status: 'declined', reason: 'other' });
    expect(statusBody('declined', 'Ban bocor', 'vehicle_problem')).toEqual({ status: 'declined', reason: 'vehicle_problem', note: 'Ban bocor' });
    expect(statusBody('resolved', '')).toEqual({ status: 'resolved' });
    expect(statusBody('en_route', '')).toEqual({ status: 'en_route' });
  });

  it('sends at most one position fix every 10 s', () => {
    expect(fixDue(0, Date.UTC(2025, 0, 1))).toBe(true);
    expect(fixDue(5_000, 14_999)).toBe(false);
    expect(fixDue(5_000, 15_000)).toBe(true);
  });

  it('shows the distance to the incident once the phone has a fix', () => {
    const s = refreshed(initialState(), assignment('a', 'en_route'), incident, 0);
    expect(distanceToIncident_m(s)).toBeNull();
    const d = distanceToIncident_m(positionFixed(s, { lon: 104.05, lat: 1.13 }));
    expect(d).toBeGreaterThan(1_100);
    expect(d).toBeLessThan(1_120);
  });
});

describe('responder alert, next step and countdown', () => {
  it('alerts while the current assignment is shown as assigned; an acknowledge tap (even queued) stops it', () => {
    const s = refreshed(initialState(), assignment('a', 'assigned'), incident, 0);
    expect(alertingFor(s)).toBe('a');
    expect(alertingFor(statusQueued(s, 'acknowledged'))).toBeNull();
    expect(alertingFor(statusQueued(s, 'declined'))).toBeNull();
    expect(alertingFor(refreshed(s, assignment('a', 'en_route'), incident, 0))).toBeNull();
    expect(alertingFor(initialState())).toBeNull();
  });

  it('the big button is the forward step; declining is the secondary control while it is offered', () => {
    const s = refreshed(initialState(), assignment('a', 'assigned'), incident, 0);
    expect(nextStep(s)).toBe('acknowledged');
    expect(canDecline(s)).toBe(true);
    expect(nextStep(refreshed(s, assignment('a', 'acknowledged'), incident, 0))).toBe('en_route');
    const onScene = refreshed(s, assignment('a', 'on_scene'), incident, 0);
    expect(nextStep(onScene)).toBe('resolved');
    expect(canDecline(onScene)).toBe(false);
    expect(nextStep(initialState())).toBeNull();
  });

  it("counts down the assignment's own clock first, else the incident's; late once past due", () => {
    const clocks = [
      { kind: 'arrival', subject_type: 'incident', subject_id: 'inc-a', started_at: 0, due_at: 900_000 },
      { kind: 'acknowledge', subject_type: 'assignment', subject_id: 'a', started_at: 0, due_at: 60_000 },
      { kind: 'acknowledge', subject_type: 'assignment', subject_id: 'other', started_at: 0, due_at: 10_000 },
    ];
    const inc = { ...incident, sla: clocks } as IncidentView;
    const s = refreshed(initialState(), assignment('a', 'assigned'), inc, 0);
    expect(countdown(s, 15_000)).toEqual({ kind: 'acknowledge', remaining_ms: 45_000, late: false });
    expect(countdown(s, 75_000)).toMatchObject({ kind: 'acknowledge', late: true });
    const acked = { ...inc, sla: [clocks[0], { ...clocks[1], stopped_at: 20_000 }] } as IncidentView;
    expect(countdown(refreshed(s, assignment('a', 'acknowledged'), acked, 0), 30_000)).toMatchObject({ kind: 'arrival', remaining_ms: 870_000 });
    expect(countdown(initialState(), 0)).toBeNull();
    expect(minutesSeconds(45_000)).toBe('0:45');
    expect(minutesSeconds(-83_000)).toBe('1:23');
    expect(minutesSeconds(14_387_000)).toBe('3:59:47');
  });

  it("navigation opens Apple Maps on an iPhone and Google Maps elsewhere, offering the other too", () => {
    const ios = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15';
    const android = 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Chrome/120 Mobile';
    expect(platformOf(ios)).toBe('ios');
    expect(platformOf(android)).toBe('android');
    const to = { lon: 104.05, lat: 1.12 };
    expect(navigationLinks(to, 'ios')).toEqual({
      primary: 'https://maps.apple.com/?daddr=1.12,104.05',
      alternate: 'https://www.google.com/maps/dir/?api=1&destination=1.12,104.05',
    });
    expect(navigationLinks(to, 'android').primary).toBe('https://www.google.com/maps/dir/?api=1&destination=1.12,104.05');
  });
});

describe('a withdrawn assignment', () => {
  it('stops the alert and tells the crew why, until a new assignment arrives or the crew has read it', () => {
    const a = { id: 'a1', incident_id: 'i1', unit_id: 'u1', agency_id: 'g', status: 'assigned', assigned_at: 1, radio_reported: [] } as AssignmentView;
    let s = refreshed(initialState(), a, null, 0);
    expect(alertingFor(s)).toBe('a1');
    const step = applyEvent(s, frame('assignment.status', { assignment_id: 'a1', incident_id: 'i1', incident_number: 'BTM-20261205-0001', status: 'cancelled', from: 'assigned', reason: 'false_alarm' }));
    s = step.state;
    expect(step.refresh).toBe(true);
    expect(alertingFor(s)).toBeNull();
    expect(s.cancelled).toEqual({ assignment_id: 'a1', incident_number: 'BTM-20261205-0001', reason: 'false_alarm' });
    // The assignments are read again: none open, the notice stays.
    s = refreshed(s, null, null, 0);
    expect(s.cancelled?.reason).toBe('false_alarm');
    expect(cancelNoticeSeen(s).cancelled).toBeNull();
    const b = { ...a, id: 'a2' };
    expect(refreshed(s, b, null, 0).cancelled).toBeNull();
  });
});
