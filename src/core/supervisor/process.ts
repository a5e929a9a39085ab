// One component's process: spawned (node:child_process) in its own process group, output split into lines
// (kept with ANSI for terminals, stripped for the log file), restarted by policy with exponential
// backoff, stopped gracefully (SIGTERM to the group, then SIGKILL).
import * as fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter } from './lines';
import { groupAlive, groupExists, processStartTime, signalGroup, terminateGroup, waitGroupGone } from './procfs';
import { within, type BackoffOptions, type RestartPolicy } from './restartPolicy';
import { SupervisedHandle } from './supervisedHandle';

export { RESTART_POLICIES, type BackoffOptions, type RestartPolicy } from './restartPolicy';
export type { ProcessEvent, ProcessState } from './supervisedHandle';

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

export class ManagedProcess extends SupervisedHandle<Run> {
  readonly spec: Readonly<ManagedProcessSpec>;
  /** Process group of the latest spawn, kept after its leader exited (helpers may live on in it). */
  private lastPgid?: number;
  /** The end of helpers a leader left in its group when it exited on its own. */
  private leftovers: Promise<unknown> = Promise.resolve();

  constructor(spec: ManagedProcessSpec) {
    if (!spec || typeof spec.id !== 'string' || !spec.id) throw new Error('ManagedProcess: id is required');
    if (!Array.isArray(spec.command) || spec.command.length === 0 || !spec.command[0]) {
      throw new Error(`component ${spec.id}: command must be a non-empty array of strings`);
    }
    if (!spec.cwd) throw new Error(`component ${spec.id}: cwd is required`);
    super(spec.id, spec);
    this.spec = { ...spec, restartPolicy: this.policy };
  }

  /** Pid of the running process (undefined when none runs). */
  get pid(): number | undefined {
    return this.current && !this.current.hasExited ? this.current.pid : undefined;
  }
  /** Process group of the running process (equal to its pid). */
  get pgid(): number | undefined {
    return this.pid === undefined ? undefined : this.current!.pgid;
  }
  /** /proc start time of the running process (Linux), used to recognise it later. */
  get startTimeTicks(): number | undefined {
    return this.pid === undefined ? undefined : this.current!.startTimeTicks;
  }
  get logFile(): string | undefined {
    return this.spec.logFile;
  }

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

  // --- internals -------------------------------------------------------------------------------

  /** kill(-pgid, 0) only: no /proc scan here (a large pipeline stops every component at once). */
  protected override nothingLeft(): boolean {
    return !this.pid && (this.lastPgid === undefined || !groupExists(this.lastPgid));
  }

  /** The leader is gone but its group may live on: end it (a stop() asks /proc whether only zombies are left). */
  protected override async endRemains(graceMs: number, forStop: boolean): Promise<boolean> {
    const pgid = this.lastPgid;
    if (pgid === undefined || !(forStop ? await groupAlive(pgid) : groupExists(pgid))) return false;
    if (forStop) this._state = 'stopping';
    await terminateGroup(pgid, graceMs);
    return true;
  }

  protected override cleanedUp(): Promise<unknown> {
    return this.leftovers;
  }

  /** The leader is gone; helpers it left in its group would hold ports and files: end them. */
  protected override onUnrequestedExit(run: Run): void {
    if (groupExists(run.pgid)) this.leftovers = terminateGroup(run.pgid, 2_000).catch(() => undefined);
  }

  /** SIGTERM the group, wait for the leader and every member up to graceMs, then SIGKILL. */
  protected async terminate(run: Run, graceMs: number): Promise<void> {
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
    this.current = undefined;
    this.reportSpawnFailure(message);
  }

  /** Spawns one attempt: a new process group; output read line by line; its exit handled by onExit. */
  protected launch(): void {
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
    this.current = run;
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
        this.onExit(run, code, signal, `exited pid ${run.pid} ${signal ? `by signal ${signal}` : `with code ${code}`}`);
        resolveExited();
      });
    });
    this.events.emit({ type: 'spawned', pid, attempt: run.attempt });
  }
}
