//! Wires a `LiveClient` to the browser: this origin (the session cookie authenticates), the shell's banner, and a resync
//! when the tab comes back after being hidden (phones freeze background tabs).

import { clearSession, isSigningOut } from '../api/session';
import type { LiveEvent } from './events';
import { LiveClient, type LiveState, liveUrl } from './socket';

export function connectLive(opts: {
  onEvent(e: LiveEvent): void;
  snapshot(): Promise<void>;
  onState(state: LiveState, retryInMs: number | null): void;
}): LiveClient {
  const client = new LiveClient({
    url: (resumeFrom) => liveUrl(location.origin, resumeFrom),
    onEvent: opts.onEvent,
    snapshot: opts.snapshot,
    onState: opts.onState,
    onFatal: () => {
      // Our own logout ended the session: its handler navigates once the server has cleared the cookie.
      if (isSigningOut()) return;
      clearSession();
      sessionStorage.setItem('siaga.ended', '1');
      location.assign('/');
    },
  });
  client.start();
  addEventListener('beforeunload', () => client.stop());
  return client;
}
