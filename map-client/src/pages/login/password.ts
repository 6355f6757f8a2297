//! The checks the password-change form makes before asking the server: both entries the same, and not the
//! password being replaced. The server decides the rest (length, common passwords) and names the field.

/** What is wrong with a new password as typed, as an i18n key; `null` when the form may be sent. */
export function newPasswordProblem(
  current: string,
  next: string,
  repeat: string,
): 'password.required' | 'password.mismatch' | 'password.same' | null {
  if (next === '') return 'password.required';
  if (next !== repeat) return 'password.mismatch';
  if (next === current) return 'password.same';
  return null;
}
