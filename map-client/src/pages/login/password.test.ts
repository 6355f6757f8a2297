import { describe, expect, it } from 'vitest';
import { newPasswordProblem } from './password';

describe('new password entries', () => {
  it('must be given, typed the same twice, and differ from the current password', () => {
    expect(newPasswordProblem('lama-sekali', '', '')).toBe('password.required');
    expect(newPasswordProblem('lama-sekali', 'baru-sekali-1', 'baru-sekali-2')).toBe('password.mismatch');
    expect(newPasswordProblem('lama-sekali', 'lama-sekali', 'lama-sekali')).toBe('password.same');
    expect(newPasswordProblem('lama-sekali', 'baru-sekali-1', 'baru-sekali-1')).toBeNull();
  });
});
