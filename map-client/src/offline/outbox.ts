//! The responder's outbox: status taps are written to IndexedDB first and sent strictly in order, each with
//! the `Idempotency-Key` it was given when tapped. A tap made offline therefore survives a reload or an app
//! restart, and a request that reached the server but whose answer was lost is replayed safely.
//!
//! Ordering rule: the head entry blocks the queue. A retryable failure (network, 5xx, 429) stops the flush and
//! keeps the entry; a final refusal (4xx) removes it and reports it, so one refused tap cannot wedge the
//! phone. Only one flush runs at a time.

import { openDB, type IDBPDatabase } from 'idb';

export interface OutboxEntry {
  /** Auto-increment key: the order taps were made in. */
  id?: number;
  method: 'POST' | 'PATCH';
  path: string;
  body: unknown;
  idempotency_key: string;
  /** Shown to the user if the server refuses the entry. */
  label: string;
  created_at: number;
}

/** The outcome of sending one entry. */
export type SendResult = { ok: true } | { ok: false; retryable: boolean; code: string };

export type Sender = (entry: OutboxEntry) => Promise<SendResult>;

/** Storage behind the outbox; IndexedDB in the browser, a fake in tests. */
export interface OutboxStore {
  add(entry: OutboxEntry): Promise<number>;
  /** All entries, oldest first. */
  all(): Promise<OutboxEntry[]>;
  delete(id: number): Promise<void>;
}

const DB_NAME = 'siaga-outbox';
const STORE = 'entries';

/** The IndexedDB store (one object store, auto-increment keys, which IndexedDB returns in key order). */
export async function openIdbStore(name = DB_NAME): Promise<OutboxStore> {
  const db: IDBPDatabase = await openDB(name, 1, {
    upgrade(d) {
      d.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    },
  });
  return {
    add: async (entry) => Number(await db.add(STORE, entry)),
    all: async () => (await db.getAll(STORE)) as OutboxEntry[],
    delete: async (id) => db.delete(STORE, id),
  };
}

export interface FlushReport {
  sent: number;
  refused: { entry: OutboxEntry; code: string }[];
  remaining: number;
}

export class Outbox {
  private readonly store: OutboxStore;
  private readonly send: Sender;
  private running: Promise<FlushReport> | null = null;
  private again = false;

  constructor(store: OutboxStore, send: Sender) {
    this.store = store;
    this.send = send;
  }

  async enqueue(entry: Omit<OutboxEntry, 'id' | 'created_at'> & { created_at?: number }): Promise<number> {
    return this.store.add({ ...entry, created_at: entry.created_at ?? Date.now() });
  }

  async pending(): Promise<OutboxEntry[]> {
    return this.store.all();
  }

  /**
   * Sends queued entries in order until the queue is empty or a retryable failure stops it. A flush requested
   * while one runs is folded into a second pass of the running flush.
   */
  flush(): Promise<FlushReport> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async drain(): Promise<FlushReport> {
    const report: FlushReport = { sent: 0, refused: [], remaining: 0 };
    do {
      this.again = false;
      const entries = await this.store.all();
      for (const entry of entries) {
        const result = await this.send(entry);
        if (result.ok) {
          await this.store.delete(entry.id as number);
          report.sent += 1;
          continue;
        }
        if (result.retryable) {
          report.remaining = (await this.store.all()).length;
          return report;
        }
        await this.store.delete(entry.id as number);
        report.refused.push({ entry, code: result.code });
      }
    } while (this.again);
    report.remaining = (await this.store.all()).length;
    return report;
  }
}
