// Coalesces bursts of "something changed" into few calls: a trailing debounce with a max wait, so a
// steady stream of events still produces an update every `maxWaitMs` (at most ~1000/maxWait per second).
// Pure timers, no vscode: unit-testable.

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
  let debounceTimer: NodeJS.Timeout | undefined;
  let maxTimer: NodeJS.Timeout | undefined;
  let pending = false;
  let disposed = false;

  const clear = () => {
    if (debounceTimer) clearTimeout(debounceTimer);
    if (maxTimer) clearTimeout(maxTimer);
    debounceTimer = maxTimer = undefined;
  };
  const fire = () => {
    clear();
    if (!pending || disposed) return;
    pending = false;
    fn();
  };

  return {
    trigger() {
      if (disposed) return;
      pending = true;
      if (debounceTimer) clearTimeout(debounceTimer);
      debounceTimer = setTimeout(fire, debounceMs);
      if (!maxTimer) maxTimer = setTimeout(fire, maxWaitMs);
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
