// Who may do what on an embedded control plane, over real sockets with real processes: the control
// plane runs in its own process (cp-host) and learns which pids are "of the run"; callers are separate
// processes (cp-caller), some added to the run, some not. Outsiders are refused for every mutating RPC
// and for taking over an id; the owner's token opens the owner-only calls; reads stay open but configs
// come back redacted (and are stored redacted).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { RUN_TOKEN_METADATA, isUnixPeer } from '../../src/core/controlplane/access';
import { Caller, CpHost, type Answer } from '../helpers/cpHost';
import { call, componentInfo, expectCode, legacyClient, v1Client } from '../helpers/grpc';
import { makeTempDir, removeTempDir } from '../helpers/paths';

const DENIED = grpc.status.PERMISSION_DENIED;

function denied(a: Answer, pattern: RegExp): void {
  assert.equal(a.ok, false, `expected PERMISSION_DENIED, got ${JSON.stringify(a).slice(0, 200)}`);
  if (a.ok) return;
  assert.equal(a.code, DENIED, `expected PERMISSION_DENIED, got ${grpc.status[a.code]}: ${a.details}`);
  assert.match(a.details, pattern);
}

function ok(a: Answer): any {
  assert.ok(a.ok, `expected success, got ${a.ok ? '' : `${grpc.status[a.code]}: ${a.details}`}`);
  return a.ok ? a.response : undefined;
}

const SECRET_CONFIG = `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: secretive
spec:
  sources:
    - id: src
      command: ["node", "src.js"]
      env:
        DATABASE_URL: postgres://app:hunter2-in-env@db/app
        LOG_LEVEL: debug
      config:
        api_key: sk-live-in-config
        batch_size: 10
      secrets:
        - name: gcp-credentials
          host_path: /home/me/secret-host-path.json
          env: GOOGLE_APPLICATION_CREDENTIALS
`;

