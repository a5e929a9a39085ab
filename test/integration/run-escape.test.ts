// `flowctl run` as a user runs it, against the ways processes escape and output hurts: a setsid daemon
// is gone after Ctrl+C; a runner killed -9 at 0.2 s, 0.5 s and 1 s into starting 200 components leaves
// nothing once the next run has started (checked by environment marker over all of /proc); a stalled
// stdout reader keeps the runner under a fixed memory bound while a component writes 200 MB, and the
// drop notice appears; escape sequences are stripped in the run view and in status/list.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliPath, repoRoot } from '../helpers/paths';
import { runCli } from '../helpers/cli';
import { waitFor } from '../helpers/net';
import { killMarked, markedProcesses, node, runEnv, startRun, stopRun, writePipeline, type RunEnv } from './run-helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** VmRSS of a process in MiB (NaN once it is gone). */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

test('a daemon a component started in its own session (setsid) is gone after Ctrl+C; files the run creates are private', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: daemon-test }
spec:
  sources:
    - id: src
      command: ${node('run/quiet.js')}
  pipelines:
    - id: forker
      command: ["sh", "-c", "setsid sleep 600 & echo daemon $!; exec sleep 600"]
`,
  );
  const run = startRun(file, ['--show-status=false'], env);
  await run.waitForOutput('Pipeline is running');
  await run.waitForOutput(/forker: +daemon \d+/);
  const daemon = Number(/forker: +daemon (\d+)/.exec(run.stdout())![1]);
  await waitFor(() => markedProcesses(env.marker).includes(daemon), 5000, 'the daemon');
  const stat = fs.readFileSync(`/proc/${daemon}/stat`, 'utf8').split(') ')[1].split(' ');
  assert.equal(Number(stat[3]), daemon, 'the daemon leads its own session');

  // While it runs: the journal and its folder, the log folder and files are private.
  const runs = path.join(env.home, 'runs');
  const journals = fs.readdirSync(runs).filter((n) => n.endsWith('.jsonl'));
  assert.equal(journals.length, 1, `one journal: ${journals}`);
  assert.equal(mode(runs), 0o700);
  assert.equal(mode(path.join(runs, journals[0])), 0o600);
  // Each run writes its own log folder under --log-dir (logs/latest points at it).
  const logs = path.join(env.dir, 'logs');
  const runLogs = fs.realpathSync(path.join(logs, 'latest'));
  assert.equal(mode(logs), 0o700);
  assert.equal(mode(runLogs), 0o700);
  assert.equal(mode(path.join(runLogs, 'forker.log')), 0o600);
  assert.equal(mode(path.join(runLogs, 'src.log')), 0o600);

  const result = await stopRun(run, 'SIGINT');
  assert.equal(result.code, 0, run.stdout());
  assert.deepEqual(markedProcesses(env.marker), [], 'nothing left, the daemon included');
  assert.deepEqual(fs.readdirSync(runs).filter((n) => n.endsWith('.jsonl')), [], 'the journal is removed after a clean stop');
});

function manyComponents(n: number): string {
  const lines = ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata: { name: many-test }', 'spec:', '  pipelines:'];
  for (let i = 0; i < n; i++) {
    // Every tenth leaves a daemon in its own session.
    const command = i % 10 === 0 ? '["sh", "-c", "setsid sleep 600 & exec sleep 600"]' : '["sleep", "600"]';
    lines.push(`    - id: c${i}`, `      command: ${command}`);
  }
  return lines.join('\n') + '\n';
}

for (const delayMs of [200, 500, 1000]) {
  test(`a runner killed -9 ${delayMs} ms into starting 200 components (from the first spawn): the next run leaves nothing of it`, async (t) => {
    const first = runEnv(t);
    const file = writePipeline(first.dir, manyComponents(200));
    const run = startRun(file, ['--show-status=false'], first);
    await run.waitForOutput('Launching components');
    // Counted from the first component process (on a busy machine the runner takes a while to get there).
    await waitFor(() => markedProcesses(first.marker, [run.child.pid!]).length > 0, 30_000, 'the first component', 5);
    await sleep(delayMs);
    run.child.kill('SIGKILL');
    await run.exited;
    await sleep(200);
    const atKill = markedProcesses(first.marker);
    t.diagnostic(`${atKill.length} processes of the first run alive after its runner was killed`);
    assert.ok(atKill.length > 0, 'the killed run left processes behind');

    // The next run: same FLOWCTL_HOME (where the journal is), its own marker for the leak check.
    const second: RunEnv = { ...first, marker: crypto.randomUUID() };
    second.env = { ...first.env, FLOWCTL_TEST_MARKER: second.marker };
    t.after(() => killMarked(second.marker));
    const other = writePipeline(first.dir, `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: next-run }
spec:
  sources:
    - id: q
      command: ${node('run/quiet.js')}
