//! Integration (telephony/SMS gateway) accounts have no screen: they only register calls over the API. A person
//! who signs in with such an account is told so and can sign out.

import { post } from '../../api/client';
import { beginSignOut, clearSession } from '../../api/session';
import type { User } from '../../api/types';
import { t } from '../../i18n';
import { h } from '../../ui/dom';

export function mount({ root, user }: { root: HTMLElement; user: User }): void {
  const logout = h('button', { type: 'button', class: 'btn primary big' }, t('gateway.logout'));
  logout.addEventListener('click', async () => {
    beginSignOut();
    try {
      await post('/api/v1/auth/logout', {});
    } finally {
      clearSession();
      location.assign('/');
    }
  });
  root.replaceChildren(
    h(
      'main',
      { class: 'login card', 'data-testid': 'gateway-page' },
      h('h1', {}, t('gateway.title')),
      h('p', { role: 'status' }, t('gateway.text', { name: user.display_name })),
      logout,
    ),
  );
  logout.focus();
}