describe('access rules on an embedded control plane', () => {
  let dir: string;
  let host: CpHost;
  let inRun: Caller;
  let inRun2: Caller;
  let outsider: Caller;
  const token = crypto.randomBytes(32).toString('hex');

  before(async () => {
    dir = makeTempDir('flowctl-access-');
    host = await CpHost.start({ dbPath: path.join(dir, 'registry.lmdb'), ownerToken: token, restricted: true, allowExternal: ['preallowed'] });
    inRun = await Caller.start(host.endpoint);
    inRun2 = await Caller.start(host.endpoint);
    outsider = await Caller.start(host.endpoint);
    await host.addRunPid(inRun.pid);
    await host.addRunPid(inRun2.pid);
  });
  after(async () => {
    for (const c of [inRun, inRun2, outsider]) await c?.close();
    await host?.stop();
    removeTempDir(dir);
  });

  test('processes of the run register, heartbeat and unregister (v1 and legacy)', async () => {
    assert.equal(ok(await inRun.call('v1', 'RegisterComponent', { component: componentInfo('src', 1) })).service_id, 'src');
    ok(await inRun.call('v1', 'Heartbeat', { service_id: 'src', metrics: { n: '1' } }));
    assert.equal(ok(await inRun2.call('legacy', 'Register', { service_id: 'legacy-sink', service_type: 3 })).service_id, 'legacy-sink');
    ok(await inRun2.call('legacy', 'Heartbeat', { service_id: 'legacy-sink', metrics: { n: 2 } }));
    ok(await inRun2.call('v1', 'RegisterComponent', { component: componentInfo('temp', 3) }));
    ok(await inRun2.call('v1', 'UnregisterComponent', { service_id: 'temp' }));
  });

  test('a process outside the run is refused for every mutating call; reads stay open', async () => {
    const notInRun = new RegExp(`process ${outsider.pid} is not part of this run.*--allow-external <id>`);
    denied(await outsider.call('v1', 'RegisterComponent', { component: componentInfo('intruder', 1) }), notInRun);
    denied(await outsider.call('v1', 'Heartbeat', { service_id: 'src' }), notInRun);
    denied(await outsider.call('v1', 'UnregisterComponent', { service_id: 'src' }), notInRun);
    denied(await outsider.call('legacy', 'Register', { service_id: 'intruder-legacy', service_type: 1 }), notInRun);
    denied(await outsider.call('legacy', 'Heartbeat', { service_id: 'legacy-sink' }), notInRun);
    const ownerOnly = /is for the run's owner only: no run token was sent \(metadata x-flowctl-run-token\)/;
    denied(await outsider.call('legacy', 'CreatePipelineRun', { run_id: 'r-intruder', pipeline_name: 'p' }), ownerOnly);
    denied(await outsider.call('legacy', 'UpdatePipelineRun', { run_id: 'r-intruder', status: 5 }), ownerOnly);
    denied(await outsider.call('legacy', 'StopPipelineRun', { run_id: 'r-intruder' }), ownerOnly);
    denied(await outsider.call('access', 'AllowExternal', { component_id: 'intruder', allowed: true }), ownerOnly);
    denied(await outsider.call('legacy', 'StopPipelineRun', { run_id: 'r-intruder' }, 'f'.repeat(64)), /the run token sent is wrong/);
    // Nothing changed.
    const st = ok(await outsider.call('v1', 'GetComponentStatus', { service_id: 'src' }));
    assert.equal(st.component.id, 'src');
    assert.equal(st.metrics.n, '1');
    const listed = ok(await outsider.call('v1', 'ListComponents', { include_unhealthy: true })).components.map((c: any) => c.component.id);
    assert.deepEqual(listed.sort(), ['legacy-sink', 'src']);
    ok(await outsider.call('legacy', 'ListServices', {}));
    ok(await outsider.call('v1', 'DiscoverComponents', {}));
    ok(await outsider.call('legacy', 'ListPipelineRuns', { limit: -1 }));
  });

  test('the test process itself (not of the run) is refused too: same rules for any client', async () => {
    const v1 = v1Client(host.endpoint);
    try {
      await expectCode(call(v1, 'RegisterComponent', { component: componentInfo('in-test', 1) }), DENIED, new RegExp(`process ${process.pid} is not part of this run`));
    } finally {
      v1.close();
    }
  });

  test('no take-over: an id held by a live process of the run is refused to anyone else, until that process is gone', async () => {
    const heldBy = new RegExp(`RegisterComponent src refused: that id is held by process ${inRun.pid}, a live process of this run`);
    denied(await inRun2.call('v1', 'RegisterComponent', { component: componentInfo('src', 1, { endpoint: '127.0.0.1:1' }) }), heldBy);
    denied(await inRun2.call('legacy', 'Register', { service_id: 'src', service_type: 1 }), /held by process/);
    denied(await outsider.call('v1', 'RegisterComponent', { component: componentInfo('src', 1) }), /not part of this run/);
    // The holder itself may register again (e.g. after the control plane forgot it).
    ok(await inRun.call('v1', 'RegisterComponent', { component: componentInfo('src', 1) }));
    // Once the holder is gone, another process of the run may take the id (a restarted component).
    const old = inRun;
    old.kill();
    await new Promise<void>((resolve) => old.child.once('exit', () => resolve()));
    ok(await inRun2.call('v1', 'RegisterComponent', { component: componentInfo('src', 1, { endpoint: '127.0.0.1:2' }) }));
    inRun = await Caller.start(host.endpoint);
    await host.addRunPid(inRun.pid);
    denied(await inRun.call('v1', 'RegisterComponent', { component: componentInfo('src', 1) }), new RegExp(`held by process ${inRun2.pid}`));
  });

  test('the owner (token) may create, update and stop runs and allow an outside component; others only read', async () => {
    ok(await outsider.call('legacy', 'CreatePipelineRun', { run_id: 'r-1', pipeline_name: 'secretive', config_yaml: SECRET_CONFIG, component_ids: ['src'] }, token));
    ok(await outsider.call('legacy', 'UpdatePipelineRun', { run_id: 'r-1', status: 2 }, token));
    const stopped = ok(await outsider.call('legacy', 'StopPipelineRun', { run_id: 'r-1' }, token));
    assert.equal(stopped.status, 5);

    // A component started by hand joins only once the owner allows its id.
    denied(await outsider.call('v1', 'RegisterComponent', { component: componentInfo('debugged', 2) }), /not part of this run/);
    const allowed = ok(await outsider.call('access', 'AllowExternal', { component_id: 'debugged', allowed: true }, token));
    assert.deepEqual(allowed.component_ids, ['debugged', 'preallowed']);
    ok(await outsider.call('v1', 'RegisterComponent', { component: componentInfo('debugged', 2) }));
    ok(await outsider.call('v1', 'Heartbeat', { service_id: 'debugged' }));
    ok(await outsider.call('v1', 'RegisterComponent', { component: componentInfo('preallowed', 2) }));
    denied(await outsider.call('v1', 'RegisterComponent', { component: componentInfo('not-allowed', 2) }), /not part of this run/);
    // Allowing an id never allows taking it from a live process of the run.
    ok(await outsider.call('access', 'AllowExternal', { component_id: 'src', allowed: true }, token));
    denied(await outsider.call('v1', 'RegisterComponent', { component: componentInfo('src', 1) }), /held by process/);
    ok(await outsider.call('access', 'AllowExternal', { component_id: 'src', allowed: false }, token));
    const list = ok(await outsider.call('access', 'AllowExternal', {}, token));
    assert.deepEqual(list.component_ids, ['debugged', 'preallowed']);
  });

  test('configs are served and stored with env values, secrets and credential-like config redacted (keys kept)', async () => {
    const leaks = ['hunter2-in-env', 'sk-live-in-config', 'secret-host-path', 'GOOGLE_APPLICATION_CREDENTIALS'];
    const got = ok(await outsider.call('legacy', 'GetPipelineRun', { run_id: 'r-1' }));
    const listed = ok(await outsider.call('legacy', 'ListPipelineRuns', { pipeline_name: 'secretive', limit: -1 })).runs[0];
    for (const yaml of [got.config_yaml as string, listed.config_yaml as string]) {
      for (const leak of leaks) assert.ok(!yaml.includes(leak), `${leak} leaked:\n${yaml}`);
      assert.match(yaml, /DATABASE_URL: "\[redacted\]"/);
      assert.match(yaml, /LOG_LEVEL: "\[redacted\]"/);
      assert.match(yaml, /api_key: "\[redacted\]"/);
      assert.match(yaml, /batch_size: 10/);
      assert.match(yaml, /- name: gcp-credentials\n\s+host_path: "\[redacted\]"/);
      assert.match(yaml, /command: \[ "node", "src.js" \]/);
    }
    await host.stop();
    const onDisk = fs.readFileSync(path.join(dir, 'registry.lmdb'));
    for (const leak of leaks) assert.equal(onDisk.includes(leak), false, `${leak} is in the database file`);
    assert.ok(onDisk.includes('gcp-credentials'), 'the redacted config is stored');
  });
});

