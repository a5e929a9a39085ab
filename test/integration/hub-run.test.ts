// `flowctl run --components external` (the hub of a deployed pipeline), as a user runs it, on loopback:
// it starts no component; components started by hand (as a cluster would start them) register, are
// wired by `inputs`, and a processor with three replicas gets the events spread over all three, each
// event exactly once. Off loopback without mutual TLS the hub refuses to start unless told
// --insecure-no-mtls; component actions are refused with the orchestrator's way to do them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnCli, runCli } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { fixture, startComponent, type RunningComponent } from '../fixtures/components/harness';
import { runEnv, writePipeline } from './run-helpers';
import { call, closeAll, v1Client } from '../helpers/grpc';
import { keyHash } from '../../src/core/dataplane/eventKey';
import { generateCerts, generatePeerCerts } from '../helpers/certs';

async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Entry {
  component: { id: string; endpoint: string; metadata: Record<string, string> };
  status: number;
  metrics: Record<string, string>;
}

test('hub: components started elsewhere register, replicas share the events (each once), status shows each instance', { timeout: 120_000 }, async (t) => {
  const env = runEnv(t, 'flowctl-hub-');
  const port = await freePort();
  const out = path.join(env.dir, 'sink.jsonl');
  const file = writePipeline(
    env.dir,
    [
      'apiVersion: flowctl/v1',
      'kind: Pipeline',
      'metadata: {name: hub-test}',
      'spec:',
      '  sources:',
      '    - id: src',
      '      image: example/count-source:1',
      '  processors:',
      '    - id: proc',
      '      image: example/relay-processor:1',
      '      inputs: [src]',
      '      replicas: 3',
      '  sinks:',
      '    - id: sink',
      '      image: example/record-sink:1',
      '      inputs: [proc]',
      '',
    ].join('\n'),
  );
  const hub = spawnCli(['run', file, '--components', 'external', '--control-plane-port', String(port), '--no-persistence', '--show-status=false'], env.env);
  const running: RunningComponent[] = [];
  t.after(async () => {
    await Promise.all(running.map((c) => c.stop(3000)));
    hub.child.kill('SIGKILL');
  });
  await waitFor('the hub to listen', 20_000, () => /Components:\s+external/.test(hub.stdout()) && /control plane|waiting|registered/i.test(hub.stdout() + hub.stderr()));
  const endpoint = `127.0.0.1:${port}`;
  const base = { ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: endpoint, FLOWCTL_HEARTBEAT_INTERVAL_MS: '200', FLOWCTL_TEST_MARKER: env.marker };
  const total = 600;
  // The sink and the three processor replicas first, then the source (a cluster starts them in any order).
  running.push(startComponent(fixture('record-sink'), { ...base, FLOWCTL_COMPONENT_ID: 'sink', OUTPUT_FILE: out }));
  for (const slot of ['1', '2', '3']) running.push(startComponent(fixture('relay-processor'), { ...base, FLOWCTL_COMPONENT_ID: 'proc', FLOWCTL_INSTANCE: slot }));
  await waitFor('the hub to see three replicas of proc', 20_000, () => /proc#3 registered: replica 3 of proc/.test(hub.stdout()));
  running.push(startComponent(fixture('count-source'), { ...base, FLOWCTL_COMPONENT_ID: 'src', COUNT: String(total), RATE: '300' }));
  await waitFor('the hub to run', 20_000, () => /Pipeline is running/.test(hub.stdout()));

  // Every event reaches the sink exactly once.
  const lines = await waitFor(`${total} events at the sink`, 60_000, () => {
    const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    const l = text.split('\n').filter(Boolean);
    return l.length >= total ? l : undefined;
  });
  await new Promise((r) => setTimeout(r, 500));
  const seqs = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).seq as number);
  assert.equal(seqs.length, total, 'no duplicates');
  assert.deepEqual([...new Set(seqs)].sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i + 1), 'none lost');
  assert.ok(lines.length >= total);

  // Each replica processed a share (round-robin per event), as each reports in its heartbeats.
  const c = v1Client(endpoint);
  try {
    const entries = await waitFor('heartbeat metrics of the three replicas', 20_000, async () => {
      const list = await call<{ components: Entry[] }>(c, 'ListComponents', { include_unhealthy: true });
      const procs = list.components.filter((e) => e.component.metadata.FLOWCTL_COMPONENT_ID === 'proc');
      return procs.length === 3 && procs.every((e) => Number(e.metrics.processed_count ?? 0) > 0) ? procs : undefined;
    });
    assert.deepEqual(entries.map((e) => e.component.id).sort(), ['proc', 'proc#2', 'proc#3']);
    const shares = entries.map((e) => Number(e.metrics.processed_count));
    assert.equal(shares.reduce((a, b) => a + b, 0), total);
    for (const s of shares) assert.ok(s >= total / 3 - 30 && s <= total / 3 + 30, `round-robin: ${shares.join(', ')}`);
  } finally {
    closeAll(c);
  }

  // The hub does not run its components: actions are the orchestrator's.
  const restart = await runCli(['restart', 'proc', '-f', file], env.env);
  assert.notEqual(restart.code, 0);
  assert.match(restart.stderr, /runs outside this hub \(--components external\)/);

  // status (the hub's registry) shows each instance.
  const st = await runCli(['status', '--control-plane-address', '127.0.0.1', '--control-plane-port', String(port)], env.env);
  assert.equal(st.code, 0, st.stderr);
  for (const id of ['proc', 'proc#2', 'proc#3', 'src', 'sink']) assert.match(st.stdout, new RegExp(`^  ${id.replace('#', '\\#')} \\(`, 'm'));

  hub.child.kill('SIGINT');
  const end = await hub.exited;
  assert.equal(end.code, 0, hub.stderr());
  // The hub stopped; the components it did not start are still running (they belong to their orchestrator).
  assert.ok(running.every((r) => r.child.exitCode === null));
});

