// Where flowctl keeps its per-user state: ~/.flowctl unless FLOWCTL_HOME says otherwise. Everything
// there is private: folders 0700, files 0600 (ensurePrivateDir, makePrivateFile).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function flowctlHome(): string {
  return process.env.FLOWCTL_HOME || path.join(os.homedir(), '.flowctl');
}

/** The endpoint file a running control plane writes so CLI commands find it without flags. */
export function endpointFilePath(home = flowctlHome()): string {
  return path.join(home, 'endpoint.json');
}

/** True when this user owns the file (always on systems without uids). */
export function ownedByUs(st: fs.Stats): boolean {
  return typeof process.getuid !== 'function' || st.uid === process.getuid();
}

/** chmod to `mode` if it is ours and grants more (never fails: best effort on foreign or odd files). */
function tighten(p: string, mode: number): void {
  try {
    const st = fs.statSync(p);
    if ((st.mode & 0o777 & ~mode) !== 0 && ownedByUs(st)) fs.chmodSync(p, mode);
  } catch {
    // gone, or not ours: leave it
  }
}

/**
 * Creates `dir` (and missing parents) with mode 0700. FLOWCTL_HOME and every folder between it and
 * `dir` are tightened to 0700 too if they are ours and looser (an older flowctl made them 0755);
 * folders outside FLOWCTL_HOME that already exist are left as they are.
 */
export function ensurePrivateDir(dir: string, home = flowctlHome()): void {
  const target = path.resolve(dir);
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  const base = path.resolve(home);
  const rel = path.relative(base, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return; // the user's folder: only what we created is 0700
  let cur = base;
  tighten(cur, 0o700);
  for (const part of rel.split(path.sep).filter(Boolean)) {
    cur = path.join(cur, part);
    tighten(cur, 0o700);
  }
}

/** Makes an existing file of ours 0600 (database, lock and endpoint files). */
export function makePrivateFile(file: string): void {
  tighten(file, 0o600);
}
