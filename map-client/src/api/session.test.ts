import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { request } from './client';
import { clearSession, getUser, saveUser } from './session';
import type { User } from './types';

const user = { id: 'u1', username: 'amb01', display_name: 'AMB 01', role: 'responder' } as User;

describe('the browser session', () => {
  let stored: Map<string, string>;

  beforeEach(() => {
    stored = new Map([['siaga.token', 'a-token-from-an-older-version']]);
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => void stored.set(k, v),
      removeItem: (k: string) => void stored.delete(k),
    });
  });

  afterEach(() => vi.unstubAllGlobals());

  it('keeps only the profile in localStorage, never a token', () => {
    saveUser(user);
    expect([...stored.keys()]).toEqual(['siaga.user']);
    expect(getUser()).toEqual(user);
    clearSession();
    expect(stored.size).toBe(0);
  });

  it('sends the cookie and the CSRF marker, never an Authorization header', async () => {
    const fetch = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetch);
    await request('POST', '/api/v1/auth/logout', {});
    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    const headers = init.headers as Record<string, string>;
    expect(init.credentials).toBe('same-origin');
    expect(headers['X-Requested-With']).toBe('siaga');
    expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain('authorization');
  });
});