test('hub: a component that declares FLOWCTL_PARTITION_KEY gets each key always at the same replica', { timeout: 120_000 }, async (t) => {
  const env = runEnv(t, 'flowctl-hub-');
  const port = await freePort();
  const out = path.join(env.dir, 'sink.jsonl');
  const file = writePipeline(
    env.dir,
    [
      'apiVersion: flowctl/v1',
      'kind: Pipeline',
      'metadata: {name: hub-keyed}',
      'spec:',
      '  sources: [{id: src, image: example/count-source:1}]',
      '  processors: [{id: proc, image: example/relay-processor:1, inputs: [src], replicas: 3}]',
      '  sinks: [{id: sink, image: example/record-sink:1, inputs: [proc]}]',
      '',
    ].join('\n'),
  );
  const hub = spawnCli(['run', file, '--components', 'external', '--control-plane-port', String(port), '--no-persistence', '--show-status=false'], env.env);
  const running: RunningComponent[] = [];
  t.after(async () => {
    await Promise.all(running.map((c) => c.stop(3000)));
    hub.child.kill('SIGKILL');
  });
  await waitFor('the hub to listen', 20_000, () => /Components:\s+external/.test(hub.stdout()));
  const endpoint = `127.0.0.1:${port}`;
  const base = { ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: endpoint, FLOWCTL_HEARTBEAT_INTERVAL_MS: '200', FLOWCTL_TEST_MARKER: env.marker };
  const total = 300;
  running.push(startComponent(fixture('record-sink'), { ...base, FLOWCTL_COMPONENT_ID: 'sink', OUTPUT_FILE: out }));
  for (const slot of ['1', '2', '3']) {
    running.push(startComponent(fixture('relay-processor'), { ...base, FLOWCTL_COMPONENT_ID: 'proc', FLOWCTL_INSTANCE: slot, FLOWCTL_PARTITION_KEY: 'id' }));
  }
  await waitFor('three replicas and the key', 20_000, () => /proc#3 registered/.test(hub.stdout()) && /proc: events are spread over its replicas by id/.test(hub.stdout()));
  running.push(startComponent(fixture('count-source'), { ...base, FLOWCTL_COMPONENT_ID: 'src', COUNT: String(total), RATE: '300' }));
  await waitFor(`${total} events at the sink`, 60_000, () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).length >= total : false));
  // Replica i (in id order proc, proc#2, proc#3) gets exactly the events whose key hashes to i.
  const expected = [0, 0, 0];
  for (let seq = 1; seq <= total; seq++) expected[keyHash(`src-${seq}`) % 3]++;
  const c = v1Client(endpoint);
  try {
    const shares = await waitFor('the replicas to report their shares', 20_000, async () => {
      const list = await call<{ components: Entry[] }>(c, 'ListComponents', { include_unhealthy: true });
      const procs = list.components.filter((e) => e.component.metadata.FLOWCTL_COMPONENT_ID === 'proc').sort((a, b) => (a.component.id < b.component.id ? -1 : 1));
      const n = procs.map((e) => Number(e.metrics.processed_count ?? 0));
      return procs.length === 3 && n.reduce((a, b) => a + b, 0) === total ? n : undefined;
    });
    assert.deepEqual(shares, expected);
  } finally {
    closeAll(c);
  }
});