`, 'next.yml');
    const next = startRun(other, ['--show-status=false'], second);
    await next.waitForOutput('Pipeline is running', 60_000);
    assert.deepEqual(markedProcesses(first.marker), [], `nothing of the killed run is left (${atKill.length} were alive)`);
    if (atKill.length > 0) assert.match(next.stdout(), /stopped leftover process \d+/);
    assert.equal((await stopRun(next)).code, 0, next.stdout());
    assert.deepEqual(markedProcesses(second.marker), []);
  });
}

test('a stalled stdout reader: a component writes 200 MB, the runner stays under 250 MB, drops are marked, the log file has every line', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: flood-test }
spec:
  pipelines:
    - id: flood
      command: ${node('run/flood.js')}
      env: { FLOOD_MB: "200" }
`,
  );
  const logFile = path.join(env.dir, 'logs', 'latest', 'flood.log'); // this run's own log folder
  const child = spawn(
    process.execPath,
    [cliPath(), 'run', file, '--control-plane-port', '0', '--no-persistence', '--log-dir', path.join(env.dir, 'logs'), '--show-status=false'],
    { cwd: repoRoot(), env: { ...process.env, NO_COLOR: '1', ...env.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Nobody reads stdout until the component is done: the pipe fills and stays full.
  child.stdout!.pause();
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => void child.kill('SIGKILL'));

  const BOUND_MB = 250;
  let maxRss = 0;
  const tail = () => {
    try {
      const fd = fs.openSync(logFile, 'r');
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, 4096));
      fs.readSync(fd, buf, 0, buf.length, Math.max(0, size - buf.length));
      fs.closeSync(fd);
      return buf.toString();
    } catch {
      return '';
    }
  };
  const t0 = Date.now();
  while (!/flood done \d+/.test(tail())) {
    const rss = rssMb(child.pid!);
    if (!Number.isNaN(rss)) maxRss = Math.max(maxRss, rss);
    if (child.exitCode !== null) assert.fail(`the runner exited early (${child.exitCode}): ${stderr}`);
    if (Date.now() - t0 > 240_000) assert.fail(`the component did not finish writing in 240 s (log ${fs.existsSync(logFile) ? fs.statSync(logFile).size : 0} bytes)`);
    await sleep(100);
  }
  t.diagnostic(`runner peak RSS ${maxRss.toFixed(0)} MB while the component wrote 200 MB to a stalled stdout (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  assert.ok(maxRss > 0, 'RSS was sampled');
  assert.ok(maxRss < BOUND_MB, `runner RSS peaked at ${maxRss.toFixed(0)} MB (bound ${BOUND_MB} MB)`);

  // Now read: what was kept arrives, with the gap marked; the run ends by itself (the component exited 0).
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stdout!.resume();
  assert.equal(await exited, 0, `${out.slice(-2000)}\n${stderr}`);
  // The stall can be broken into several gaps (the pipe drains a little now and then): count them all.
  const notices = [...out.matchAll(/… (\d+) lines dropped …/g)].map((m) => Number(m[1]));
  assert.ok(notices.length > 0, 'the drop notice is shown');
  const droppedLines = notices.reduce((a, b) => a + b, 0);
  assert.ok(droppedLines > 1_000_000, `most lines were dropped (${droppedLines} in ${notices.length} gap(s))`);
  const written = Number(/flood done (\d+)/.exec(tail())![1]);
  assert.ok(written >= 2_097_152, `200 MB of 100-byte lines (${written})`);
  assert.match(out, new RegExp(`flood: +flood done ${written}\n`), 'the newest lines arrive after the gap');
  assert.match(out, /log lines were not shown because the output was read too slowly; the log files have them all/);
  // The log file lost nothing: every numbered line is there.
  const text = fs.readFileSync(logFile, 'utf8');
  let count = 0;
  for (let i = text.indexOf(' xxxxxxxx'); i >= 0; i = text.indexOf(' xxxxxxxx', i + 1)) count++; // one per numbered line
  assert.ok(text.includes(' 0000000001 x') && text.includes(` ${String(written).padStart(10, '0')} x`), 'first and last numbered lines present');
  assert.equal(count, written, 'every line is in the log file');
});

test('escape sequences from a component never reach the terminal: run view, status, list', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: hostile-test }
spec:
  pipelines:
    - id: hostile
      command: ${node('run/hostile.js')}
`,
  );
  const run = startRun(file, ['--show-status=false'], env);
  await run.waitForOutput('hostile registered');
  const out = run.stdout();
  assert.match(out, /hostile: +clipboard-attempt cleared titled \x1b\[31mred-kept\x1b\[0m/, 'text and colours kept');
  assert.doesNotMatch(out, /\x1b\]/, 'no OSC (title, clipboard)');
  assert.doesNotMatch(out, /\x1b\[2J/, 'no clear screen');
  const idRefused = out.includes('hostile id refused');

  const ESC = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/; // any control character but the newline
  await waitFor(async () => (await runCli(['status'], env.env)).stdout.includes('plain: 1'), 10_000, 'metrics in status');
  const status = await runCli(['status'], env.env);
  assert.equal(status.code, 0, status.stderr);
  assert.doesNotMatch(status.stdout, ESC, `no control character in status output:\n${JSON.stringify(status.stdout)}`);
  assert.match(status.stdout, /      key\\e\]52;c;SGVsbG8=\\x07: value\\e\[2J\\nsecond\n/, 'metric key and value escaped, on one line');
  if (!idRefused) assert.match(status.stdout, /\n  evil\\e\[2J\\nid \(HEALTH_STATUS_HEALTHY\)\n/, 'the id escaped, on one line');

  const json = await runCli(['status', '--json'], env.env);
  assert.doesNotMatch(json.stdout, ESC, 'JSON output is escaped too');
  const parsed = JSON.parse(json.stdout);
  const comp = parsed.components.find((c: any) => c.metrics?.plain === '1');
  assert.equal(comp.metrics['key\x1b]52;c;SGVsbG8=\x07'], 'value\x1b[2J\nsecond', 'JSON keeps the exact values');

  const list = await runCli(['list'], env.env);
  assert.doesNotMatch(list.stdout, ESC, 'no control character in list output');
  if (!idRefused) assert.match(list.stdout, /ID: evil\\e\[2J\\nid\n/);

  assert.equal((await stopRun(run)).code, 0, run.stdout());
  assert.deepEqual(markedProcesses(env.marker), []);
});
