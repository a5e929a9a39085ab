// SDK components as real child processes against the real control plane: registration,
// heartbeats with metrics, health endpoints, retry while the control plane is down,
// re-registration after it restarts, and a clean unregister + exit 0 on SIGTERM.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { ComponentType, HealthStatus } from '../../src/core/controlplane/model';
import type { RegistryEvent } from '../../src/core/events';
import { protos } from '../../src/core/proto';
import { fixture, getJson, startComponent, waitFor, type RunningComponent } from '../fixtures/components/harness';

const servers: ControlPlaneServer[] = [];
const running: RunningComponent[] = [];
after(async () => {
  await Promise.all(running.map((c) => c.stop(3000)));
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
});

async function controlPlane(port = 0): Promise<ControlPlaneServer> {
  const cp = await ControlPlaneServer.start({ port, log: () => undefined });
  servers.push(cp);
  return cp;
}

function start(kind: string, env: Record<string, string>): RunningComponent {
  const c = startComponent(fixture(kind), env);
  running.push(c);
  return c;
}

function recorder(cp: ControlPlaneServer): RegistryEvent[] {
  const seen: RegistryEvent[] = [];
  cp.registry.events.on((e) => seen.push(e));
  return seen;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function client(service: 'SourceService' | 'ConsumerService', endpoint: string): grpc.Client & Record<string, any> {
  return new (protos().v1[service])(endpoint, grpc.credentials.createInsecure()) as any;
}

function unary<T>(c: grpc.Client & Record<string, any>, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) => c[method](req, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))));
}

