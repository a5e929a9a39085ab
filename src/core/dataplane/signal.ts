// A wake-up call for waiters: wait() resolves on the next fire(). Used to pause an upstream until
// whatever blocked it (a full downstream stream, a full held buffer) changes.
export class Signal {
  private waiters: Array<() => void> = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  fire(): void {
    if (this.waiters.length === 0) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}
