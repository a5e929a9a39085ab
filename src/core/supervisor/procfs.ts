// Small, Linux-first helpers about processes and process groups. They read /proc when it exists
// (so zombies — exited but not reaped, which happens to orphans when PID 1 does not reap — count as
// gone) and fall back to `kill(pid, 0)` elsewhere.
//
// Nothing here scans /proc on a hot path: whether a group is gone is asked with `kill(-pgid, 0)` first
// (ESRCH = gone), then by the leader's own stat file; only a group whose leader is gone but that still
// answers (members left behind, or zombies) needs a look at every process, and that scan is shared:
// every waiting caller joins ONE scan per tick (groupWatch below), read in small slices so the event
// loop keeps running.
import * as fs from 'node:fs';

const hasProc = fs.existsSync('/proc/self/stat');

export interface ProcStat {
  pid: number;
  /** Single-letter state from /proc/<pid>/stat (R, S, D, Z, T…). */
  state: string;
  ppid: number;
  pgrp: number;
  /** Field 22: start time after boot, in clock ticks. Identifies a process together with its pid. */
  startTime: number;
}

/** True when /proc can be read (Linux). */
export function procAvailable(): boolean {
  return hasProc;
}

/** Parses /proc/<pid>/stat; undefined when the process does not exist (or there is no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!hasProc || !Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

/** Parses the text of a /proc/<pid>/stat file. The command name (field 2) may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // Fields after the command start at field 3 (state), so field N is rest[N - 3].
  const rest = text.slice(close + 1).trim().split(/\s+/);
  if (rest.length < 20) return undefined;
  return {
    pid,
    state: rest[0],
    ppid: Number(rest[4 - 3]),
    pgrp: Number(rest[5 - 3]),
    startTime: Number(rest[22 - 3]),
  };
}

/** Start time (field 22 of /proc/<pid>/stat, clock ticks after boot), or undefined when the process is gone. */
export function processStartTime(pid: number): number | undefined {
  return readProcStat(pid)?.startTime;
}

/** True for a process that exists and is not a zombie. (Not a type guard: undefined and a zombie are both false.) */
export function isLiveStat(stat: ProcStat | undefined): boolean {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** True when the process exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (hasProc) return isLiveStat(readProcStat(pid));
  return signalOk(pid);
}

/** True when the process `pid` still is the one that started at `startTime` (and is not a zombie). */
export function isSameProcess(pid: number, startTime: number | undefined): boolean {
  if (!hasProc) return startTime === undefined && signalOk(pid);
  const stat = readProcStat(pid);
  return isLiveStat(stat) && (startTime === undefined || stat!.startTime === startTime);
}

/** `kill(-pgid, 0)`: does the group have any member at all (zombies included)? No /proc read. */
export function groupExists(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  return signalOk(-pgid);
}

type QuickState = 'gone' | 'alive' | 'unknown';

/** What can be told without a scan: gone (no member), alive (the leader runs), or unknown. */
function quickGroupState(pgid: number): QuickState {
  if (!groupExists(pgid)) return 'gone';
  if (!hasProc) return 'alive';
  const leader = readProcStat(pgid);
  if (isLiveStat(leader) && leader!.pgrp === pgid) return 'alive';
  return 'unknown'; // the leader is gone (or a zombie) but the group answers: members left, or zombies
}

function liveMembersIn(table: ProcStat[], pgid: number): number[] {
  const out: number[] = [];
  for (const s of table) if (s.pgrp === pgid && isLiveStat(s)) out.push(s.pid);
  return out;
}

/** Live (non-zombie) members of process group `pgid`, by a synchronous scan. Avoid on hot paths. */
export function groupMembers(pgid: number): number[] {
  if (!Number.isInteger(pgid) || pgid <= 1) return [];
  if (!groupExists(pgid)) return [];
  if (!hasProc) return [pgid];
  return liveMembersIn(scanProcStatsSync(), pgid);
}

/** Synchronous: `kill(-pgid, 0)`, then the leader; a full scan only when the leader is gone but the group answers. */
export function isGroupAlive(pgid: number): boolean {
  const quick = quickGroupState(pgid);
  if (quick !== 'unknown') return quick === 'alive';
  return liveMembersIn(scanProcStatsSync(), pgid).length > 0;
}

/** Like isGroupAlive, but a needed scan is shared with every other caller and does not block the loop. */
export async function groupAlive(pgid: number): Promise<boolean> {
  const quick = quickGroupState(pgid);
  if (quick !== 'unknown') return quick === 'alive';
  return liveMembersIn(await sharedProcScan(), pgid).length > 0;
}

/** Sends `signal` to the whole group; false when the group no longer exists. Never throws for ESRCH/EPERM. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false; // never -1 or -0: that would hit everything
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to `pid` only if it still is the process that started at `startTime`. */
export function signalProcess(pid: number, startTime: number | undefined, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return false;
  if (hasProc) {
    const stat = readProcStat(pid);
    if (!isLiveStat(stat) || (startTime !== undefined && stat!.startTime !== startTime)) return false;
  }
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

function signalOk(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ------------------------------------------------------------------ scanning /proc

/** Entries read between two yields to the event loop (a /proc read costs 20–400 µs on a busy machine). */
const SCAN_SLICE = 16;

/** Pids of every process (the numeric entries of /proc). */
export function procPids(): number[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(name));
  }
  return pids;
}

