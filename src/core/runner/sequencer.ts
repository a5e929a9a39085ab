// Start order: a component starts as soon as every component in its `depends_on` has registered, and
// every component that is ready starts AT ONCE. `inputs` do not order start-up: the data plane wires
// an edge when both of its ends have registered, whichever comes first.

export interface SequencerHooks {
  /** Ids in `depends_on` (known components only, not itself). */
  dependsOn(id: string): string[];
  /** Registered (or, for black-box components that never register, started). */
  isReady(id: string): boolean;
  /** Starts the component now. */
  launch(id: string): void;
  /** Reports what a held component still waits for (empty list when it is launched). */
  waiting(id: string, on: string[]): void;
}

export class Sequencer {
  private readonly held = new Set<string>();

  constructor(private readonly hooks: SequencerHooks) {}

  /** Starts these components when their depends_on are ready (at once when they already are). */
  request(ids: string[]): void {
    for (const id of ids) this.held.add(id);
    this.update();
  }

  /** Call after any registration: launches everything that became ready, in one go. */
  update(): void {
    const ready: string[] = [];
    for (const id of this.held) {
      const pending = this.hooks.dependsOn(id).filter((d) => !this.hooks.isReady(d));
      if (pending.length === 0) ready.push(id);
      else this.hooks.waiting(id, pending);
    }
    for (const id of ready) {
      this.held.delete(id);
      this.hooks.waiting(id, []);
    }
    for (const id of ready) this.hooks.launch(id);
  }

  /** Forgets a component (stopped by hand before it started, or removed from the file). */
  cancel(id: string): void {
    this.held.delete(id);
  }

  /** The run is ending: nothing more starts. */
  halt(): void {
    this.held.clear();
  }

  /** Components still held back. */
  pending(): string[] {
    return [...this.held];
  }
}
