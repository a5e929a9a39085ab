// The data plane under mutual TLS: a hub (`flowctl run --components external`) with --tls-cert/--tls-key/
// --tls-ca-cert streams events to and from its components over mutual TLS with the same files. Real hub
// process, real SDK components (fixtures) started from outside with FLOWCTL_TLS_* as a cluster starts
// them. Proved from outside: each component's data-plane port refuses a plaintext gRPC client and a TLS
// client without a certificate the CA signed, answers one with such a certificate, and every event still
// reaches the sink exactly once (so the hub spoke TLS to each of them). A component whose certificate
// cannot serve (client authentication only) registers but is not wired, with a message that says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { spawnCli } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { fixture, startComponent, type RunningComponent } from '../fixtures/components/harness';
import { runEnv, writePipeline } from './run-helpers';
import { call, closeAll, expectCode, type Client } from '../helpers/grpc';
import { generateCerts, generatePeerCerts } from '../helpers/certs';
import { protos } from '../../src/core/proto';

async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | false | Promise<T | undefined | false>, detail: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail() ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const PIPELINE = [
  'apiVersion: flowctl/v1',
  'kind: Pipeline',
  'metadata: {name: hub-dp-tls}',
  'spec:',
  '  sources: [{id: src, image: example/count-source:1}]',
  '  processors: [{id: proc, image: example/relay-processor:1, inputs: [src]}]',
  '  sinks: [{id: sink, image: example/record-sink:1, inputs: [proc]}]',
  '',
].join('\n');

type Service = 'SourceService' | 'ProcessorService' | 'ConsumerService';

function dataPlaneClient(service: Service, endpoint: string, creds: grpc.ChannelCredentials, options: grpc.ClientOptions = {}): Client {
  const Ctor = protos().v1[service] as unknown as grpc.ServiceClientConstructor;
  return new Ctor(endpoint, creds, { ...options, 'grpc.max_reconnect_backoff_ms': 500 }) as unknown as Client;
}

test('hub with mutual TLS: the event streams to and from the components are mutual TLS too; plaintext is refused at their data-plane ports', { timeout: 120_000 }, async (t) => {
  const env = runEnv(t, 'flowctl-hubtls-');
  const certs = generateCerts(path.join(env.dir, 'certs'));
  const peer = generatePeerCerts(certs);
  const port = await freePort();
  const out = path.join(env.dir, 'sink.jsonl');
  const file = writePipeline(env.dir, PIPELINE);
  const hub = spawnCli(
    ['run', file, '--components', 'external', '--control-plane-port', String(port), '--no-persistence', '--show-status=false',
      '--tls-cert', peer.hubCert, '--tls-key', peer.hubKey, '--tls-ca-cert', certs.caCert],
    env.env,
  );
  const running: RunningComponent[] = [];
  const clients: Client[] = [];
  t.after(async () => {
    closeAll(...clients);
    await Promise.all(running.map((c) => c.stop(3000)));
    hub.child.kill('SIGKILL');
  });
  await waitFor('the hub to listen', 20_000, () => /Components:\s+external/.test(hub.stdout()));
  const tlsEnv = {
    FLOWCTL_TLS_CA_FILE: certs.caCert,
    FLOWCTL_TLS_SERVER_NAME: 'localhost',
    FLOWCTL_TLS_CERT_FILE: peer.componentCert,
    FLOWCTL_TLS_KEY_FILE: peer.componentKey,
  };
  const base = { ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: `127.0.0.1:${port}`, FLOWCTL_HEARTBEAT_INTERVAL_MS: '200', FLOWCTL_TEST_MARKER: env.marker, ...tlsEnv };
  const total = 200;
  const sink = startComponent(fixture('record-sink'), { ...base, FLOWCTL_COMPONENT_ID: 'sink', OUTPUT_FILE: out });
  const proc = startComponent(fixture('relay-processor'), { ...base, FLOWCTL_COMPONENT_ID: 'proc' });
  running.push(sink, proc);
  await waitFor('the hub to see proc and sink', 20_000, () => /proc registered/.test(hub.stdout()) && /sink registered/.test(hub.stdout()), () => hub.stdout() + hub.stderr());
  const src = startComponent(fixture('count-source'), { ...base, FLOWCTL_COMPONENT_ID: 'src', COUNT: String(total), RATE: '300' });
  running.push(src);
  await waitFor('the hub to run', 30_000, () => /Pipeline is running/.test(hub.stdout()), () => hub.stdout() + hub.stderr());

  // Every event reaches the sink exactly once: the hub read from src and wrote to proc and sink over TLS.
  await waitFor(`${total} events at the sink`, 60_000, () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).length >= total : false), () => hub.stdout() + hub.stderr());
  const seqs = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).seq as number);
  assert.deepEqual([...new Set(seqs)].sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i + 1), 'every event once');
  assert.equal(seqs.length, total);

  // Each component's data-plane port speaks mutual TLS only.
  const ca = fs.readFileSync(certs.caCert);
  // A component is dialled at an address its certificate does not name (as the hub does): the chain is checked, not the name.
  const anyName = { checkServerIdentity: () => undefined };
  const withCert = grpc.credentials.createSsl(ca, fs.readFileSync(peer.hubKey), fs.readFileSync(peer.hubCert), anyName);
  const noCert = grpc.credentials.createSsl(ca, null, null, anyName);
  for (const [c, service] of [[src, 'SourceService'], [proc, 'ProcessorService'], [sink, 'ConsumerService']] as const) {
    assert.match(c.output(), /serving flowctl\.v1\.\w+ on \S+ \(mutual TLS\)/, 'the component says its data plane is mutual TLS');
    const endpoint = await c.endpoint;
    const plain = dataPlaneClient(service, endpoint, grpc.credentials.createInsecure());
    const anonymous = dataPlaneClient(service, endpoint, noCert);
    const trusted = dataPlaneClient(service, endpoint, withCert);
    clients.push(plain, anonymous, trusted);
    await expectCode(call(plain, 'GetInfo', {}, 3000), grpc.status.UNAVAILABLE);
    await expectCode(call(anonymous, 'GetInfo', {}, 3000), grpc.status.UNAVAILABLE);
    // The hub's own certificate is accepted: a gRPC answer (GetInfo is optional in flowctl.v1).
    const answer = await call(trusted, 'GetInfo', {}, 5000).then(
      () => 'ok',
      (err: grpc.ServiceError) => (err.code === grpc.status.UNIMPLEMENTED ? 'unimplemented' : `${grpc.status[err.code]}: ${err.details}`),
    );
    assert.ok(answer === 'ok' || answer === 'unimplemented', `${service} at ${endpoint} answers a client with a CA-signed certificate: ${answer}`);
  }
  hub.child.kill('SIGINT');
  assert.equal((await hub.exited).code, 0, hub.stderr());
});

