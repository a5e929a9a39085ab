// A damaged LMDB file crashes the process that reads it (SIGBUS on a truncated file, an assertion
// abort on a zeroed page, SIGSEGV on garbage), and no JavaScript can catch that. So before the serving
// process opens an existing registry, a short-lived child process opens it the same way, reads every
// record of every database in it, and makes one small write (which reads the free-page list). If the
// child dies or fails, the registry is reported as damaged and the serving process never touches it.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

const FIX = 'move it away or pass --db-path / --no-persistence';

/** What the child runs (`node -e`): argv = [execPath, lmdbModulePath, file]. Prints one JSON line. */
const CHECK_SCRIPT = `
const [lmdbPath, file] = process.argv.slice(1);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
try {
  const { open } = require(lmdbPath);
  const root = open({ path: file, noSubdir: true, maxDbs: 4, overlappingSync: false, noSync: false });
  let records = 0;
  const names = [];
  for (const key of root.getKeys({})) names.push(key);
  for (const name of names) {
    if (name !== 'services' && name !== 'runs' && name !== 'meta') continue;
    const db = root.openDB({ name });
    for (const entry of db.getRange({})) {
      if (entry.value === undefined) throw new Error('a record of ' + name + ' has no value');
      records++;
    }
  }
  if (names.includes('meta')) {
    const meta = root.openDB({ name: 'meta' });
    meta.transactionSync(() => meta.putSync('checkedAt', Date.now()));
  }
  root.close();
  say({ ok: true, records });
} catch (err) {
  say({ ok: false, message: String((err && err.message) || err) });
  process.exit(2);
}
`;

export class RegistryDamagedError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`registry ${file} is damaged (${shorten(reason)}); ${FIX}`);
    this.name = 'RegistryDamagedError';
  }
}

function lmdbModulePath(): string | undefined {
  try {
    return require.resolve('lmdb');
  } catch {
    return undefined;
  }
}

export interface CheckResult {
  /** False when no check ran (no file yet, or no child process could be started). */
  checked: boolean;
  records?: number;
  /** Why no check ran, when a check was due. */
  skipped?: string;
  ms: number;
}

/**
 * Checks an existing registry file in a child process (see the header). Resolves when it is readable
 * (or there is nothing to check); rejects with RegistryDamagedError when reading it crashed or failed.
 */
export async function checkRegistryFile(file: string, timeoutMs = 60_000): Promise<CheckResult> {
  const t0 = performance.now();
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return { checked: false, ms: 0 };
  }
  if (size === 0) return { checked: false, ms: 0 };
  const modulePath = lmdbModulePath();
  if (!modulePath) return { checked: false, skipped: 'the lmdb module could not be located', ms: 0 };

  const child = spawn(process.execPath, ['-e', CHECK_SCRIPT, modulePath, file], {
    // In an Electron host (VS Code) the executable acts as plain Node only with this set.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-4096)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4096)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  timer.unref?.();
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.once('error', (e) => resolve({ code: null, signal: null, spawnError: e }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  const ms = performance.now() - t0;
  if (exit.spawnError) return { checked: false, skipped: `no check process could be started: ${exit.spawnError.message}`, ms };
  if (timedOut) throw new RegistryDamagedError(file, `reading it did not finish within ${Math.round(timeoutMs / 1000)} s`);

  let report: { ok?: boolean; records?: number; message?: string } | undefined;
  try {
    report = JSON.parse(out.trim().split('\n').pop() ?? '');
  } catch {
    report = undefined;
  }
  if (exit.code === 0 && report?.ok) return { checked: true, records: report.records, ms };
  if (exit.signal) {
    const detail = lastMeaningfulLine(err);
    throw new RegistryDamagedError(file, `reading it crashed a check process with ${exit.signal}${detail ? `: ${detail}` : ''}`);
  }
  if (report && report.ok === false) throw new RegistryDamagedError(file, report.message ?? 'unreadable');
  const detail = lastMeaningfulLine(err);
  throw new RegistryDamagedError(file, `a check process exited with code ${exit.code}${detail ? `: ${detail}` : ''}`);
}

function lastMeaningfulLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines.find((l) => /assert|error|corrupt/i.test(l)) ?? lines.at(-1);
  return line ? line.slice(0, 300) : undefined;
}

/** One line, at most 200 characters, and never the record bytes a decoder quotes after the reason. */
function shorten(reason: string): string {
  let r = reason.split('\n')[0]!;
  const quoted = r.search(/[{[]"/);
  if (quoted > 0) r = r.slice(0, quoted).trimEnd();
  return r.length > 200 ? `${r.slice(0, 200)}…` : r;
}

// ---- the clean-close mark ---------------------------------------------------------------------------
// A registry that flowctl closed cleanly and that nothing touched since needs no check: at a clean close
// `<file>.clean` (0600) records the file's size, modification time (ns), inode and device; the next open
// skips the check only when all four still match, and removes the mark before it writes anything (a
// crash while serving leaves no mark, so the open after it checks). A file changed by anything else
// (truncated, overwritten, copied in) has another mtime, size or inode and is checked.

interface CleanMark {
  size: string;
  mtimeNs: string;
  ino: string;
  dev: string;
}

function markPath(file: string): string {
  return `${file}.clean`;
}

function statMark(file: string): CleanMark | undefined {
  try {
    const st = fs.statSync(file, { bigint: true });
    return { size: String(st.size), mtimeNs: String(st.mtimeNs), ino: String(st.ino), dev: String(st.dev) };
  } catch {
    return undefined;
  }
}

/** Records that `file` was closed cleanly as it is now. Best effort (a missing mark only costs a check). */
export function writeCleanMark(file: string): void {
  const mark = statMark(file);
  if (!mark) return;
  const tmp = `${markPath(file)}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(mark) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, markPath(file));
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** True when `file` is exactly as it was at its last clean close. */
export function matchesCleanMark(file: string): boolean {
  let saved: Partial<CleanMark>;
  try {
    saved = JSON.parse(fs.readFileSync(markPath(file), 'utf8'));
  } catch {
    return false;
  }
  const now = statMark(file);
  return !!now && saved.size === now.size && saved.mtimeNs === now.mtimeNs && saved.ino === now.ino && saved.dev === now.dev;
}

export function removeCleanMark(file: string): void {
  fs.rmSync(markPath(file), { force: true });
}
