// Coalesces bursts of "something changed" into few calls: a trailing debounce with a max wait, so a
// steady stream of events still produces an update every `maxWaitMs` (at most ~1000/maxWait per second).
// Pure timers, no vscode: unit-testable. trigger() is O(1) and allocation-free: it only notes the time;
// one timer per pending burst re-arms itself for the rest of the quiet period (no clearTimeout/setTimeout
// per event, which matters at ~1,000 heartbeats/s).

export interface Coalescer {
  /** Note a change; `fn` runs after `debounceMs` of quiet, or at most `maxWaitMs` after the first change. */
  trigger(): void;
  /** Run now if something is pending. */
  flush(): void;
  /** True while a change waits to be delivered. */
  readonly pending: boolean;
  dispose(): void;
}

export function coalesce(fn: () => void, debounceMs: number, maxWaitMs: number): Coalescer {
  let timer: NodeJS.Timeout | undefined;
  let pending = false;
  let disposed = false;
  let firstAt = 0;
  let lastAt = 0;

  const clear = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const fire = () => {
    clear();
    if (!pending || disposed) return;
    pending = false;
    fn();
  };
  const onTimer = () => {
    timer = undefined;
    if (!pending || disposed) return;
    const now = performance.now();
    const quietLeft = lastAt + debounceMs - now;
    const maxLeft = firstAt + maxWaitMs - now;
    const wait = Math.min(quietLeft, maxLeft);
    if (wait > 1) timer = setTimeout(onTimer, wait);
    else fire();
  };

  return {
    trigger() {
      if (disposed) return;
      const now = performance.now();
      lastAt = now;
      if (!pending) {
        pending = true;
        firstAt = now;
      }
      if (!timer) timer = setTimeout(onTimer, Math.min(debounceMs, maxWaitMs));
    },
    flush: fire,
    get pending() {
      return pending;
    },
    dispose() {
      disposed = true;
      pending = false;
      clear();
    },
  };
}
