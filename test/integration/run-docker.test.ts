// Containers as components of a real run, on the real (shared) Docker engine with locally built images
// (scripts/docker-test-images.sh, built once per test process): the demo with every component as a
// container, a mixed pipeline (process → container → process) through the CLI, env and volumes inside
// a black-box container, a missing image / a missing engine before anything starts, Ctrl+C and kill -9
// leaving nothing behind, and a container restart that loses and repeats nothing.
//
// Each test has its own FLOWCTL_HOME, so its containers carry its own scope label: it only ever lists or
// removes those. The tests run concurrently: most of their time is the engine's, not this process's.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PipelinePreflightError, Runner } from '../../src/core/runner';
import type { ComponentView } from '../../src/core/events';
import { HealthStatus } from '../../src/core/controlplane/model';
import { DockerDriver, processInContainer } from '../../src/core/drivers/docker';
import { matchRegistration } from '../../src/core/runner/registrations';
import type { ServiceRecord } from '../../src/core/controlplane/model';
import { LABELS } from '../../src/core/drivers/dockerArgs';
import { runsDir } from '../../src/core/supervisor/journal';
import { waitFor } from '../helpers/net';
import { freePort } from '../../src/core/supervisor/env';
import { repoRoot } from '../helpers/paths';
import { runCli } from '../helpers/cli';
import { inspectContainer, removeScopedContainers, requireDocker, scopedContainers, type TestImages } from '../helpers/docker';
import { markedProcesses, node, runEnv, startRun, stopRun, writePipeline, type RunEnv } from './run-helpers';

const FIXTURES = path.join(repoRoot(), 'out', 'test', 'fixtures');
const PROTO = path.join(repoRoot(), 'proto');
/** Long enough for a container start and a component boot on a loaded shared machine. */
const SLOW = 120_000;

/** Removes what a test's runs left on the engine (only its own scope) and fails the test if anything was there. */
function noContainersAfter(t: { after(fn: () => void | Promise<void>): void }, env: RunEnv): void {
  t.after(() => {
    const left = removeScopedContainers(env.home);
    assert.equal(left, 0, `${left} container(s) of this test were left behind`);
  });
}

/** The containers of this test's state folder that still exist (any state). */
const containersOf = (env: RunEnv) => scopedContainers(env.home);

/** Leftover records (runs/<pid>-<id>.containers) in a state folder. */
function records(home: string): string[] {
  try {
    return fs.readdirSync(runsDir(home)).filter((n) => n.endsWith('.containers'));
  } catch {
    return [];
  }
}

/** Sequence numbers in a JSONL file written by record-sink (seq) or the demo's jsonl-sink (trade-<n>). */
function seqs(file: string): number[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const o = JSON.parse(l) as { seq?: number; id: string };
      return o.seq ?? Number(/^trade-(\d+)$/.exec(o.id)![1]);
    });
}

/** Strictly increasing: nothing twice, nothing out of order. Returns the numbers missing up to the last. */
function strictlyIncreasing(list: number[], label: string): number[] {
  assert.ok(list.length > 0, `${label}: no events`);
  for (let i = 1; i < list.length; i++) assert.ok(list[i] > list[i - 1], `${label}: ${list[i]} after ${list[i - 1]} (position ${i})`);
  const missing: number[] = [];
  let expected = list[0];
  for (const s of list) {
    for (; expected < s; expected++) missing.push(expected);
    expected = s + 1;
  }
  return missing;
}

/** The runner hosted in this process (as the extension hosts it), with this test's state folder. */
function host(t: { after(fn: () => void | Promise<void>): void }, env: RunEnv, file: string) {
  process.env.FLOWCTL_HOME = env.home;
  const runner = new Runner({
    file,
    port: 0,
    noPersistence: true,
    stateDir: env.home,
    logDir: path.join(env.dir, 'logs'),
    shutdownGraceMs: 5000,
    registrationTimeoutMs: SLOW,
    pull: 'never',
    env: { FLOWCTL_TEST_MARKER: env.marker },
  });
  const notices: string[] = [];
  const logs = new Map<string, string[]>();
  runner.onEvent((e) => {
    if (e.type === 'notice') notices.push(`${e.level}: ${e.message}`);
    if (e.type === 'log') logs.set(e.componentId, [...(logs.get(e.componentId) ?? []), e.line]);
  });
  t.after(() => runner.forceStop('test over'));
  const view = (id: string): ComponentView => {
    const v = runner.snapshot().components.find((c) => c.id === id);
    if (!v) throw new Error(`no component ${id}`);
    return v;
  };
  return { runner, notices, logs, view };
}

