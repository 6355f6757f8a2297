import { describe, expect, it } from 'vitest';
import { createStore } from './store';

describe('page store', () => {
  it('tells listeners the next and previous state, and nothing when the state is unchanged', () => {
    const store = createStore({ n: 0 });
    const seen: [number, number][] = [];
    store.subscribe((next, prev) => seen.push([next.n, prev.n]));
    store.update((s) => ({ n: s.n + 1 }));
    store.update((s) => s);
    expect(seen).toEqual([[1, 0]]);
    expect(store.get().n).toBe(1);
  });

  it('delivers an update made by a listener after the current round, in order, to every listener', () => {
    const store = createStore({ n: 0 });
    const first: [number, number][] = [];
    const second: [number, number][] = [];
    store.subscribe((next, prev) => {
      first.push([next.n, prev.n]);
      if (next.n === 1) store.update((s) => ({ n: s.n + 1 }));
    });
    store.subscribe((next, prev) => second.push([next.n, prev.n]));
    store.update(() => ({ n: 1 }));
    expect(first).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect(second).toEqual(first);
  });
});
