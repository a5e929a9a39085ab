// Files and folders the supervisor creates are private: folders 0700, files 0600 (they hold pids,
// the run marker, and components' output). Modes are given at creation, so there is no window in
// which a file is readable by others; a folder of ours found with a wider mode is tightened.
import * as fs from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) with mode 0700. With `tighten`, an existing folder owned by this
 * user is set to 0700 too (only for folders that are purely ours, like `runs/`; never a user's folder).
 */
export function mkdirPrivate(dir: string, options: { tighten?: boolean } = {}): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (!options.tighten) return;
  const st = fs.statSync(dir);
  const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
  if (mine && (st.mode & 0o777) !== PRIVATE_DIR_MODE) fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Opens `file` with mode 0600 (flags as fs.openSync); an existing file of ours is set to 0600. */
export function openPrivate(file: string, flags: string): number {
  const fd = fs.openSync(file, flags, PRIVATE_FILE_MODE);
  try {
    const st = fs.fstatSync(fd);
    const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
    if (mine && (st.mode & 0o777) !== PRIVATE_FILE_MODE) fs.fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch {
    // best effort: the file is open and usable
  }
  return fd;
}
