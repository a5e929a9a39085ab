// One component's process: spawned (node:child_process) in its own process group, output split into lines
// (kept with ANSI for terminals, stripped for the log file), restarted by policy with exponential
// backoff, stopped gracefully (SIGTERM to the group, then SIGKILL).
import * as fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { Emitter } from '../typedEmitter';
import { LineSplitter, stripAnsi } from './lines';
import { LogFile } from './logFile';
import type { ComponentHandle } from '../drivers/types';
import { groupAlive, groupExists, processStartTime, signalGroup, terminateGroup, waitGroupGone } from './procfs';
import { checkedRestartPolicy, LineRing, RestartBackoff, within, type BackoffOptions, type RestartPolicy } from './restartPolicy';

export { RESTART_POLICIES, type BackoffOptions, type RestartPolicy } from './restartPolicy';

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

export interface ManagedProcessSpec {
  id: string;
  /** Program and its first arguments, e.g. ['node', 'server.js']. */
  command: string[];
  /** Appended after command[1..]. */
  args?: string[];
  cwd: string;
  /** The complete environment (nothing from process.env is added). */
  env: Record<string, string>;
  restartPolicy?: RestartPolicy;
  /** Lines are appended here with ANSI stripped. */
  logFile?: string;
  backoff?: BackoffOptions;
  /** Most automatic restarts in a row (reset by start()/restart()); unlimited when undefined. */
  maxRestarts?: number;
  /** Lines kept for tail() (default 200). */
  tailLines?: number;
}

interface Run {
  pid: number;
  pgid: number;
  attempt: number;
  startedAt: number;
  startTimeTicks?: number;
  /** Resolves once the exit has been handled (state/events updated). */
  exited: Promise<void>;
  hasExited: boolean;
}

/** Characters waiting for the log file's disk write beyond which the component's output is read no further. */
const LOG_BACKLOG_LIMIT = 8 * 1024 * 1024;

export class ManagedProcess implements ComponentHandle {
  readonly events = new Emitter<ProcessEvent>();
  readonly id: string;
  readonly spec: Readonly<ManagedProcessSpec>;

  private _state: ProcessState = 'idle';
  private run?: Run;
  private lastPgid?: number;
  private attempt = 0;
  private _restarts = 0;
  private _exitCode: number | null = null;
  private _exitSignal: string | null = null;
  private _startedAt?: number;
  private backoffTimer?: NodeJS.Timeout;
  private stopRequested = false;
  private userRestarting = false;
  private stopSeq = 0;
  private stopping?: Promise<void>;
  private restarting?: Promise<void>;
  private leftovers: Promise<unknown> = Promise.resolve();
  private readonly log?: LogFile;
  private readonly ring: LineRing;
  private readonly restartBackoff: RestartBackoff;

  constructor(spec: ManagedProcessSpec) {
    if (!spec || typeof spec.id !== 'string' || !spec.id) throw new Error('ManagedProcess: id is required');
    if (!Array.isArray(spec.command) || spec.command.length === 0 || !spec.command[0]) {
      throw new Error(`component ${spec.id}: command must be a non-empty array of strings`);
    }
    if (!spec.cwd) throw new Error(`component ${spec.id}: cwd is required`);
    const policy = checkedRestartPolicy(spec.id, spec.restartPolicy);
    this.id = spec.id;
    this.spec = { ...spec, restartPolicy: policy };
    this.restartBackoff = new RestartBackoff(spec.id, policy, spec.backoff, spec.maxRestarts);
    this.ring = new LineRing(spec.tailLines ?? 200);
    if (spec.logFile) this.log = new LogFile(spec.logFile);
  }