test('hub off loopback: refused without mutual TLS, unless --insecure-no-mtls (warned)', async (t) => {
  const env = runEnv(t, 'flowctl-hub-');
  const file = writePipeline(env.dir, 'apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  sources:\n    - id: s\n      image: x/y:1\n');
  const r = await runCli(['run', file, '--components', 'external', '--control-plane-address', '0.0.0.0', '--control-plane-port', '0'], env.env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--components external on 0\.0\.0\.0 without mutual TLS: .*--insecure-no-mtls/);
  const bad = await runCli(['run', file, '--insecure-no-mtls'], env.env);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--insecure-no-mtls goes with --components external/);
  const other = await runCli(['run', file, '--components', 'everything'], env.env);
  assert.match(other.stderr, /--components everything: use managed or external/);
});

test('hub with mutual TLS: components with client certificates register and are wired; one without cannot register', { timeout: 120_000 }, async (t) => {
  const env = runEnv(t, 'flowctl-hub-');
  const certs = generateCerts(path.join(env.dir, 'certs'));
  // Under mutual TLS the data plane uses the same files: certificates usable both ways (hub-dataplane-tls.test.ts).
  const peer = generatePeerCerts(certs);
  const port = await freePort();
  const out = path.join(env.dir, 'sink.jsonl');
  const file = writePipeline(
    env.dir,
    [
      'apiVersion: flowctl/v1',
      'kind: Pipeline',
      'metadata: {name: hub-mtls}',
      'spec:',
      '  sources: [{id: src, image: example/count-source:1}]',
      '  processors: [{id: proc, image: example/relay-processor:1, inputs: [src], replicas: 2}]',
      '  sinks: [{id: sink, image: example/record-sink:1, inputs: [proc]}]',
      '',
    ].join('\n'),
  );
  const hub = spawnCli(
    ['run', file, '--components', 'external', '--control-plane-port', String(port), '--no-persistence', '--show-status=false',
      '--tls-cert', peer.hubCert, '--tls-key', peer.hubKey, '--tls-ca-cert', certs.caCert],
    env.env,
  );
  const running: RunningComponent[] = [];
  t.after(async () => {
    await Promise.all(running.map((c) => c.stop(3000)));
    hub.child.kill('SIGKILL');
  });
  await waitFor('the hub to listen', 20_000, () => /Components:\s+external/.test(hub.stdout()));
  const tls = { FLOWCTL_TLS_CA_FILE: certs.caCert, FLOWCTL_TLS_SERVER_NAME: 'localhost' };
  const withCert = { ...tls, FLOWCTL_TLS_CERT_FILE: peer.componentCert, FLOWCTL_TLS_KEY_FILE: peer.componentKey };
  const base = { ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: `127.0.0.1:${port}`, FLOWCTL_HEARTBEAT_INTERVAL_MS: '200', FLOWCTL_TEST_MARKER: env.marker };
  // An intruder trusting the hub's CA but without a client certificate is refused.
  const intruder = startComponent(fixture('relay-processor'), { ...base, ...tls, FLOWCTL_COMPONENT_ID: 'proc', FLOWCTL_INSTANCE: '9' });
  running.push(intruder);
  await waitFor('the component without a client certificate to say it cannot register', 20_000, () => /cannot register with the control plane/.test(intruder.output()));
  const total = 200;
  running.push(startComponent(fixture('record-sink'), { ...base, ...withCert, FLOWCTL_COMPONENT_ID: 'sink', OUTPUT_FILE: out }));
  for (const slot of ['1', '2']) running.push(startComponent(fixture('relay-processor'), { ...base, ...withCert, FLOWCTL_COMPONENT_ID: 'proc', FLOWCTL_INSTANCE: slot }));
  await waitFor('the hub to see two replicas of proc', 20_000, () => /proc#2 registered: replica 2 of proc/.test(hub.stdout()));
  running.push(startComponent(fixture('count-source'), { ...base, ...withCert, FLOWCTL_COMPONENT_ID: 'src', COUNT: String(total), RATE: '300' }));
  await waitFor('the hub to run', 20_000, () => /Pipeline is running/.test(hub.stdout()));
  await waitFor(`${total} events at the sink`, 60_000, () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).length >= total : false));
  const seqs = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).seq as number);
  assert.deepEqual([...new Set(seqs)].sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i + 1), 'every event once');
  assert.equal(seqs.length, total);
  // Only the two replicas with certificates are instances of proc (the intruder never registered).
  assert.doesNotMatch(hub.stdout(), /proc#3/);
  hub.child.kill('SIGINT');
  assert.equal((await hub.exited).code, 0, hub.stderr());
});
