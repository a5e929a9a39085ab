// flowctl.v1.ControlPlaneService over a real socket, with real grpc-js clients built from our protos.
// Also: health, reflection, registry events, restart from storage, and flowctl's own tests (§7).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { MemoryStorage } from '../../src/core/controlplane/storage/memory';
import { HealthStatus, ComponentType, type PipelineRun, type ServiceRecord } from '../../src/core/controlplane/model';
import { Registry } from '../../src/core/controlplane/registry';
import type { RegistryEvent } from '../../src/core/events';
import { call, closeAll, componentInfo, expectCode, healthClient, legacyClient, v1Client, type Client } from '../helpers/grpc';
import { repoRoot } from '../helpers/paths';
import { waitFor } from '../helpers/net';

const { HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN, STARTING } = HealthStatus;
const tsMs = (ts: { seconds: number; nanos: number } | null) => (ts ? ts.seconds * 1000 + Math.floor(ts.nanos / 1e6) : 0);

describe('v1 ControlPlaneService', () => {
  let cp: ControlPlaneServer;
  let client: Client;

  before(async () => {
    cp = await ControlPlaneServer.start({ port: 0 });
    client = v1Client(cp.endpoint);
  });
  after(async () => {
    closeAll(client);
    await cp.stop();
  });

  test('binds a free port for port 0 and reports host:port', () => {
    assert.ok(cp.port > 0);
    assert.equal(cp.address, '127.0.0.1');
    assert.equal(cp.endpoint, `127.0.0.1:${cp.port}`);
  });

  test('RegisterComponent: service id precedence, topics, real endpoint', async () => {
    const a = await call(client, 'RegisterComponent', {
      component: componentInfo('comp-a', ComponentType.SOURCE, { output_event_types: ['stellar.ledger', 'x'] }),
      component_id: 'env-a',
    });
    assert.equal(a.service_id, 'env-a');
    assert.deepEqual(a.assigned_topics, ['stellar.ledger.v1', 'x.v1']);
    assert.deepEqual(a.connection_info, { control_plane_endpoint: cp.endpoint });

    const b = await call(client, 'RegisterComponent', { component: componentInfo('comp-b', ComponentType.CONSUMER, { input_event_types: ['x'] }) });
    assert.equal(b.service_id, 'comp-b');
    assert.deepEqual(b.assigned_topics, [], 'consumers get no topics');

    const c = await call(client, 'RegisterComponent', { component: componentInfo('', ComponentType.PROCESSOR, { output_event_types: ['y'] }) });
    assert.match(c.service_id, /^COMPONENT_TYPE_PROCESSOR-\d{19}$/);
    assert.deepEqual(c.assigned_topics, ['y.v1']);
    const c2 = await call(client, 'RegisterComponent', { component: componentInfo('', ComponentType.PROCESSOR) });
    assert.notEqual(c2.service_id, c.service_id, 'generated ids are unique');

    // The stored component keeps its own id (not rewritten to the service id).
    const st = await call(client, 'GetComponentStatus', { service_id: 'env-a' });
    assert.equal(st.component.id, 'comp-a');
    assert.equal(st.status, HEALTHY);
    assert.ok(tsMs(st.registered_at) > 0 && tsMs(st.last_heartbeat) === tsMs(st.registered_at));
    assert.equal(cp.registry.get('env-a')?.peer?.includes('127.0.0.1'), true, 'peer recorded');
    for (const id of ['env-a', 'comp-b', c.service_id, c2.service_id]) await call(client, 'UnregisterComponent', { service_id: id });
  });

  test('re-registering overwrites: registered_at reset, metrics cleared, HEALTHY, moves to the end', async () => {
    await call(client, 'RegisterComponent', { component: componentInfo('re-1') });
    await call(client, 'RegisterComponent', { component: componentInfo('re-2') });
    await call(client, 'Heartbeat', { service_id: 're-1', status: DEGRADED, metrics: { m: '1' } });
    const before1 = await call(client, 'GetComponentStatus', { service_id: 're-1' });
    assert.equal(before1.status, DEGRADED);
    await new Promise((r) => setTimeout(r, 5));
    await call(client, 'RegisterComponent', { component: componentInfo('re-1', ComponentType.SOURCE, { name: 'again' }) });
    const after1 = await call(client, 'GetComponentStatus', { service_id: 're-1' });
    assert.equal(after1.status, HEALTHY);
    assert.deepEqual(after1.metrics, {});
    assert.equal(after1.component.name, 'again');
    assert.ok(tsMs(after1.registered_at) > tsMs(before1.registered_at));
    const list = await call(client, 'ListComponents', { include_unhealthy: true });
    assert.deepEqual(
      list.components.map((c: any) => c.component.id),
      ['re-2', 're-1'],
    );
    await call(client, 'UnregisterComponent', { service_id: 're-1' });
    await call(client, 'UnregisterComponent', { service_id: 're-2' });
  });

  test('Heartbeat: unknown id is NOT_FOUND with flowctl wording', async () => {
    await expectCode(call(client, 'Heartbeat', { service_id: 'ghost' }), grpc.status.NOT_FOUND, 'service ghost not found');
    await expectCode(call(client, 'GetComponentStatus', { service_id: 'ghost' }), grpc.status.NOT_FOUND, 'service ghost not found');
  });

  test('flowctl §7: heartbeat UNKNOWN preserves DEGRADED and merges metrics', async () => {
    await call(client, 'RegisterComponent', { component: componentInfo('svc-1'), component_id: 'svc-1' });
    await call(client, 'Heartbeat', { service_id: 'svc-1', status: DEGRADED, metrics: { component_metric: '42' } });
    await call(client, 'Heartbeat', { service_id: 'svc-1', status: UNKNOWN, metrics: { orchestrator: 'process' } });
    const st = await call(client, 'GetComponentStatus', { service_id: 'svc-1' });
    assert.equal(st.status, DEGRADED);
    assert.deepEqual(st.metrics, { component_metric: '42', orchestrator: 'process' });
    // Request keys win, keys are never deleted.
    await call(client, 'Heartbeat', { service_id: 'svc-1', metrics: { component_metric: '43' } });
    assert.deepEqual((await call(client, 'GetComponentStatus', { service_id: 'svc-1' })).metrics, { component_metric: '43', orchestrator: 'process' });
    // An explicit status wins.
    await call(client, 'Heartbeat', { service_id: 'svc-1', status: STARTING });
    assert.equal((await call(client, 'GetComponentStatus', { service_id: 'svc-1' })).status, STARTING);
    await call(client, 'UnregisterComponent', { service_id: 'svc-1' });
  });

  test('ListComponents: HEALTHY only unless include_unhealthy; type filter; registration order', async () => {
    await call(client, 'RegisterComponent', { component: componentInfo('l-src', ComponentType.SOURCE) });
    await call(client, 'RegisterComponent', { component: componentInfo('l-proc', ComponentType.PROCESSOR) });
    await call(client, 'RegisterComponent', { component: componentInfo('l-sink', ComponentType.CONSUMER) });
    await call(client, 'Heartbeat', { service_id: 'l-proc', status: DEGRADED });
    const ids = async (req: object) => (await call(client, 'ListComponents', req)).components.map((c: any) => c.component.id);
    assert.deepEqual(await ids({}), ['l-src', 'l-sink']);
    assert.deepEqual(await ids({ include_unhealthy: true }), ['l-src', 'l-proc', 'l-sink']);
    assert.deepEqual(await ids({ include_unhealthy: true, type_filter: ComponentType.PROCESSOR }), ['l-proc']);
    assert.deepEqual(await ids({ type_filter: ComponentType.PROCESSOR }), []);
    for (const id of ['l-src', 'l-proc', 'l-sink']) await call(client, 'UnregisterComponent', { service_id: id });
  });

  test('DiscoverComponents: type AND any event type AND all metadata; no health filter', async () => {
    await call(client, 'RegisterComponent', {
      component: componentInfo('d-1', ComponentType.PROCESSOR, { input_event_types: ['a'], output_event_types: ['b'], metadata: { net: 'test', x: '1' } }),
    });
    await call(client, 'RegisterComponent', {
      component: componentInfo('d-2', ComponentType.PROCESSOR, { input_event_types: ['c'], output_event_types: ['d'], metadata: { net: 'main' } }),
    });
    await call(client, 'RegisterComponent', { component: componentInfo('d-3', ComponentType.SOURCE, { output_event_types: ['a'] }) });
    await call(client, 'Heartbeat', { service_id: 'd-1', status: UNHEALTHY });
    const ids = async (req: object) => (await call(client, 'DiscoverComponents', req)).components.map((c: any) => c.id);
    assert.deepEqual(await ids({}), ['d-1', 'd-2', 'd-3']);
    assert.deepEqual(await ids({ type: ComponentType.PROCESSOR }), ['d-1', 'd-2']);
    assert.deepEqual(await ids({ event_types: ['b', 'd'] }), ['d-1', 'd-2']);
    assert.deepEqual(await ids({ event_types: ['a'] }), ['d-1', 'd-3']);
    assert.deepEqual(await ids({ metadata_filters: { net: 'test' } }), ['d-1']);
    assert.deepEqual(await ids({ metadata_filters: { net: 'test', x: '2' } }), []);
    assert.deepEqual(await ids({ type: ComponentType.SOURCE, event_types: ['a'] }), ['d-3']);
    for (const id of ['d-1', 'd-2', 'd-3']) await call(client, 'UnregisterComponent', { service_id: id });
  });

  test('UnregisterComponent: removes; unknown ids are fine', async () => {
    await call(client, 'RegisterComponent', { component: componentInfo('u-1') });
    await call(client, 'UnregisterComponent', { service_id: 'u-1' });
    await expectCode(call(client, 'GetComponentStatus', { service_id: 'u-1' }), grpc.status.NOT_FOUND);
    await call(client, 'UnregisterComponent', { service_id: 'never-was' });
  });

  test('registry events: registered, heartbeat, healthChanged (reported), unregistered', async () => {
    const seen: RegistryEvent[] = [];
    const sub = cp.registry.events.on((e) => seen.push(e));
    try {
      await call(client, 'RegisterComponent', { component: componentInfo('ev-1') });
      await call(client, 'Heartbeat', { service_id: 'ev-1', status: DEGRADED });
      await call(client, 'UnregisterComponent', { service_id: 'ev-1' });
    } finally {
      sub.dispose();
    }
    const kinds = seen.map((e) => (e.type === 'healthChanged' ? `${e.type}:${e.reason}:${e.previous}->${e.record.status}` : e.type));
    assert.deepEqual(kinds, ['registered', `healthChanged:reported:${HEALTHY}->${DEGRADED}`, 'heartbeat', 'unregistered']);
  });

  test('gRPC health: overall and both services SERVING', async () => {
    const h = healthClient(cp.endpoint);
    try {
      for (const service of ['', 'flowctl.v1.ControlPlaneService', 'flowctl.ControlPlane']) {
        const res = await call(h, 'check', { service });
        assert.equal(res.status, 'SERVING', `health of "${service}"`);
      }
      await expectCode(call(h, 'check', { service: 'nope' }), grpc.status.NOT_FOUND);
    } finally {
      h.close();
    }
  });

  test('server reflection lists the served services (what `grpcurl list` shows)', async () => {
    const protoFile = path.join(repoRoot(), 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
    const def = protoLoader.loadSync(protoFile, { keepCase: true, defaults: true });
    const Reflection = (grpc.loadPackageDefinition(def) as any).grpc.reflection.v1.ServerReflection;
    const r = new Reflection(cp.endpoint, grpc.credentials.createInsecure());
    try {
      const names = await new Promise<string[]>((resolve, reject) => {
        const stream = r.ServerReflectionInfo();
        stream.on('data', (msg: any) => {
          resolve(msg.list_services_response.service.map((s: any) => s.name));
          stream.end();
        });
        stream.on('error', reject);
        stream.write({ list_services: '' });
      });
      assert.deepEqual([...names].sort(), ['flowctl.ControlPlane', 'flowctl.v1.ControlPlaneService', 'grpc.health.v1.Health']);
      // And it can describe a symbol (grpcurl describe).
      const file = await new Promise<any>((resolve, reject) => {
        const stream = r.ServerReflectionInfo();
        stream.on('data', (msg: any) => {
          resolve(msg);
          stream.end();
        });
        stream.on('error', reject);
        stream.write({ file_containing_symbol: 'flowctl.v1.ControlPlaneService' });
      });
      assert.ok(file.file_descriptor_response.file_descriptor_proto.length > 0);
    } finally {
      r.close();
    }
  });
});

describe('stale detection', () => {
  test('flowctl §7 janitor test: TTL 100ms, interval 50ms; HEALTHY heartbeat restores', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, heartbeatTtlMs: 100, janitorIntervalMs: 50 });
    const client = v1Client(cp.endpoint);
    try {
      await call(client, 'RegisterComponent', { component: componentInfo('j-1') });
      assert.equal((await call(client, 'GetComponentStatus', { service_id: 'j-1' })).status, HEALTHY);
      await new Promise((r) => setTimeout(r, 200));
      assert.notEqual((await call(client, 'GetComponentStatus', { service_id: 'j-1' })).status, HEALTHY);
      await call(client, 'Heartbeat', { service_id: 'j-1', status: HEALTHY });
      assert.equal((await call(client, 'GetComponentStatus', { service_id: 'j-1' })).status, HEALTHY);
    } finally {
      client.close();
      await cp.stop();
    }
  });

  test('fires at the TTL (not a janitor interval later); UNKNOWN heartbeat revives a stale record', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, heartbeatTtlMs: 300, janitorIntervalMs: 60_000 });
    const client = v1Client(cp.endpoint);
    const stale: number[] = [];
    const reasons: string[] = [];
    cp.registry.events.on((e) => {
      if (e.type === 'healthChanged') {
        reasons.push(e.reason);
        if (e.reason === 'stale') stale.push(Date.now());
      }
    });
    try {
      await call(client, 'RegisterComponent', { component: componentInfo('t-1') });
      // Heartbeats keep it alive past several TTLs.
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 150));
        await call(client, 'Heartbeat', { service_id: 't-1' });
      }
      assert.equal(stale.length, 0, 'no stale while heartbeating');
      const last = cp.registry.get('t-1')!.lastHeartbeat;
      await waitFor(() => stale.length > 0, 2000, 'stale event');
      const lag = stale[0] - last;
      // At the TTL (timers may run late on a busy machine, but nowhere near the 60 s janitor interval).
      assert.ok(lag >= 280 && lag < 1500, `stale fired ${lag}ms after the last heartbeat (TTL 300)`);
      const rec = cp.registry.get('t-1')!;
      assert.equal(rec.status, UNHEALTHY);
      assert.equal(rec.stale, true);
      // flowctl-sdk heartbeats carry UNKNOWN: a record unhealthy only because it went stale comes back.
      await call(client, 'Heartbeat', { service_id: 't-1', status: UNKNOWN });
      assert.equal((await call(client, 'GetComponentStatus', { service_id: 't-1' })).status, HEALTHY);
      assert.deepEqual(reasons, ['stale', 'recovered']);
      // A reported UNHEALTHY is not revived by UNKNOWN heartbeats.
      await call(client, 'Heartbeat', { service_id: 't-1', status: UNHEALTHY });
      await call(client, 'Heartbeat', { service_id: 't-1', status: UNKNOWN });
      assert.equal((await call(client, 'GetComponentStatus', { service_id: 't-1' })).status, UNHEALTHY);
      // Only HEALTHY records go stale: this UNHEALTHY one stays as it is (no new stale event).
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(stale.length, 1);
    } finally {
      client.close();
      await cp.stop();
    }
  });

  test('setHeartbeatTtl re-arms live timers', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, heartbeatTtlMs: 60_000 });
    try {
      await cp.registry.register({ component: componentInfo('ttl-1') });
      await new Promise((r) => setTimeout(r, 50));
      cp.registry.setHeartbeatTtl(100);
      await waitFor(() => cp.registry.get('ttl-1')!.status === UNHEALTHY, 1000, 'stale after TTL shortened');
    } finally {
      await cp.stop();
    }
  });

  test('the janitor sweep is a safety net on its own', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, heartbeatTtlMs: 100, janitorIntervalMs: 20 });
    try {
      await cp.registry.register({ component: componentInfo('sw-1') });
      const rec = cp.registry.get('sw-1')!;
      rec.lastHeartbeat -= 1000; // as if the timer had been lost
      await waitFor(() => rec.status === UNHEALTHY, 1000, 'sweep');
      assert.equal(rec.stale, true);
    } finally {
      await cp.stop();
    }
  });
});

