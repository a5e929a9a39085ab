// Small, Linux-first helpers about processes and process groups. They read /proc when it exists
// (so zombies — exited but not reaped, which happens to orphans when PID 1 does not reap — count as
// gone) and fall back to `kill(pid, 0)` elsewhere.
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

/** True when the process exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (hasProc) {
    const stat = readProcStat(pid);
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  }
  return signalOk(pid);
}

/** Live (non-zombie) members of process group `pgid`. Without /proc: [pgid] when the group answers kill(-pgid, 0). */
export function groupMembers(pgid: number): number[] {
  if (!Number.isInteger(pgid) || pgid <= 1) return [];
  if (!hasProc) return signalOk(-pgid) ? [pgid] : [];
  const members: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return signalOk(-pgid) ? [pgid] : [];
  }
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const stat = readProcStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(stat.pid);
  }
  return members;
}

export function isGroupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
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

function signalOk(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls until the group has no live member or `timeoutMs` passed; resolves true when it is empty. */
export async function waitGroupGone(pgid: number, timeoutMs: number, intervalMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isGroupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(1, deadline - Date.now()))));
  }
}

/**
 * Ends a process group: SIGTERM, wait up to `graceMs` for every member to go, then SIGKILL and wait
 * (bounded) again. Resolves with whether SIGKILL was needed and whether the group is gone.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<{ killed: boolean; gone: boolean }> {
  if (!isGroupAlive(pgid)) return { killed: false, gone: true };
  signalGroup(pgid, 'SIGTERM');
  signalGroup(pgid, 'SIGCONT'); // a stopped (T) process only sees SIGTERM once it runs again
  if (await waitGroupGone(pgid, graceMs)) return { killed: false, gone: true };
  signalGroup(pgid, 'SIGKILL');
  return { killed: true, gone: await waitGroupGone(pgid, 5000) };
}
