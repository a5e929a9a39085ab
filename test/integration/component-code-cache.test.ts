// The example components' launchers (src/sdk/launcher.ts → dist/examples/…/<name>.js): each runs its bundle
// `<name>.main.js` with a V8 code cache (src/core/codeCache.ts, shared with the CLI's launcher), kept per
// bundle under FLOWCTL_HOME/cache. Real `node` processes of the built demo components, standalone (no
// control plane): the first run makes a private cache at exit, the next uses it and behaves the same; two
// bundles of the same name in different folders get different caches; a rebuilt bundle's old cache goes;
// caches older than 30 days go when another is written; FLOWCTL_CODE_CACHE=0 makes none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startComponent } from '../fixtures/components/harness';
import { repoRoot } from '../helpers/paths';

const BUILT = path.join(repoRoot(), 'dist', 'examples', 'demo', 'components');

function scratch(): { dir: string; home: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-ccache-'));
  return { dir, home: path.join(dir, 'home'), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function caches(home: string): string[] {
  const dir = path.join(home, 'cache');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** Runs a component standalone until it serves, stops it (SIGTERM) and returns what it printed. */
async function runOnce(launcher: string, home: string, extra: Record<string, string> = {}): Promise<string> {
  const c = startComponent(launcher, { FLOWCTL_HOME: home, FLOWCTL_DEBUG: '1', ENABLE_FLOWCTL: 'false', FLOWCTL_COMPONENT_ID: 'ticker', PORT: '0', RATE: '5', ...extra });
  await c.endpoint;
  const r = await c.stop(5000);
  assert.equal(r.code, 0, `${path.basename(launcher)} stopped cleanly:\n${c.output()}`);
  return c.output();
}

/** The lines that do not depend on the run (ports, times and the cache's own messages left out). */
function shape(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l && !l.includes('code cache'))
    .map((l) => l.replace(/\d+/g, 'N'));
}

test('a demo component makes a private code cache at its first exit and uses it the next time, with the same output', { timeout: 60_000 }, async () => {
  const s = scratch();
  try {
    const launcher = path.join(BUILT, 'ticker.js');
    assert.ok(fs.statSync(launcher).size < 32_000, 'the launcher is small; the bundle is ticker.main.js');
    assert.ok(fs.existsSync(path.join(BUILT, 'ticker.main.js')));
    const first = await runOnce(launcher, s.home);
    assert.match(first, /code cache: none yet: .*component-ticker-[0-9a-f]{8}-[0-9a-f]{16}\.v8 is made at exit/);
    assert.match(first, /code cache: wrote .*component-ticker-[0-9a-f]{8}-[0-9a-f]{16}\.v8 \(\d+ bytes\)/);
    const [name] = caches(s.home);
    assert.match(name, /^component-ticker-[0-9a-f]{8}-[0-9a-f]{16}\.v8$/);
    const st = fs.statSync(path.join(s.home, 'cache', name));
    assert.equal(st.mode & 0o777, 0o600, 'the cache file is private');
    assert.equal(fs.statSync(path.join(s.home, 'cache')).mode & 0o777, 0o700, 'its folder is private');
    assert.ok(st.size > 100_000, `a cache of the bundle (${st.size} bytes)`);

    const second = await runOnce(launcher, s.home);
    assert.match(second, /code cache: used .*component-ticker-/);
    assert.doesNotMatch(second, /wrote/);
    assert.deepEqual(shape(second), shape(first), 'the same output with the cache');
    assert.deepEqual(caches(s.home), [name]);

    const off = await runOnce(launcher, path.join(s.dir, 'home-off'), { FLOWCTL_CODE_CACHE: '0' });
    assert.deepEqual(caches(path.join(s.dir, 'home-off')), [], 'FLOWCTL_CODE_CACHE=0: no cache');
    assert.deepEqual(shape(off), shape(first));
  } finally {
    s.done();
  }
});

test('same-named bundles in two folders get their own caches; a rebuilt bundle replaces its old cache; month-old caches go', { timeout: 60_000 }, async () => {
  const s = scratch();
  try {
    // Two copies of the built ticker (launcher + bundle), as two projects with a `ticker` would have.
    const copies = ['a', 'b'].map((d) => {
      const dir = path.join(s.dir, d);
      fs.mkdirSync(dir);
      for (const f of ['ticker.js', 'ticker.main.js']) fs.copyFileSync(path.join(BUILT, f), path.join(dir, f));
      return path.join(dir, 'ticker.js');
    });
    // A cache nobody has written for 31 days (a bundle since moved away), and a fresh one of something else.
    fs.mkdirSync(path.join(s.home, 'cache'), { recursive: true, mode: 0o700 });
    const stale = path.join(s.home, 'cache', 'component-gone-0123abcd-0123456789abcdef.v8');
    const recent = path.join(s.home, 'cache', 'cli-run-0123456789abcdef.v8');
    for (const f of [stale, recent]) fs.writeFileSync(f, 'x', { mode: 0o600 });
    const monthAgo = (Date.now() - 31 * 24 * 3600 * 1000) / 1000;
    fs.utimesSync(stale, monthAgo, monthAgo);

    const tickers = () => caches(s.home).filter((n) => n.startsWith('component-ticker-'));
    await runOnce(copies[0], s.home);
    const [cacheA] = tickers();
    await runOnce(copies[1], s.home);
    const cacheB = tickers().find((n) => n !== cacheA)!;
    assert.equal(tickers().length, 2, `one cache per folder: ${tickers().join(', ')}`);
    const where = (n: string) => n.split('-')[2];
    assert.notEqual(where(cacheA), where(cacheB), 'the names differ by the folder');
    assert.ok(!fs.existsSync(stale), 'the month-old cache was removed');
    assert.ok(fs.existsSync(recent), 'a recent cache of something else stays');

    // Rebuilt (another size and mtime): a new key; the old cache of that bundle is replaced, the other folder's stays.
    fs.appendFileSync(path.join(s.dir, 'a', 'ticker.main.js'), '\n// rebuilt\n');
    assert.match(await runOnce(copies[0], s.home), /none yet/);
    const after = tickers();
    assert.equal(after.length, 2, `still one per folder: ${after.join(', ')}`);
    assert.ok(after.includes(cacheB), "the other folder's cache stays");
    assert.ok(!after.includes(cacheA), 'the rebuilt bundle\'s old cache was replaced');
    assert.ok(after.some((n) => n !== cacheB && where(n) === where(cacheA)), 'by a new one of the same folder');
  } finally {
    s.done();
  }
});
