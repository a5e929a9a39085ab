// The process driver: each component is a child process on this machine, run by the supervisor
// (own process group, output lines, restart policy, graceful stop, pid state file for reaping).
// The runner only sees the ComponentDriver interface; ManagedProcess is the handle.
import { Supervisor } from '../supervisor/supervisor';
import { reapLeftovers } from '../supervisor/stateFile';
import type { ComponentDriver, ComponentHandle, ComponentRunSpec, LeftoverReport, PreflightProblem } from './types';

export interface ProcessDriverOptions {
  /** Folder for the run state file (pids) used to reap leftovers; none when undefined. */
  stateDir?: string;
  /** The pipeline file (recorded in the state file). */
  runnerFile?: string;
  /** Grace period when reaping leftovers of an earlier run (default 2 s). */
  reapGraceMs?: number;
}

export class ProcessDriver implements ComponentDriver {
  readonly kind = 'process' as const;
  readonly supervisor: Supervisor;

  constructor(private readonly options: ProcessDriverOptions = {}) {
    this.supervisor = new Supervisor({ stateDir: options.stateDir, runnerFile: options.runnerFile });
  }

  async preflight(specs: ComponentRunSpec[]): Promise<PreflightProblem[]> {
    return specs.filter((s) => !s.command?.length).map((s) => ({ kind: 'spec', ids: [s.id], message: `${s.id}: nothing to run (no command)` }));
  }

  create(spec: ComponentRunSpec): ComponentHandle {
    if (!spec.command?.length) throw new Error(`component ${spec.id}: the process driver needs a command`);
    return this.supervisor.add({
      id: spec.id,
      command: spec.command,
      args: spec.args,
      cwd: spec.cwd,
      env: spec.env,
      restartPolicy: spec.restartPolicy ?? 'no',
      logFile: spec.logFile,
    });
  }

  release(id: string): void {
    this.supervisor.remove(id);
  }

  get(id: string): ComponentHandle | undefined {
    return this.supervisor.get(id);
  }

  async reapLeftovers(): Promise<LeftoverReport> {
    if (!this.options.stateDir) return { reaped: [], skipped: [] };
    const r = await reapLeftovers(this.options.stateDir, { graceMs: this.options.reapGraceMs ?? 2000 });
    return {
      reaped: r.reaped.map((x) => ({ id: x.id, pid: x.pid, file: x.file })),
      skipped: r.skipped.map((x) => ({ id: x.id, pid: x.pid, file: x.file, reason: x.reason })),
    };
  }

  stopAll(graceMs: number): Promise<void> {
    return this.supervisor.stopAll(graceMs);
  }

  killAll(): void {
    this.supervisor.killAll();
  }

  /** True when `pid` belongs to this run (a component, a member of its group, or anything carrying the run marker). */
  ownsProcess(pid: number): boolean {
    return this.supervisor.ownsProcess(pid);
  }

  spawnedPids(): number[] {
    return this.supervisor.spawnedPids();
  }
}
