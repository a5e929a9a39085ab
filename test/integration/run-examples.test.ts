// The shipped examples and data-flow shapes under `flowctl run`, as a user runs them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { repoRoot } from '../helpers/paths';
import { occupyPort, waitFor } from '../helpers/net';
import { markedProcesses, node, runEnv, startRun, stopRun, writePipeline } from './run-helpers';

function lines(file: string): any[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Copies an example folder next to a temp dir so its relative commands still point at dist/. */
function exampleCopy(name: string, env: { dir: string }): string {
  const src = path.join(repoRoot(), 'examples', name, 'flow.yml');
  const text = fs.readFileSync(src, 'utf8').replaceAll('../../dist/', `${path.join(repoRoot(), 'dist')}/`);
  return writePipeline(env.dir, text);
}

test('the demo runs end to end: events reach both sinks, run metrics agree with the sinks', async (t) => {
  const env = runEnv(t);
  const file = exampleCopy('demo', env);
  const run = startRun(file, ['--show-status=false'], env);
  await run.waitForOutput('Pipeline is running');
  const status = await runCli(['status'], env.env);
  assert.match(status.stdout, /Pipeline: demo-trades\nStatus: RUNNING\nComponents: 4 total \(4 healthy\)/);
  const out = path.join(env.dir, 'output', 'events.jsonl');
  await waitFor(() => lines(out).length >= 20, 20_000, 'events in the JSONL sink');
  const written = lines(out);
  assert.ok(written.every((e) => e.type === 'demo.trade.enriched.v1' || e.event?.type === 'demo.trade.enriched.v1' || JSON.stringify(e).includes('notional')), 'enriched events');
  const withCounts = await runCli(['status'], env.env);
  assert.match(withCounts.stdout, /counter-sink \(HEALTH_STATUS_HEALTHY\)(.|\n)*Events: [1-9]\d* in, 0 out/);
  const result = await stopRun(run);
  assert.equal(result.code, 0);
  assert.deepEqual(markedProcesses(env.marker), []);
  // Final figures: events processed = deliveries to the two sinks = 2 × the JSONL sink's lines.
  const total = Number(/Pipeline stopped — (\d+) events processed/.exec(run.stdout())?.[1]);
  assert.equal(total, 2 * lines(out).length, run.stdout().slice(-2000));
});

test('fan-out (one source, two sinks) and fan-in (two sources, one sink) follow inputs', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: shapes }
spec:
  sources:
    - id: a
      command: ${node('components/count-source.js')}
      env: { COUNT: "40", RATE: "200" }
    - id: b
      command: ${node('components/count-source.js')}
      env: { COUNT: "25", RATE: "200" }
  sinks:
    - id: both
      command: ${node('components/record-sink.js')}
      inputs: [a, b]
      env: { OUTPUT_FILE: "both.jsonl" }
    - id: only-a
      command: ${node('components/record-sink.js')}
      inputs: [a]
      env: { OUTPUT_FILE: "only-a.jsonl" }
`,
  );
  const run = startRun(file, ['--show-status=false'], env);
  await run.waitForOutput('Pipeline is running');
  await waitFor(() => lines(path.join(env.dir, 'both.jsonl')).length === 65 && lines(path.join(env.dir, 'only-a.jsonl')).length === 40, 20_000, 'all events delivered');
  const both = lines(path.join(env.dir, 'both.jsonl'));
  assert.deepEqual([...new Set(both.map((e) => e.source))].sort(), ['a', 'b'], 'fan-in: both sources reach one sink');
  assert.deepEqual(new Set(lines(path.join(env.dir, 'only-a.jsonl')).map((e) => e.source)), new Set(['a']), 'only-a gets only a');
  const result = await stopRun(run);
  assert.equal(result.code, 0);
  assert.match(run.stdout(), /Pipeline stopped — 105 events processed/);
  assert.deepEqual(markedProcesses(env.marker), []);
});

test('a Go-SDK-like component (other id, ":port" endpoint, registers before listening, UNKNOWN heartbeats) is matched by process and wired', async (t) => {
  const env = runEnv(t);
  const file = exampleCopy('go-sdk-like', env);
  const run = startRun(file, ['--show-status=false', '--heartbeat-ttl', '3s'], env);
  await run.waitForOutput('Pipeline is running');
  assert.match(run.stdout(), /ledgers registered under id "go-like-ledger-source" \(matched by its process\)/);
  const out = path.join(env.dir, 'output', 'ledgers.jsonl');
  await waitFor(() => lines(out).length >= 5, 20_000, 'ledgers in the sink');
  // With a 3 s TTL and heartbeats every 10 s it goes stale (UNHEALTHY) once, before its first heartbeat… and
  // that heartbeat, whose status is UNKNOWN like every Go SDK heartbeat, brings it back to HEALTHY (flowctl kept
  // it UNHEALTHY for good). From then on its observed 10 s interval is allowed for: no more flapping.
  const statusOf = async () => {
    const st = JSON.parse((await runCli(['status', '--json'], env.env)).stdout);
    return st.components.find((c: any) => c.component.id === 'go-like-ledger-source')?.status;
  };
  await run.waitForOutput(/ledgers is unhealthy: no heartbeat within the heartbeat TTL/, 20_000);
  await run.waitForOutput(/ledgers is healthy again/, 20_000);
  assert.equal(await statusOf(), 2, 'HEALTHY after the UNKNOWN heartbeat');
  const result = await stopRun(run);
  assert.equal(result.code, 0);
  assert.deepEqual(markedProcesses(env.marker), []);
});

test('a legacy-API component runs under flowctl run: registered, healthy, with its double metrics', async (t) => {
  const env = runEnv(t);
  const file = exampleCopy('legacy-component', env);
  const run = startRun(file, ['--show-status=false'], env);
  await run.waitForOutput('Pipeline is running');
  assert.match(run.stdout(), /legacy-source registered through the legacy flowctl\.ControlPlane API/);
  await waitFor(async () => {
    const list = await runCli(['list', '--json'], env.env);
    const legacy = JSON.parse(list.stdout).find((s: any) => s.service_id === 'legacy-source');
    return legacy?.is_healthy && Object.keys(legacy.metrics ?? {}).length > 0;
  }, 20_000, 'legacy heartbeat metrics');
  const result = await stopRun(run);
  assert.equal(result.code, 0);
  assert.deepEqual(markedProcesses(env.marker), []);
});

test('an invalid pipeline is not started: every problem is printed with file:line:column', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: broken }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [nope]
      restart_policy: sometimes
`,
  );
  const run = startRun(file, [], env);
  const result = await run.exited;
  assert.equal(result.code, 1);
  const out = run.stdout();
  assert.match(out, /Pipeline validation failed/);
  assert.match(out, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:11:\\d+: error: .*nope`));
  assert.match(out, /:12:\d+: error: .*restart_policy/);
  assert.deepEqual(markedProcesses(env.marker), [], 'nothing was started');
});

test('components without a command (registry or type-only, as flowctl would download) are named before anything starts', async (t) => {
  const env = runEnv(t);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: registry-only }
spec:
  sources:
    - id: stellar
      type: stellar-live-source@v1.0.0
  sinks:
    - id: duck
      type: duckdb-consumer@v1.0.0
      inputs: [stellar]
`,
  );
  const run = startRun(file, [], env);
  const result = await run.exited;
  assert.equal(result.code, 1);
  assert.match(run.stdout(), /2 component\(s\) have nothing to run \(no command and no image\):\n  flow\.yml:6:7: stellar \(type stellar-live-source@v1\.0\.0\)\n  flow\.yml:9:7: duck/);
  assert.doesNotMatch(run.stdout(), /Control plane ready/, 'nothing was started');
});

test('a control-plane port in use fails clearly, names the port and the flag, and starts nothing', async (t) => {
  const env = runEnv(t);
  const busy = await occupyPort();
  t.after(() => busy.close());
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: busy-port }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
`,
  );
  const run = startRun(file, ['--control-plane-port', String(busy.port)], env);
  const result = await run.exited;
  assert.equal(result.code, 1);
  assert.match(run.stdout(), new RegExp(`failed to create listener on 127\\.0\\.0\\.1:${busy.port}: address already in use\\ntry a different port with --control-plane-port or use --control-plane-port 0`));
  assert.doesNotMatch(run.stderr(), /No address added/, 'no grpc-js noise next to our message');
  assert.deepEqual(markedProcesses(env.marker), []);
});

test('a missing pipeline file is one clear error', async () => {
  const r = await runCli(['run', 'no-such-flow.yml']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error: pipeline file not found: no-such-flow.yml\n');
});
