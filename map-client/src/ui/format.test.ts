import { describe, expect, it } from 'vitest';
import { countdown } from './format';

describe('countdown', () => {
  it('counts down in whole seconds and shows hours from an hour on', () => {
    expect(countdown(65_900)).toBe('01:05');
    expect(countdown(999)).toBe('00:00');
    expect(countdown(3_723_000)).toBe('1:02:03');
  });

  it('shows a clock past due with a minus sign, never as −00:00', () => {
    expect(countdown(-1)).toBe('−00:01');
    expect(countdown(-61_000)).toBe('−01:01');
  });
});
