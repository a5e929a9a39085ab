// Lock files owned by a process: created with O_EXCL (0600), holding JSON with the owner's pid and its
// /proc start time (so a reused pid is not mistaken for the owner). A lock whose owner is gone is stale
// and is taken over. Used for the endpoint file's read-modify-write (short, waited for) and for "one run
// per pipeline file" (held for the whole run, never waited for).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isProcessAlive, processStartTime, readProcStat } from '../supervisor/procfs';

export interface LockHolder {
  pid: number;
  /** Field 22 of /proc/<pid>/stat when the lock was taken (undefined off Linux). */
  startTime?: number;
  [extra: string]: unknown;
}

export type LockAttempt = { ok: true; release: () => void; content: string } | { ok: false; holder: LockHolder };

/** An empty or unreadable lock younger than this may be a creator between open() and write(): not stale yet. */
const HALF_WRITTEN_GRACE_MS = 2000;

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readHolder(file: string): { text: string; holder?: LockHolder } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (Number.isInteger(h?.pid) && h.pid > 0) return { text, holder: h };
  } catch {
    // half written or garbage
  }
  return { text };
}

/** True while the process that took the lock lives (same pid AND same start time). */
export function holderAlive(h: Pick<LockHolder, 'pid' | 'startTime'>): boolean {
  if (!Number.isInteger(h.pid) || h.pid <= 0) return false;
  const stat = readProcStat(h.pid);
  if (stat === undefined) return isProcessAlive(h.pid); // no /proc here: ask the kernel
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return typeof h.startTime !== 'number' || stat.startTime === h.startTime; // else the pid was reused
}

/** True while `file` is a lock (taken with tryLock) whose owner lives; false when absent, garbage or stale. */
export function lockHeld(file: string): boolean {
  try {
    const holder = readHolder(file)?.holder;
    return holder !== undefined && holderAlive(holder);
  } catch {
    return false; // unreadable: not ours to honour
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * One attempt to take `file` for this process. A stale lock (dead owner, reused pid, or garbage older
 * than a moment) is removed and taken over. Never waits.
 */
export function tryLock(file: string, extra: Record<string, unknown> = {}): LockAttempt {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const content = JSON.stringify({ ...extra, pid: process.pid, startTime: processStartTime(process.pid) }) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const existing = readHolder(file);
      if (existing === undefined) continue; // released meanwhile
      if (existing.holder && holderAlive(existing.holder)) return { ok: false, holder: existing.holder };
      if (!existing.holder && ageMs(file) < HALF_WRITTEN_GRACE_MS) return { ok: false, holder: { pid: 0 } };
      // Stale: remove it unless someone replaced it meanwhile, then try again.
      if (readHolder(file)?.text === existing.text) {
        try {
          fs.unlinkSync(file);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      continue;
    }
    try {
      fs.writeSync(fd, content);
    } finally {
      fs.closeSync(fd);
    }
    let released = false;
    return {
      ok: true,
      content,
      release: () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(file, 'utf8') === content) fs.unlinkSync(file);
        } catch {
          // gone already; a leftover of a dead pid is taken over by the next taker
        }
      },
    };
  }
  throw new Error(`could not take the lock ${file}: it keeps changing (another flowctl starting at the same moment?)`);
}

/**
 * Runs fn while holding `file` (waiting up to timeoutMs for another holder, in short sleeps). For short
 * critical sections only (the endpoint file's read-modify-write): synchronous on purpose, so it also
 * works from an `exit` handler.
 */
export function withFileLock<T>(file: string, fn: () => T, timeoutMs = 5000): T {
  const deadline = Date.now() + timeoutMs;
  let sleep = 2;
  for (;;) {
    const got = tryLock(file);
    if (got.ok) {
      try {
        return fn();
      } finally {
        got.release();
      }
    }
    if (Date.now() >= deadline) {
      const who = got.holder.pid ? `process ${got.holder.pid}` : 'a process that has not finished writing it';
      throw new Error(`could not lock ${file} within ${Math.round(timeoutMs / 1000)} s: held by ${who}`);
    }
    sleepSync(sleep + Math.floor(Math.random() * sleep));
    sleep = Math.min(sleep * 2, 50);
  }
}
