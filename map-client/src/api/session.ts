//! The signed-in user's profile (not secret), kept in localStorage so the responder PWA opens offline on the
//! stored profile after a restart.
//!
//! The session itself is an HttpOnly cookie that login sets and logout clears (`api::security` on the
//! server): no script, nor an injected one, can read the token, and the browser sends it with every request
//! and the websocket handshake. It lives until the session expires, so the PWA and the outbox keep working
//! after the app is reopened.

import type { User } from './types';

const USER_KEY = 'siaga.user';
/** Where earlier versions kept the bearer token; removed on sight. */
const LEGACY_TOKEN_KEY = 'siaga.token';

export function getUser(): User | null {
  const raw = localStorage.getItem(USER_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as User;
  } catch {
    return null;
  }
}

export function saveUser(user: User): void {
  localStorage.removeItem(LEGACY_TOKEN_KEY);
  localStorage.setItem(USER_KEY, JSON.stringify(user));
}

let signingOut = false;

/**
 * Marks that this page is signing out. The server then ends the session at once, so the live socket's
 * close (4001) or another request's 401 may arrive before the logout's own answer: they must not navigate
 * away first, which would cancel that answer and with it the cookie's removal.
 */
export function beginSignOut(): void {
  signingOut = true;
}

export function isSigningOut(): boolean {
  return signingOut;
}

/** Prefix of what a page keeps in the tab's session storage for a reload (e.g. a call taker's unsent form). */
export const PAGE_STORAGE_PREFIX = 'siaga.page.';

/**
 * Forgets the profile (the server clears the cookie on logout, or the session has ended anyway) and what the
 * pages kept for a reload, which may hold a caller's details.
 */
export function clearSession(): void {
  localStorage.removeItem(LEGACY_TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
  try {
    for (const key of Object.keys(sessionStorage)) if (key.startsWith(PAGE_STORAGE_PREFIX)) sessionStorage.removeItem(key);
  } catch {
    // No session storage: nothing was kept.
  }
}