describe('component SDK with the control plane', () => {
  it('registers, heartbeats HEALTHY with metrics, serves health, unregisters on SIGTERM and exits 0', async () => {
    const cp = await controlPlane();
    const seen = recorder(cp);
    const env = {
      ENABLE_FLOWCTL: 'True',
      FLOWCTL_ENDPOINT: `http://${cp.endpoint}`,
      FLOWCTL_HEARTBEAT_INTERVAL: '200ms',
      HEALTH_PORT: '0',
    };
    const src = start('count-source', { ...env, FLOWCTL_COMPONENT_ID: 'sdk-src', RATE: '100' });
    const proc = start('relay-processor', { ...env, FLOWCTL_COMPONENT_ID: 'sdk-proc' });
    const sink = start('record-sink', { ...env, COMPONENT_ID: 'sdk-sink' });
    const srcEndpoint = await src.endpoint;

    await waitFor(() => ['sdk-src', 'sdk-proc', 'sdk-sink'].every((id) => cp.registry.get(id)), 15_000, 'all three to register');
    const rec = cp.registry.get('sdk-src')!;
    assert.equal(rec.info.id, 'sdk-src');
    assert.equal(rec.info.type, ComponentType.SOURCE);
    assert.equal(rec.info.endpoint, srcEndpoint);
    assert.match(rec.info.endpoint, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(rec.info.output_event_types, ['test.event.v1']);
    assert.equal(rec.info.metadata.FLOWCTL_COMPONENT_ID, 'sdk-src');
    assert.equal(rec.info.metadata.pid, String(src.child.pid));
    const procRec = cp.registry.get('sdk-proc')!;
    assert.equal(procRec.info.type, ComponentType.PROCESSOR);
    assert.deepEqual(procRec.info.input_event_types, ['test.event.v1']);
    assert.equal(cp.registry.get('sdk-sink')!.info.type, ComponentType.CONSUMER);

    // Pull a few events so the heartbeat metrics have something to say.
    const source = client('SourceService', srcEndpoint);
    const stream = source.StreamEvents({ params: {} }) as grpc.ClientReadableStream<any>;
    let received = 0;
    stream.on('data', () => received++);
    stream.on('error', () => undefined);
    await waitFor(() => received >= 10, 10_000, '10 events from the source');
    stream.cancel();
    source.close();

    const beat = await waitFor(
      () =>
        seen.find(
          (e) => e.type === 'heartbeat' && e.record.serviceId === 'sdk-src' && Number(e.record.metrics.processed_count) >= 10,
        ),
      10_000,
      'a heartbeat carrying metrics',
    );
    assert.ok(beat.type === 'heartbeat');
    const m = beat.record.metrics;
    assert.equal(beat.record.status, HealthStatus.HEALTHY);
    for (const key of ['processed_count', 'error_count', 'events_in', 'events_out', 'events_per_second', 'uptime_seconds', 'counter_produced']) {
      assert.ok(key in m, `heartbeat metric ${key} missing: ${JSON.stringify(m)}`);
    }
    assert.ok(Number(m.counter_produced) >= 10);

    const port = await src.healthPort;
    const health = await getJson(port, '/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'HEALTHY');
    assert.match(health.body.uptime, /^\d+(m\d+)?s$/);
    assert.equal((await getJson(port, '/ready')).status, 200);
    assert.equal((await getJson(port, '/live')).status, 200);
    const metrics = await getJson(port, '/metrics');
    assert.equal(typeof metrics.body.metrics.processed_count, 'number');
    assert.equal((await getJson(port, '/nope')).status, 404);

    const check = client('SourceService', srcEndpoint);
    const hc = await unary<{ status: number; metrics: Record<string, string> }>(check, 'HealthCheck', {});
    assert.equal(hc.status, HealthStatus.HEALTHY);
    const info = await unary<{ id: string; endpoint: string }>(check, 'GetInfo', {});
    assert.equal(info.id, 'sdk-src');
    check.close();

    const exits = await Promise.all([src.stop(), proc.stop(), sink.stop()]);
    assert.deepEqual(exits, [
      { code: 0, signal: null },
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    const unregistered = seen.filter((e) => e.type === 'unregistered').map((e) => e.type === 'unregistered' && e.record.serviceId);
    assert.deepEqual(unregistered.sort(), ['sdk-proc', 'sdk-sink', 'sdk-src']);
    assert.equal(cp.registry.list({ includeUnhealthy: true }).length, 0);
    assert.match(src.output(), /unregistered sdk-src/);
  });

  it('retries registration until the control plane is up, and registers again after it restarts', async () => {
    const port = await freePort();
    const sink = start('record-sink', {
      ENABLE_FLOWCTL: 'true',
      FLOWCTL_ENDPOINT: `127.0.0.1:${port}`,
      FLOWCTL_COMPONENT_ID: 'retry-sink',
      FLOWCTL_HEARTBEAT_INTERVAL: '300ms',
    });
    await sink.endpoint;
    await waitFor(() => /cannot register with the control plane/.test(sink.output()), 10_000, 'a failed first registration');

    const first = await controlPlane(port);
    await waitFor(() => first.registry.get('retry-sink'), 15_000, 'registration once the control plane is up');
    await first.stop();

    const second = await controlPlane(port);
    await waitFor(() => second.registry.get('retry-sink'), 15_000, 'registration with the restarted control plane');
    assert.match(sink.output(), /does not know retry-sink|registered with the control plane/);
    assert.deepEqual(await sink.stop(), { code: 0, signal: null });
    assert.equal(second.registry.get('retry-sink'), undefined, 'unregistered on SIGTERM');
  });

  it('serves standalone without ENABLE_FLOWCTL, and finishes an open Consume stream on SIGTERM', async () => {
    const sink = start('record-sink', { FLOWCTL_COMPONENT_ID: 'lonely-sink' });
    const endpoint = await sink.endpoint;
    await waitFor(() => /standalone mode, not registering/.test(sink.output()), 5_000, 'the standalone notice');

    const c = client('ConsumerService', endpoint);
    const answer = new Promise<{ events_consumed: number; events_failed: number }>((resolve, reject) => {
      const call = c.Consume((err: grpc.ServiceError | null, res: any) => (err ? reject(err) : resolve(res)));
      for (let i = 1; i <= 5; i++) {
        call.write({ id: `e${i}`, type: 'test.event.v1', payload: Buffer.from(JSON.stringify({ seq: i, source: 't' })) });
      }
      // The stream stays open: the sink must answer it while stopping.
      setTimeout(() => sink.child.kill('SIGTERM'), 300);
    });
    const res = await answer;
    assert.equal(Number(res.events_consumed), 5);
    assert.equal(Number(res.events_failed), 0);
    assert.deepEqual(await sink.exited, { code: 0, signal: null });
    c.close();
  });
});
