// docs/sdk.md is run, not just read: every code block carries a `<!-- doc-test: … -->` marker and is
// written out (`file <path>`), run to completion (`sh <dir>`) or started and kept running
// (`sh-background <dir>`), in the order of the page, in a scratch copy of the repository layout
// (node_modules, src, proto and dist linked from this checkout). The page's pipeline then has to
// deliver its events to the sink, survive the source's restart without a duplicate or a gap, report
// the metrics the page promises, and stop with exit code 0 on SIGINT.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import { makeTempDir, removeTempDir, repoRoot } from '../helpers/paths';
import { waitFor } from '../helpers/net';
import { killMarked } from '../integration/run-helpers';
import { codeBlocks, readDoc } from './markdown';

const KINDS = new Set(['file', 'sh', 'sh-background']);

interface Ran {
  code: number | null;
  out: string;
}

test('docs/sdk.md: every code block is marked as a file to write or a command to run', () => {
  const blocks = codeBlocks(readDoc('sdk.md'));
  assert.ok(blocks.length >= 8, `only ${blocks.length} code blocks found`);
  for (const b of blocks) {
    assert.ok(b.marker && KINDS.has(b.marker[0]) && b.marker.length === 2, `sdk.md:${b.line}: a \`${b.lang}\` block without a <!-- doc-test: file|sh|sh-background <path> --> marker`);
    assert.ok(!path.isAbsolute(b.marker[1]) && !b.marker[1].split('/').includes('..'), `sdk.md:${b.line}: the path must stay in the scratch folder`);
    if (b.marker[0] !== 'file') assert.equal(b.lang, 'sh', `sdk.md:${b.line}: commands are \`sh\` blocks`);
  }
});

test('docs/sdk.md: the page built from scratch runs as a pipeline: events reach the sink, the source resumes after a restart, Ctrl+C exits 0', { timeout: 360_000 }, async (t) => {
  const root = repoRoot();
  const scratch = makeTempDir('flowctl-docs-sdk-');
  const home = path.join(scratch, 'home');
  const marker = crypto.randomUUID();
  let background: ChildProcess | undefined;
  t.after(() => {
    if (background?.pid && background.exitCode === null) {
      try {
        process.kill(-background.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    killMarked(marker);
    removeTempDir(scratch);
  });
  for (const link of ['node_modules', 'src', 'proto', 'dist']) fs.symlinkSync(path.join(root, link), path.join(scratch, link));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
    FLOWCTL_HOME: home,
    FLOWCTL_TEST_MARKER: marker,
    NO_COLOR: '1',
  };
  // This test runs under `node --test`; the page's own `node --test` must not think it is nested in it.
  delete env.NODE_TEST_CONTEXT;

  const runSh = (code: string, cwd: string, timeoutMs: number): Promise<Ran> =>
    new Promise((resolve) => {
      const child = spawn('bash', ['-eo', 'pipefail', '-c', code], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });

  let backgroundOut = '';
  let backgroundExit: Promise<number | null> | undefined;
  const sinkFile = () => path.join(scratch, 'my-pipeline', 'output', 'squares.jsonl');
  const sinkNumbers = (): number[] => {
    if (!fs.existsSync(sinkFile())) return [];
    return fs
      .readFileSync(sinkFile(), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const e = JSON.parse(l) as { id: string; type: string; n: number; square: number; from: string };
        assert.equal(e.type, 'demo.square.v1');
        assert.equal(e.id, `count-${e.n}`);
        assert.equal(e.square, e.n * e.n);
        assert.equal(e.from, 'square');
        return e.n;
      });
  };

  let linesAtRestart = -1;
  for (const b of codeBlocks(readDoc('sdk.md'))) {
    const [kind, rel] = b.marker!;
    const where = path.join(scratch, rel);
    if (kind === 'file') {
      fs.mkdirSync(path.dirname(where), { recursive: true });
      fs.writeFileSync(where, b.code);
      continue;
    }
    if (kind === 'sh-background') {
      assert.equal(background, undefined, 'one pipeline at a time');
      const child = spawn('bash', ['-c', b.code], { cwd: where, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      background = child;
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (backgroundOut += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (backgroundOut += d));
      backgroundExit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
      await waitFor(() => /Pipeline is running/.test(backgroundOut) || child.exitCode !== null, 120_000, 'the pipeline to run', 100);
      assert.match(backgroundOut, /Pipeline is running \(3 components\)/, `sdk.md:${b.line}: ${backgroundOut}`);
      await waitFor(() => sinkNumbers().length >= 10, 60_000, 'events at the sink', 100);
      continue;
    }
    if (/\brestart\b/.test(b.code)) linesAtRestart = sinkNumbers().length;
    const ran = await runSh(b.code, where, 180_000);
    assert.equal(ran.code, 0, `sdk.md:${b.line}: \`${b.code.trim()}\` exited with ${ran.code}:\n${ran.out}`);
    if (/ status\b/.test(b.code)) assert.match(ran.out, /counter[\s\S]*square[\s\S]*file-sink/, 'status lists the three components');
    if (/--test\b/.test(b.code)) assert.match(ran.out, /# pass 1/, ran.out);
  }
  assert.ok(background && backgroundExit, 'the page runs its pipeline');
  // "A built component … needs neither proto/ nor node_modules/": it requires Node's own modules only.
  const built = fs.readdirSync(path.join(scratch, 'my-pipeline', 'dist')).filter((f) => f.endsWith('.js'));
  assert.ok(built.includes('counter-source.js') && built.includes('file-sink.js'), built.join(', '));
  for (const f of built) {
    const requires = [...fs.readFileSync(path.join(scratch, 'my-pipeline', 'dist', f), 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.deepEqual(requires.filter((r) => !isBuiltin(r)), [], `dist/${f} requires only Node's modules`);
  }
  assert.ok(linesAtRestart > 0, 'the page restarts the source while events flow');

  // Delivery goes on after the restart, from where it stopped.
  await waitFor(() => sinkNumbers().length >= linesAtRestart + 20, 90_000, 'events after the restart', 200);
  assert.match(backgroundOut, /counter: stream re-opened, resuming after event "count-\d+"/);

  // The metrics the page promises, from the components' own /metrics endpoints (ports from status --json).
  const status = await runSh('node ../dist/cli.js status --json', path.join(scratch, 'my-pipeline'), 60_000);
  assert.equal(status.code, 0, status.out);
  const components = (JSON.parse(status.out) as { components: Array<{ component: { id: string; metadata: Record<string, string> } }> }).components;
  const metricsOf = async (id: string): Promise<Record<string, number>> => {
    const port = components.find((c) => c.component.id === id)?.component.metadata.health_port;
    assert.ok(port, `${id} registered its health_port`);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { metrics: Record<string, number> }).metrics;
  };
  assert.ok((await metricsOf('square')).counter_dropped_multiples_of_5 >= 1);
  assert.ok((await metricsOf('file-sink')).gauge_lines_written >= 1);
  assert.ok((await metricsOf('counter')).gauge_last_n >= 1);

  // Ctrl+C: exit 0, nothing lost or repeated at the sink.
  process.kill(-background.pid!, 'SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([backgroundExit, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 90_000)))]);
  clearTimeout(timer);
  assert.equal(code, 0, backgroundOut.slice(-3000));
  const numbers = sinkNumbers();
  const expected: number[] = [];
  for (let n = 1; n <= numbers[numbers.length - 1]; n++) if (n % 5 !== 0) expected.push(n);
  assert.deepEqual(numbers, expected, 'every number once, in order, multiples of 5 dropped, across the restart');
});
