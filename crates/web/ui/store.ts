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

/** Re-renders the component whenever `store` changes. */
export function useStore<T extends object>(store: Store<T>): T {
  const [, force] = useState(0);
  useEffect(() => store.subscribe(() => force((n) => n + 1)), [store]);
  return store.get();
}
