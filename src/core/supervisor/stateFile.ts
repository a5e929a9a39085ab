// The runner records its children in `<dir>/runs/<runnerPid>.json` so that a later run (or the
// extension) can end the processes a runner killed with -9 left behind. A pid is only signalled when
// its /proc start time still matches the recorded one, so a reused pid is never hit.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isGroupAlive, isProcessAlive, processStartTime, readProcStat, terminateGroup } from './procfs';

export { processStartTime } from './procfs';

export interface RunStateChild {
  id: string;
  pid: number;
  pgid: number;
  /** Field 22 of /proc/<pid>/stat when the child was spawned (undefined off Linux). */
  startTimeTicks?: number;
}

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
  id: string;
  pid: number;
  file: string;
}

export interface SkippedChild extends ReapedChild {
  reason: string;
}

export interface ReapResult {
  reaped: ReapedChild[];
  skipped: SkippedChild[];
  /** State files that were removed (their runner is dead). */
  removedFiles: string[];
}

export function runsDir(dir: string): string {
  return path.join(dir, 'runs');
}

export class RunStateFile {
  readonly file: string;

  constructor(
    readonly dir: string,
    readonly runnerPid: number = process.pid,
  ) {
    if (!dir) throw new Error('RunStateFile: a state folder is required');
    this.file = path.join(runsDir(dir), `${runnerPid}.json`);
  }

  /** Atomic write (temp file + rename). */
  write(state: Omit<RunState, 'runnerStartTimeTicks'> & { runnerStartTimeTicks?: number }): void {
    const full: RunState = {
      ...state,
      runnerStartTimeTicks: state.runnerStartTimeTicks ?? processStartTime(state.runnerPid),
    };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(full, null, 2) + '\n');
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

/** True when the runner recorded in `state` still runs (same pid and, where known, same start time). */
function runnerAlive(state: RunState): boolean {
  if (!isProcessAlive(state.runnerPid)) return false;
  if (state.runnerStartTimeTicks === undefined) return true;
  return processStartTime(state.runnerPid) === state.runnerStartTimeTicks;
}

/**
 * For every state file in `<dir>/runs` whose runner is dead: ends each recorded child group that
 * still exists and is provably the same process (SIGTERM, SIGKILL after graceMs), then deletes the file.
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
  for (const name of names) {
    const file = path.join(folder, name);
    if (name.endsWith('.tmp')) {
      // A temp file of a writer that died between write and rename.
      const owner = Number(name.split('.')[1]);
      if (!isProcessAlive(owner)) fs.rmSync(file, { force: true });
      continue;
    }
    if (!name.endsWith('.json')) continue;
    const state = readState(file);
    if (!state) {
      result.skipped.push({ id: '', pid: 0, file, reason: 'unreadable state file' });
      continue;
    }
    if (state.runnerPid === process.pid || runnerAlive(state)) continue;

    const ends: Promise<unknown>[] = [];
    for (const child of state.children) {
      const entry = { id: String(child.id), pid: child.pid, file: state.file };
      const verdict = checkChild(child);
      if (verdict !== 'ok') {
        result.skipped.push({ ...entry, reason: verdict });
        continue;
      }
      ends.push(terminateGroup(child.pgid, graceMs).then(() => result.reaped.push(entry)));
    }
    await Promise.all(ends);
    fs.rmSync(file, { force: true });
    result.removedFiles.push(file);
  }
  return result;
}

/** 'ok' when the child's group may be ended, else why not. */
function checkChild(child: RunStateChild): 'ok' | string {
  if (!Number.isInteger(child.pid) || child.pid <= 1 || !Number.isInteger(child.pgid) || child.pgid <= 1) {
    return 'invalid pid';
  }
  const stat = readProcStat(child.pid);
  const leaderAlive = stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  if (leaderAlive) {
    if (child.startTimeTicks === undefined) return 'no recorded start time; cannot prove it is the same process';
    if (stat.startTime !== child.startTimeTicks) return 'pid reused by another process (start time differs)';
    if (stat.pgrp !== child.pgid) return 'process left its recorded group';
    return 'ok';
  }
  // The leader is gone (or a zombie, so its pid is not reusable yet). While any member of the group
  // lives, Linux does not hand out the group id as a new pid, so the members are the child's leftovers.
  if (stat) {
    if (child.startTimeTicks !== undefined && stat.startTime !== child.startTimeTicks) {
      return 'pid reused by another process (start time differs)';
    }
  }
  return isGroupAlive(child.pgid) ? 'ok' : 'already gone';
}
