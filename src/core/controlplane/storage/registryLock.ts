// The registry's lock file `<db>.pid` (lock.ts), taken with its folder made private, without loading LMDB:
// a run takes it before it spawns anything (a second control plane on the same file is refused before
// anything starts), then opens the database while its components boot (storage/lazy.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensurePrivateDir } from '../../paths';
import { acquirePidLock, type PidLock } from './lock';

/**
 * Takes `<dbPath>.pid` (its folder made private first), without loading LMDB: a second control plane on
 * the same file is refused before anything starts. Throws LockHeldError naming the holder.
 */
export function takeRegistryLock(dbPath: string): PidLock {
  const file = path.resolve(dbPath);
  const dir = path.dirname(file);
  try {
    ensurePrivateDir(dir);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new Error(
      `cannot use folder ${dir} for the registry database ${file} (${(err as Error).message}); ` +
        'pass --db-path with a writable location, or --no-persistence',
    );
  }
  return acquirePidLock(
    `${file}.pid`,
    (pid) =>
      `database file ${file} is in use by another flowctl control plane (pid ${pid}, lock file ${file}.pid); ` +
      'stop that process, or use --db-path <another file> / --no-persistence',
  );
}
