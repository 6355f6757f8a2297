//! A page's state holder: one immutable state value, replaced through pure transition functions (each page's
//! `state.ts`), and listeners told the next and the previous value so each view redraws only what changed.
//! It owns no DOM and does no I/O.

export type Listener<S> = (next: S, prev: S) => void;

export interface Store<S> {
  get(): S;
  /** Replaces the state with `change(state)`; listeners hear of it unless the value is the same object. */
  update(change: (state: S) => S): S;
  subscribe(listener: Listener<S>): void;
}

export function createStore<S>(initial: S): Store<S> {
  let state = initial;
  let delivered = initial;
  let notifying = false;
  const listeners: Listener<S>[] = [];
  return {
    get: () => state,
    update(change) {
      state = change(state);
      // An update made by a listener is delivered after the current round, so every listener sees the same
      // sequence of (next, prev) pairs and none sees a pair out of order.
      if (notifying) return state;
      notifying = true;
      try {
        while (delivered !== state) {
          const prev = delivered;
          const next = state;
          delivered = next;
          for (const listener of listeners) listener(next, prev);
        }
      } finally {
        notifying = false;
      }
      return state;
    },
    subscribe(listener) {
      listeners.push(listener);
    },
  };
}
