// Private by default: what listens where (read from the kernel's socket table, /proc/net/tcp{,6}), file
// and folder modes under FLOWCTL_HOME, the warning for a control plane reachable without mutual TLS,
// and components that no longer inherit the runner's PORT.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exposureWarning } from '../../src/core/controlplane/exposure';
import { isLoopbackHost } from '../../src/core/hostPort';
import { runCli, startCliServer } from '../helpers/cli';
import { occupyPort, waitFor } from '../helpers/net';
import { makeTempDir, removeTempDir } from '../helpers/paths';
import { fixture, markedProcesses, node, runEnv, startRun, stopRun, writePipeline } from './run-helpers';

interface Listener {
  address: string;
  port: number;
}

/** Sockets in LISTEN state (st 0A), from /proc/net/tcp and /proc/net/tcp6, as printable addresses. */
function listeners(): Listener[] {
  const out: Listener[] = [];
  for (const [table, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      const [hex, portHex] = cols[1]!.split(':');
      out.push({ address: v6 ? ipv6(hex!) : ipv4(hex!), port: parseInt(portHex!, 16) });
    }
  }
  return out;
}

function ipv4(hex: string): string {
  const n = Buffer.from(hex, 'hex');
  return [n[3], n[2], n[1], n[0]].join('.'); // little-endian in the table
}

function ipv6(hex: string): string {
  const b = Buffer.from(hex, 'hex');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 4) {
    const w = b.readUInt32LE(i);
    words.push(((w >>> 16) & 0xffff).toString(16), (w & 0xffff).toString(16));
  }
  return words.join(':');
}

function listenersOn(port: number): string[] {
  return listeners()
    .filter((l) => l.port === port)
    .map((l) => l.address);
}

function mode(p: string): string {
  return (fs.statSync(p).mode & 0o777).toString(8);
}

