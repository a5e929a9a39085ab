// The life of one supervised component, whatever runs it: start, a graceful stop, a restart the user asks
// for, automatic restarts by policy with backoff, the output ring and log file, and the events the runner
// follows. A process (supervisor/process.ts) and a container (drivers/dockerContainer.ts) fill in how
// an attempt is launched and ended.
import { Emitter } from '../typedEmitter';
import type { ComponentHandle } from '../drivers/types';
import { stripAnsi } from './lines';
import { LogFile } from './logFile';
import { checkedRestartPolicy, LineRing, RestartBackoff, type BackoffOptions, type RestartPolicy } from './restartPolicy';

export type ProcessState = 'idle' | 'running' | 'backoff' | 'exited' | 'stopping' | 'stopped';

export type ProcessEvent =
  | { type: 'spawned'; pid: number; attempt: number }
  | { type: 'line'; stream: 'stdout' | 'stderr'; line: string; time: number }
  | {
      type: 'exited';
      code: number | null;
      signal: string | null;
      willRestart: boolean;
      /** Delay before the automatic restart (0 for a restart() the user asked for). */
      restartInMs?: number;
      restarts: number;
      pid?: number;
    }
  /** The process could not be started (no pid); state becomes 'exited'. No `exited` event follows. */
  | { type: 'spawnError'; message: string }
  | { type: 'stopped' };

/** One launch of the component (a spawned process, a created container). */
export interface Attempt {
  startedAt: number;
  pid?: number;
  /** Resolves once the exit has been handled (state/events updated). */
  exited: Promise<void>;
  hasExited: boolean;
}

export interface SupervisedOptions {
  restartPolicy?: RestartPolicy;
  backoff?: BackoffOptions;
  /** Most automatic restarts in a row (reset by start()/restart()); unlimited when undefined. */
  maxRestarts?: number;
  /** Lines kept for tail() (default 200). */
  tailLines?: number;
  /** Lines are appended here, timestamped, with ANSI stripped. */
  logFile?: string;
}

export abstract class SupervisedHandle<A extends Attempt> implements ComponentHandle {
  readonly events = new Emitter<ProcessEvent>();
  readonly id: string;
  protected readonly policy: RestartPolicy;
  protected _state: ProcessState = 'idle';
  /** The latest attempt (kept after it exited, until the next launch). */
  protected current?: A;
  /** Attempts launched so far. */
  protected attempt = 0;
  protected _exitCode: number | null = null;
  protected _exitSignal: string | null = null;
  protected _startedAt?: number;
  /** stop() or restart() asked for the current attempt's end: its exit is not the policy's business. */
  protected stopRequested = false;
  /** The current attempt is ending for a restart() the user asked for. */
  private userRestarting = false;
  private _restarts = 0;
  private backoffTimer?: NodeJS.Timeout;
  private stopSeq = 0;
  private stopping?: Promise<void>;
  private restarting?: Promise<void>;
  protected readonly log?: LogFile;
  private readonly ring: LineRing;
  private readonly restartBackoff: RestartBackoff;

  constructor(id: string, opts: SupervisedOptions) {
    this.id = id;
    this.policy = checkedRestartPolicy(id, opts.restartPolicy);
    this.restartBackoff = new RestartBackoff(id, this.policy, opts.backoff, opts.maxRestarts);
    this.ring = new LineRing(opts.tailLines ?? 200);
    if (opts.logFile) this.log = new LogFile(opts.logFile);
  }

  // --- what a kind of component fills in ------------------------------------------------------------

  abstract get pid(): number | undefined;
  abstract kill(): void;
  /** Starts a new attempt: sets `current`, `attempt` and the state; failures end in spawnFailed(). */
  protected abstract launch(): void;
  /** Ends a live attempt: graceful, then forced after `graceMs`. */
  protected abstract terminate(att: A, graceMs: number): Promise<void>;
  /** No attempt lives: ends what an earlier one may have left (true when something was found). */
  protected async endRemains(_graceMs: number, _forStop: boolean): Promise<boolean> {
    return false;
  }
  /** Nothing of any attempt is left, nothing is being cleaned up (a stop() would have nothing to do). */
  protected nothingLeft(): boolean {
    return !this.current || this.current.hasExited;
  }
  /**
   * Waits for the clean-up of ended attempts before a new launch (helpers left in a process group) and, with
   * `forStop`, for all of it before stop() resolves (containers being removed too).
   */
  protected cleanedUp(_forStop: boolean): Promise<unknown> {
    return Promise.resolve();
  }
  /** An attempt ended on its own, before the policy decides: the place to end what it left behind. */
  protected onUnrequestedExit(_att: A): void {}
  /** Resolves once the attempt just launched runs (or failed to). */
  protected launched(): Promise<void> {
    return Promise.resolve();
  }

  // --- the shared life ------------------------------------------------------------------------------

  get state(): ProcessState {
    return this._state;
  }
  get restarts(): number {
    return this._restarts;
  }
  get exitCode(): number | null {
    return this._exitCode;
  }
  get exitSignal(): string | null {
    return this._exitSignal;
  }
  /** Epoch ms of the latest start. */
  get startedAt(): number | undefined {
    return this._startedAt;
  }
  get logFileError(): string | undefined {
    return this.log?.error;
  }

  /** Last `n` output lines (ANSI kept), oldest first. */
  tail(n?: number): string[] {
    return this.ring.tail(n);
  }

