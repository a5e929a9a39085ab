// A control plane that listens before its registry is open (ControlPlaneServer openRegistryAfterBind: a run
// spawns its components while the database opens, src/core/runner/openControlPlane.ts). Real gRPC over
// loopback, a real LMDB file: calls that arrive before the registry is open wait and then succeed; health says
// NOT_SERVING until then; a registry that cannot be opened answers the held calls UNAVAILABLE with the reason
// and leaves no lock; a server stopped while its registry opens closes what it opened. And from the CLI: a
// run whose clean-closed registry turns out unreadable (written by a newer flowctl) fails its start with the
// message and leaves none of the components it had started running, nor the lock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { open as openLmdb } from 'lmdb';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { LazyStorage } from '../../src/core/controlplane/storage/lazy';
import { LmdbStorage } from '../../src/core/controlplane/storage/lmdb';
import { writeCleanMark, matchesCleanMark } from '../../src/core/controlplane/storage/lmdbCheck';
import { MemoryStorage } from '../../src/core/controlplane/storage/memory';
import type { Storage } from '../../src/core/controlplane/storage/types';
import { call, closeAll, componentInfo, expectCode, healthClient, v1Client } from '../helpers/grpc';
import { runCli } from '../helpers/cli';
import { makeTempDir, removeTempDir } from '../helpers/paths';
import { fixture } from './run-helpers';

/** A LazyStorage whose real store is made only when release() is called (or fails with fail()). */
function heldStorage(make: () => Promise<Storage>, location?: string) {
  let release!: () => void;
  let fail!: (err: Error) => void;
  const gate = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  let made = false;
  const storage = new LazyStorage('lmdb', location, async () => {
    await gate;
    made = true;
    return make();
  });
  return { storage, release, fail, made: () => made };
}

const register = (id: string) => ({ component: componentInfo(id, 1, { endpoint: '127.0.0.1:1' }), component_id: id });

describe('a control plane that opens its registry after it listens', () => {
  let dir: string;
  before(() => {
    dir = makeTempDir('flowctl-open-later-');
  });
  after(() => removeTempDir(dir));

  test('calls before the registry is open wait, then succeed; health is NOT_SERVING until then', async () => {
    const file = path.join(dir, 'wait.lmdb');
    const held = heldStorage(async () => new LmdbStorage(file), file);
    const server = await ControlPlaneServer.start({ port: 0, storage: held.storage, openRegistryAfterBind: true });
    const v1 = v1Client(server.endpoint);
    const health = healthClient(server.endpoint);
    try {
      assert.equal(held.made(), false, 'listening, the database not opened yet');
      assert.equal((await call(health, 'check', { service: '' })).status, 'NOT_SERVING');
      let answered = false;
      const pending = call(v1, 'RegisterComponent', register('early')).then((r) => ((answered = true), r));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(answered, false, 'the registration waits for the registry');
      held.release();
      await server.ready;
      const res = await pending;
      assert.equal(res.service_id, 'early');
      assert.equal(server.registry.get('early')?.info.id, 'early', 'in the registry');
      assert.equal((await call(health, 'check', { service: '' })).status, 'SERVING');
      // Answered after its durable write: a fresh storage on the same file (after close) has it.
    } finally {
      closeAll(v1, health);
      await server.stop();
    }
    const again = new LmdbStorage(file);
    await again.open();
    try {
      assert.deepEqual((await again.loadServices()).map((r) => r.serviceId), ['early']);
    } finally {
      await again.close();
    }
  });

  test('a registry that cannot be opened: held calls get UNAVAILABLE with the reason, ready rejects, no lock is left', async () => {
    const file = path.join(dir, 'newer.lmdb');
    await newerRegistry(file);
    const held = heldStorage(async () => new LmdbStorage(file), file);
    const server = await ControlPlaneServer.start({ port: 0, storage: held.storage, openRegistryAfterBind: true });
    const v1 = v1Client(server.endpoint);
    try {
      const pending = call(v1, 'RegisterComponent', register('held'));
      await new Promise((r) => setTimeout(r, 100));
      held.release();
      await assert.rejects(server.ready, /written by a newer flowctl/);
      await expectCode(pending, grpc.status.UNAVAILABLE, /^the control plane could not open its registry: database file .* was written by a newer flowctl/);
      await expectCode(call(v1, 'ListComponents', {}), grpc.status.UNAVAILABLE, /could not open its registry/);
      assert.equal(fs.existsSync(`${file}.pid`), false, 'the lock was released');
    } finally {
      closeAll(v1);
      await server.stop();
    }
  });

  test('stopped while its registry opens: what it opened is closed (no lock left), and the held call ends', async () => {
    const file = path.join(dir, 'stop.lmdb');
    const held = heldStorage(async () => new LmdbStorage(file), file);
    const server = await ControlPlaneServer.start({ port: 0, storage: held.storage, openRegistryAfterBind: true });
    const v1 = v1Client(server.endpoint);
    const pending = call(v1, 'RegisterComponent', register('late')).then(
      () => 'answered',
      (err: grpc.ServiceError) => `failed ${grpc.status[err.code]}`,
    );
    await new Promise((r) => setTimeout(r, 100));
    const stopped = server.stop({ graceMs: 500 });
    held.release();
    await stopped;
    assert.ok(held.made(), 'the database was opened after all');
    assert.equal(fs.existsSync(`${file}.pid`), false, 'and closed: its lock is gone');
    assert.ok(matchesCleanMark(file), 'closed cleanly');
    assert.match(await pending, /^(answered|failed \w+)$/);
    closeAll(v1);
  });

  test('nothing opens the registry until it is asked for (ready) or a call arrives; stopped before that, nothing is opened and `unused` runs', async () => {
    let made = 0;
    let unused = 0;
    const storage = new LazyStorage('memory', undefined, async () => (made++, new MemoryStorage()), () => unused++);
    const server = await ControlPlaneServer.start({ port: 0, storage, openRegistryAfterBind: true });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(made, 0, 'listening for 200 ms without a call: not opened');
    await server.stop();
    assert.equal(made, 0);
    assert.equal(unused, 1, 'closed unopened: the hook ran (the run releases its registry lock there)');

    const asked = await ControlPlaneServer.start({ port: 0, storage: new LazyStorage('memory', undefined, async () => (made++, new MemoryStorage())), openRegistryAfterBind: true });
    try {
      await asked.ready;
      assert.equal(made, 1, 'ready opened it');
    } finally {
      await asked.stop();
    }
  });

  test('without the option nothing changes: start() resolves with the registry open and ready resolved', async () => {
    const server = await ControlPlaneServer.start({ port: 0, storage: new MemoryStorage() });
    const health = healthClient(server.endpoint);
    try {
      await server.ready;
      assert.equal((await call(health, 'check', { service: '' })).status, 'SERVING');
    } finally {
      closeAll(health);
      await server.stop();
    }
  });
});

