import { describe, expect, it } from 'vitest';
import { activeSla, slaLevel } from './sla';

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
