// An exclusive, process-owned lock file (`<db>.pid`). LMDB itself lets several processes share one
// database, but two control planes writing one registry would fight over it, so the registry takes
// this lock first. The file is created with O_EXCL and holds the owner's pid (and, on Linux, the
// owner's start time, so a reused pid is recognised as stale). A lock whose owner is gone is taken over.
import * as fs from 'node:fs';

export class LockHeldError extends Error {
  constructor(
    message: string,
    readonly lockPath: string,
    readonly pid: number,
  ) {
    super(message);
    this.name = 'LockHeldError';
  }
}

export interface PidLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

interface Holder {
  pid: number;
  startTime?: string;
}

const held = new Map<string, string>(); // lock path -> the content we wrote
let exitHookInstalled = false;

/** Start time of a process in clock ticks since boot (Linux only), to tell a reused pid apart. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses; the rest follows the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall
  } catch {
    return undefined;
  }
}

function isAlive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false; // ESRCH: no such process
  }
  if (holder.startTime !== undefined) {
    const now = processStartTime(holder.pid);
    if (now !== undefined && now !== holder.startTime) return false; // the pid was reused
  }
  return true;
}

function parse(content: string): Holder | undefined {
  const [pidLine, startLine] = content.split('\n');
  const pid = Number(pidLine?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const startTime = startLine?.trim();
  return { pid, startTime: startTime ? startTime : undefined };
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes the lock file `lockPath` for this process.
 * `describeHolder(pid)` builds the message of the LockHeldError thrown when a live process holds it.
 */
export function acquirePidLock(lockPath: string, describeHolder: (pid: number) => string): PidLock {
  const ownStart = processStartTime(process.pid);
  const content = `${process.pid}\n${ownStart ?? ''}\n`;
  if (held.has(lockPath)) throw new LockHeldError(describeHolder(process.pid), lockPath, process.pid);

  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(lockPath, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let existing = readOrUndefined(lockPath);
      if (existing === undefined) continue; // released meanwhile: try again
      if (existing === '') {
        // Its creator may be between open and write: give it a moment.
        sleepSync(100);
        existing = readOrUndefined(lockPath);
        if (existing === undefined) continue;
      }
      const holder = parse(existing);
      if (holder && isAlive(holder)) throw new LockHeldError(describeHolder(holder.pid), lockPath, holder.pid);
      // Stale (dead owner, reused pid or garbage): remove it, unless someone replaced it meanwhile.
      if (readOrUndefined(lockPath) === existing) {
        try {
          fs.unlinkSync(lockPath);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      continue;
    }
    try {
      fs.writeSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    held.set(lockPath, content);
    installExitHook();
    return {
      path: lockPath,
      release: () => releaseLock(lockPath),
    };
  }
  throw new Error(`could not take the lock file ${lockPath}: it keeps changing; is another flowctl starting at the same time?`);
}

function releaseLock(lockPath: string): void {
  const mine = held.get(lockPath);
  if (mine === undefined) return;
  held.delete(lockPath);
  try {
    if (readOrUndefined(lockPath) === mine) fs.unlinkSync(lockPath);
  } catch {
    // Best effort: a leftover lock of a dead pid is taken over by the next opener.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const lockPath of [...held.keys()]) releaseLock(lockPath);
  });
}
