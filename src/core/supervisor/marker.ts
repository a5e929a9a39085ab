// The run marker: every component of a run gets FLOWCTL_RUN_MARKER=<secret> in its environment (a
// random 128-bit hex value per run, not the public run id). Processes keep the environment they were
// started with in /proc/<pid>/environ, and their children inherit it, so a double-forked daemon in a
// new session and process group still carries it: that is how a run finds everything it started,
// never by name. Markers live only in the run's private (0600) journal.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { forEachPid, isLiveStat, procAvailable, readProcStat, signalProcess } from './procfs';

export const RUN_MARKER_ENV = 'FLOWCTL_RUN_MARKER';

const MARKER_RE = /^[0-9a-f]{32}$/;
const MARKER_PREFIX = Buffer.from(`${RUN_MARKER_ENV}=`);
const COMPONENT_PREFIX = Buffer.from('FLOWCTL_COMPONENT_ID=');

/** A fresh marker: 128 random bits as 32 lower-case hex digits. */
export function newRunMarker(): string {
  return crypto.randomBytes(16).toString('hex');
}

export function isRunMarker(value: unknown): value is string {
  return typeof value === 'string' && MARKER_RE.test(value);
}

/** The value of `NAME=` in a NUL-separated environment block, or undefined. */
function envValueIn(block: Buffer, prefix: Buffer): string | undefined {
  let at = block.indexOf(prefix);
  while (at >= 0) {
    if (at === 0 || block[at - 1] === 0) {
      const start = at + prefix.length;
      const end = block.indexOf(0, start);
      return block.toString('utf8', start, end < 0 ? block.length : end);
    }
    at = block.indexOf(prefix, at + 1);
  }
  return undefined;
}

/** The environment block of a process (undefined when it is gone or not ours to read). */
function readEnviron(pid: number): Buffer | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
}

/** The run marker a process was started with, if any. */
export function markerOf(pid: number): string | undefined {
  const env = readEnviron(pid);
  return env ? envValueIn(env, MARKER_PREFIX) : undefined;
}

export interface MarkedProcess {
  pid: number;
  /** /proc start time, to signal it only while it is still the same process. */
  startTime: number;
  marker: string;
  /** FLOWCTL_COMPONENT_ID from its environment (the component it descends from), if set. */
  componentId?: string;
}

/**
 * Every live process carrying one of `markers` (never this process). Reads /proc in slices, so the
 * event loop keeps running; a process that ends meanwhile is simply not listed.
 */
export async function findMarkedProcesses(markers: ReadonlySet<string>): Promise<MarkedProcess[]> {
  const found: MarkedProcess[] = [];
  if (markers.size === 0 || !procAvailable()) return found;
  await forEachPid((pid) => {
    if (pid === process.pid) return;
    // The environment first: most processes are not ours, and then their stat file need not be read.
    const env = readEnviron(pid);
    if (!env) return;
    const marker = envValueIn(env, MARKER_PREFIX);
    if (marker === undefined || !markers.has(marker)) return;
    const stat = readProcStat(pid);
    if (!stat || !isLiveStat(stat)) return;
    const componentId = envValueIn(env, COMPONENT_PREFIX);
    found.push({ pid, startTime: stat.startTime, marker, ...(componentId !== undefined ? { componentId } : {}) });
  });
  return found;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function stillThere(p: MarkedProcess): boolean {
  const s = readProcStat(p.pid);
  return s !== undefined && isLiveStat(s) && s.startTime === p.startTime;
}

async function waitAllGone(procs: MarkedProcess[], timeoutMs: number): Promise<MarkedProcess[]> {
  const deadline = Date.now() + timeoutMs;
  let left = procs.filter(stillThere);
  while (left.length > 0 && Date.now() < deadline) {
    await delay(Math.min(50, Math.max(1, deadline - Date.now())));
    left = left.filter(stillThere);
  }
  return left;
}

export interface SweepResult {
  /** Processes that were signalled and are gone. */
  ended: MarkedProcess[];
  /** Processes still there after SIGKILL (another user's, or stuck in the kernel). */
  survivors: MarkedProcess[];
}

/**
 * Ends every process carrying one of `markers`: SIGTERM (and SIGCONT), up to `graceMs` to go, then
 * SIGKILL. Looks again afterwards (a process may have forked meanwhile) for a few rounds. Every signal
 * is sent only after the pid's start time was checked again, so a reused pid is never hit.
 */
export async function sweepMarkedProcesses(markers: ReadonlySet<string>, graceMs: number, maxRounds = 5): Promise<SweepResult> {
  const ended = new Map<number, MarkedProcess>();
  let survivors: MarkedProcess[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const found = await findMarkedProcesses(markers);
    if (found.length === 0) break;
    // Nothing new since the last round, only what would not die: stop trying.
    if (round > 0 && found.every((p) => survivors.some((s) => s.pid === p.pid && s.startTime === p.startTime))) break;
    // Later rounds only find what was forked during the first: they get a short grace.
    const grace = round === 0 ? graceMs : Math.min(graceMs, 500);
    for (const p of found) {
      signalProcess(p.pid, p.startTime, 'SIGTERM');
      signalProcess(p.pid, p.startTime, 'SIGCONT');
    }
    let left = await waitAllGone(found, grace);
    for (const p of left) signalProcess(p.pid, p.startTime, 'SIGKILL');
    left = await waitAllGone(left, 2000);
    for (const p of found) if (!left.includes(p)) ended.set(p.pid, p);
    survivors = left;
  }
  return { ended: [...ended.values()], survivors };
}
