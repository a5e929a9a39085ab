// Loading a CommonJS bundle with a V8 code cache, so that V8 does not compile the bundle (and the
// functions it ran last time) again at every start. Used by the CLI's launcher (dist/cli.js, one cache per
// command) and by the example components' launchers (src/sdk/launcher.ts, one per component bundle).
// The cache is made when a process exits without one (it then holds what that process compiled) and is
// kept under FLOWCTL_HOME/cache. Only Node built-ins and ./paths are used here: launchers stay small.
//
// The cache is bytecode that V8 runs, so it is treated like code: a private folder (0700) and files (0600)
// owned by this user, written atomically, never read when another user owns it or others may write it.
// V8 checks only a cache's length and flags against the source, so the file name carries the bundle's
// size, mtime and inode and Node's version: a rebuilt bundle never meets an old cache.
// FLOWCTL_CODE_CACHE=0 turns it off; it is off under the inspector and with --enable-source-maps (a script
// compiled here does not get Node's source-map support); FLOWCTL_DEBUG=1 says what it did on stderr.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import Module from 'node:module';
import { ensurePrivateDir, flowctlHome, ownedByUs } from './paths';

/** A cache larger than this is not read (the demo run's CLI cache is ~1.5 MB, a demo component's ~0.7 MB). */
export const MAX_CACHE_BYTES = 32 * 1024 * 1024;

/** Caches not written again for this long go when another cache is written (bundles that moved or were removed). */
export const STALE_CACHE_MS = 30 * 24 * 3600 * 1000;

function say(message: string): void {
  if (process.env.FLOWCTL_DEBUG) process.stderr.write(`flowctl: code cache: ${message}\n`);
}

function cacheWanted(): boolean {
  if (process.env.FLOWCTL_CODE_CACHE === '0') return false;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return !flags.some((f) => f.startsWith('--inspect') || f === '--enable-source-maps' || f.startsWith('--cpu-prof') || f.startsWith('--prof'));
}

/** Ours, a plain file or folder, and no one else may write it. */
function trusted(st: fs.Stats): boolean {
  return ownedByUs(st) && (st.mode & 0o022) === 0;
}

/** `<name>-<key>.v8`: the key changes with the bundle (size, mtime, inode) and with Node. */
function cacheFile(dir: string, name: string, st: fs.Stats): string {
  const key = crypto.createHash('sha256').update(`1|${process.version}|${process.arch}|${st.size}|${st.mtimeMs}|${st.ino}`).digest('hex').slice(0, 16);
  return path.join(dir, `${name}-${key}.v8`);
}

function readCache(dir: string, file: string): Buffer | undefined {
  try {
    const folder = fs.lstatSync(dir);
    if (!folder.isDirectory() || !trusted(folder)) {
      say(`${dir} is not a private folder of this user: not used`);
      return undefined;
    }
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || !trusted(st) || st.size > MAX_CACHE_BYTES) {
        say(`${file} is not a private file of this user (or too large): not used`);
        return undefined;
      }
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined; // none yet
  }
}

/**
 * Written atomically next to its final name. The same name's older caches (other builds) go, so do
 * temporary files a killed writer left (after 10 minutes) and any cache not written for STALE_CACHE_MS.
 */
function writeCache(dir: string, file: string, data: Buffer): void {
  try {
    ensurePrivateDir(dir);
    if (!trusted(fs.lstatSync(dir))) return;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
    const prefix = path.basename(file).replace(/-[0-9a-f]{16}\.v8$/, '-');
    const now = Date.now();
    for (const other of fs.readdirSync(dir)) {
      if (other === path.basename(file)) continue;
      const full = path.join(dir, other);
      try {
        const age = now - fs.lstatSync(full).mtimeMs;
        const sameName = other.startsWith(prefix) && /^[0-9a-f]{16}\.v8$/.test(other.slice(prefix.length));
        if ((other.endsWith('.v8') && (sameName || age > STALE_CACHE_MS)) || (other.endsWith('.tmp') && age > 600_000)) fs.rmSync(full, { force: true });
      } catch {
        // another process removed it first
      }
    }
    say(`wrote ${file} (${data.length} bytes)`);
  } catch (err) {
    say(`not written: ${(err as Error).message}`);
  }
}

/** The bundle compiled with the cache, ready to run (undefined: then it is required as usual). */
function compileWithCache(bundle: string, name: string): (() => void) | undefined {
  if (!cacheWanted()) return undefined;
  try {
    const st = fs.statSync(bundle);
    const dir = path.join(flowctlHome(), 'cache');
    const file = cacheFile(dir, name, st);
    const cachedData = readCache(dir, file);
    // Node's own CommonJS wrapper, on the first line so that line numbers stay those of the bundle.
    const source = `(function (exports, require, module, __filename, __dirname) { ${fs.readFileSync(bundle, 'utf8')}\n})`;
    // No importModuleDynamically: bundles run this way have no import() (esbuild turns them into requires; tests check).
    const script = new vm.Script(source, { filename: bundle, cachedData });
    if (cachedData && !script.cachedDataRejected) say(`used ${file}`);
    else {
      say(cachedData ? `${file} was rejected by V8: made again at exit` : `none yet: ${file} is made at exit`);
      process.once('exit', () => writeCache(dir, file, script.createCachedData()));
    }
    const fn = script.runInThisContext() as (...args: unknown[]) => void;
    const dirname = path.dirname(bundle);
    return () => {
      const m = new Module(bundle, module);
      m.filename = bundle;
      m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname);
      fn.call(m.exports, m.exports, Module.createRequire(bundle), m, bundle, dirname);
      m.loaded = true;
    };
  } catch (err) {
    say(`off: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * Runs the CommonJS bundle `bundle` (an absolute path) as `require` would, with the code cache named
 * `name` (letters, digits, `.`, `_`, `-`: it becomes a file name).
 */
export function runWithCodeCache(bundle: string, name: string): void {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new Error(`flowctl: bad code cache name ${JSON.stringify(name)}`);
  const run = compileWithCache(bundle, name);
  if (run) run();
  else Module.createRequire(bundle)(bundle);
}