describe('default binds (socket table)', () => {
  let home: string;
  before(() => {
    home = makeTempDir('flowctl-private-');
  });
  after(() => removeTempDir(home));

  test('flowctl server without --address listens on 127.0.0.1 only, and does not warn', async () => {
    const s = await startCliServer(['--port', '0', '--no-persistence'], { FLOWCTL_HOME: home });
    try {
      assert.deepEqual(listenersOn(s.port), ['127.0.0.1']);
      assert.match(s.stderr(), /listening on 127\.0\.0\.1:\d+/);
      assert.doesNotMatch(s.stderr(), /WARN/);
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  });

  test('an SDK component binds its data port and its health server on loopback, whatever PORT it had', async () => {
    const child = spawn(process.execPath, [fixture('components/count-source.js')], {
      env: { ...process.env, ENABLE_FLOWCTL: 'false', HEALTH_PORT: '0', RATE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    try {
      await waitFor(() => /health endpoints on http:\/\/[^:]+:(\d+)/.test(out) && /serving flowctl\.v1\.\w+ on [^:]+:(\d+)/.test(out), 15_000, 'component up');
      const health = Number(/health endpoints on http:\/\/[^:]+:(\d+)/.exec(out)![1]);
      const data = Number(/serving flowctl\.v1\.\w+ on [^:]+:(\d+)/.exec(out)![1]);
      assert.deepEqual(listenersOn(health), ['127.0.0.1'], `health server: ${out}`);
      assert.deepEqual(listenersOn(data), ['127.0.0.1'], `data port: ${out}`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('HEALTH_HOST moves the health server (here to ::1)', async () => {
    const child = spawn(process.execPath, [fixture('components/count-source.js')], {
      env: { ...process.env, ENABLE_FLOWCTL: 'false', HEALTH_PORT: '0', HEALTH_HOST: '::1', RATE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    try {
      await waitFor(() => /health endpoints on http:\/\/\[::1\]:(\d+)/.test(out) || /could not listen/.test(out), 15_000, 'health server up');
      const m = /health endpoints on http:\/\/\[::1\]:(\d+)/.exec(out);
      if (!m) return; // no IPv6 loopback on this machine
      assert.deepEqual(listenersOn(Number(m[1])), ['0:0:0:0:0:0:0:1']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('exposure warning', () => {
  test('off loopback without mutual TLS: a warning naming what anyone can do and how to close it', () => {
    assert.equal(exposureWarning('127.0.0.1', 'plaintext'), undefined);
    assert.equal(exposureWarning('127.1.2.3', 'plaintext'), undefined);
    assert.equal(exposureWarning('::1', 'tls'), undefined);
    assert.equal(exposureWarning('localhost', 'plaintext'), undefined);
    assert.equal(exposureWarning('0.0.0.0', 'mtls'), undefined);
    assert.equal(
      exposureWarning('0.0.0.0', 'plaintext'),
      'the control plane listens on --address 0.0.0.0 without TLS, anyone who can reach the port can register components, read pipeline runs and stop them. ' +
        'Keep it on 127.0.0.1, or require mutual TLS (--tls-cert, --tls-key and --tls-ca-cert)',
    );
    assert.match(exposureWarning('::', 'tls', '--control-plane-address')!, /^the control plane listens on --control-plane-address :: with TLS but without client certificates/);
    assert.ok(isLoopbackHost('[::1]') && isLoopbackHost('::ffff:127.0.0.1') && !isLoopbackHost('10.0.0.1') && !isLoopbackHost('0.0.0.0'));
  });

  test('flowctl server --help says loopback by default and mutual TLS off loopback', async () => {
    const res = await runCli(['server', '--help']);
    assert.equal(res.code, 0);
    assert.match(res.stdout, /--address string\s+.*\(default "127\.0\.0\.1"\)/);
    assert.match(res.stdout, /off loopback use mutual TLS/);
    assert.match(res.stdout, /--max-components int/);
  });
});

describe('file modes under FLOWCTL_HOME', () => {
  let dir: string;
  before(() => {
    dir = makeTempDir('flowctl-modes-');
  });
  after(() => removeTempDir(dir));

  test('flowctl server: a 0755 home from an older flowctl becomes 0700; database, its lock files and the endpoint file are 0600', async () => {
    const home = path.join(dir, 'home');
    fs.mkdirSync(home, { mode: 0o755 });
    fs.chmodSync(home, 0o755);
    const s = await startCliServer(['--port', '0'], { FLOWCTL_HOME: home });
    try {
      assert.equal(mode(home), '700');
      const db = path.join(home, 'registry.lmdb');
      for (const f of [db, `${db}-lock`, `${db}.pid`, path.join(home, 'endpoint.json')]) assert.equal(mode(f), '600', f);
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  });

  test('flowctl run: its per-pipeline folders are 0700, the database 0600; components do not inherit PORT', async (t) => {
    const env = runEnv(t);
    const busy = await occupyPort('127.0.0.1');
    t.after(() => busy.close());
    const out = path.join(env.dir, 'sink.jsonl');
    const file = writePipeline(
      env.dir,
      `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: modes
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "20", SECRET_TOKEN: "do-not-store-me" }
  sinks:
    - id: sink
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: "${out}" }
`,
    );
    // A PORT in the runner's environment (here one that is taken) must not reach the components.
    const run = startRun(file, ['--show-status=false', '--db-path', path.join(env.home, 'pipelines', 'modes', 'registry.lmdb')], {
      ...env,
      env: { ...env.env, PORT: String(busy.port) },
    });
    await run.waitForOutput('Pipeline is running');
    await waitFor(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').split('\n').length > 3, 20_000, 'events at the sink');
    assert.equal(mode(env.home), '700');
    assert.equal(mode(path.join(env.home, 'pipelines')), '700');
    assert.equal(mode(path.join(env.home, 'pipelines', 'modes')), '700');
    const db = path.join(env.home, 'pipelines', 'modes', 'registry.lmdb');
    assert.equal(mode(db), '600');
    assert.equal(mode(`${db}-lock`), '600');
    const result = await stopRun(run);
    assert.equal(result.code, 0, run.stderr());
    assert.deepEqual(markedProcesses(env.marker), []);
    assert.equal(fs.readFileSync(db).includes('do-not-store-me'), false, 'the run config is stored redacted');
  });
});