  get state(): ProcessState {
    return this._state;
  }
  /** Pid of the running process (undefined when none runs). */
  get pid(): number | undefined {
    return this.run && !this.run.hasExited ? this.run.pid : undefined;
  }
  /** Process group of the running process (equal to its pid). */
  get pgid(): number | undefined {
    return this.pid === undefined ? undefined : this.run!.pgid;
  }
  /** /proc start time of the running process (Linux), used to recognise it later. */
  get startTimeTicks(): number | undefined {
    return this.pid === undefined ? undefined : this.run!.startTimeTicks;
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
  /** Epoch ms of the latest spawn. */
  get startedAt(): number | undefined {
    return this._startedAt;
  }
  get logFile(): string | undefined {
    return this.spec.logFile;
  }
  get logFileError(): string | undefined {
    return this.log?.error;
  }

  /** Last `n` output lines (ANSI kept), oldest first. */
  tail(n?: number): string[] {
    return this.ring.tail(n);
  }

  /** Spawns the process (no-op when it runs or waits to restart). Failures arrive as a spawnError event. */
  start(): void {
    if (this._state === 'running' || this._state === 'backoff') return;
    if (this._state === 'stopping') throw new Error(`component ${this.id} is stopping; wait for stop() before start()`);
    this.stopRequested = false;
    this.restartBackoff.begin();
    this.spawnOnce();
  }

  /**
   * SIGTERM to the process group, SIGKILL to what is left after `graceMs`; cancels a pending restart.
   * Resolves when every process of the group is gone.
   */
  stop(graceMs = 10_000): Promise<void> {
    this.stopSeq++;
    this.stopRequested = true;
    this.cancelBackoff();
    if (this.stopping) return this.stopping;
    // kill(-pgid, 0) only: no /proc scan here (a large pipeline stops every component at once).
    const nothingLeft = !this.pid && (this.lastPgid === undefined || !groupExists(this.lastPgid));
    if (this._state === 'stopped' && nothingLeft && !this.restarting) return Promise.resolve(); // idempotent
    const wasStopped = this._state === 'stopped';
    const p = (async () => {
      if (this.restarting) await this.restarting.catch(() => undefined);
      this.stopRequested = true;
      this.cancelBackoff();
      const run = this.run;
      let acted = false;
      if (run && !run.hasExited) {
        this._state = 'stopping';
        acted = true;
        await this.terminate(run, graceMs);
      } else if (this.lastPgid !== undefined && (await groupAlive(this.lastPgid))) {
        this._state = 'stopping';
        acted = true;
        await terminateGroup(this.lastPgid, graceMs);
      }
      await this.leftovers.catch(() => undefined);
      if (this.log) await this.log.close();
      this._state = 'stopped';
      // Already stopped and only zombies answered for the group: nothing happened, say nothing.
      if (!wasStopped || acted) this.events.emit({ type: 'stopped' });
    })();
    this.stopping = p.finally(() => {
      if (this.stopping === wrapped) this.stopping = undefined;
    });
    const wrapped = this.stopping;
    return wrapped;
  }

  /**
   * Stops the current process (if any) and starts it again now; resets the backoff. Concurrent calls
   * share one restart. Resolves once the new process has spawned (or failed to).
   */
  /** SIGKILLs the process group now, without a grace period (a stop() in progress then finishes at once). */
  kill(): void {
    const pgid = this.pgid ?? this.lastPgid;
    if (pgid === undefined || pgid <= 1) return;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  restart(graceMs = 10_000): Promise<void> {
    if (this.restarting) return this.restarting;
    const p = (async () => {
      if (this.stopping) await this.stopping.catch(() => undefined);
      const seq = this.stopSeq;
      this.cancelBackoff();
      this.stopRequested = true;
      const run = this.run;
      const hadRun = this.attempt > 0;
      if (run && !run.hasExited) {
        this._state = 'stopping';
        this.userRestarting = true;
        try {
          await this.terminate(run, graceMs);
        } finally {
          this.userRestarting = false;
        }
      } else if (this.lastPgid !== undefined && groupExists(this.lastPgid)) {
        await terminateGroup(this.lastPgid, graceMs);
      }
      await this.leftovers.catch(() => undefined);
      if (seq !== this.stopSeq) return; // stop() was called meanwhile: it wins
      this.stopRequested = false;
      this.restartBackoff.begin();
      if (hadRun) this._restarts++;
      this.spawnOnce();
    })();
    this.restarting = p.finally(() => {
      if (this.restarting === wrapped) this.restarting = undefined;
    });
    const wrapped = this.restarting;
    return wrapped;
  }

  // --- internals -------------------------------------------------------------------------------

  private cancelBackoff(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
  }

  /** SIGTERM the group, wait for the leader and every member up to graceMs, then SIGKILL. */
  private async terminate(run: Run, graceMs: number): Promise<void> {
    const deadline = Date.now() + Math.max(0, graceMs);
    signalGroup(run.pgid, 'SIGTERM');
    signalGroup(run.pgid, 'SIGCONT');
    let gone = (await within(run.exited, graceMs)) && (await waitGroupGone(run.pgid, deadline - Date.now()));
    if (!gone) {
      signalGroup(run.pgid, 'SIGKILL');
      await within(run.exited, 5_000);
      gone = await waitGroupGone(run.pgid, 5_000);
    }
  }

  private spawnFailed(message: string): void {
    this.run = undefined;
    this._exitCode = null;
    this._exitSignal = null;
    if (this._state !== 'stopped' && this._state !== 'stopping') {
      this._state = 'exited';
      this.log?.write(`--- ${new Date().toISOString()} failed to start: ${message} ---`);
    }
    this.events.emit({ type: 'spawnError', message });
  }

  private spawnOnce(): void {
    const [file, ...first] = this.spec.command;
    const args = [...first, ...(this.spec.args ?? [])];
    const cwd = this.spec.cwd;
    let cwdOk = false;
    try {
      cwdOk = fs.statSync(cwd).isDirectory();
    } catch {
      cwdOk = false;
    }
    if (!cwdOk) return this.spawnFailed(`working directory not found: ${cwd}`);

    // node:child_process directly (execa added ~20 ms of module loading and ~8 ms per spawn to the start of
    // a run, for options that are plain spawn options here): the environment is exactly spec.env, the child
    // leads its own session and process group (detached), both output pipes are read below.
    let sub: ChildProcess;
    try {
      sub = spawn(file, args, {
        cwd,
        env: this.spec.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (err) {
      return this.spawnFailed(`failed to start ${file}: ${(err as Error).message}`);
    }
    const pid = sub.pid;
    if (pid === undefined) {
      this._state = 'exited';
      sub.once('error', (err: NodeJS.ErrnoException) => {
        const code = err.code;
        const message =
          code === 'ENOENT'
            ? `command not found: ${file} (looked in PATH and ${cwd})`
            : code === 'EACCES'
              ? `command not executable: ${file} (permission denied)`
              : `failed to start ${file}: ${err.message.split('\n')[0]}`;
        this.spawnFailed(message);
      });
      return;
    }

    // A spawned child reports later failures (a signal it could not be sent) as 'error': never unhandled.
    sub.on('error', () => undefined);
    this.attempt++;
    let resolveExited!: () => void;
    const run: Run = {
      pid,
      pgid: pid, // detached → setsid(): the child leads its own session and group
      attempt: this.attempt,
      startedAt: Date.now(),
      startTimeTicks: processStartTime(pid),
      exited: new Promise<void>((r) => (resolveExited = r)),
      hasExited: false,
    };
    this.run = run;
    this.lastPgid = run.pgid;
    this._startedAt = run.startedAt;
    this._exitCode = null;
    this._exitSignal = null;
    this._state = 'running';
    this.log?.write(`--- ${new Date(run.startedAt).toISOString()} started pid ${pid} (attempt ${run.attempt}) ---`);

    // Always consume both pipes (a full pipe would stall the child), even with no listener.
    const ended: Promise<void>[] = [];
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = sub[name];
      if (!stream) continue;
      const splitter = new LineSplitter((line) => this.onLine(name, line));
      ended.push(
        new Promise<void>((resolve) => {
          const done = () => {
            splitter.end();
            resolve();
          };
          stream.on('data', (chunk: Buffer | string) => {
            splitter.push(chunk);
            // The log file cannot keep up (slow disk): stop reading until it has caught up. The component
            // then waits on its own output, like under `docker logs`; nothing is lost, memory stays bounded.
            const log = this.log;
            if (log && log.backlog > LOG_BACKLOG_LIMIT && !stream.isPaused()) {
              stream.pause();
              log.whenDrained(() => stream.resume());
            }
          });
          stream.once('end', done);
          stream.once('close', done);
          stream.once('error', done);
        }),
      );
    }
    const outputDone = Promise.all(ended);

    sub.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      // Let the last buffered output arrive first (but do not wait for a grandchild holding the pipe).
      void within(outputDone, 100).then(() => {
        this.onExit(run, code, signal);
        resolveExited();
      });
    });
    this.events.emit({ type: 'spawned', pid, attempt: run.attempt });
  }

  private onLine(stream: 'stdout' | 'stderr', line: string): void {
    this.ring.push(line);
    const time = Date.now();
    // Log files get a timestamp per line (components need not print their own), like `docker logs -t`.
    this.log?.write(`${new Date(time).toISOString()} ${stripAnsi(line)}`);
    this.events.emit({ type: 'line', stream, line, time });
  }

  private onExit(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    run.hasExited = true;
    this._exitCode = code;
    this._exitSignal = signal;
    const uptime = Date.now() - run.startedAt;
    this.log?.write(
      `--- ${new Date().toISOString()} exited pid ${run.pid} ${signal ? `by signal ${signal}` : `with code ${code}`} ---`,
    );

    if (this.stopRequested) {
      // stop()/restart() drive what happens next; they also end the rest of the group.
      const userRestart = this.userRestarting;
      this.events.emit({
        type: 'exited',
        code,
        signal,
        willRestart: userRestart,
        ...(userRestart ? { restartInMs: 0 } : {}),
        restarts: this._restarts,
        pid: run.pid,
      });
      return;
    }

    // The leader is gone; helpers it left in its group would hold ports and files: end them.
    if (groupExists(run.pgid)) this.leftovers = terminateGroup(run.pgid, 2_000).catch(() => undefined);

    const wait = this.restartBackoff.onExit(code, signal, uptime);
    if (wait !== undefined) {
      this._state = 'backoff';
      this.backoffTimer = setTimeout(() => void this.autoRestart(), wait);
      this.events.emit({ type: 'exited', code, signal, willRestart: true, restartInMs: wait, restarts: this._restarts, pid: run.pid });
    } else {
      this._state = 'exited';
      this.events.emit({ type: 'exited', code, signal, willRestart: false, restarts: this._restarts, pid: run.pid });
    }
  }

  private async autoRestart(): Promise<void> {
    this.backoffTimer = undefined;
    if (this._state !== 'backoff' || this.stopRequested) return;
    await this.leftovers.catch(() => undefined);
    if (this._state !== 'backoff' || this.stopRequested) return;
    this._restarts++;
    this.restartBackoff.restarted();
    this.spawnOnce();
  }
}
