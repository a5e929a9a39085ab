// A tiny typed event stream: listeners get a disposer back, errors in one listener do not stop others.

export type Listener<T> = (event: T) => void;

export interface Disposable {
  dispose(): void;
}

export class Emitter<T> {
  private listeners = new Set<Listener<T>>();

  /** Subscribe; call dispose() on the result to unsubscribe. */
  on(listener: Listener<T>): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  emit(event: T): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // A broken consumer must not break the producer (or the other consumers).
        console.error('flowctl: event listener failed:', err);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }

  clear(): void {
    this.listeners.clear();
  }
}
