// The processes of one run: add/get them, stop them all at once, and keep the run's state file
// (pids + start times) current so a later run can reap what a killed runner left behind.
import { Emitter } from '../typedEmitter';
import { ManagedProcess, type ManagedProcessSpec, type ProcessEvent } from './process';
import { RunStateFile, type RunStateChild } from './stateFile';

/** How long spawns/exits are gathered before the state file is rewritten. */
const SAVE_COALESCE_MS = 20;

export interface SupervisorOptions {
  /** Folder for `runs/<runnerPid>.json`; no state file when undefined. */
  stateDir?: string;
  /** The pipeline file of the run (recorded in the state file). */
  runnerFile?: string;
  /** Defaults to process.pid. */
  runnerPid?: number;
}

export interface SupervisorEvent {
  id: string;
  event: ProcessEvent;
}

export class Supervisor {
  readonly events = new Emitter<SupervisorEvent>();
  readonly stateFile?: RunStateFile;
  private readonly procs = new Map<string, ManagedProcess>();
  private readonly startedAt = Date.now();
  private readonly runnerPid: number;
  /** Last error writing the state file, if any. */
  stateError?: string;

  constructor(readonly options: SupervisorOptions = {}) {
    this.runnerPid = options.runnerPid ?? process.pid;
    if (options.stateDir) this.stateFile = new RunStateFile(options.stateDir, this.runnerPid);
  }

  /** Registers a component process (not started yet: call start() on the result). */
  add(spec: ManagedProcessSpec): ManagedProcess {
    if (this.procs.has(spec.id)) throw new Error(`component ${spec.id} is already supervised in this run`);
    const proc = new ManagedProcess(spec);
    this.procs.set(spec.id, proc);
    proc.events.on((event) => {
      if (this.procs.get(spec.id) !== proc) return; // removed (replaced by a new spec)
      if (event.type === 'spawned' || event.type === 'exited' || event.type === 'stopped' || event.type === 'spawnError') {
        this.scheduleSave();
      }
      this.events.emit({ id: spec.id, event });
    });
    return proc;
  }

  /**
   * Forgets a component whose process is not running (stopped, exited or never started), so that the same
   * id can be added again with a new spec (a changed pipeline file, or a one-time override for debugging).
   */
  remove(id: string): void {
    const proc = this.procs.get(id);
    if (!proc) return;
    if (proc.pid !== undefined || proc.state === 'running' || proc.state === 'stopping' || proc.state === 'backoff') {
      throw new Error(`component ${id} is still running; stop it before removing it`);
    }
    this.procs.delete(id);
    this.scheduleSave();
  }

  get(id: string): ManagedProcess | undefined {
    return this.procs.get(id);
  }

  all(): ManagedProcess[] {
    return [...this.procs.values()];
  }

  /**
   * Stops every process in parallel (SIGTERM to every group, SIGKILL to what is left after graceMs);
   * resolves when all are gone, then removes the state file.
   */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(this.all().map((p) => p.stop(graceMs)));
    this.saveState();
    if (this.stateFile && this.liveChildren().length === 0) this.stateFile.remove();
  }

  /** SIGKILLs every process group now (the user asked twice); stops in progress finish at once. */
  killAll(): void {
    for (const p of this.procs.values()) p.kill();
  }

  /** The children that currently have a process (what a reaper would have to end). */
  liveChildren(): RunStateChild[] {
    const out: RunStateChild[] = [];
    for (const p of this.procs.values()) {
      const pid = p.pid;
      if (pid === undefined) continue;
      out.push({ id: p.id, pid, pgid: p.pgid ?? pid, startTimeTicks: p.startTimeTicks });
    }
    return out;
  }

  private saveTimer?: NodeJS.Timeout;

  /**
   * Spawns and exits that come close together share one write (starting 1,000 components must not rewrite
   * the file 1,000 times). The window is short, so a runner killed with -9 loses at most a few ms of pids.
   */
  private scheduleSave(): void {
    if (!this.stateFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.saveState(), SAVE_COALESCE_MS);
  }

  private saveState(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.stateFile) return;
    try {
      this.stateFile.write({
        runnerPid: this.runnerPid,
        file: this.options.runnerFile ?? '',
        startedAt: this.startedAt,
        children: this.liveChildren(),
      });
    } catch (err) {
      // Reaping is a safety net; a full disk must not take the run down.
      this.stateError = (err as Error).message;
    }
  }
}
