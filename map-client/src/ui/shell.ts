//! The page frame every role shares: header with the user, the live-connection banner, the language switch
//! and sign-out; a skip link; a toast region for confirmations (aria-live).

import { request } from '../api/client';
import { beginSignOut, clearSession } from '../api/session';
import type { User } from '../api/types';
import { lang, setLang, t, tk } from '../i18n';
import type { LiveState } from '../live/socket';
import { h } from './dom';

export interface Shell {
  main: HTMLElement;
  setLive(state: LiveState, retryInMs: number | null): void;
  toast(message: string, kind?: 'info' | 'error'): void;
}

export function mountShell(root: HTMLElement, user: User, title: string): Shell {
  const banner = h('div', { class: 'live-banner', role: 'status', 'aria-live': 'polite', 'data-testid': 'live-banner', hidden: true });
  const toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
  const langSelect = h(
    'select',
    { 'aria-label': t('app.lang'), class: 'lang' },
    h('option', { value: 'id', selected: lang() === 'id' }, 'Bahasa Indonesia'),
    h('option', { value: 'en', selected: lang() === 'en' }, 'English'),
  );
  langSelect.addEventListener('change', () => setLang(langSelect.value === 'en' ? 'en' : 'id'));
  const logout = h('button', { type: 'button', class: 'btn ghost', 'data-testid': 'logout' }, '⇥ ', t('app.logout'));
  // Signing out asks first: a stray tap must not drop a crew or a call taker mid-shift.
  const confirmYes = h('button', { type: 'button', class: 'btn', 'data-testid': 'logout-yes' }, t('app.logout_yes'));
  const confirmNo = h('button', { type: 'button', class: 'btn ghost', 'data-testid': 'logout-no' }, t('app.logout_no'));
  const confirmBox = h(
    'span',
    { class: 'logout-confirm', role: 'alertdialog', 'aria-label': t('app.logout_confirm'), 'data-testid': 'logout-confirm', hidden: true },
    h('span', {}, t('app.logout_confirm')),
    ' ',
    confirmYes,
    ' ',
    confirmNo,
  );
  logout.addEventListener('click', () => {
    logout.hidden = true;
    confirmBox.hidden = false;
    confirmNo.focus();
  });
  confirmNo.addEventListener('click', () => {
    confirmBox.hidden = true;
    logout.hidden = false;
    logout.focus();
  });
  confirmYes.addEventListener('click', async () => {
    beginSignOut();
    try {
      await request('POST', '/api/v1/auth/logout', {});
    } catch {
      // Signing out locally is what matters; the server session expires anyway.
    }
    clearSession();
    location.assign('/');
  });
  const main = h('main', { id: 'main', tabindex: '-1' });
  root.replaceChildren(
    h('a', { href: '#main', class: 'skip' }, t('app.skip_to_main')),
    h(
      'header',
      { class: 'top' },
      h('h1', {}, h('span', { 'aria-hidden': 'true' }, '✱ '), t('app.title'), ' · ', title),
      h('span', { class: 'who', 'data-testid': 'who' }, user.display_name, ' (', tk('app.role', user.role), ')'),
      langSelect,
      logout,
      confirmBox,
    ),
    banner,
    main,
    toasts,
  );
  let lastState: LiveState = 'connecting';
  return {
    main,
    setLive(state, retryInMs) {
      lastState = state;
      banner.dataset['state'] = state;
      if (state === 'live') {
        banner.hidden = true;
        return;
      }
      banner.hidden = false;
      const icon = state === 'reconnecting' || state === 'closed' ? '⚠ ' : '⟳ ';
      const msg =
        state === 'reconnecting' && retryInMs !== null
          ? t('live.reconnecting', { s: Math.ceil(retryInMs / 1000) })
          : state === 'reconnecting'
            ? t('live.reconnecting', { s: 0 })
            : t(`live.${state}`);
      banner.textContent = icon + msg;
      void lastState;
    },
    toast(message, kind = 'info') {
      const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
      toasts.append(el);
      setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
    },
  };
}
