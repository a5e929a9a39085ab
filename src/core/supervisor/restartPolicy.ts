// What a component's process and its container share: the restart policy with exponential backoff (when
// an exit is restarted, after how long, and when the run of failures starts again), the ring of its last
// output lines (both pure: no processes, no timers), and two small promise helpers for waiting on exits.

import { RESTART_POLICIES, type RestartPolicy } from '../pipeline/shape';

export { RESTART_POLICIES, type RestartPolicy };

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Uptime after which the backoff starts again from initialMs (default 10 s). */
  resetAfterMs?: number;
}

export const BACKOFF_DEFAULTS: Required<BackoffOptions> = { initialMs: 500, maxMs: 30_000, factor: 2, resetAfterMs: 10_000 };

/** The policy of component `id`, checked: 'no' when left out; an unknown name throws. */
export function checkedRestartPolicy(id: string, policy: string | undefined): RestartPolicy {
  const p = (policy ?? 'no') as RestartPolicy;
  if (!RESTART_POLICIES.includes(p)) {
    throw new Error(`component ${id}: unknown restart policy "${policy}" (use ${RESTART_POLICIES.join(', ')})`);
  }
  return p;
}

/**
 * Decides the restarts of one component after its exits. `begin()` when the user starts or restarts it
 * (the backoff and the restart cap start again); `onExit()` for an exit nobody asked for: a wait in ms
 * before the automatic restart, or undefined when the policy (or maxRestarts) says it stays down;
 * `restarted()` when that automatic restart happens.
 */
export class RestartBackoff {
  readonly backoff: Required<BackoffOptions>;
  private failuresInRow = 0;
  private autoRestarts = 0;

  constructor(
    id: string,
    private readonly policy: RestartPolicy,
    backoff: BackoffOptions | undefined,
    /** Most automatic restarts in a row; unlimited when undefined. */
    private readonly maxRestarts?: number,
  ) {
    const b = backoff ?? {};
    this.backoff = {
      initialMs: b.initialMs ?? BACKOFF_DEFAULTS.initialMs,
      maxMs: b.maxMs ?? BACKOFF_DEFAULTS.maxMs,
      factor: b.factor ?? BACKOFF_DEFAULTS.factor,
      resetAfterMs: b.resetAfterMs ?? BACKOFF_DEFAULTS.resetAfterMs,
    };
    const { initialMs, maxMs, factor, resetAfterMs } = this.backoff;
    if (!(initialMs >= 0 && maxMs >= 0 && factor >= 1 && resetAfterMs >= 0)) {
      throw new Error(`component ${id}: backoff needs initialMs >= 0, maxMs >= 0, factor >= 1, resetAfterMs >= 0`);
    }
  }

  begin(): void {
    this.failuresInRow = 0;
    this.autoRestarts = 0;
  }

  /** An exit the user did not ask for, after `uptimeMs` of running: ms to wait before restarting, or undefined. */
  onExit(code: number | null, signal: string | null, uptimeMs: number): number | undefined {
    const failed = code !== 0 || signal !== null;
    const wants = this.policy === 'always' || this.policy === 'unless-stopped' || (this.policy === 'on-failure' && failed);
    const capped = this.maxRestarts !== undefined && this.autoRestarts >= this.maxRestarts;
    // A process that ran long enough was healthy: its next failure waits the initial time again.
    if (uptimeMs >= this.backoff.resetAfterMs) this.failuresInRow = 0;
    if (!wants || capped) return undefined;
    const { initialMs, maxMs, factor } = this.backoff;
    const wait = Math.min(maxMs, Math.round(initialMs * Math.pow(factor, this.failuresInRow)));
    this.failuresInRow++;
    return wait;
  }

  restarted(): void {
    this.autoRestarts++;
  }
}

/** The last `capacity` lines (at least 1), oldest first. */
export class LineRing {
  private readonly lines: string[] = [];
  private start = 0;
  readonly capacity: number;

  constructor(capacity = 200) {
    this.capacity = Math.max(1, Math.floor(capacity) || 1);
  }

  push(line: string): void {
    if (this.lines.length < this.capacity) this.lines.push(line);
    else {
      this.lines[this.start] = line;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The last `n` lines (all kept when n is larger), oldest first. */
  tail(n = this.capacity): string[] {
    const all = this.lines.length < this.capacity ? this.lines.slice() : [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
    return n >= all.length ? all : all.slice(all.length - Math.max(0, n));
  }
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves true when `p` settles within `ms`, false otherwise. Its timer ends with it (nothing left to keep a process up). */
export function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms))));
  return Promise.race([p.then(() => true), timeout]).finally(() => clearTimeout(timer));
}
