// The demo pipeline on a real single-node Docker Swarm, as a user deploys it: `flowctl deploy --to swarm`
// (translate -o swarm + docker stack deploy, images built locally, nothing pulled), every component
// healthy at the hub through its published port (host mode, 127.0.0.1), events reaching the sinks, the
// processor scaled to 3 replicas with all three receiving events, then `flowctl undeploy` and nothing of
// the stack left. The swarm is made for the test and left afterwards (only when the test made it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireDocker } from '../helpers/docker';
import { ensureSwarm, flowctlTestImage, removeStack, stackRemains } from '../helpers/swarm';
import { freePort } from '../helpers/net';
import { cliPath, makeTempDir, removeTempDir } from '../helpers/paths';
import { generateCerts, generatePeerCerts } from '../helpers/certs';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function flowctl(args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cliPath(), ...args], { cwd, timeout: timeoutMs, env: { ...process.env, ...env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

interface StatusEntry {
  component: { id: string; metadata: Record<string, string>; endpoint: string };
  status: number | string;
  metrics: Record<string, string>;
}

const HEALTHY = (s: number | string) => s === 2 || s === 'HEALTH_STATUS_HEALTHY';

async function status(port: number, env: NodeJS.ProcessEnv, cwd: string): Promise<{ components: StatusEntry[]; counts: Record<string, { events_in: number; events_out: number }> } | undefined> {
  const r = await flowctl(['status', '--json', '--control-plane-address', '127.0.0.1', '--control-plane-port', String(port)], env, cwd, 30_000);
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout);
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await check().catch((e) => ((last = e), undefined));
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const processed = (e: StatusEntry) => Number(e.metrics.processed_count ?? e.metrics.success_count ?? 0);

test('deploy the demo to a single-node swarm, see events flow, scale the processor to 3, undeploy: nothing remains', { timeout: 900_000 }, async (t) => {
  const images = await requireDocker(t);
  if (!images) return;
  const hubImage = flowctlTestImage(images.base);
  const leave = ensureSwarm();
  const dir = makeTempDir('flowctl-swarm-');
  const stack = `fdt-${crypto.randomBytes(3).toString('hex')}`;
  const env = { FLOWCTL_HOME: path.join(dir, 'home') };
  t.after(() => {
    removeStack(stack);
    leave();
    removeTempDir(dir);
  });
  const port = await freePort();
  const demo = images.demo;
  fs.writeFileSync(
    path.join(dir, 'flow.yml'),
    [
      'apiVersion: flowctl/v1',
      'kind: Pipeline',
      'metadata:',
      '  name: swarm-demo',
      'spec:',
      '  sources:',
      '    - id: ticker',
      `      image: ${demo}`,
      '      command: [node, /app/ticker.js]',
      '      env: {RATE: "50"}',
      '  processors:',
      '    - id: enrich',
      `      image: ${demo}`,
      '      command: [node, /app/enrich.js]',
      '      inputs: [ticker]',
      '      env: {MIN_QTY: "0", FLOWCTL_HEARTBEAT_INTERVAL_MS: "1000"}',
      '  sinks:',
      '    - id: counter',
      `      image: ${demo}`,
      '      command: [node, /app/counter-sink.js]',
      '      inputs: [enrich]',
      '',
    ].join('\n'),
  );

  // 1. Deploy: translate -o swarm + docker stack deploy, then the hub says every component is healthy.
  const dep = await flowctl(
    ['deploy', '--to', 'swarm', '-f', 'flow.yml', '--stack', stack, '--hub-image', hubImage, '--publish', String(port), '--resolve-image', 'never', '--wait', '240s'],
    env,
    dir,
    300_000,
  );
  assert.equal(dep.code, 0, `deploy failed:\n${dep.stdout}\n${dep.stderr}\n${spawnSync('docker', ['stack', 'ps', stack, '--no-trunc'], { encoding: 'utf8' }).stdout}`);
  assert.match(dep.stdout, new RegExp(`swarm-demo is deployed as stack ${stack}: 3 components healthy`));
  assert.match(dep.stdout, new RegExp(`flowctl status --control-plane-address 127\\.0\\.0\\.1 --control-plane-port ${port}`));
  assert.match(dep.stderr, /docker stack deploy -c .*stack\.yml/);
  assert.match(dep.stderr, /3\/3 components ready|components ready/);
  const stackFile = path.join(env.FLOWCTL_HOME, 'deploy', stack, 'stack.yml');
  assert.equal(fs.statSync(stackFile).mode & 0o777, 0o600);
  const services = spawnSync('docker', ['service', 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '--format', '{{.Name}}'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(services, [`${stack}_counter`, `${stack}_enrich`, `${stack}_flowctl-hub`, `${stack}_ticker`]);

  // 2. Events reach the sink (through the hub: the components never dial each other).
  const first = await waitFor('events at the sink', 120_000, async () => {
    const s = await status(port, env, dir);
    const sink = s?.components.find((c) => c.component.id === 'counter');
    return sink && HEALTHY(sink.status) && (s!.counts.counter?.events_in ?? 0) > 0 ? s : undefined;
  });
  assert.ok(first.components.every((c) => HEALTHY(c.status)), JSON.stringify(first.components.map((c) => [c.component.id, c.status])));

  // 3. Scale the processor to 3 replicas: three instances of enrich register and each receives events.
  const scale = spawnSync('docker', ['service', 'scale', '--detach', `${stack}_enrich=3`], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(scale.status, 0, scale.stderr);
  const scaled = await waitFor('three enrich replicas, each processing events', 240_000, async () => {
    const s = await status(port, env, dir);
    const enrich = s?.components.filter((c) => (c.component.metadata.FLOWCTL_COMPONENT_ID || c.component.id.replace(/#\d+$/, '')) === 'enrich') ?? [];
    if (enrich.length !== 3 || !enrich.every((e) => HEALTHY(e.status) && processed(e) > 0)) return undefined;
    return enrich;
  });
  assert.deepEqual(scaled.map((e) => e.component.id).sort(), ['enrich', 'enrich#2', 'enrich#3']);
  assert.equal(new Set(scaled.map((e) => e.component.endpoint)).size, 3, 'three replicas, three addresses');
  for (const e of scaled) assert.match(e.component.endpoint, /^10\.|^172\.|^192\.168\./, `the hub dials each replica at its overlay address: ${e.component.endpoint}`);
  // Events keep reaching the sink with three processors.
  const before = (await status(port, env, dir))!.counts.counter.events_in;
  await waitFor('more events at the sink after scaling', 60_000, async () => ((await status(port, env, dir))?.counts.counter?.events_in ?? 0) > before);

  // 4. Undeploy: nothing of the stack remains.
  const un = await flowctl(['undeploy', '--stack', stack], env, dir, 180_000);
  assert.equal(un.code, 0, `${un.stdout}\n${un.stderr}`);
  assert.match(un.stdout, new RegExp(`stack ${stack} removed`));
  assert.deepEqual(stackRemains(stack), []);
  const again = await flowctl(['undeploy', '--stack', stack], env, dir, 60_000);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`no stack named ${stack} is deployed`));
});

test('deploy with mutual TLS: the hub and the components use the certificates for registration and for the event streams over the overlay network', { timeout: 900_000 }, async (t) => {
  const images = await requireDocker(t);
  if (!images) return;
  const hubImage = flowctlTestImage(images.base);
  const leave = ensureSwarm();
  const dir = makeTempDir('flowctl-swarm-tls-');
  const stack = `fdt-${crypto.randomBytes(3).toString('hex')}`;
  const env = { FLOWCTL_HOME: path.join(dir, 'home') };
  t.after(() => {
    removeStack(stack);
    leave();
    removeTempDir(dir);
  });
  const certs = generateCerts(path.join(dir, 'certs'));
  const peer = generatePeerCerts(certs, ['flowctl-hub', 'localhost']);
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'flow.yml'),
    [
      'apiVersion: flowctl/v1',
      'kind: Pipeline',
      'metadata: {name: swarm-tls}',
      'spec:',
      `  sources: [{id: ticker, image: "${images.demo}", command: [node, /app/ticker.js], env: {RATE: "50"}}]`,
      `  sinks: [{id: counter, image: "${images.demo}", command: [node, /app/counter-sink.js], inputs: [ticker], env: {FLOWCTL_HEARTBEAT_INTERVAL_MS: "1000"}}]`,
      '',
    ].join('\n'),
  );
  const tlsFlags = ['--tls-cert', peer.hubCert, '--tls-key', peer.hubKey, '--tls-ca-cert', certs.caCert, '--tls-client-cert', peer.componentCert, '--tls-client-key', peer.componentKey];
  const dep = await flowctl(
    ['deploy', '--to', 'swarm', '-f', 'flow.yml', '--stack', stack, '--hub-image', hubImage, '--publish', String(port), '--resolve-image', 'never', '--wait', '240s', ...tlsFlags],
    env,
    dir,
    300_000,
  );
  const tasks = () => spawnSync('docker', ['stack', 'ps', stack, '--no-trunc'], { encoding: 'utf8' }).stdout;
  const logsOf = (svc: string) => spawnSync('docker', ['service', 'logs', '--raw', `${stack}_${svc}`], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(dep.code, 0, `deploy failed:\n${dep.stdout}\n${dep.stderr}\n${tasks()}\nhub:\n${logsOf('flowctl-hub').stdout}${logsOf('flowctl-hub').stderr}`);
  assert.match(dep.stdout, new RegExp(`swarm-tls is deployed as stack ${stack}: 2 components healthy`));
  assert.doesNotMatch(dep.stderr, /--insecure-no-mtls/);

  // The hub's port answers only a client with a certificate the CA signed; with one, events reach the sink.
  const plain = await flowctl(['status', '--json', '--control-plane-address', '127.0.0.1', '--control-plane-port', String(port)], env, dir, 30_000);
  assert.notEqual(plain.code, 0, 'a plaintext client gets no answer from the hub');
  const statusArgs = ['status', '--json', '--control-plane-address', '127.0.0.1', '--control-plane-port', String(port), '--tls-ca-cert', certs.caCert, '--tls-cert', peer.componentCert, '--tls-key', peer.componentKey, '--tls-server-name', 'flowctl-hub'];
  await waitFor('events at the sink over mutual TLS', 120_000, async () => {
    const r = await flowctl(statusArgs, env, dir, 30_000);
    if (r.code !== 0) return undefined;
    const s = JSON.parse(r.stdout) as { components: StatusEntry[]; counts: Record<string, { events_in: number }> };
    return s.components.length === 2 && s.components.every((c) => HEALTHY(c.status)) && (s.counts.counter?.events_in ?? 0) > 0;
  });
  // Each component serves its data plane with mutual TLS (the hub reached both over the overlay network).
  for (const svc of ['ticker', 'counter']) {
    const l = logsOf(svc);
    assert.match(l.stdout + l.stderr, /serving flowctl\.v1\.\w+ on \S+ \(mutual TLS\)/, `${svc} serves mutual TLS:\n${l.stdout}${l.stderr}`);
  }

  const un = await flowctl(['undeploy', '--stack', stack], env, dir, 180_000);
  assert.equal(un.code, 0, `${un.stdout}\n${un.stderr}`);
  assert.deepEqual(stackRemains(stack), []);
});

test('deploy: a hub that keeps exiting stops the wait with the reason from its log (a TLS key that does not match its certificate)', { timeout: 600_000 }, async (t) => {
  const images = await requireDocker(t);
  if (!images) return;
  const hubImage = flowctlTestImage(images.base);
  const leave = ensureSwarm();
  const dir = makeTempDir('flowctl-swarm-bad-');
  const stack = `fdt-${crypto.randomBytes(3).toString('hex')}`;
  const env = { FLOWCTL_HOME: path.join(dir, 'home') };
  t.after(() => {
    removeStack(stack);
    leave();
    removeTempDir(dir);
  });
  const certs = generateCerts(path.join(dir, 'certs'));
  const peer = generatePeerCerts(certs, ['flowctl-hub', 'localhost']);
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'flow.yml'),
    ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata: {name: swarm-bad}', 'spec:', `  sources: [{id: ticker, image: "${images.demo}", command: [node, /app/ticker.js]}]`, ''].join('\n'),
  );
  const started = Date.now();
  const dep = await flowctl(
    ['deploy', '--to', 'swarm', '-f', 'flow.yml', '--stack', stack, '--hub-image', hubImage, '--publish', String(port), '--resolve-image', 'never', '--wait', '300s',
      // The component's key with the hub's certificate: the hub cannot load its key pair.
      '--tls-cert', peer.hubCert, '--tls-key', peer.componentKey, '--tls-ca-cert', certs.caCert, '--tls-client-cert', peer.componentCert, '--tls-client-key', peer.componentKey],
    env,
    dir,
    360_000,
  );
  t.diagnostic(`deploy gave up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(dep.code, 1, `${dep.stdout}\n${dep.stderr}`);
  assert.match(dep.stderr, new RegExp(`the hub of ${stack} keeps exiting \\(\\d+ times\\): .*TLS key pair.*It stays deployed`));
  assert.doesNotMatch(dep.stderr, /not every component became healthy within/, 'it did not wait out the deadline');
  const un = await flowctl(['undeploy', '--stack', stack], env, dir, 180_000);
  assert.equal(un.code, 0, `${un.stdout}\n${un.stderr}`);
  assert.deepEqual(stackRemains(stack), []);
});
