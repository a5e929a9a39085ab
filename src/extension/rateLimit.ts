// Rate limit for crash notifications (no vscode import: unit-tested). A component that crash-loops
// must not bury the window in toasts: at most one toast per component per `perKeyMs`, and at most
// `maxPerWindow` toasts in any `windowMs`; what is held back is counted, and the next toast says so.

export interface RateLimitOptions {
  perKeyMs?: number;
  maxPerWindow?: number;
  windowMs?: number;
}

export interface Decision {
  show: boolean;
  /** Notifications held back since the last one shown (when show is true). */
  suppressed: number;
}

export class NotificationRateLimit {
  private readonly lastByKey = new Map<string, number>();
  private shown: number[] = [];
  private held = 0;
  private readonly perKeyMs: number;
  private readonly maxPerWindow: number;
  private readonly windowMs: number;

  constructor(options: RateLimitOptions = {}, private readonly now: () => number = Date.now) {
    this.perKeyMs = options.perKeyMs ?? 60_000;
    this.maxPerWindow = Math.max(1, options.maxPerWindow ?? 3);
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** Whether a notification about `key` may be shown now (and records it if so). */
  check(key: string): Decision {
    const t = this.now();
    this.shown = this.shown.filter((s) => t - s < this.windowMs);
    const last = this.lastByKey.get(key);
    if ((last !== undefined && t - last < this.perKeyMs) || this.shown.length >= this.maxPerWindow) {
      this.held++;
      return { show: false, suppressed: 0 };
    }
    this.lastByKey.set(key, t);
    if (this.lastByKey.size > 1000) this.lastByKey.delete(this.lastByKey.keys().next().value!);
    this.shown.push(t);
    const suppressed = this.held;
    this.held = 0;
    return { show: true, suppressed };
  }
}
