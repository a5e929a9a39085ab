// Each run keeps its own log folder: <logDir>/<UTC start to the ms>-<run id, 8 hex>/<component id>.log, so two runs
// (one after the other, or at the same time) never write the same files. `<logDir>/latest` points at
// the newest run's folder; folders of older runs beyond a bound are removed (only folders named like
// ours; nothing else in <logDir> is touched), except those of runs still going: a run holds a lock file
// `.owner` in its folder (runctl/lockFile.ts: its pid and start time) until it ends, so a run with a small
// --keep-run-logs never removes the folder another live run is writing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { safeJoin } from '../safePath';
import { lockHeld, tryLock } from '../runctl/lockFile';

export const DEFAULT_KEEP_RUN_LOGS = 20;
export const LATEST_LINK = 'latest';
const OWNER_FILE = '.owner';
// `20250131T120005.123Z-1a2b3c4d`; folders named to the second only (before milliseconds were added) still count.
const RUN_FOLDER = /^(\d{8}T\d{6})(?:\.(\d{3}))?Z-[0-9a-f]{8}$/;

export interface RunLogs {
  /** This run's folder. */
  dir: string;
  /** Log file of one component (always inside dir; an id that would leave it is refused). */
  fileOf(id: string): string;
  /** Problems met while preparing (the run goes on without the pointer or the pruning). */
  warnings: string[];
  /** The run has ended: its folder may be pruned from now on. Idempotent, never throws. */
  release(): void;
}

/** `20250131T120000.123Z-1a2b3c4d`: milliseconds, so that two runs started in the same second still sort by start. */
export function runFolderName(startedAt: number, runId: string): string {
  const iso = new Date(startedAt).toISOString(); // 2025-01-31T12:00:00.123Z
  const stamp = iso.slice(0, 23).replace(/[-:]/g, '') + 'Z';
  return `${stamp}-${runId.replace(/-/g, '').slice(0, 8).toLowerCase()}`;
}

export function prepareRunLogs(baseDir: string, startedAt: number, runId: string, keep = DEFAULT_KEEP_RUN_LOGS): RunLogs {
  const warnings: string[] = [];
  const base = path.resolve(baseDir);
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  const name = runFolderName(startedAt, runId);
  const dir = path.join(base, name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let release = () => {};
  try {
    const mark = tryLock(path.join(dir, OWNER_FILE));
    if (mark.ok) release = mark.release;
    else warnings.push(`could not mark ${dir} as in use: process ${mark.holder.pid} holds it (another run may prune it)`);
  } catch (err) {
    warnings.push(`could not mark ${dir} as in use (another run may prune it): ${(err as Error).message}`);
  }
  try {
    pointLatest(base, name);
  } catch (err) {
    warnings.push(`could not point ${path.join(base, LATEST_LINK)} at this run's logs: ${(err as Error).message}`);
  }
  try {
    pruneRunLogs(base, Math.max(1, keep), name);
  } catch (err) {
    warnings.push(`could not remove old run logs in ${base}: ${(err as Error).message}`);
  }
  return {
    dir,
    warnings,
    // Ids are validated; safeJoin refuses anything that would still leave the folder (UnsafePathError).
    fileOf: (id) => safeJoin(dir, `${id}.log`),
    release, // idempotent, never throws (lockFile.ts)
  };
}

/** <base>/latest → <name> (relative symlink, replaced atomically). A non-link `latest` is left alone. */
function pointLatest(base: string, name: string): void {
  const link = path.join(base, LATEST_LINK);
  try {
    if (!fs.lstatSync(link).isSymbolicLink()) throw new Error(`${link} exists and is not a symbolic link`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const tmp = path.join(base, `.${LATEST_LINK}.${process.pid}.${Date.now()}`);
  fs.symlinkSync(name, tmp, 'dir');
  try {
    fs.renameSync(tmp, link);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Removes the oldest run folders (by the start time in their names) so that at most `keep` remain; never
 * `current`, never the folder of a run still going (those may leave more than `keep`).
 */
export function pruneRunLogs(base: string, keep: number, current?: string): string[] {
  const runs: { name: string; key: string }[] = [];
  let kept = 0; // the current run's folder and those of runs still going
  for (const d of fs.readdirSync(base, { withFileTypes: true })) {
    const m = d.isDirectory() ? RUN_FOLDER.exec(d.name) : null;
    if (!m) continue;
    if (d.name === current || lockHeld(path.join(base, d.name, OWNER_FILE))) kept++;
    else runs.push({ name: d.name, key: `${m[1]}${m[2] ?? '000'}-${d.name}` }); // start time, then name
  }
  runs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const room = Math.max(0, keep - kept);
  const removed: string[] = [];
  for (const { name } of runs.slice(0, Math.max(0, runs.length - room))) {
    fs.rmSync(path.join(base, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
