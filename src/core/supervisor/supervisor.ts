// The processes of one run: add/get them, stop them all at once, and keep the run's journal (pids +
// start times + the run marker) current so a later run can reap what a killed runner left behind.
//
// Every component gets FLOWCTL_RUN_MARKER=<runMarker> in its environment. Each spawn is recorded in
// the journal synchronously, before the next spawn can happen. stopAll() stops every process group,
// then ends whatever still carries the marker (daemons that left the group with setsid, for example).
// ownsProcess(pid) tells whether a process belongs to this run (the control plane's access rules).
import { Emitter } from '../typedEmitter';
import { ManagedProcess, type ManagedProcessSpec, type ProcessEvent } from './process';
import type { RunStateChild } from './stateFile';
import { RunJournal } from './journal';
import { isRunMarker, markerOf, newRunMarker, RUN_MARKER_ENV, sweepMarkedProcesses, type SweepResult } from './marker';
import { isLiveStat, procAvailable, readProcStat } from './procfs';

export interface SupervisorOptions {
  /** Folder for `runs/<runnerPid>-<id>.jsonl` (the run journal); no journal when undefined. */
  stateDir?: string;
  /** The pipeline file of the run (recorded in the journal). */
  runnerFile?: string;
  /** Defaults to process.pid. */
  runnerPid?: number;
  /** The run marker (32 lower-case hex digits, 128 random bits); a fresh one when undefined. */
  runMarker?: string;
}

export interface SupervisorEvent {
  id: string;
  event: ProcessEvent;
}

/** Components signalled between two turns of the event loop in stopAll(). */
const STOP_SLICE = 8;

/** Most pids whose ownership is remembered (the cache is cleared when full). */
const OWNERSHIP_CACHE_MAX = 4096;

export class Supervisor {
  readonly events = new Emitter<SupervisorEvent>();
  /** The secret every component of this run carries in its environment as FLOWCTL_RUN_MARKER. */
  readonly runMarker: string;
  readonly journal?: RunJournal;
  private readonly procs = new Map<string, ManagedProcess>();
  private readonly startedAt = Date.now();
  private readonly runnerPid: number;
  /** Live processes this run spawned: pid → /proc start time. */
  private readonly spawned = new Map<number, number | undefined>();
  private readonly ownership = new Map<number, { start: number; owns: boolean }>();
  /** Last error writing the journal, if any (reaping is a safety net: the run goes on without it). */
  stateError?: string;
  /** What the last stopAll() found by marker and ended (escaped daemons), for reports and tests. */
  lastSweep?: SweepResult;

  constructor(readonly options: SupervisorOptions = {}) {
    this.runnerPid = options.runnerPid ?? process.pid;
    if (options.runMarker !== undefined && !isRunMarker(options.runMarker)) {
      throw new Error('Supervisor: runMarker must be 32 lower-case hex digits (128 random bits)');
    }
    this.runMarker = options.runMarker ?? newRunMarker();
    if (options.stateDir) {
      this.journal = new RunJournal(options.stateDir, {
        runnerPid: this.runnerPid,
        marker: this.runMarker,
        file: options.runnerFile ?? '',
        startedAt: this.startedAt,
      });
    }
  }

  /** The run journal (kept under this name for callers of the earlier state file: it has `file`, `read()`, `remove()`). */
  get stateFile(): RunJournal | undefined {
    return this.journal;
  }

  /** Registers a component process (not started yet: call start() on the result). Its env gets the run marker. */
  add(spec: ManagedProcessSpec): ManagedProcess {
    if (this.procs.has(spec.id)) throw new Error(`component ${spec.id} is already supervised in this run`);
    const proc = new ManagedProcess({ ...spec, env: { ...spec.env, [RUN_MARKER_ENV]: this.runMarker } });
    this.procs.set(spec.id, proc);
    // The header (with the marker) is on disk before this component can spawn anything.
    this.journalDo((j) => j.open());
    proc.events.on((event) => {
      if (event.type === 'spawned') this.recordSpawn(proc, event.pid);
      else if (event.type === 'exited' && event.pid !== undefined) this.spawned.delete(event.pid);
      if (this.procs.get(spec.id) !== proc) return; // removed (replaced by a new spec): nobody listens for it here
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
  }

  get(id: string): ManagedProcess | undefined {
    return this.procs.get(id);
  }

  all(): ManagedProcess[] {
    return [...this.procs.values()];
  }

  /**
   * Stops every process in parallel (SIGTERM to every group, SIGKILL to what is left after graceMs),
   * then ends every process still carrying the run marker (SIGTERM → graceMs → SIGKILL); resolves when
   * all are gone, then removes the journal.
   */
  async stopAll(graceMs = 10_000): Promise<void> {
    // Signalling a group costs ~1 ms of this thread (the kernel wakes every member; on a busy machine the
    // woken processes take the CPU), and their exits are handled here too: a slice at a time, with the
    // event loop running in between, so 150 components stopping do not freeze it for a quarter second.
    const stops: Promise<void>[] = [];
    let n = 0;
    for (const p of this.all()) {
      stops.push(p.stop(graceMs));
      if (++n % STOP_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(stops);
    this.lastSweep = await sweepMarkedProcesses(new Set([this.runMarker]), graceMs);
    if (this.journal && this.liveChildren().length === 0 && this.lastSweep.survivors.length === 0) {
      this.journalDo((j) => j.remove());
    }
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

  /** The pids of the live processes this run spawned (the likely clients of its control plane). */
  spawnedPids(): number[] {
    return [...this.spawned.keys()];
  }

  /**
   * True when `pid` belongs to this run: a process it spawned (same pid and start time), a member of
   * one of its live process groups, or a process carrying its marker (any descendant, daemons included).
   * Cheap: one /proc stat read, and the environment read once per process (cached by pid + start time).
   */
  ownsProcess(pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
    if (!procAvailable()) return this.spawned.has(pid);
    const stat = readProcStat(pid);
    if (!stat || !isLiveStat(stat)) return false;
    if (this.spawned.has(pid) && this.spawned.get(pid) === stat.startTime) return true;
    const cached = this.ownership.get(pid);
    if (cached && cached.start === stat.startTime) return cached.owns;
    const inOurGroup = this.spawned.has(stat.pgrp) && this.groupLeaderIsOurs(stat.pgrp);
    const owns = inOurGroup || markerOf(pid) === this.runMarker;
    if (this.ownership.size >= OWNERSHIP_CACHE_MAX) this.ownership.clear();
    this.ownership.set(pid, { start: stat.startTime, owns });
    return owns;
  }

  private groupLeaderIsOurs(pgid: number): boolean {
    const leader = readProcStat(pgid);
    return leader !== undefined && this.spawned.get(pgid) === leader.startTime;
  }

  private recordSpawn(proc: ManagedProcess, pid: number): void {
    const start = proc.startTimeTicks;
    this.spawned.set(pid, start);
    this.journalDo((j) => {
      j.recordSpawn({ id: proc.id, pid, pgid: proc.pgid ?? pid, startTimeTicks: start });
      j.compactIfLarge(() => this.liveChildren());
    });
  }

  private journalDo(fn: (journal: RunJournal) => void): void {
    if (!this.journal) return;
    try {
      fn(this.journal);
    } catch (err) {
      // Reaping is a safety net; a full disk must not take the run down.
      this.stateError = (err as Error).message;
    }
  }
}
