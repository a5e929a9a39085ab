// One run per pipeline file at a time: a run holds $FLOWCTL_HOME/locks/run-<hash of the file's real
// path>.lock (0600, pid + start time) from before its control plane opens until it has stopped. A second
// run of the same file — from the CLI (with or without persistence) or the editor, which use the same
// core — is refused, naming the first one's pid; the lock of a runner that died (kill -9) is taken over.
// The lock is keyed by the file alone (not metadata.name), so renaming the pipeline does not get around it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tryLock, type LockHolder } from './lockFile';
import { onProcessExit } from './exitHook';

export class PipelineAlreadyRunningError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
    readonly startedAt: string | undefined,
  ) {
    const since = startedAt ? `, started ${new Date(startedAt).toLocaleTimeString()}` : '';
    const who = pid === process.pid ? `already running in this process (pid ${pid}${since})` : `already running (pid ${pid}${since})`;
    super(
      pid > 0
        ? `${file} is ${who}: only one run per pipeline file at a time.\n` +
            `Stop it first with: flowctl stop -f ${file}   (or Ctrl+C in its terminal)`
        : `${file} is being started by another flowctl at this moment; try again`,
    );
    this.name = 'PipelineAlreadyRunningError';
  }
}

export interface RunLock {
  readonly path: string;
  release(): void;
}

function realFile(file: string): string {
  const abs = path.resolve(file);
  try {
    return fs.realpathSync(abs);
  } catch {
    return abs;
  }
}

export function runLockPath(home: string, file: string): string {
  const hash = crypto.createHash('sha256').update(realFile(file)).digest('hex').slice(0, 16);
  return path.join(home, 'locks', `run-${hash}.lock`);
}

/** Takes the run lock of `file` or throws PipelineAlreadyRunningError. */
export function acquireRunLock(home: string, file: string, pipeline?: string): RunLock {
  const lockPath = runLockPath(home, file);
  const got = tryLock(lockPath, { file: realFile(file), pipeline, startedAt: new Date().toISOString() });
  if (!got.ok) {
    const h: LockHolder = got.holder;
    throw new PipelineAlreadyRunningError(path.resolve(file), h.pid, typeof h.startedAt === 'string' ? h.startedAt : undefined);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    forget();
    got.release();
  };
  const forget = onProcessExit(release);
  return { path: lockPath, release };
}