describe('access: the heartbeat path looks the caller up once per connection', () => {
  let cp: ControlPlaneServer;
  let lookups = 0;

  before(async () => {
    cp = await ControlPlaneServer.start({
      port: 0,
      access: {
        ownerToken: 'owner',
        isRunProcess: (pid) => {
          lookups++;
          return pid === process.pid;
        },
      },
    });
  });
  after(async () => {
    await cp?.stop();
  });

  test('500 heartbeats on one connection: one process lookup; a second connection: one more', async () => {
    const a = v1Client(cp.endpoint, undefined, { 'grpc.use_local_subchannel_pool': 1 });
    const b = legacyClient(cp.endpoint, undefined, { 'grpc.use_local_subchannel_pool': 1 });
    try {
      await call(a, 'RegisterComponent', { component: componentInfo('beater', 1) });
      for (let i = 0; i < 500; i++) await call(a, 'Heartbeat', { service_id: 'beater' });
      assert.equal(lookups, 1, 'one isRunProcess per connection');
      await call(b, 'Heartbeat', { service_id: 'beater' });
      assert.equal(lookups, 2);
      // The owner's token does not need a process lookup to be believed.
      const md = new grpc.Metadata();
      md.set(RUN_TOKEN_METADATA, 'owner');
      const owner = legacyClient(cp.endpoint);
      try {
        await new Promise<void>((resolve, reject) =>
          owner.CreatePipelineRun({ run_id: 'r', pipeline_name: 'p' }, md, (err: Error | null) => (err ? reject(err) : resolve())),
        );
      } finally {
        owner.close();
      }
    } finally {
      a.close();
      b.close();
    }
  });
});

