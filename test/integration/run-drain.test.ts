// `flowctl run` as a user runs it: Ctrl+C drains (sources stop first, what is in flight reaches the sinks,
// then the sinks stop), and every run keeps its own log folder.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor } from '../helpers/net';
import { markedProcesses, node, runEnv, startRun, stopRun, writePipeline } from './run-helpers';

function chain(rate: number, output = 'sink.jsonl'): string {
  return `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: drain-test }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "${rate}" }
  processors:
    - id: relay
      command: ${node('components/relay-processor.js')}
      inputs: [src]
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [relay]
      env: { OUTPUT_FILE: "${output}" }
`;
}

function sinkSeqs(file: string): number[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { seq: number }).seq);
}

test('Ctrl+C at 500 events/s: every event the source produced reaches the sink, once, in order; exit 0, state stopped', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(env.dir, chain(500));
  const run = startRun(file, ['--show-status=false'], env);
  await run.waitForOutput('Pipeline is running');
  const out = path.join(env.dir, 'sink.jsonl');
  await waitFor(() => sinkSeqs(out).length > 1200, 20_000, 'events at the sink');
  const result = await stopRun(run, 'SIGINT');
  assert.equal(result.code, 0, run.stdout());
  assert.match(run.stdout(), /✓ Pipeline stopped — \d+ events processed\n/);
  const seqs = sinkSeqs(out);
  assert.deepEqual(
    seqs.filter((s, i) => s !== i + 1).slice(0, 5),
    [],
    'the sink got 1…N with no gap, duplicate or reordering',
  );
  // The source says how many it produced before it stopped: all of them reached the sink.
  const srcLog = fs.readFileSync(path.join(env.dir, 'logs', 'latest', 'src.log'), 'utf8');
  const ended = /src: stream ended after (\d+) event\(s\) in total/.exec(srcLog);
  assert.ok(ended, srcLog.slice(-2000));
  assert.equal(Number(ended[1]), seqs.length, 'nothing in flight was lost');
  assert.doesNotMatch(run.stdout(), /dropped/);
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
});

test('each run writes its own log folder; latest points at the newest; --keep-run-logs prunes the oldest, never a live run\'s', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(env.dir, chain(20));
  const logs = path.join(env.dir, 'logs');
  const first = startRun(file, ['--show-status=false'], env);
  await first.waitForOutput('Pipeline is running');
  assert.equal((await stopRun(first)).code, 0);
  const firstDir = fs.realpathSync(path.join(logs, 'latest'));
  const firstLog = fs.readFileSync(path.join(firstDir, 'src.log'), 'utf8');
  assert.match(first.stdout(), new RegExp(`Component logs are being written under ${firstDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`));

  const second = startRun(file, ['--show-status=false'], env);
  await second.waitForOutput('Pipeline is running');
  assert.equal((await stopRun(second)).code, 0);
  const secondDir = fs.realpathSync(path.join(logs, 'latest'));
  assert.notEqual(secondDir, firstDir, 'a new folder for the new run');
  assert.equal(fs.readFileSync(path.join(firstDir, 'src.log'), 'utf8'), firstLog, "the first run's log is untouched");
  assert.match(path.basename(secondDir), /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}$/);
  assert.equal((fs.statSync(secondDir).mode & 0o777).toString(8), '700', 'run log folders are private');

  const third = startRun(file, ['--show-status=false', '--keep-run-logs', '2'], env);
  await third.waitForOutput('Pipeline is running');
  assert.equal((await stopRun(third)).code, 0);
  const runs = fs.readdirSync(logs).filter((n) => /^\d{8}T/.test(n));
  assert.equal(runs.length, 2, `two run folders kept: ${runs}`);
  assert.ok(!fs.existsSync(firstDir), 'the oldest was removed');
  assert.ok(fs.existsSync(secondDir));

  // A run of another file into the same folder with --keep-run-logs 1 leaves the folder of a run still going.
  const live = startRun(file, ['--show-status=false'], env);
  await live.waitForOutput('Pipeline is running');
  const liveDir = fs.realpathSync(path.join(logs, 'latest'));
  const other = startRun(writePipeline(env.dir, chain(20, 'other.jsonl'), 'other.yml'), ['--show-status=false', '--keep-run-logs', '1'], env);
  await other.waitForOutput('Pipeline is running');
  assert.equal((await stopRun(other)).code, 0, other.stdout());
  assert.ok(fs.existsSync(path.join(liveDir, 'src.log')), "the live run's folder is still there");
  assert.ok(!fs.existsSync(secondDir), 'ended runs were pruned');
  assert.equal((await stopRun(live)).code, 0, live.stdout());
  assert.match(fs.readFileSync(path.join(liveDir, 'src.log'), 'utf8'), /stream ended after \d+ event/, 'it logged there to its end');
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left');
});