  /** Starts the component (no-op when it runs or waits to restart). Failures arrive as a spawnError event. */
  start(): void {
    if (this._state === 'running' || this._state === 'backoff') return;
    if (this._state === 'stopping') throw new Error(`component ${this.id} is stopping; wait for stop() before start()`);
    this.stopRequested = false;
    this.restartBackoff.begin();
    this.launch();
  }

  /** Graceful stop (forced after `graceMs`); cancels a pending restart. Resolves when nothing of it is left. */
  stop(graceMs = 10_000): Promise<void> {
    this.stopSeq++;
    this.stopRequested = true;
    this.cancelBackoff();
    if (this.stopping) return this.stopping;
    if (this._state === 'stopped' && this.nothingLeft() && !this.restarting) return Promise.resolve(); // idempotent
    const wasStopped = this._state === 'stopped';
    const p = (async () => {
      if (this.restarting) await this.restarting.catch(() => undefined);
      this.stopRequested = true;
      this.cancelBackoff();
      const att = this.current;
      let acted = false;
      if (att && !att.hasExited) {
        this._state = 'stopping';
        acted = true;
        await this.terminate(att, graceMs);
      } else {
        acted = await this.endRemains(graceMs, true);
      }
      await this.cleanedUp(true).catch(() => undefined);
      if (this.log) await this.log.close();
      this._state = 'stopped';
      // Already stopped, and nothing but clean-up was left: nothing happened, say nothing.
      if (!wasStopped || acted) this.events.emit({ type: 'stopped' });
    })();
    const wrapped = p.finally(() => {
      if (this.stopping === wrapped) this.stopping = undefined;
    });
    this.stopping = wrapped;
    return wrapped;
  }

  /**
   * Stops the current attempt (if any) and starts again now; resets the backoff. Concurrent calls share one
   * restart; a stop() meanwhile wins. Resolves once the new attempt runs (or failed to start).
   */
  restart(graceMs = 10_000): Promise<void> {
    if (this.restarting) return this.restarting;
    const p = (async () => {
      if (this.stopping) await this.stopping.catch(() => undefined);
      const seq = this.stopSeq;
      this.cancelBackoff();
      this.stopRequested = true;
      const att = this.current;
      const hadRun = this.attempt > 0;
      if (att && !att.hasExited) {
        this._state = 'stopping';
        this.userRestarting = true;
        try {
          await this.terminate(att, graceMs);
        } finally {
          this.userRestarting = false;
        }
      } else {
        await this.endRemains(graceMs, false);
      }
      await this.cleanedUp(false).catch(() => undefined);
      if (seq !== this.stopSeq) return; // stop() was called meanwhile: it wins
      this.stopRequested = false;
      this.restartBackoff.begin();
      if (hadRun) this._restarts++;
      this.launch();
      await this.launched();
    })();
    const wrapped = p.finally(() => {
      if (this.restarting === wrapped) this.restarting = undefined;
    });
    this.restarting = wrapped;
    return wrapped;
  }

  /** An output line: kept for tail(), written to the log file with a timestamp (like `docker logs -t`), emitted. */
  protected onLine(stream: 'stdout' | 'stderr', line: string): void {
    this.ring.push(line);
    const time = Date.now();
    this.log?.write(`${new Date(time).toISOString()} ${stripAnsi(line)}`);
    this.events.emit({ type: 'line', stream, line, time });
  }

  /** The attempt could not start: state 'exited' (unless stopping), one spawnError event. */
  protected reportSpawnFailure(message: string): void {
    this._exitCode = null;
    this._exitSignal = null;
    if (this._state !== 'stopped' && this._state !== 'stopping') {
      this._state = 'exited';
      this.log?.write(`--- ${new Date().toISOString()} failed to start: ${message} ---`);
    }
    this.events.emit({ type: 'spawnError', message });
  }

  /** The attempt ended (`what` describes it for the log file): a restart by policy after its backoff, or it stays down. */
  protected onExit(att: A, code: number | null, signal: string | null, what: string): void {
    att.hasExited = true;
    this._exitCode = code;
    this._exitSignal = signal;
    const uptime = Date.now() - att.startedAt;
    this.log?.write(`--- ${new Date().toISOString()} ${what} ---`);
    const base = { type: 'exited' as const, code, signal, restarts: this._restarts, pid: att.pid };
    if (this.stopRequested) {
      // stop()/restart() drive what happens next.
      const userRestart = this.userRestarting;
      this.events.emit({ ...base, willRestart: userRestart, ...(userRestart ? { restartInMs: 0 } : {}) });
      return;
    }
    this.onUnrequestedExit(att);
    const wait = this.restartBackoff.onExit(code, signal, uptime);
    if (wait !== undefined) {
      this._state = 'backoff';
      this.backoffTimer = setTimeout(() => void this.autoRestart(), wait);
      this.events.emit({ ...base, willRestart: true, restartInMs: wait });
    } else {
      this._state = 'exited';
      this.events.emit({ ...base, willRestart: false });
    }
  }

  private async autoRestart(): Promise<void> {
    this.backoffTimer = undefined;
    if (this._state !== 'backoff' || this.stopRequested) return;
    await this.cleanedUp(false).catch(() => undefined);
    if (this._state !== 'backoff' || this.stopRequested) return;
    this._restarts++;
    this.restartBackoff.restarted();
    this.launch();
  }

  private cancelBackoff(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
  }
}