function demoPipeline(images: TestImages, out: string): string {
  const component = (id: string, js: string, extra: string[] = []) =>
    [`    - id: ${id}`, `      image: ${images.demo}`, `      command: ["node", "/app/${js}"]`, ...extra].join('\n');
  return [
    'apiVersion: flowctl/v1',
    'kind: Pipeline',
    'metadata: { name: demo-in-containers }',
    'spec:',
    '  driver: docker',
    '  sources:',
    component('ticker', 'ticker.js', ['      env: { RATE: "40" }']),
    '  processors:',
    component('enrich', 'enrich.js', ['      inputs: [ticker]', '      env: { MIN_QTY: "0" }']),
    '  sinks:',
    component('jsonl-sink', 'jsonl-sink.js', [
      '      inputs: [enrich]',
      '      env: { OUTPUT_FILE: /out/events.jsonl }',
      '      volumes:',
      `        - { host_path: ${JSON.stringify(out)}, container_path: /out }`,
    ]),
    component('counter-sink', 'counter-sink.js', ['      inputs: [enrich]']),
    '',
  ].join('\n');
}

describe('containers as components of a run', { concurrency: true }, () => {
  test('the demo with every component as a container: healthy, events flowing with per-component counts, logs, and restarts that lose and repeat nothing', { timeout: 8 * 60_000 }, async (t) => {
    const images = await requireDocker(t);
    if (!images) return;
    const env = runEnv(t, 'flowctl-docker-run-');
    noContainersAfter(t, env);
    const outDir = path.join(env.dir, 'out');
    fs.mkdirSync(outDir);
    const out = path.join(outDir, 'events.jsonl');
    const file = writePipeline(env.dir, demoPipeline(images, outDir));
    const { runner, notices, logs, view } = host(t, env, file);
    const ids = ['ticker', 'enrich', 'jsonl-sink', 'counter-sink'];

    await runner.start();
    const snap = runner.snapshot();
    assert.equal(snap.state, 'running');
    const endpoint = snap.endpoint!;
    for (const id of ids) {
      const v = view(id);
      assert.equal(v.phase, 'running', id);
      assert.equal(v.driver, 'docker', id);
      assert.equal(v.image, images.demo, id);
      assert.match(v.containerId ?? '', /^[0-9a-f]{64}$/, `${id}: container id in the view`);
      assert.ok(v.pid && processInContainer(v.pid, v.containerId!), `${id}: its pid is the container's init on this machine`);
      assert.ok(runner.ownsProcess(v.pid!), `${id}: the run owns its container's processes`);
      const c = inspectContainer(v.containerId!)!;
      assert.equal(c.Config.Labels[LABELS.run], snap.runId);
      assert.equal(c.Config.Labels[LABELS.component], id);
      assert.equal(c.HostConfig.NetworkMode, 'host');
      // The env contract, as for a process; no host environment, no run marker (containers are known by cgroup and labels).
      const cenv = new Map(c.Config.Env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      assert.equal(cenv.get('ENABLE_FLOWCTL'), 'true');
      assert.equal(cenv.get('FLOWCTL_ENDPOINT'), endpoint);
      assert.equal(cenv.get('FLOWCTL_COMPONENT_ID'), id);
      assert.equal(cenv.get('FLOWCTL_HEARTBEAT_INTERVAL'), '10s');
      assert.match(cenv.get('HEALTH_PORT') ?? '', /^\d+$/);
      assert.equal(cenv.has('FLOWCTL_RUN_MARKER'), false);
      assert.equal(cenv.get('HOME'), undefined, 'the host HOME does not leak into the container');
    }
    assert.equal(runner.ownsProcess(process.pid), false);
    assert.equal(records(env.home).length, 1, 'a leftover record while the run has containers');

    // Healthy from registration and heartbeats; events flow; every component counts its own.
    await waitFor(() => ids.every((id) => view(id).health === HealthStatus.HEALTHY), 60_000, 'every container healthy');
    await waitFor(() => view('counter-sink').eventsIn > 40 && seqs(out).length > 40, 60_000, 'events at both sinks');
    await waitFor(() => runner.snapshot().edges?.every((e) => e.state === 'open' && e.events > 0), 10_000, 'three open edges carrying events');
    assert.ok(view('ticker').eventsOut > 0 && view('enrich').eventsIn > 0 && view('enrich').eventsOut > 0 && view('jsonl-sink').eventsIn > 0);
    // Output of each container: in the run's log events and in its own log file, with timestamps.
    for (const id of ids) {
      assert.ok((logs.get(id) ?? []).length > 0, `${id}: log lines reach the run's log events`);
      const text = fs.readFileSync(view(id).logFile!, 'utf8');
      assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /m, `${id}: timestamped lines in its log file`);
      assert.match(text, new RegExp(`started container ${view(id).containerId!.slice(0, 12)} \\(image ${images.demo.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, host network`));
    }

    // A restart of the source container (it resumes after the last trade delivered), then of the processor.
    for (const id of ['ticker', 'enrich']) {
      const before = view(id).containerId!;
      const n = seqs(out).length;
      await runner.restartComponent(id);
      await waitFor(() => view(id).phase === 'running' && view(id).containerId !== before, SLOW, `${id} back in a new container`);
      await waitFor(() => seqs(out).length > n + 40, 60_000, `trades after the restart of ${id}`);
      assert.equal(inspectContainer(before), undefined, `${id}: the old container is removed`);
    }
    assert.ok(notices.some((m) => /ticker: stream re-opened, resuming after event "trade-\d+"/.test(m)), notices.join('\n'));
    assert.equal(view('enrich').restarts, 1);

    await runner.stop();
    const trades = seqs(out);
    assert.deepEqual(strictlyIncreasing(trades, 'jsonl-sink'), [], 'no trade lost over two graceful restarts');
    assert.equal(view('counter-sink').eventsIn, trades.length, 'both sinks got every event once');
    assert.equal(runner.snapshot().dropped, 0);
    assert.deepEqual(containersOf(env), [], 'the run removed its containers');
    assert.deepEqual(records(env.home), [], 'and its leftover record');
  });

  test('a mixed pipeline through the CLI (process source → container processor → process sink): restart of the container keeps every event once; Ctrl+C leaves no container', { timeout: 6 * 60_000 }, async (t) => {
    const images = await requireDocker(t);
    if (!images) return;
    const env = runEnv(t, 'flowctl-docker-mixed-');
    noContainersAfter(t, env);
    const file = writePipeline(
      env.dir,
      [
        'apiVersion: flowctl/v1',
        'kind: Pipeline',
        'metadata: { name: mixed }',
        'spec:',
        '  sources:',
        '    - id: src',
        `      command: ${node('components/count-source.js')}`,
        '      env: { RATE: "100" }',
        '  processors:',
        '    - id: relay',
        `      image: ${images.base}`,
        '      inputs: [src]',
        '      volumes:',
        `        - { host_path: ${JSON.stringify(FIXTURES)}, container_path: /fixtures, readonly: true }`,
        `        - { host_path: ${JSON.stringify(PROTO)}, container_path: /proto, readonly: true }`,
        '      args: ["node", "/fixtures/components/relay-processor.js"]',
        '  sinks:',
        '    - id: sink',
        `      command: ${node('components/record-sink.js')}`,
        '      inputs: [relay]',
        '      env: { OUTPUT_FILE: out.jsonl }',
        '',
      ].join('\n'),
    );
    const out = path.join(env.dir, 'out.jsonl');
    const run = startRun(file, ['--pull', 'never', '--registration-timeout', '120s'], env);
    t.after(() => run.child.kill('SIGKILL'));
    await run.waitForOutput('Pipeline is running', SLOW);
    assert.match(run.stdout(), /Orchestrator: {2}process — 2 process\(es\), 1 container\(s\)/);
    const [cid] = containersOf(env);
    assert.ok(cid, 'the processor runs as a container');
    assert.equal(inspectContainer(cid)!.Config.Labels[LABELS.component], 'relay');
    await waitFor(() => seqs(out).length > 100, 60_000, 'events through the container');
    assert.ok(fs.readFileSync(out, 'utf8').includes('"relayedBy":"relay"'), 'the events went through the container');

    // flowctl restart of the container component: the same data continuity as for a process.
    const restart = await runCli(['restart', 'relay', '-f', file, '--timeout', '120s'], env.env, 180_000);
    assert.equal(restart.code, 0, restart.stderr + restart.stdout);
    const [after] = containersOf(env);
    assert.ok(after && after !== cid, 'a new container after the restart');
    assert.match(restart.stdout, new RegExp(`^restarted relay \\(container ${cid.slice(0, 12)} → ${after.slice(0, 12)}\\) in [\\d.]+ s`));
    const n = seqs(out).length;
    await waitFor(() => seqs(out).length > n + 100, 60_000, 'events after the restart');

    const result = await stopRun(run, 'SIGINT', 60_000);
    assert.equal(result.code, 0, run.stdout() + run.stderr());
    assert.deepEqual(strictlyIncreasing(seqs(out), 'sink'), [], 'nothing lost, nothing twice');
    assert.equal(seqs(out)[0], 1);
    assert.deepEqual(containersOf(env), [], 'Ctrl+C left no container');
    assert.deepEqual(markedProcesses(env.marker), [], 'and no process');
    assert.deepEqual(records(env.home), []);
  });

  test('--network bridge: the container reaches the control plane through its mounted socket, its port is published on loopback, and events flow through it', { timeout: 5 * 60_000 }, async (t) => {
    const images = await requireDocker(t);
    if (!images) return;
    const env = runEnv(t, 'flowctl-docker-bridge-');
    noContainersAfter(t, env);
    const port = await freePort();
    const file = writePipeline(
      env.dir,
      [
        'apiVersion: flowctl/v1',
        'kind: Pipeline',
        'metadata: { name: bridged }',
        'spec:',
        '  sources:',
        '    - id: src',
        `      command: ${node('components/count-source.js')}`,
        '      env: { RATE: "100" }',
        '  processors:',
        '    - id: relay',
        `      image: ${images.base}`,
        '      inputs: [src]',
        `      env: { PORT: ":${port}" }`,
        `      ports: [{ containerPort: ${port} }]`,
        '      volumes:',
        `        - { host_path: ${JSON.stringify(FIXTURES)}, container_path: /fixtures, readonly: true }`,
        `        - { host_path: ${JSON.stringify(PROTO)}, container_path: /proto, readonly: true }`,
        '      args: ["node", "/fixtures/components/relay-processor.js"]',
        '  sinks:',
        '    - id: sink',
        `      command: ${node('components/record-sink.js')}`,
        '      inputs: [relay]',
        '      env: { OUTPUT_FILE: out.jsonl }',
        '',
      ].join('\n'),
    );
    const out = path.join(env.dir, 'out.jsonl');
    const run = startRun(file, ['--pull', 'never', '--network', 'bridge', '--registration-timeout', '120s'], env);
    t.after(() => run.child.kill('SIGKILL'));
    await run.waitForOutput('Pipeline is running', SLOW);
    assert.match(run.stdout(), /Orchestrator: {2}process — 2 process\(es\), 1 container\(s\) on a bridge network/);
    assert.doesNotMatch(run.stdout(), /ports are not published/, 'no host-network warning in bridge mode');
    const [cid] = containersOf(env);
    assert.ok(cid, 'the processor runs as a container');
    const c = inspectContainer(cid)!;
    assert.equal(c.HostConfig.NetworkMode, 'bridge');
    assert.deepEqual(c.HostConfig.PortBindings, { [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] }, 'published on loopback only');
    const cenv = new Map(c.Config.Env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    assert.equal(cenv.get('FLOWCTL_ENDPOINT'), 'unix:///run/flowctl/control.sock');
    const sock = c.Mounts.find((m) => m.Destination === '/run/flowctl/control.sock');
    assert.ok(sock, 'the control socket is mounted');
    assert.equal(fs.statSync(path.dirname(sock.Source)).mode & 0o777, 0o700, 'its host folder is private');
    assert.ok(fs.statSync(sock.Source).isSocket());
    // Registered through the socket (no pid to trace a unix peer: by its component id), wired through the published port.
    await waitFor(() => seqs(out).length > 100, 60_000, 'events through the bridged container');
    assert.ok(fs.readFileSync(out, 'utf8').includes('"relayedBy":"relay"'), 'the events went through the container');

    const result = await stopRun(run, 'SIGINT', 60_000);
    assert.equal(result.code, 0, run.stdout() + run.stderr());
    assert.deepEqual(strictlyIncreasing(seqs(out), 'sink'), [], 'nothing lost, nothing twice');
    assert.deepEqual(containersOf(env), [], 'Ctrl+C left no container');
    assert.equal(fs.existsSync(path.dirname(sock.Source)), false, 'the socket folder is removed with the run');
    assert.deepEqual(markedProcesses(env.marker), []);
  });

  test('env and volumes reach a container; a spec.pipelines container is a black box with flowctl\'s FLOWCTL_ENDPOINT rule', { timeout: 4 * 60_000 }, async (t) => {
    const images = await requireDocker(t);
    if (!images) return;
    const env = runEnv(t, 'flowctl-docker-env-');
    noContainersAfter(t, env);
    fs.mkdirSync(path.join(env.dir, 'data, with comma'));
    fs.writeFileSync(path.join(env.dir, 'data, with comma', 'input.txt'), 'from the host');
    const probe = (id: string, enable: string) =>
      [
        `    - id: ${id}`,
        '      type: pipeline',
        `      image: ${images.base}`,
        '      command: ["node", "/fixtures/docker/probe.js", "/data", "/fixtures"]',
        '      env:',
        `        ENABLE_FLOWCTL: "${enable}"`,
        '        GREETING: "hello, world = yes"',
        '      config: { batchSize: 7 }',
        '      volumes:',
        `        - { host_path: "$PWD/data, with comma", container_path: /data }`,
        `        - { host_path: ${JSON.stringify(FIXTURES)}, container_path: /fixtures, readonly: true }`,
      ].join('\n');
    const file = writePipeline(
      env.dir,
      ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata: { name: probes }', 'spec:', '  driver: docker', '  pipelines:', probe('on', 'true'), probe('off', 'false'), ''].join('\n'),
    );
    const run = startRun(file, ['--pull', 'never'], env);
    t.after(() => run.child.kill('SIGKILL'));
    // Both probes print their report and exit 0: the run completes by itself.
    const done = await run.exited;
    assert.equal(done.code, 0, run.stdout() + run.stderr());
    const reports = new Map<string, { env: Record<string, string>; input: string | null; writeRw: string; writeRo: string }>();
    for (const line of run.stdout().split('\n')) {
      const m = /^\[[\d:]+\] (on|off): +(\{.*\})$/.exec(line);
      if (m) reports.set(m[1], JSON.parse(m[2]));
    }
    assert.deepEqual([...reports.keys()].sort(), ['off', 'on'], run.stdout());
    for (const [id, r] of reports) {
      assert.equal(r.input, 'from the host', `${id}: the host folder ($PWD expanded, a comma in its name) is mounted`);
      assert.equal(r.writeRw, 'ok');
      assert.equal(r.writeRo, 'EROFS', `${id}: readonly is honoured`);
      assert.equal(r.env.GREETING, 'hello, world = yes');
      assert.equal(r.env.BATCH_SIZE, '7', 'config becomes UPPER_SNAKE env');
      assert.equal(r.env.FLOWCTL_COMPONENT_ID, undefined, `${id}: a black box gets no contract variables`);
      assert.equal(r.env.HEALTH_PORT, undefined);
    }
    assert.match(reports.get('on')!.env.FLOWCTL_ENDPOINT ?? '', /^127\.0\.0\.1:\d+$/, 'ENABLE_FLOWCTL=true: FLOWCTL_ENDPOINT is added');
    assert.equal(reports.get('off')!.env.FLOWCTL_ENDPOINT, undefined, 'otherwise not');
    assert.equal(fs.readFileSync(path.join(env.dir, 'data, with comma', 'from-container.txt'), 'utf8'), 'written inside');
    assert.deepEqual(containersOf(env), []);
  });

  test('a missing image stops the start before anything runs, at the image\'s line and column', { timeout: 3 * 60_000 }, async (t) => {
    const images = await requireDocker(t);
    if (!images) return;
    const env = runEnv(t, 'flowctl-docker-missing-');
    noContainersAfter(t, env);
    const missing = `flowctl-test/missing-${env.marker.slice(0, 8)}:1`;
    const file = writePipeline(
      env.dir,
      [
        'apiVersion: flowctl/v1',
        'kind: Pipeline',
        'metadata: { name: missing-image }',
        'spec:',
        '  sources:',
        '    - id: src',
        `      command: ${node('components/count-source.js')}`,
        '  sinks:',
        '    - id: sink',
        `      image:   ${missing}`,
        '      inputs: [src]',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', file, '--control-plane-port', '0', '--no-persistence', '--pull', 'never'], env.env, 120_000);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(
      r.stdout.includes(
        `${file}:10:16: error: image ${missing} (needed by sink) is not on this machine, and the pull policy "never" forbids pulling it: build or load it (docker build / docker load), or run with --pull missing`,
      ),
      r.stdout + r.stderr,
    );
    assert.match(r.stdout, /Nothing was started\./);
    assert.doesNotMatch(r.stdout, /Control plane ready/);
    assert.deepEqual(markedProcesses(env.marker), [], 'the process source never started');
    // The same file from the core: the error carries the place.
    process.env.FLOWCTL_HOME = env.home;
    const runner = new Runner({ file, port: 0, noPersistence: true, stateDir: env.home, pull: 'never' });
    const err = await runner.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof PipelinePreflightError, String(err));
    assert.deepEqual(
      err.diagnostics.map((d) => [d.line, d.column, d.code]),
      [[10, 16, 'preflight-image']],
    );

    // --orchestrator docker runs the component with a command and an image as a container too; --pull always
    // tries the registry (unreachable here) and says which image, who needs it and what to do, before anything starts.
    const both = writePipeline(
      env.dir,
      [
        'apiVersion: flowctl/v1',
        'kind: Pipeline',
        'metadata: { name: pull-always }',
        'spec:',
        '  sources:',
        '    - id: src',
        `      command: ${node('components/count-source.js')}`,
        `      image: ${images.base}`,
        '  sinks:',
        '    - id: sink',
        `      image: ${images.base}`,
        '      inputs: [src]',
        '',
      ].join('\n'),
      'always.yml',
    );
    const always = await runCli(['run', both, '--control-plane-port', '0', '--no-persistence', '--orchestrator', 'container', '--pull', 'always'], env.env, 120_000);
    assert.equal(always.code, 1, always.stdout + always.stderr);
    assert.match(always.stdout, /Orchestrator: {2}docker — 2 container\(s\)/);
    const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    assert.match(
      always.stdout,
      new RegExp(`${esc(both)}:8:14: error: could not pull image ${esc(images.base)} \\(needed by src, sink\\): .+ \\(a local copy exists; run with --pull missing to use it\\)`),
    );
    assert.match(always.stdout, /Nothing was started\./);
    const bad = await runCli(['run', both, '--pull', 'sometimes'], env.env, 60_000);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /invalid argument "sometimes" for "--pull" flag: use never, missing, always/);
    const badNet = await runCli(['run', both, '--network', 'overlay'], env.env, 60_000);
    assert.equal(badNet.code, 1);
    assert.match(badNet.stderr, /invalid argument "overlay" for "--network" flag: use host or bridge/);
    const badOrch = await runCli(['run', both, '--orchestrator', 'nomad'], env.env, 60_000);
    assert.equal(badOrch.code, 1);
    assert.match(badOrch.stderr, /unknown orchestrator type: nomad/);
    assert.deepEqual(markedProcesses(env.marker), [], 'nothing was started');
    assert.deepEqual(containersOf(env), []);
  });

  test('a connection from inside a container is traced to its component (registration by process), and the run owns every process in it', { timeout: 3 * 60_000 }, async (t) => {
    const images = await requireDocker(t);
    if (!images) return;
    const env = runEnv(t, 'flowctl-docker-peer-');
    noContainersAfter(t, env);
    // A component that connects to "the control plane" from a child process (under tini, under a shell-less node parent).
    const server = net.createServer();
    const peers: string[] = [];
    server.on('connection', (sock) => peers.push(`ipv4:${sock.remoteAddress}:${sock.remotePort}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const driver = new DockerDriver({ stateDir: env.home, pull: 'never' });
    t.after(() => driver.stopAll(0));
    const child = `require('net').connect(${port}, '127.0.0.1'); setInterval(() => {}, 1000)`;
    const h = driver.create({
      id: 'peer',
      runId: 'r',
      pipeline: 'peer-test',
      image: images.base,
      command: ['node', '-e', `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'inherit' }); setInterval(() => {}, 1000)`],
      cwd: env.dir,
      env: {},
    });
    h.start();
    await waitFor(() => peers.length > 0 && h.pid, SLOW, 'the connection from the container');
    const root = h.pid!;
    const match = await matchRegistration(
      { serviceId: 'some-other-name', info: { id: 'some-other-name', metadata: {} }, peer: peers[0] } as unknown as ServiceRecord,
      new Set(['peer', 'elsewhere']),
      () => [{ id: 'elsewhere', pid: process.pid }, { id: 'peer', pid: root }],
      port,
    );
    assert.deepEqual(match, { id: 'peer', how: 'process' });
    // Every process in the container (tini, node, its child) is the run's; nothing outside it is.
    const inside = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => processInContainer(pid, h.containerId!));
    assert.ok(inside.length >= 3, `tini, node and its child: ${inside.join(', ')}`);
    for (const pid of inside) assert.equal(driver.ownsProcess(pid), true, `pid ${pid}`);
    assert.equal(driver.ownsProcess(process.pid), false);
    await h.stop(1000);
    assert.equal(driver.ownsProcess(inside[0]), false, 'once its container is gone, nothing is the run\'s');
  });

  test('restart_policy of a container component works through the runner with our backoff', { timeout: 3 * 60_000 }, async (t) => {
    const images = await requireDocker(t);
    if (!images) return;
    const env = runEnv(t, 'flowctl-docker-policy-');
    noContainersAfter(t, env);
    const file = writePipeline(
      env.dir,
      [
        'apiVersion: flowctl/v1',
        'kind: Pipeline',
        'metadata: { name: flaky }',
        'spec:',
        '  pipelines:',
        '    - id: flaky',
        '      type: pipeline',
        `      image: ${images.base}`,
        '      command: ["node", "-e", "console.log(\'up\'); setTimeout(() => process.exit(3), 200)"]',
        '      restart_policy: on-failure',
        '',
      ].join('\n'),
    );
    const { runner, notices, logs, view } = host(t, env, file);
    await runner.start();
    await waitFor(() => view('flaky').restarts >= 2, SLOW, 'two restarts by its policy');
    assert.ok(notices.some((m) => /flaky exited with code 3; restarting in 0\.5s \(restart 1\)/.test(m)), notices.join('\n'));
    assert.ok(notices.some((m) => /flaky exited with code 3; restarting in 1s \(restart 2\)/.test(m)), notices.join('\n'));
    assert.ok((logs.get('flaky') ?? []).filter((l) => l === 'up').length >= 2);
    await runner.stop();
    assert.deepEqual(containersOf(env), [], 'every attempt\'s container is removed');
  });

  test('a changed pipeline file moves a component between process and container: only it restarts, nothing lost or repeated', { timeout: 5 * 60_000 }, async (t) => {
    const images = await requireDocker(t);
    if (!images) return;
    const env = runEnv(t, 'flowctl-docker-apply-');
    noContainersAfter(t, env);
    const out = path.join(env.dir, 'out.jsonl');
    const asProcess = `      command: ${node('components/relay-processor.js')}`;
    const asContainer = [
      `      image: ${images.base}`,
      '      args: ["node", "/fixtures/components/relay-processor.js"]',
      '      volumes:',
      `        - { host_path: ${JSON.stringify(FIXTURES)}, container_path: /fixtures, readonly: true }`,
      `        - { host_path: ${JSON.stringify(PROTO)}, container_path: /proto, readonly: true }`,
    ].join('\n');
    const yaml = (relay: string) =>
      [
        'apiVersion: flowctl/v1',
        'kind: Pipeline',
        'metadata: { name: moving }',
        'spec:',
        '  sources:',
        '    - id: src',
        `      command: ${node('components/count-source.js')}`,
        '      env: { RATE: "100" }',
        '  processors:',
        '    - id: relay',
        relay,
        '      inputs: [src]',
        '  sinks:',
        '    - id: sink',
        `      command: ${node('components/record-sink.js')}`,
        '      inputs: [relay]',
        `      env: { OUTPUT_FILE: ${JSON.stringify(out)} }`,
        '',
      ].join('\n');
    const file = writePipeline(env.dir, yaml(asProcess));
    const { runner, view } = host(t, env, file);
    await runner.start();
    const pids = { src: view('src').pid, sink: view('sink').pid };
    await waitFor(() => seqs(out).length > 50, 60_000, 'events');
    assert.equal(view('relay').driver, 'process');

    fs.writeFileSync(file, yaml(asContainer));
    assert.deepEqual(await runner.applyPipeline(), { restarted: ['relay'], added: [], removed: [], unchanged: ['src', 'sink'] });
    await waitFor(() => view('relay').phase === 'running' && view('relay').containerId, SLOW, 'relay running as a container');
    assert.equal(view('relay').driver, 'docker');
    assert.equal(view('relay').image, images.base);
    const cid = view('relay').containerId!;
    assert.deepEqual(containersOf(env), [cid]);
    let n = seqs(out).length;
    await waitFor(() => seqs(out).length > n + 50, 60_000, 'events through the container');

    fs.writeFileSync(file, yaml(asProcess));
    await runner.applyPipeline();
    await waitFor(() => view('relay').phase === 'running' && view('relay').driver === 'process' && view('relay').pid, SLOW, 'relay back as a process');
    assert.equal(view('relay').containerId, undefined);
    assert.equal(view('relay').image, undefined);
    n = seqs(out).length;
    await waitFor(() => seqs(out).length > n + 50, 60_000, 'events after moving back');
    assert.deepEqual(containersOf(env), [], 'its container was removed when it became a process again');
    assert.deepEqual({ src: view('src').pid, sink: view('sink').pid }, pids, 'the other components kept running');
    await runner.stop();
    assert.deepEqual(strictlyIncreasing(seqs(out), 'sink'), [], 'nothing lost or repeated over both moves');
  });

  test('kill -9 of the runner leaves its container running; the next run of the same FLOWCTL_HOME (even without containers) removes it', { timeout: 5 * 60_000 }, async (t) => {
    const images = await requireDocker(t);
    if (!images) return;
    const env = runEnv(t, 'flowctl-docker-kill9-');
    noContainersAfter(t, env);
    const first = writePipeline(
      env.dir,
      [
        'apiVersion: flowctl/v1',
        'kind: Pipeline',
        'metadata: { name: doomed }',
        'spec:',
        '  sources:',
        '    - id: ticker',
        `      image: ${images.demo}`,
        '  sinks:',
        '    - id: sink',
        `      command: ${node('components/record-sink.js')}`,
        '      inputs: [ticker]',
        '',
      ].join('\n'),
      'doomed.yml',
    );
    const run = startRun(first, ['--pull', 'never', '--registration-timeout', '120s'], env);
    t.after(() => run.child.kill('SIGKILL'));
    await run.waitForOutput('Pipeline is running', SLOW);
    const [cid] = containersOf(env);
    assert.ok(cid);
    assert.equal(records(env.home).length, 1);
    run.child.kill('SIGKILL');
    await run.exited;
    assert.equal(inspectContainer(cid)?.State.Running, true, 'the container outlives its killed runner');

    const second = writePipeline(
      env.dir,
      [
        'apiVersion: flowctl/v1',
        'kind: Pipeline',
        'metadata: { name: next }',
        'spec:',
        '  sources:',
        '    - id: src',
        `      command: ${node('components/count-source.js')}`,
        '  sinks:',
        '    - id: sink2',
        `      command: ${node('components/record-sink.js')}`,
        '      inputs: [src]',
        '',
      ].join('\n'),
      'next.yml',
    );
    const next = startRun(second, [], env);
    t.after(() => next.child.kill('SIGKILL'));
    await next.waitForOutput('Pipeline is running', SLOW);
    assert.match(next.stdout(), new RegExp(`stopped leftover container ${cid.slice(0, 12)} \\(ticker\\) from an earlier run that did not shut down`));
    assert.deepEqual(containersOf(env), [], 'the dead runner\'s container is gone');
    assert.deepEqual(records(env.home), [], 'its record too');
    const result = await stopRun(next, 'SIGINT', 60_000);
    assert.equal(result.code, 0, next.stdout() + next.stderr());
    assert.deepEqual(markedProcesses(env.marker), []);
  });
});

test('without a Docker engine, a container component stops the start at its image with what to do (no engine needed for this test)', { timeout: 2 * 60_000 }, async (t) => {
  const env = runEnv(t, 'flowctl-docker-noengine-');
  const file = writePipeline(
    env.dir,
    [
      'apiVersion: flowctl/v1',
      'kind: Pipeline',
      'metadata: { name: no-engine }',
      'spec:',
      '  sources:',
      '    - id: src',
      '      image: org/source:1.0',
      '  sinks:',
      '    - id: sink',
      `      command: ${node('components/record-sink.js')}`,
      '      inputs: [src]',
      '',
    ].join('\n'),
  );
  // Validation does not ask for an engine: an image-only component is fine there (it runs as a container).
  const v = await runCli(['validate', file], env.env);
  assert.equal(v.code, 0, v.stdout);
  assert.doesNotMatch(v.stdout, /container engine/);
  const r = await runCli(['run', file, '--control-plane-port', '0', '--no-persistence'], { ...env.env, DOCKER_HOST: `unix://${path.join(env.dir, 'no-docker.sock')}` }, 60_000);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:7:14: error: component src \\(image org/source:1\\.0\\) needs a Docker engine, but none answers \\(.+\\): install docker\\.io and start dockerd, or give it a command`),
  );
  assert.deepEqual(markedProcesses(env.marker), [], 'nothing was started');
});
