// The run store as the Runs view reads it: a real `flowctl run` in another process writes its run
// record to the per-pipeline LMDB under FLOWCTL_HOME; this process reads it read-only while that run
// holds the store's lock, and again after the run ended (status, events, log folder, failures).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRunStore, runEvents, runStatusWord } from '../../src/core/history/runStore';
import { defaultRunDbPath } from '../../src/core/runner/openControlPlane';
import { waitFor } from '../helpers/net';
import { node, runEnv, startRun, stopRun, writePipeline } from './run-helpers';

function pipeline(name: string, extraSink = ''): string {
  return `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: ${name}
spec:
  driver: process
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "50" }
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: "sink.jsonl" }
${extraSink}`;
}

test('a run in another process: listed while it holds the store, then with its end status, events and log folder', async (t) => {
  const env = runEnv(t, 'flowctl-runstore-');
  const file = writePipeline(env.dir, pipeline('store-test'));
  process.env.FLOWCTL_HOME = env.home; // defaultRunDbPath resolves under it
  t.after(() => delete process.env.FLOWCTL_HOME);
  const db = defaultRunDbPath(file, 'store-test');
  const logDir = path.join(env.dir, 'logs');

  const run = startRun(file, ['--show-status=false', '--db-path', db], env);
  await run.waitForOutput('Pipeline is running');
  assert.ok(fs.existsSync(`${db}.pid`), 'the run holds the store lock');

  const live = await waitFor(() => {
    const r = readRunStore(db);
    return r.runs.length === 1 && runEvents(r.runs[0]) > 0 ? r : undefined;
  }, 20_000, 'the live run with events in its record');
  assert.equal(live.error, undefined);
  assert.equal(runStatusWord(live.runs[0].status), 'running');
  assert.equal(live.runs[0].pipelineName, 'store-test');
  // Each run has its own folder below --log-dir (<UTC time>-<run id 8>), kept with the run record.
  assert.equal(path.dirname(live.runs[0].logDir ?? ''), logDir, 'the run\'s log folder is kept with the run');
  assert.match(path.basename(live.runs[0].logDir ?? ''), /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}$/);
  assert.ok(fs.existsSync(path.join(live.runs[0].logDir!, 'src.log')), 'it holds the run\'s logs');
  assert.match(live.runs[0].configYaml, /count-source/, 'the config as it was');

  const result = await stopRun(run);
  assert.equal(result.code, 0, run.stderr());
  const ended = readRunStore(db);
  assert.equal(ended.runs.length, 1);
  assert.equal(runStatusWord(ended.runs[0].status), 'stopped');
  assert.ok(ended.runs[0].endTime >= ended.runs[0].startTime);
  assert.ok(runEvents(ended.runs[0]) > 0, 'events counted');

  // A second run that fails, into the same store: newest first, with the failing component and why.
  // (Its own file, so no rule about one live run per pipeline file can interfere with the timing.)
  fs.mkdirSync(path.join(env.dir, 'second'));
  const failing = writePipeline(
    path.join(env.dir, 'second'),
    pipeline('store-test', `    - id: crasher\n      command: ["node", "-e", "setTimeout(() => process.exit(7), 1500)"]\n      inputs: [src]\n`),
  );
  const second = startRun(failing, ['--show-status=false', '--db-path', db], env);
  // The crash fails the start: the CLI ends by itself (no Ctrl+C racing its cleanup).
  await waitFor(() => second.child.exitCode !== null || second.child.signalCode !== null, 60_000, 'the failing run to end by itself').catch(() => stopRun(second));
  const both = readRunStore(db);
  assert.equal(both.runs.length, 2);
  assert.ok(both.runs[0].startTime >= both.runs[1].startTime, 'newest first');
  assert.ok(
    both.runs[0].failures?.crasher,
    `the failing component and why: ${JSON.stringify({ ...both.runs[0], configYaml: '…' })}\n--- its output:\n${second.stdout().slice(-1500)}\n${second.stderr().slice(-1500)}`,
  );
  assert.match(both.runs[0].failures!.crasher, /code 7/);
});

test('a missing store reads as no runs; a file that is not a store says so', (t) => {
  const env = runEnv(t, 'flowctl-runstore-');
  assert.deepEqual(readRunStore(path.join(env.dir, 'nothing.lmdb')), { runs: [] });
  const junk = path.join(env.dir, 'junk.lmdb');
  fs.writeFileSync(junk, 'x'.repeat(9000));
  const r = readRunStore(junk);
  assert.deepEqual(r.runs, []);
  assert.match(r.error ?? '', /not a valid flowctl registry/);
});