describe('restart from storage', () => {
  test('flowctl §7 WithPersistence: a new server on the same storage recovers registrations by ack id', async () => {
    const storage = new MemoryStorage();
    const cp1 = await ControlPlaneServer.start({ port: 0, storage });
    const legacy = legacyClient(cp1.endpoint);
    const ack1 = await call(legacy, 'Register', { service_id: 'test-source-1', service_type: 1, output_event_types: ['e'] });
    assert.equal(ack1.service_id, 'test-source-1');
    await call(legacy, 'Heartbeat', { service_id: 'test-source-1', metrics: { n: 1 } });
    const ack2 = await call(legacy, 'Register', { service_id: 'test-sink-1', component_id: 'sink-comp', service_type: 3 });
    assert.equal((await call(legacy, 'ListServices', {})).services.length, 2);
    assert.equal((await storage.loadServices()).length, 2);
    legacy.close();
    await cp1.stop();

    const cp2 = await ControlPlaneServer.start({ port: 0, storage });
    const v1 = v1Client(cp2.endpoint);
    try {
      for (const ack of [ack1, ack2]) {
        const st = await call(v1, 'GetComponentStatus', { service_id: ack.service_id });
        assert.equal(st.status, HEALTHY, 'fresh records keep their status');
      }
      assert.equal((await call(v1, 'GetComponentStatus', { service_id: 'test-sink-1' })).component.id, 'sink-comp');
      assert.equal(cp2.registry.get('test-source-1')!.legacy!.metrics.n, 1, 'legacy extras survive');
    } finally {
      v1.close();
      await cp2.stop();
    }
  });

  test('records silent for longer than their window come back UNHEALTHY (stale); others get the remaining window', async () => {
    const storage = new MemoryStorage();
    let clock = 1_000_000;
    const cp1 = await ControlPlaneServer.start({ port: 0, storage, heartbeatTtlMs: 500, now: () => clock });
    await cp1.registry.register({ component: componentInfo('old') });
    clock += 400;
    await cp1.registry.register({ component: componentInfo('young') });
    clock += 1;
    await cp1.registry.register({ component: componentInfo('degraded') });
    cp1.registry.heartbeat('degraded', DEGRADED);
    await cp1.stop();

    clock += 700; // window = TTL 500 ms + grace min(janitor 10 s, TTL) = 1000 ms. old: 1101ms silent (> window); young/degraded: ~700ms (< window)
    const cp2 = await ControlPlaneServer.start({ port: 0, storage, heartbeatTtlMs: 500, now: () => clock });
    try {
      const old = cp2.registry.get('old')!;
      assert.equal(old.status, UNHEALTHY);
      assert.equal(old.stale, true);
      assert.equal(cp2.registry.get('young')!.status, HEALTHY);
      assert.equal(cp2.registry.get('degraded')!.status, DEGRADED);
      assert.deepEqual(
        cp2.registry.list({ includeUnhealthy: true }).map((r) => r.serviceId),
        ['old', 'young', 'degraded'],
        'registration order survives the restart',
      );
      // The young one's timer runs for the remaining ~300ms of its window (real time).
      await waitFor(() => cp2.registry.get('young')!.status === UNHEALTHY, 2000, 'young goes stale');
      // Any heartbeat revives a record that came back stale.
      cp2.registry.heartbeat('old');
      assert.equal(cp2.registry.get('old')!.status, HEALTHY);
    } finally {
      await cp2.stop();
    }
  });
});

