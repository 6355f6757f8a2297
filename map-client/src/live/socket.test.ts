import { describe, expect, it } from 'vitest';
import type { LiveEvent } from './events';
import { LiveClient, type SocketLike, backoffDelay, liveUrl } from './socket';

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true;
  }
  send(msg: object): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(): void {
    this.onclose?.({ code: 1006 });
  }
}

function harness(snapshot: () => Promise<void> = async () => undefined) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const events: LiveEvent[] = [];
  const states: string[] = [];
  const client = new LiveClient({
    url: (resume) => liveUrl('http://127.0.0.1:8112', resume),
    onEvent: (e) => events.push(e),
    snapshot,
    onState: (s) => states.push(s),
    deps: {
      open: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      setTimeout: (fn, ms) => timers.push({ fn, ms }),
      clearTimeout: () => undefined,
      random: () => 0.5,
    },
  });
  return { client, sockets, timers, events, states };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('backoffDelay', () => {
  it('grows exponentially with jitter between half and the full ceiling, capped', () => {
    const policy = { baseMs: 500, capMs: 30_000 };
    expect(backoffDelay(0, () => 0, policy)).toBe(250);
    expect(backoffDelay(0, () => 1, policy)).toBe(500);
    expect(backoffDelay(3, () => 0, policy)).toBe(2000);
    expect(backoffDelay(3, () => 1, policy)).toBe(4000);
    expect(backoffDelay(20, () => 1, policy)).toBe(30_000);
    expect(backoffDelay(20, () => 0, policy)).toBe(15_000);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(i % 10, Math.random, policy);
      expect(d).toBeGreaterThanOrEqual(Math.min(30_000, 500 * 2 ** (i % 10)) / 2);
      expect(d).toBeLessThanOrEqual(30_000);
    }
  });
});

describe('LiveClient', () => {
  it('connects without resume_from first, then resumes from the last applied seq after a drop', async () => {
    const { client, sockets, timers, events } = harness();
    client.start();
    await flush();
    expect(sockets[0]?.url).toBe('ws://127.0.0.1:8112/api/v1/ws');
    sockets[0]?.send({ seq: 10, at: 0, type: 'hello' });
    await flush();
    sockets[0]?.send({ seq: 11, at: 0, type: 'incident.created', incident_id: 'i1' });
    sockets[0]?.send({ seq: 12, at: 0, type: 'incident.updated', incident_id: 'i1' });
    expect(events.map((e) => e.seq)).toEqual([11, 12]);
    sockets[0]?.drop();
    expect(timers).toHaveLength(1);
    timers[0]?.fn();
    expect(sockets[1]?.url).toContain('resume_from=12');
  });

  it('ignores replayed events it has already applied', async () => {
    const { client, sockets, events } = harness();
    client.start();
    await flush();
    sockets[0]?.send({ seq: 1, at: 0, type: 'hello' });
    await flush();
    sockets[0]?.send({ seq: 2, at: 0, type: 'unit.status' });
    sockets[0]?.send({ seq: 2, at: 0, type: 'unit.status' });
    sockets[0]?.send({ seq: 1, at: 0, type: 'unit.status' });
    expect(events.map((e) => e.seq)).toEqual([2]);
  });

  it('a log event of a type it does not know reaches no page but moves the resume point; control frames reach no page', async () => {
    const { client, sockets, timers, events } = harness();
    client.start();
    await flush();
    sockets[0]?.send({ seq: 1, at: 0, type: 'hello' });
    await flush();
    sockets[0]?.send({ seq: 2, at: 0, type: 'unit.status', unit_id: 'u1', status: 'busy' });
    sockets[0]?.send({ seq: 3, at: 0, type: 'incident.merged', incident_id: 'a', into: 'b' });
    sockets[0]?.send({ at: 0, type: 'position_ack', unit_id: 'u1', position_at: 0 });
    sockets[0]?.send({ at: 0, type: 'error', code: 'validation_failed', message: 'lat out of range' });
    sockets[0]?.send({ type: 'server.notice' });
    expect(events.map((e) => e.type)).toEqual(['unit.status']);
    expect(client.lastSeq).toBe(3);
    expect(client.state).toBe('live');
    sockets[0]?.drop();
    timers[0]?.fn();
    expect(sockets[1]?.url).toContain('resume_from=3');
  });

  it('backs off more after each failed attempt and resets after hello', async () => {
    const { client, sockets, timers } = harness();
    client.start();
    await flush();
    sockets[0]?.drop();
    timers[0]?.fn();
    sockets[1]?.drop();
    timers[1]?.fn();
    sockets[2]?.drop();
    expect(timers.map((t) => t.ms)).toEqual([375, 750, 1500]);
    timers[2]?.fn();
    sockets[3]?.send({ seq: 1, at: 0, type: 'hello' });
    await flush();
    sockets[3]?.drop();
    expect(timers[3]?.ms).toBe(375);
  });

  it('on resync_required refetches the snapshot, buffers events meanwhile, and applies only newer ones', async () => {
    let snapshots = 0;
    let release: () => void = () => undefined;
    const { client, sockets, events, states } = harness(async () => {
      snapshots += 1;
      if (snapshots === 3) await new Promise<void>((r) => (release = r));
    });
    client.start();
    await flush();
    sockets[0]?.send({ seq: 5, at: 0, type: 'hello' });
    await flush();
    expect(snapshots).toBe(2);
    sockets[0]?.send({ seq: 100, at: 0, type: 'resync_required' });
    sockets[0]?.send({ seq: 99, at: 0, type: 'incident.updated' });
    sockets[0]?.send({ seq: 101, at: 0, type: 'incident.updated' });
    expect(events).toEqual([]);
    expect(states).toContain('resyncing');
    release();
    await flush();
    expect(events.map((e) => e.seq)).toEqual([101]);
    expect(client.state).toBe('live');
  });

  it('stops for good on a fatal error code', async () => {
    let fatal = '';
    const { client, sockets, timers } = harness();
    (client as unknown as { opts: { onFatal: (c: string) => void } }).opts.onFatal = (c) => (fatal = c);
    client.start();
    await flush();
    sockets[0]?.send({ seq: 0, at: 0, type: 'error', code: 'session_revoked' });
    expect(fatal).toBe('session_revoked');
    expect(client.state).toBe('closed');
    expect(timers).toHaveLength(0);
  });
});
