// Batches "this component changed" notes of one run into few deliveries: with a thousand components
// heartbeating every second, the run gets ~1,000 component changes a second (plus one for every
// component on each metrics tick). Delivering each one on its own fired every model listener (tree,
// status bar, lenses, graph, context keys, Runs view…) a thousand times a second; here a burst becomes
// one delivery of the distinct ids, at most every `intervalMs`. Pure timers, no vscode: unit-testable.
// add() is O(1) (a set insert; one timer per pending batch, never re-armed per note).

export class ComponentBatch {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Deliveries made (for tests and figures). */
  deliveries = 0;

  constructor(
    private readonly deliver: (ids: readonly string[]) => void,
    private readonly intervalMs = 50,
  ) {}

  /** Notes a changed component; it is delivered within `intervalMs`, once however often it changed meanwhile. */
  add(id: string): void {
    if (this.disposed) return;
    this.pending.add(id);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Changes noted and not delivered yet. */
  get size(): number {
    return this.pending.size;
  }

  /** Forgets what is pending (a change of the whole source is about to be announced, which covers it). */
  clear(): void {
    this.pending.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Delivers what is pending now (nothing when nothing is). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.disposed || this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending.clear();
    this.deliveries++;
    this.deliver(ids);
  }

  dispose(): void {
    this.clear();
    this.disposed = true;
  }
}
