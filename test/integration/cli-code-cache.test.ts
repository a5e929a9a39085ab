// The CLI's V8 code cache (src/cli/launcher.ts) as a user meets it: real `node dist/cli.js` processes with
// their own FLOWCTL_HOME. The first run of a command makes a private cache at exit, the next one uses it and
// prints the same; a damaged cache is rejected and made again; a cache others may write, one another user
// owns, or a symlink is never read; FLOWCTL_CODE_CACHE=0 makes none; a typo gets no cache of its own;
// errors and exit codes are the same with and without a cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { repoRoot } from '../helpers/paths';
import { idlePipelineYaml } from '../helpers/pipelines';

const PIPELINE = idlePipelineYaml('cache-check');

function scratch(): { home: string; file: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-cache-'));
  const file = path.join(dir, 'flow.yml');
  fs.writeFileSync(file, PIPELINE);
  return { home: path.join(dir, 'home'), file, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function caches(home: string): string[] {
  const dir = path.join(home, 'cache');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

test('the first run of a command makes a private code cache at exit; the next run uses it and says the same', { timeout: 60_000 }, async () => {
  const s = scratch();
  try {
    const env = { FLOWCTL_HOME: s.home, FLOWCTL_DEBUG: '1' };
    const first = await runCli(['validate', s.file], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /code cache: none yet: .*cli-validate-[0-9a-f]{16}\.v8 is made at exit/);
    assert.match(first.stderr, /code cache: wrote .*cli-validate-[0-9a-f]{16}\.v8 \(\d+ bytes\)/);
    const [name] = caches(s.home);
    assert.match(name, /^cli-validate-[0-9a-f]{16}\.v8$/);
    const st = fs.statSync(path.join(s.home, 'cache', name));
    assert.equal(st.mode & 0o777, 0o600, 'the cache file is private');
    assert.equal(fs.statSync(path.join(s.home, 'cache')).mode & 0o777, 0o700, 'its folder is private');
    assert.ok(st.size > 50_000, `a cache of the bundle (${st.size} bytes)`);

    const second = await runCli(['validate', s.file], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /code cache: used .*cli-validate-/);
    assert.doesNotMatch(second.stderr, /wrote/);
    assert.equal(second.stdout, first.stdout, 'the same output with the cache');

    // Another command gets its own cache; a typo shares the one for everything else.
    await runCli(['--version'], env);
    await runCli(['valdiate', s.file], env);
    await runCli(['nonsense-command'], env);
    assert.deepEqual(caches(s.home).map((n) => n.replace(/-[0-9a-f]{16}\.v8$/, '')), ['cli-other', 'cli-validate']);
  } finally {
    s.done();
  }
});

test('a damaged cache is rejected and made again; errors and exit codes are the same with and without one', { timeout: 60_000 }, async () => {
  const s = scratch();
  try {
    const env = { FLOWCTL_HOME: s.home, FLOWCTL_DEBUG: '1' };
    const bare = await runCli(['validate', path.join(path.dirname(s.file), 'missing.yml')], { FLOWCTL_HOME: s.home, FLOWCTL_CODE_CACHE: '0' });
    assert.equal(bare.code, 1);
    assert.deepEqual(caches(s.home), [], 'FLOWCTL_CODE_CACHE=0: no cache');
    await runCli(['validate', s.file], env);
    const [name] = caches(s.home);
    const file = path.join(s.home, 'cache', name);
    fs.writeFileSync(file, Buffer.alloc(4096, 7), { mode: 0o600 });
    const damaged = await runCli(['validate', path.join(path.dirname(s.file), 'missing.yml')], env);
    assert.equal(damaged.code, bare.code);
    assert.match(damaged.stderr, /was rejected by V8: made again at exit/);
    assert.equal(damaged.stderr.split('\n').filter((l) => l.startsWith('Error:')).join('\n'), bare.stderr.trim(), 'the same error');
    assert.ok(fs.statSync(file).size > 50_000, 'made again');
    const again = await runCli(['validate', s.file], env);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /code cache: used/);
  } finally {
    s.done();
  }
});

test('a cache that others may write, that another user owns, or that is a symlink is never read', { timeout: 60_000 }, async () => {
  const s = scratch();
  try {
    const env = { FLOWCTL_HOME: s.home, FLOWCTL_DEBUG: '1' };
    await runCli(['validate', s.file], env);
    const [name] = caches(s.home);
    const file = path.join(s.home, 'cache', name);

    fs.chmodSync(file, 0o620);
    const writable = await runCli(['validate', s.file], env);
    assert.equal(writable.code, 0);
    assert.match(writable.stderr, /is not a private file of this user \(or too large\): not used/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'replaced by a private one at exit');

    if (process.getuid?.() === 0) {
      fs.chownSync(file, 65534, 65534);
      const foreign = await runCli(['validate', s.file], env);
      assert.match(foreign.stderr, /not a private file of this user/);
      assert.equal(fs.statSync(file).uid, 0, 'replaced by one of ours at exit');
    }

    const elsewhere = path.join(path.dirname(s.file), 'elsewhere.v8');
    fs.renameSync(file, elsewhere);
    fs.symlinkSync(elsewhere, file);
    const linked = await runCli(['validate', s.file], env);
    assert.equal(linked.code, 0);
    assert.doesNotMatch(linked.stderr, /code cache: used/, 'a symlink is not followed');

    fs.chmodSync(path.join(s.home, 'cache'), 0o777);
    const openFolder = await runCli(['validate', s.file], env);
    assert.match(openFolder.stderr, /is not a private folder of this user: not used/);
  } finally {
    s.done();
  }
});

test('the bundles launchers run (the CLI, the example components) have no dynamic import(): they are compiled as scripts, where import() would fail', () => {
  const examples = path.join(repoRoot(), 'dist', 'examples');
  const mains = fs.readdirSync(examples, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.main.js'));
  assert.ok(mains.length >= 6, `the example components' bundles: ${mains.join(', ')}`);
  for (const file of [path.join(repoRoot(), 'dist', 'cli-main.js'), ...mains.map((f) => path.join(examples, f))]) {
    const text = fs.readFileSync(file, 'utf8');
    const at = text.search(/(?<![\w$.])import\s*\(/);
    assert.equal(at, -1, `${file}: import( at offset ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 60), at + 40))}`);
  }
});