test('hub with mutual TLS: a component whose certificate cannot serve TLS registers but is not wired, and the hub says why', { timeout: 120_000 }, async (t) => {
  const env = runEnv(t, 'flowctl-hubtls-');
  const certs = generateCerts(path.join(env.dir, 'certs'));
  const peer = generatePeerCerts(certs);
  const port = await freePort();
  const file = writePipeline(env.dir, PIPELINE);
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
  // certs.clientCert is for client authentication only: fine to register, not to serve the data plane.
  const sink = startComponent(fixture('record-sink'), {
    ENABLE_FLOWCTL: 'true',
    FLOWCTL_ENDPOINT: `127.0.0.1:${port}`,
    FLOWCTL_HEARTBEAT_INTERVAL_MS: '200',
    FLOWCTL_TEST_MARKER: env.marker,
    FLOWCTL_COMPONENT_ID: 'sink',
    OUTPUT_FILE: path.join(env.dir, 'sink.jsonl'),
    FLOWCTL_TLS_CA_FILE: certs.caCert,
    FLOWCTL_TLS_SERVER_NAME: 'localhost',
    FLOWCTL_TLS_CERT_FILE: certs.clientCert,
    FLOWCTL_TLS_KEY_FILE: certs.clientKey,
  });
  running.push(sink);
  await waitFor('the hub to see sink', 20_000, () => /sink registered/.test(hub.stdout()), () => hub.stdout() + hub.stderr());
  const said = await waitFor(
    'the hub to say the data plane of sink fails over mutual TLS',
    45_000,
    () => /cannot reach the flowctl\.v1 ConsumerService at \S+ over mutual TLS: TLS handshake failed: [^\n]*FLOWCTL_TLS_CERT_FILE[^\n]*server authentication/.exec(hub.stdout() + hub.stderr())?.[0],
    () => hub.stdout() + hub.stderr(),
  );
  assert.match(said, /purpose|certificate/i, said);
  t.diagnostic(said);
  hub.child.kill('SIGINT');
  await hub.exited;
});
