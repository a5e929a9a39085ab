// Ending what a runner killed with -9 (or a crashed editor window) left behind. Every run keeps a
// journal (journal.ts) of the processes it spawned and the run marker they all carry in their
// environment. For each journal whose runner is dead, reapLeftovers ends (1) every recorded process
// group that provably still is the one spawned (pid + /proc start time, so a reused pid is never hit),
// then (2) every process that still carries the dead run's marker: daemons that left the group
// (setsid), grandchildren, children spawned the instant before the runner died. Then it deletes the
// journal. State files of the earlier format (`runs/<runnerPid>.json`, no marker) are still read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { groupAlive, isLiveStat, isProcessAlive, processStartTime, readProcStat, terminateGroup } from './procfs';
import { JOURNAL_SUFFIX, readJournal, runsDir } from './journal';
import { sweepMarkedProcesses } from './marker';
import { mkdirPrivate, PRIVATE_FILE_MODE } from './privateFiles';

export { processStartTime } from './procfs';
export { runsDir } from './journal';

export interface RunStateChild {
  id: string;
  pid: number;
  pgid: number;
  /** Field 22 of /proc/<pid>/stat when the child was spawned (undefined off Linux). */
  startTimeTicks?: number;
}

/** The earlier state-file format (one JSON object, rewritten as a whole). */
export interface RunState {
  runnerPid: number;
  /** Start time of the runner itself, to tell a dead runner from a reused pid. */
  runnerStartTimeTicks?: number;
  /** Pipeline file of the run. */
  file: string;
  startedAt: number;
  children: RunStateChild[];
}

export interface ReapedChild {
  /** Component id (for a process found by marker: FLOWCTL_COMPONENT_ID from its environment, else "descendant"). */
  id: string;
  pid: number;
  /** Pipeline file of the run that left it. */
  file: string;
  /** How it was found: recorded in the journal, or by the run marker in its environment. */
  via?: 'record' | 'marker';
}

export interface SkippedChild extends ReapedChild {
  reason: string;
}

export interface ReapResult {
  reaped: ReapedChild[];
  skipped: SkippedChild[];
  /** State files / journals that were removed (their runner is dead). */
  removedFiles: string[];
}

/** Writer of the earlier state-file format (kept for compatibility and tests; runs now keep a journal). */
export class RunStateFile {
  readonly file: string;

  constructor(
    readonly dir: string,
    readonly runnerPid: number = process.pid,
  ) {
    if (!dir) throw new Error('RunStateFile: a state folder is required');
    this.file = path.join(runsDir(dir), `${runnerPid}.json`);
  }

  /** Atomic write (temp file + rename), 0600 in a 0700 folder. */
  write(state: Omit<RunState, 'runnerStartTimeTicks'> & { runnerStartTimeTicks?: number }): void {
    const full: RunState = {
      ...state,
      runnerStartTimeTicks: state.runnerStartTimeTicks ?? processStartTime(state.runnerPid),
    };
    mkdirPrivate(path.dirname(this.file), { tighten: true });
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(full, null, 2) + '\n', { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    fs.renameSync(tmp, this.file);
  }

  read(): RunState | undefined {
    return readState(this.file);
  }

  remove(): void {
    fs.rmSync(this.file, { force: true });
  }
}

function readState(file: string): RunState | undefined {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as RunState;
    if (!data || typeof data.runnerPid !== 'number' || !Array.isArray(data.children)) return undefined;
    return data;
  } catch {
    return undefined;
  }
}

/** True when the runner (pid and, where known, start time) still runs. */
function runnerAlive(runnerPid: number, runnerStartTimeTicks: number | undefined): boolean {
  if (!isProcessAlive(runnerPid)) return false;
  if (runnerStartTimeTicks === undefined) return true;
  return processStartTime(runnerPid) === runnerStartTimeTicks;
}

interface DeadRun {
  stateFile: string;
  pipelineFile: string;
  children: RunStateChild[];
  marker?: string;
}