describe('Registry in-process (no gRPC)', () => {
  /** A tiny Storage whose writes can be made to fail. */
  function flakyStorage() {
    const services = new Map<string, ServiceRecord>();
    const runs = new Map<string, PipelineRun>();
    const s = {
      kind: 'memory' as const,
      fail: false,
      touched: 0,
      async open() {},
      async close() {},
      async loadServices() {
        return [...services.values()].map((r) => structuredClone(r));
      },
      async putService(r: ServiceRecord) {
        await new Promise((res) => setTimeout(res, 5));
        if (s.fail) throw new Error('disk full');
        services.set(r.serviceId, structuredClone(r));
      },
      async deleteService(id: string) {
        if (s.fail) throw new Error('disk full');
        services.delete(id);
      },
      touchService() {
        s.touched++;
      },
      async flush() {},
      async loadRuns() {
        return [...runs.values()];
      },
      async putRun(run: PipelineRun) {
        if (s.fail) throw new Error('disk full');
        runs.set(run.runId, structuredClone(run));
      },
      async deleteRun(id: string) {
        if (s.fail) throw new Error('disk full');
        runs.delete(id);
      },
      services,
      runs,
    };
    return s;
  }

  test('register resolves only after storage has the record; a failed write is INTERNAL and rolled back', async () => {
    const storage = flakyStorage();
    const reg = new Registry({ storage, endpoint: () => 'here:1' });
    await reg.open();
    try {
      const res = await reg.register({ component: componentInfo('a') });
      assert.ok(storage.services.has('a'), 'durable when acknowledged');
      assert.deepEqual(res.connectionInfo, { control_plane_endpoint: 'here:1' });
      reg.heartbeat('a', DEGRADED, { m: '1' });
      assert.equal(storage.touched, 1, 'heartbeats only touch');

      storage.fail = true;
      await assert.rejects(reg.register({ component: componentInfo('a', ComponentType.CONSUMER) }), (err: any) => err.code === 'INTERNAL' && /disk full/.test(err.message));
      const kept = reg.get('a')!;
      assert.equal(kept.status, DEGRADED, 'previous registration restored');
      assert.deepEqual(kept.metrics, { m: '1' });
      await assert.rejects(reg.register({ component: componentInfo('b') }), { code: 'INTERNAL' });
      assert.equal(reg.get('b'), undefined, 'failed new registration not kept');
      await assert.rejects(reg.createRun({ runId: 'r', pipelineName: 'p' }), { code: 'INTERNAL' });
      assert.throws(() => reg.getRun('r'), { code: 'NOT_FOUND' });
    } finally {
      await reg.close();
    }
  });

  test('errors carry codes: NOT_FOUND, INVALID_ARGUMENT', async () => {
    const reg = new Registry({ endpoint: () => 'x:1' });
    await reg.open();
    try {
      assert.throws(() => reg.heartbeat('nope'), { code: 'NOT_FOUND', message: 'service nope not found' });
      assert.throws(() => reg.heartbeat(''), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(reg.register({}), { code: 'INVALID_ARGUMENT', message: 'component is required' });
      assert.equal(await reg.unregister('nope'), false);
    } finally {
      await reg.close();
    }
  });
});

describe('stop()', () => {
  function slowStorage(delayMs: number) {
    const storage = new MemoryStorage();
    const put = storage.putService.bind(storage);
    storage.putService = async (r) => {
      await new Promise((res) => setTimeout(res, delayMs));
      return put(r);
    };
    return storage;
  }

  test('in-flight calls finish before the server goes down', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, storage: slowStorage(300) });
    const client = v1Client(cp.endpoint);
    try {
      const pending = call(client, 'RegisterComponent', { component: componentInfo('late') });
      await waitFor(() => cp.registry.get('late'), 2000, 'registration in progress');
      const t0 = Date.now();
      await cp.stop({ graceMs: 5000 });
      assert.equal((await pending).service_id, 'late', 'the in-flight registration was answered');
      assert.ok(Date.now() - t0 >= 150, 'stop waited for it');
      assert.equal(cp.stopped, true);
      await cp.stop(); // idempotent
    } finally {
      client.close();
    }
  });

  test('calls still running after graceMs are cut off', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, storage: slowStorage(3_000) });
    const client = v1Client(cp.endpoint);
    try {
      const pending = call(client, 'RegisterComponent', { component: componentInfo('stuck') }, 10_000);
      await waitFor(() => cp.registry.get('stuck'), 2000, 'registration in progress');
      const t0 = Date.now();
      await cp.stop({ graceMs: 200 });
      const took = Date.now() - t0;
      assert.ok(took < 3000, `stop took ${took}ms`);
      await assert.rejects(pending);
    } finally {
      client.close();
    }
  });
});