/** Every process's stat, read at once (blocks for the whole scan). */
export function scanProcStatsSync(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of procPids()) {
    const s = readProcStat(pid);
    if (s) out.push(s);
  }
  return out;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Visits every process (pid order), reading in slices of SCAN_SLICE entries with a yield to the event
 * loop between slices. `visit` gets the pid and its stat (undefined entries are skipped).
 */
export async function forEachProcess(visit: (stat: ProcStat) => void): Promise<void> {
  await forEachPid((pid) => {
    const s = readProcStat(pid);
    if (s) visit(s);
  });
}

/** Visits every pid in /proc, SCAN_SLICE at a time with a yield to the event loop between slices. */
export async function forEachPid(visit: (pid: number) => void): Promise<void> {
  if (!hasProc) return;
  const pids = procPids();
  for (let i = 0; i < pids.length; i++) {
    if (i > 0 && i % SCAN_SLICE === 0) await yieldToLoop();
    visit(pids[i]);
  }
}

/** Every process's stat, read in slices (the loop keeps running meanwhile). */
export async function scanProcStats(): Promise<ProcStat[]> {
  const out: ProcStat[] = [];
  await forEachProcess((s) => out.push(s));
  return out;
}

/** A scan result younger than this is reused. */
const SCAN_REUSE_MS = 20;
let scanInFlight: Promise<ProcStat[]> | undefined;
let lastScan: { at: number; table: ProcStat[] } | undefined;
/** Scans actually performed (for tests and benches). */
export const scanStats = { scans: 0 };

/** One scan shared by every caller: joins the scan in flight, or reuses one younger than SCAN_REUSE_MS. */
export function sharedProcScan(): Promise<ProcStat[]> {
  if (scanInFlight) return scanInFlight;
  if (lastScan && performance.now() - lastScan.at < SCAN_REUSE_MS) return Promise.resolve(lastScan.table);
  scanStats.scans++;
  scanInFlight = scanProcStats().then(
    (table) => {
      lastScan = { at: performance.now(), table };
      scanInFlight = undefined;
      return table;
    },
    (err) => {
      scanInFlight = undefined;
      throw err;
    },
  );
  return scanInFlight;
}

// ------------------------------------------------------------------ waiting for groups to go

/** How often waiting groups are checked with kill(-pgid, 0); a shared /proc scan at most every SCAN_TICK_MS. */
const WAIT_TICK_MS = 25;
const SCAN_TICK_MS = 100;

interface GroupWait {
  pgid: number;
  deadline: number;
  resolve: (gone: boolean) => void;
}

const waits = new Set<GroupWait>();
let waitTimer: NodeJS.Timeout | undefined;
let ticking = false;
let lastTickScan = 0;

function scheduleTick(): void {
  if (waitTimer || ticking || waits.size === 0) return;
  waitTimer = setTimeout(() => void tick(), WAIT_TICK_MS);
}

async function tick(): Promise<void> {
  waitTimer = undefined;
  ticking = true;
  try {
    const unknown: GroupWait[] = [];
    for (const w of waits) {
      const q = quickGroupState(w.pgid);
      if (q === 'gone') settle(w, true);
      else if (q === 'unknown') unknown.push(w);
    }
    const now = performance.now();
    if (unknown.length > 0 && now - lastTickScan >= SCAN_TICK_MS) {
      lastTickScan = now;
      const table = await sharedProcScan().catch(() => [] as ProcStat[]);
      const live = new Set<number>();
      for (const s of table) if (isLiveStat(s)) live.add(s.pgrp);
      for (const w of unknown) if (waits.has(w) && !live.has(w.pgid)) settle(w, true);
    }
    const after = Date.now();
    for (const w of waits) if (after >= w.deadline) settle(w, false);
  } finally {
    ticking = false;
    scheduleTick();
  }
}

function settle(w: GroupWait, gone: boolean): void {
  if (!waits.delete(w)) return;
  w.resolve(gone);
}

/**
 * Resolves true once the group has no live member, false after `timeoutMs`. Every waiting group is
 * checked on one shared tick (kill(-pgid, 0) each; at most one /proc scan per SCAN_TICK_MS for all).
 */
export function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const quick = quickGroupState(pgid);
  if (quick === 'gone') return Promise.resolve(true);
  if (timeoutMs <= 0) return quick === 'alive' ? Promise.resolve(false) : groupAlive(pgid).then((a) => !a);
  return new Promise<boolean>((resolve) => {
    waits.add({ pgid, deadline: Date.now() + timeoutMs, resolve });
    scheduleTick();
  });
}

/**
 * Ends a process group: SIGTERM, wait up to `graceMs` for every member to go, then SIGKILL and wait
 * (bounded) again. Resolves with whether SIGKILL was needed and whether the group is gone.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<{ killed: boolean; gone: boolean }> {
  if (!(await groupAlive(pgid))) return { killed: false, gone: true };
  signalGroup(pgid, 'SIGTERM');
  signalGroup(pgid, 'SIGCONT'); // a stopped (T) process only sees SIGTERM once it runs again
  if (await waitGroupGone(pgid, graceMs)) return { killed: false, gone: true };
  signalGroup(pgid, 'SIGKILL');
  return { killed: true, gone: await waitGroupGone(pgid, 5000) };
}
