import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxEntry, type SendResult, openIdbStore } from './outbox';

function entry(status: string): Omit<OutboxEntry, 'id' | 'created_at'> {
  return { method: 'POST', path: '/api/v1/assignments/a1/status', body: { status }, idempotency_key: `key-${status}`, label: status };
}

let n = 0;
/** Each test gets its own empty database. */
function freshStore() {
  n += 1;
  return openIdbStore(`siaga-outbox-test-${n}`);
}

describe('outbox', () => {
  it('sends queued taps in the order they were made, each once, with its own idempotency key', async () => {
    const sent: string[] = [];
    const outbox = new Outbox(await freshStore(), async (e) => {
      sent.push(`${(e.body as { status: string }).status}:${e.idempotency_key}`);
      return { ok: true };
    });
    await outbox.enqueue(entry('acknowledged'));
    await outbox.enqueue(entry('en_route'));
    await outbox.enqueue(entry('on_scene'));
    const report = await outbox.flush();
    expect(sent).toEqual(['acknowledged:key-acknowledged', 'en_route:key-en_route', 'on_scene:key-on_scene']);
    expect(report).toMatchObject({ sent: 3, remaining: 0 });
    expect(await outbox.pending()).toEqual([]);
  });

  it('keeps the head and everything after it when the network is down, and resumes in order', async () => {
    let online = false;
    const sent: string[] = [];
    const outbox = new Outbox(await freshStore(), async (e): Promise<SendResult> => {
      if (!online) return { ok: false, retryable: true, code: 'network_error' };
      sent.push((e.body as { status: string }).status);
      return { ok: true };
    });
    await outbox.enqueue(entry('acknowledged'));
    await outbox.enqueue(entry('en_route'));
    expect(await outbox.flush()).toMatchObject({ sent: 0, remaining: 2 });
    expect(sent).toEqual([]);
    online = true;
    expect(await outbox.flush()).toMatchObject({ sent: 2, remaining: 0 });
    expect(sent).toEqual(['acknowledged', 'en_route']);
  });

  it('drops and reports a refused entry so it cannot wedge the queue', async () => {
    const outbox = new Outbox(await freshStore(), async (e): Promise<SendResult> =>
      (e.body as { status: string }).status === 'bad' ? { ok: false, retryable: false, code: 'invalid_transition' } : { ok: true },
    );
    await outbox.enqueue(entry('bad'));
    await outbox.enqueue(entry('en_route'));
    const report = await outbox.flush();
    expect(report.sent).toBe(1);
    expect(report.refused.map((r) => r.code)).toEqual(['invalid_transition']);
    expect(report.remaining).toBe(0);
  });

  it('never runs two flushes at once, so no entry is sent twice', async () => {
    const sent: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const outbox = new Outbox(await freshStore(), async (e) => {
      await gate;
      sent.push((e.body as { status: string }).status);
      return { ok: true };
    });
    await outbox.enqueue(entry('acknowledged'));
    const a = outbox.flush();
    const b = outbox.flush();
    release();
    await Promise.all([a, b]);
    expect(sent).toEqual(['acknowledged']);
  });
});
