import { describe, expect, it } from 'vitest';
import { activeSla, arrivalPlan, minutesUp, slaLevel } from './sla';

describe('SLA display', () => {
  const sla = (due_at: number, extra = {}) => ({ kind: 'dispatch', due_at, breached_at: null, stopped_at: null, ...extra });
  it('shows the running clock due soonest', () => {
    expect(activeSla({ sla: [sla(500), sla(300), sla(100, { stopped_at: 50 })] })?.due_at).toBe(300);
    expect(activeSla({ sla: [] })).toBeNull();
  });
  it('turns amber in the last quarter (or last minute) and red when due or breached', () => {
    const s = sla(1_000_000);
    expect(slaLevel(s, 0, 100_000)).toBe('ok');
    expect(slaLevel(s, 0, 800_000)).toBe('amber');
    expect(slaLevel(s, 0, 1_000_000)).toBe('red');
    expect(slaLevel(sla(1_000_000, { breached_at: 5 }), 0, 0)).toBe('red');
    expect(slaLevel(sla(100_000), 0, 50_000)).toBe('amber');
  });
});

describe('arrival plan', () => {
  const clock = (subject_id: string, kind: string, started_at: number, due_at: number) => ({ kind, subject_type: 'assignment', subject_id, started_at, due_at });
  const clocks = [clock('as1', 'acknowledge', 1_000, 61_000), clock('as1', 'arrival', 1_000, 361_000), clock('as2', 'arrival', 5_000, 65_000)];
  it('puts the planned ETA beside the arrival clock of the same assignment', () => {
    const p = arrivalPlan({ id: 'as1', planned_eta_s: 240 }, clocks);
    expect(p).toEqual({ eta_at: 241_000, due_at: 361_000, eta_s: 240, target_s: 360, late: false });
  });
  it('is late only past the target, and absent without a plan or a clock', () => {
    expect(arrivalPlan({ id: 'as1', planned_eta_s: 360 }, clocks)?.late).toBe(false);
    expect(arrivalPlan({ id: 'as1', planned_eta_s: 361 }, clocks)?.late).toBe(true);
    expect(arrivalPlan({ id: 'as2', planned_eta_s: 61 }, clocks)?.target_s).toBe(60);
    expect(arrivalPlan({ id: 'as1', planned_eta_s: null }, clocks)).toBeNull();
    expect(arrivalPlan({ id: 'as1' }, clocks)).toBeNull();
    expect(arrivalPlan({ id: 'as3', planned_eta_s: 10 }, clocks)).toBeNull();
  });
  it('counts started minutes', () => {
    expect([minutesUp(0), minutesUp(60), minutesUp(61), minutesUp(361)]).toEqual([1, 1, 2, 7]);
  });
});
