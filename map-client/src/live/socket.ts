//! The live client: one websocket, resumable by sequence number.
//!
//! States (`connecting | live | reconnecting | resyncing | closed`) drive the "connection lost" banner.
//! On every reconnect the URL carries `resume_from=<last applied seq>`, so the server replays what was missed.
//! When the server answers `resync_required` (the gap is older than it keeps), or on the very first connect,
//! the page's `snapshot()` refetches state over REST while incoming events are buffered; buffered events newer
//! than the snapshot are applied afterwards (traccar's snapshot-then-stream, plus the resume it lacks).
//! Backoff is exponential with full jitter, capped; a `hello` resets it. A log event of a type this client
//! does not know (from a newer server) moves the resume point like any other but reaches no page.
//!
//! Time and randomness come in through `SocketDeps`, so the tests drive it without a network or real timers.

import type { ErrorCode } from '../api/types';
import { type ControlFrame, type LiveEvent, parseFrame } from './events';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'resyncing' | 'closed';

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/**
 * Delay before reconnect attempt `attempt` (0-based): uniform in [ceiling/2, ceiling] where
 * ceiling = min(cap, base·2^attempt). Half the ceiling is kept as a floor so a crowd of clients never
 * reconnects all at once after a server restart, yet none waits needlessly long.
 */
export function backoffDelay(attempt: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Builds the websocket URL for `origin` (`http(s)://host`) with the resume point. The browser authenticates
 * the handshake with the session cookie (same origin), so the URL carries no token.
 */
export function liveUrl(origin: string, resumeFrom: number | null): string {
  const url = new URL('/api/v1/ws', origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (resumeFrom !== null) url.searchParams.set('resume_from', String(resumeFrom));
  return url.toString();
}

/** The part of `WebSocket` the client uses (so tests can pass a fake). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface SocketDeps {
  open(url: string): SocketLike;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export interface LiveOptions {
  /** URL for a connection that resumes after `resumeFrom` (null: no resume point yet). */
  url(resumeFrom: number | null): string;
  /** Applies one event, in `seq` order, never twice. */
  onEvent(e: LiveEvent): void;
  /** Refetches the page's state over REST (first connect and `resync_required`). */
  snapshot(): Promise<void>;
  onState?(state: LiveState, retryInMs: number | null): void;
  /** The server reported an error that ends the session (e.g. `token_expired`). */
  onFatal?(code: string): void;
  backoff?: BackoffPolicy;
  deps?: Partial<SocketDeps>;
}

const FATAL: ReadonlySet<string> = new Set<ErrorCode>(['unauthenticated', 'token_expired', 'session_revoked', 'account_disabled']);

export class LiveClient {
  private readonly opts: LiveOptions;
  private readonly deps: SocketDeps;
  private socket: SocketLike | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private stopped = false;
  /** Log positions received while a snapshot runs, with their events (null: a type this client does not know). */
  private buffered: { seq: number; event: LiveEvent | null }[] = [];
  /** Snapshots in flight; events are buffered while any runs. */
  private resyncing = 0;
  private needSnapshot = true;
  /** Last sequence number applied (or covered by a snapshot). */
  lastSeq: number | null = null;
  state: LiveState = 'connecting';

  constructor(opts: LiveOptions) {
    this.opts = opts;
    this.deps = {
      open: (url) => new WebSocket(url) as unknown as SocketLike,
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
      random: Math.random,
      ...opts.deps,
    };
  }

  /**
   * Loads the snapshot at once (so the page has data even while the socket cannot connect) and opens the
   * socket. The first `hello` triggers one more snapshot, which closes the window between the first
   * snapshot and the subscription.
   */
  start(): void {
    this.stopped = false;
    void this.runSnapshot(null, false);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.deps.clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close(1000, 'page closed');
    }
    this.setState('closed', null);
  }

  /** Forces a snapshot refetch, e.g. when the page becomes visible after a long sleep. */
  async resync(): Promise<void> {
    await this.runSnapshot(null);
  }

  private setState(state: LiveState, retryInMs: number | null): void {
    this.state = state;
    this.opts.onState?.(state, retryInMs);
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState(this.attempt === 0 && this.lastSeq === null ? 'connecting' : 'reconnecting', null);
    const socket = this.deps.open(this.opts.url(this.lastSeq));
    this.socket = socket;
    socket.onmessage = (ev) => this.handleRaw(ev.data);
    socket.onerror = () => {
      // The close event follows and schedules the retry.
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      // 4001: the session ended (logout, force logout, disabled account, password reset, expiry);
      // reconnecting cannot help.
      if (ev.code === 4001) {
        this.stop();
        this.opts.onFatal?.('session_revoked');
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.deps.random, this.opts.backoff);
    this.attempt += 1;
    this.setState('reconnecting', delay);
    this.timer = this.deps.setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  private handleRaw(data: unknown): void {
    if (typeof data !== 'string') return;
    const frame = parseFrame(data);
    if (!frame) return;
    if (frame.kind === 'control') this.handleControl(frame.frame);
    else if (frame.kind === 'event') this.receive(frame.event.seq, frame.event);
    else if (frame.seq !== null) this.receive(frame.seq, null);
  }

  private handleControl(msg: ControlFrame): void {
    switch (msg.type) {
      case 'hello': {
        this.attempt = 0;
        if (this.needSnapshot) {
          void this.runSnapshot(msg.seq);
        } else {
          this.setState('live', null);
        }
        return;
      }
      case 'resync_required': {
        void this.runSnapshot(msg.seq);
        return;
      }
      case 'error': {
        if (FATAL.has(msg.code)) {
          this.stop();
          this.opts.onFatal?.(msg.code);
        }
        return;
      }
      case 'position_ack':
        return;
    }
  }

  /** A log position arrived, with its event when this client knows the type. */
  private receive(seq: number, event: LiveEvent | null): void {
    if (this.resyncing > 0) {
      this.buffered.push({ seq, event });
      return;
    }
    this.apply(seq, event);
  }

  private apply(seq: number, event: LiveEvent | null): void {
    if (this.lastSeq !== null && seq <= this.lastSeq) return;
    this.lastSeq = seq;
    if (event) this.opts.onEvent(event);
  }

  /**
   * Refetches the snapshot. `headSeq` is the server's sequence at the moment it asked for the resync (or
   * said hello): the snapshot reflects at least that point, so buffered events at or below it are dropped.
   */
  private async runSnapshot(headSeq: number | null, coversHead = true): Promise<void> {
    this.resyncing += 1;
    this.setState('resyncing', null);
    try {
      await this.opts.snapshot();
      if (coversHead) this.needSnapshot = false;
      if (headSeq !== null) this.lastSeq = Math.max(this.lastSeq ?? headSeq, headSeq);
    } catch {
      // Keep `needSnapshot`; the next hello retries. Events keep flowing meanwhile.
    } finally {
      this.resyncing -= 1;
    }
    if (this.resyncing === 0) {
      const pending = this.buffered.sort((a, b) => a.seq - b.seq);
      this.buffered = [];
      for (const p of pending) this.apply(p.seq, p.event);
      if (!this.stopped && this.socket && !this.needSnapshot) this.setState('live', null);
      else if (!this.stopped && this.state === 'resyncing') this.setState(this.socket ? 'connecting' : 'reconnecting', null);
    }
  }
}