/** A registry closed cleanly by "a newer flowctl": schema marker 99, clean mark matching. */
async function newerRegistry(file: string): Promise<void> {
  const s = new LmdbStorage(file);
  await s.open();
  await s.close();
  const root = openLmdb({ path: file, noSubdir: true, maxDbs: 4 });
  const meta = root.openDB<unknown, string>({ name: 'meta' });
  await meta.put('schemaVersion', 99);
  await root.close();
  writeCleanMark(file);
  assert.ok(matchesCleanMark(file));
}

describe('flowctl run on a clean-closed registry it cannot read', () => {
  let dir: string;
  before(() => {
    dir = makeTempDir('flowctl-open-later-run-');
  });
  after(() => removeTempDir(dir));

  test('the start fails with the message; the components it had started are stopped; no lock is left', { timeout: 120_000 }, async () => {
    const file = path.join(dir, 'newer.lmdb');
    await newerRegistry(file);
    const pids = path.join(dir, 'pids');
    fs.mkdirSync(pids);
    // Each component writes its pid first, then becomes the fixture (exec keeps the pid).
    const cmd = (script: string, id: string) => JSON.stringify(['sh', '-c', `echo $$ > ${path.join(pids, id)}; exec node "$0"`, fixture(script)]);
    const pipeline = path.join(dir, 'flow.yml');
    fs.writeFileSync(
      pipeline,
      `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: open-later-run
spec:
  sources:
    - id: src
      command: ${cmd('components/count-source.js', 'src')}
      env: { RATE: "10" }
  sinks:
    - id: sink
      command: ${cmd('components/record-sink.js', 'sink')}
      inputs: [src]
      env: { OUTPUT_FILE: "${path.join(dir, 'out.jsonl')}" }
`,
    );
    const res = await runCli(['run', pipeline, '--control-plane-port', '0', '--db-path', file, '--show-status=false'], { FLOWCTL_HOME: path.join(dir, 'home') }, 120_000);
    const output = `${res.stdout}\n${res.stderr}`;
    assert.equal(res.code, 1, output);
    assert.match(output, /✗ Pipeline failed to start: database file .*newer\.lmdb was written by a newer flowctl/, output);
    assert.equal(fs.existsSync(`${file}.pid`), false, 'no lock left');
    const started = fs.readdirSync(pids);
    assert.ok(started.length > 0, 'components were started while the registry opened (the case this test is about)');
    for (const id of started) {
      const pid = Number(fs.readFileSync(path.join(pids, id), 'utf8'));
      assert.throws(() => process.kill(pid, 0), /ESRCH/, `${id} (pid ${pid}) is gone`);
    }
  });
});
