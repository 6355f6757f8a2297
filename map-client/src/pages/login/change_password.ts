//! The password change a user must make before anything else (the first admin's one-time password, a password
//! an admin reset): the server answers every other request with `password_change_required` until it is done.
//! Right after logging in the password just typed is the current one; after a reload it is asked for.

import { ApiError, post } from '../../api/client';
import { clearSession, saveUser } from '../../api/session';
import type { User } from '../../api/types';
import { t } from '../../i18n';
import { h } from '../../ui/dom';
import { clearError, showError } from '../../ui/errors';
import { newPasswordProblem } from './password';

export function mountChangePassword({
  root,
  currentPassword,
  onDone,
}: {
  root: HTMLElement;
  /** The password just used to log in; asked for when absent. */
  currentPassword?: string;
  onDone(user: User): void;
}): void {
  const error = h('p', { id: 'password-error', class: 'error', role: 'alert', hidden: true });
  const current = h('input', {
    name: 'current_password',
    id: 'current-password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const next = h('input', {
    name: 'new_password',
    id: 'new-password',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: 8,
    'aria-describedby': 'new-password-hint',
  });
  const repeat = h('input', {
    name: 'new_password_repeat',
    id: 'new-password-repeat',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
  });
  const submit = h('button', { type: 'submit', class: 'btn primary big' }, t('password.submit'));
  const logout = h('button', { type: 'button', class: 'btn' }, t('app.logout'));
  const askCurrent = currentPassword === undefined;

  const form = h(
    'form',
    { class: 'login card', 'data-testid': 'password-form', novalidate: true },
    h('h1', {}, t('password.title')),
    h('p', { class: 'notice', role: 'status' }, t('password.required_notice')),
    askCurrent ? [h('label', { for: 'current-password' }, t('password.current')), current] : null,
    h('label', { for: 'new-password' }, t('password.new')),
    next,
    h('p', { id: 'new-password-hint', class: 'hint' }, t('password.hint')),
    h('label', { for: 'new-password-repeat' }, t('password.repeat')),
    repeat,
    error,
    submit,
    logout,
  );

  logout.addEventListener('click', async () => {
    try {
      await post('/api/v1/auth/logout', {});
    } catch {
      // The session ends here either way.
    } finally {
      clearSession();
      location.assign('/');
    }
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(error, form);
    const currentValue = currentPassword ?? current.value;
    const problem = newPasswordProblem(currentValue, next.value, repeat.value);
    if (problem) {
      error.textContent = t(problem);
      error.hidden = false;
      (problem === 'password.mismatch' ? repeat : next).focus();
      return;
    }
    submit.disabled = true;
    try {
      const user = await post<User>('/api/v1/auth/password', {
        current_password: currentValue,
        new_password: next.value,
      });
      saveUser(user);
      onDone(user);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'validation_failed' && e.field === 'current_password') {
        showError(error, e, form);
        error.textContent = t('password.current_wrong');
        if (!askCurrent) current.focus();
      } else if (e instanceof ApiError && e.code === 'validation_failed' && e.field === 'new_password') {
        showError(error, e, form);
        error.textContent = t('password.too_weak');
      } else {
        showError(error, e, form);
      }
    } finally {
      submit.disabled = false;
    }
  });

  root.replaceChildren(h('main', { id: 'main', class: 'login-wrap' }, form));
  (askCurrent ? current : next).focus();
}