/** The pid a temp file's writer put in its name, if it follows one of our patterns. */
function tempOwner(name: string): number | undefined {
  const m = /\.json\.(\d+)\.\d+\.tmp$/.exec(name) ?? /\.jsonl\.(\d+)\.tmp$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * For every journal (and earlier-format state file) in `<dir>/runs` whose runner is dead: ends each
 * recorded child group that still exists and is provably the same process, then every process still
 * carrying the run's marker (SIGTERM, SIGKILL after graceMs), then deletes the file.
 */
export async function reapLeftovers(dir: string, options: { graceMs?: number } = {}): Promise<ReapResult> {
  const graceMs = options.graceMs ?? 5_000;
  const result: ReapResult = { reaped: [], skipped: [], removedFiles: [] };
  const folder = runsDir(dir);
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return result;
  }
  const dead: DeadRun[] = [];
  for (const name of names) {
    const file = path.join(folder, name);
    if (name.endsWith('.tmp')) {
      // A temp file of a writer that died between write and rename.
      const owner = tempOwner(name);
      if (owner !== undefined && !isProcessAlive(owner)) fs.rmSync(file, { force: true });
      continue;
    }
    if (name.endsWith(JOURNAL_SUFFIX)) {
      const journal = readJournal(file);
      const ownerPid = Number(name.split('-')[0]);
      if (!journal) {
        // No header: the runner died before writing it, so before spawning anything.
        if (Number.isInteger(ownerPid) && ownerPid !== process.pid && !isProcessAlive(ownerPid)) {
          fs.rmSync(file, { force: true });
          result.removedFiles.push(file);
        } else if (!Number.isInteger(ownerPid)) {
          result.skipped.push({ id: '', pid: 0, file, reason: 'unreadable journal' });
        }
        continue;
      }
      const h = journal.header;
      if (h.runnerPid === process.pid || runnerAlive(h.runnerPid, h.runnerStartTimeTicks)) continue;
      dead.push({ stateFile: file, pipelineFile: h.file, children: journal.children, marker: h.marker });
      continue;
    }
    if (!name.endsWith('.json')) continue;
    const state = readState(file);
    if (!state) {
      result.skipped.push({ id: '', pid: 0, file, reason: 'unreadable state file' });
      continue;
    }
    if (state.runnerPid === process.pid || runnerAlive(state.runnerPid, state.runnerStartTimeTicks)) continue;
    dead.push({ stateFile: file, pipelineFile: state.file, children: state.children });
  }
  if (dead.length === 0) return result;

  // 1. The recorded process groups, all in parallel (one grace period for all).
  const reapedPids = new Set<number>();
  const ends: Promise<unknown>[] = [];
  for (const run of dead) {
    // The latest spawn of a pid counts (a journal may list a pid twice only if it was reused in between).
    const byPid = new Map<number, RunStateChild>();
    for (const child of run.children) byPid.set(child.pid, child);
    for (const child of byPid.values()) {
      const entry: ReapedChild = { id: String(child.id), pid: child.pid, file: run.pipelineFile, via: 'record' };
      ends.push(
        checkChild(child).then(async (verdict) => {
          if (verdict === 'gone') return;
          if (verdict !== 'ok') {
            result.skipped.push({ ...entry, reason: verdict });
            return;
          }
          await terminateGroup(child.pgid, graceMs);
          reapedPids.add(child.pid);
          result.reaped.push(entry);
        }),
      );
    }
  }
  await Promise.all(ends);

  // 2. Whatever still carries a dead run's marker (daemons in their own sessions, grandchildren).
  const markers = new Map<string, DeadRun>();
  for (const run of dead) if (run.marker) markers.set(run.marker, run);
  if (markers.size > 0) {
    const sweep = await sweepMarkedProcesses(new Set(markers.keys()), graceMs);
    for (const p of sweep.ended) {
      if (reapedPids.has(p.pid)) continue;
      result.reaped.push({ id: p.componentId ?? 'descendant', pid: p.pid, file: markers.get(p.marker)?.pipelineFile ?? '', via: 'marker' });
    }
    for (const p of sweep.survivors) {
      result.skipped.push({ id: p.componentId ?? 'descendant', pid: p.pid, file: markers.get(p.marker)?.pipelineFile ?? '', via: 'marker', reason: 'still running after SIGKILL' });
    }
  }

  // 3. The journals of dead runs are done with.
  for (const run of dead) {
    fs.rmSync(run.stateFile, { force: true });
    result.removedFiles.push(run.stateFile);
  }
  return result;
}

/** 'ok' when the child's group may be ended, 'gone' when nothing of it is left, else why not. */
async function checkChild(child: RunStateChild): Promise<'ok' | 'gone' | string> {
  if (!Number.isInteger(child.pid) || child.pid <= 1 || !Number.isInteger(child.pgid) || child.pgid <= 1) {
    return 'invalid pid';
  }
  const stat = readProcStat(child.pid);
  if (stat && isLiveStat(stat)) {
    if (child.startTimeTicks === undefined) return 'no recorded start time; cannot prove it is the same process';
    if (stat.startTime !== child.startTimeTicks) return 'pid reused by another process (start time differs)';
    if (stat.pgrp !== child.pgid) return 'process left its recorded group';
    return 'ok';
  }
  // The leader is gone (or a zombie, so its pid is not reusable yet). While any member of the group
  // lives, Linux does not hand out the group id as a new pid, so the members are the child's leftovers.
  if (stat && child.startTimeTicks !== undefined && stat.startTime !== child.startTimeTicks) {
    return 'pid reused by another process (start time differs)';
  }
  return (await groupAlive(child.pgid)) ? 'ok' : 'gone';
}
