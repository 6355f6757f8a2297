//! The login page: username and password, errors by code, focus on the offending field. A user whose password
//! must be changed (`must_change_password`) gets the password-change form before any page.

import { post } from '../../api/client';
import { saveUser } from '../../api/session';
import type { LoginResponse, User } from '../../api/types';
import { lang, setLang, t } from '../../i18n';
import { h } from '../../ui/dom';
import { clearError, showError } from '../../ui/errors';
import { mountChangePassword } from './change_password';

export function mount({ root, onLogin }: { root: HTMLElement; onLogin(user: User): void }): void {
  const error = h('p', { id: 'login-error', class: 'error', role: 'alert', hidden: true });
  const username = h('input', { name: 'username', id: 'username', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', id: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn primary big' }, '➜ ', t('login.submit'));
  const langSelect = h(
    'select',
    { id: 'login-lang', 'aria-label': t('app.lang') },
    h('option', { value: 'id', selected: lang() === 'id' }, 'Bahasa Indonesia'),
    h('option', { value: 'en', selected: lang() === 'en' }, 'English'),
  );
  langSelect.addEventListener('change', () => setLang(langSelect.value === 'en' ? 'en' : 'id'));

  const form = h(
    'form',
    { class: 'login card', 'data-testid': 'login-form', novalidate: true },
    h('h1', {}, h('span', { 'aria-hidden': 'true' }, '✱ '), t('login.title')),
    sessionStorage.getItem('siaga.ended') ? h('p', { class: 'notice', role: 'status' }, t('login.ended')) : null,
    h('label', { for: 'username' }, t('login.username')),
    username,
    h('label', { for: 'password' }, t('login.password')),
    password,
    error,
    submit,
    h('label', { for: 'login-lang' }, t('app.lang')),
    langSelect,
  );
  sessionStorage.removeItem('siaga.ended');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(error, form);
    submit.disabled = true;
    try {
      const res = await post<LoginResponse>(
        '/api/v1/auth/login',
        { username: username.value.trim(), password: password.value },
        { anonymous: true },
      );
      saveUser(res.user);
      if (res.must_change_password) {
        mountChangePassword({ root, currentPassword: password.value, onDone: onLogin });
        return;
      }
      onLogin(res.user);
    } catch (e) {
      showError(error, e, form);
      if (!(e as { field?: string }).field) (username.value ? password : username).focus();
    } finally {
      submit.disabled = false;
    }
  });
  root.replaceChildren(h('main', { id: 'main', class: 'login-wrap' }, form));
  username.focus();
}
