// Which replica of a replicated component gets an event: round-robin per event among the replicas whose
// stream takes events now, or by the event's key (the same key always goes to the same replica, so its
// events keep their order) when the component declares one.
import { keyHash } from './eventKey';

export class Spreader {
  private next = 0;

  /**
   * `members` in a stable order (the replicas' ids sorted); `ready(i)` says whether member i takes events
   * now. Without a key: the next ready member in turn (when none is ready, the next member in turn holds
   * it). With a key: member hash(key) mod n, ready or not (its events wait for it rather than change replica).
   */
  pick(count: number, ready: (i: number) => boolean, key?: string): number {
    if (count <= 1) return 0;
    if (key !== undefined) return keyHash(key) % count;
    for (let tries = 0; tries < count; tries++) {
      const i = this.next++ % count;
      if (ready(i)) return i;
    }
    return this.next++ % count;
  }
}