// The control plane as an ordinary user, callers as root and as other users: how a container of the run
// (root inside, host network) reaches a run started by a user who may not look at root's processes.
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
describe('access: a control plane run by an ordinary user', { skip: asRoot ? false : 'needs root to start processes as other users' }, () => {
  const NOBODY = 65534;
  const OTHER = 65533;
  let host: CpHost;
  let root: Caller;
  let sameUser: Caller;
  let otherUser: Caller;

  before(async () => {
    host = await CpHost.start({ ownerToken: 'owner', restricted: true, uid: NOBODY });
    root = await Caller.start(host.endpoint); // this test runs as root
    sameUser = await Caller.start(host.endpoint, process.env, NOBODY);
    otherUser = await Caller.start(host.endpoint, process.env, OTHER);
  });
  after(async () => {
    for (const c of [root, sameUser, otherUser]) await c?.close();
    await host?.stop();
  });

  test("root's socket (whose process it may not look at) counts as the run's: a container of the run registers", async () => {
    assert.equal(ok(await root.call('v1', 'RegisterComponent', { component: componentInfo('in-container', 1) })).service_id, 'in-container');
    ok(await root.call('v1', 'Heartbeat', { service_id: 'in-container', metrics: { n: '1' } }));
    ok(await root.call('v1', 'UnregisterComponent', { service_id: 'in-container' }));
  });

  test('its own processes outside the run, and processes of other ordinary users, stay refused', async () => {
    denied(await sameUser.call('v1', 'RegisterComponent', { component: componentInfo('mine', 1) }), /process \d+ is not part of this run/);
    denied(await otherUser.call('v1', 'RegisterComponent', { component: componentInfo('theirs', 1) }), /not found on this machine\) is not part of this run/);
    denied(await otherUser.call('legacy', 'Register', { service_id: 'theirs', service_type: 1 }), /not part of this run/);
    // Reads stay open to them.
    ok(await otherUser.call('v1', 'ListComponents', { include_unhealthy: true }));
  });
});

describe("access: the run's private unix socket (bridge-network containers)", () => {
  let cp: ControlPlaneServer;
  let dir: string;
  before(async () => {
    dir = makeTempDir('flowctl-unix-');
    cp = await ControlPlaneServer.start({
      address: '127.0.0.1',
      port: 0,
      access: { ownerToken: 'owner', isRunProcess: () => false, isRunPeer: (p) => isUnixPeer(p.peer) },
    });
    await cp.listenUnix(path.join(dir, 'control.sock'));
  });
  after(async () => {
    await cp?.stop();
    removeTempDir(dir);
  });

  test('a connection over the unix socket counts as the run\'s (as the runner says); the same call over TCP is refused', async () => {
    const overSocket = v1Client(`unix://${path.join(dir, 'control.sock')}`, undefined, { 'grpc.use_local_subchannel_pool': 1 });
    const overTcp = v1Client(cp.endpoint, undefined, { 'grpc.use_local_subchannel_pool': 1 });
    try {
      await call(overSocket, 'RegisterComponent', { component: componentInfo('bridged', 1) });
      await call(overSocket, 'Heartbeat', { service_id: 'bridged' });
      await expectCode(call(overTcp, 'RegisterComponent', { component: componentInfo('tcp-outsider', 1) }), DENIED, /not part of this run/);
    } finally {
      overSocket.close();
      overTcp.close();
    }
  });
});
