// A tiny observable store and a hook to read it in components.
import { useEffect, useState } from "preact/hooks";

export type Listener = () => void;

export class Store<T extends object> {
  private listeners = new Set<Listener>();
  constructor(public state: T) {}
  get(): T {
    return this.state;
  }
  set(patch: Partial<T>) {
    this.state = { ...this.state, ...patch };
    for (const l of [...this.listeners]) l();
  }
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/**
 * Re-renders the component whenever `store` changes.
 *
 * Preact runs effects after the next frame, so the store can change between
 * this render and the subscription (a server that answers before a slow first
 * paint): the effect compares the state this render saw with the current one
 * and re-renders if they differ, else that change would never be shown.
 */
export function useStore<T extends object>(store: Store<T>): T {
  const [, force] = useState(0);
  const seen = store.get();
  useEffect(() => {
    const off = store.subscribe(() => force((n) => n + 1));
    if (store.get() !== seen) force((n) => n + 1);
    return off;
  }, [store, seen]);
  return seen;
}
