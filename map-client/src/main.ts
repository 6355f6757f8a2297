//! Entry: restore the session (or show the login page), then load the one page the user's role needs.
//! Each role page is its own dynamic chunk; only map pages pull in MapLibre, so the responder's phone never
//! downloads it.

import './styles.css';
import { get, setSessionEndedListener } from './api/client';
import { clearSession, getUser, saveUser } from './api/session';
import type { Role, User } from './api/types';
import { lang } from './i18n';
import { installAudioUnlock } from './ui/cues';

export interface PageContext {
  root: HTMLElement;
  user: User;
}

type PageModule = { mount(ctx: PageContext): void | Promise<void> };

/** Which page each role lands on. */
const PAGES: Record<Role, () => Promise<PageModule>> = {
  call_taker: () => import('./pages/call_taker/page'),
  dispatcher: () => import('./pages/dispatcher/page'),
  responder: () => import('./pages/responder/page'),
  supervisor: () => import('./pages/supervisor/page'),
  admin: () => import('./pages/admin/page'),
  integration: () => import('./pages/gateway/page'),
};

async function boot(): Promise<void> {
  document.documentElement.lang = lang();
  const root = document.getElementById('app');
  if (!root) return;
  // A page that redraws itself in the new language cancels the event; any other page is reloaded.
  addEventListener('siaga:lang', (ev) =>
    queueMicrotask(() => {
      if (!ev.defaultPrevented) location.reload();
    }),
  );
  setSessionEndedListener(() => {
    sessionStorage.setItem('siaga.ended', '1');
    location.assign('/');
  });
  registerServiceWorker();
  // Before the login click: that first gesture is what lets the desks' alert sounds play.
  installAudioUnlock();

  // A stored profile means a session was started here; the cookie itself is HttpOnly, so whether it still
  // holds only the server can say. (Without a profile the login page shows at once, with no 401 to log.)
  let user: User | null = null;
  const stored = getUser();
  if (stored) {
    try {
      user = await get<User>('/api/v1/auth/me', { anonymous: true });
      saveUser(user);
    } catch (e) {
      // Offline responder: keep working from the stored profile; the outbox needs nothing else.
      if (!navigator.onLine) user = stored;
      else if (!(e instanceof Error && 'status' in e && (e as { status: number }).status === 0)) clearSession();
      else user = stored;
    }
  }
  if (!user) {
    const login = await import('./pages/login/page');
    login.mount({ root, onLogin: (u) => void openPage(root, u) });
    return;
  }
  if (user.must_change_password) {
    const { mountChangePassword } = await import('./pages/login/change_password');
    mountChangePassword({ root, onDone: (u) => void openPage(root, u) });
    return;
  }
  await openPage(root, user);
}

async function openPage(root: HTMLElement, user: User): Promise<void> {
  const load = PAGES[user.role];
  const page = await load();
  await page.mount({ root, user });
}

function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
      // Without a service worker the app still works online; only the offline shell is lost.
    });
  });
}

void boot();
