// The legacy flowctl.ControlPlane service: flowctl's wrapper semantics (ids, type mapping, name/
// version/description from metadata) made lossless (legacy extras, double metrics, timestamps,
// GetServiceStatus, real health in ListServices, topic_names + connection_info in the ack).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { ComponentType, HealthStatus, ServiceType } from '../../src/core/controlplane/model';
import { call, closeAll, componentInfo, expectCode, legacyClient, v1Client, type Client } from '../helpers/grpc';

describe('legacy flowctl.ControlPlane', () => {
  let cp: ControlPlaneServer;
  let legacy: Client;
  let v1: Client;

  before(async () => {
    cp = await ControlPlaneServer.start({ port: 0 });
    legacy = legacyClient(cp.endpoint);
    v1 = v1Client(cp.endpoint);
  });
  after(async () => {
    closeAll(legacy, v1);
    await cp.stop();
  });

  test('flowctl §7 TestControlPlaneWrapper_Register', async () => {
    const ack = await call(legacy, 'Register', {
      service_id: 'my-service-id',
      component_id: 'my-component-id',
      service_type: ServiceType.SOURCE,
      input_event_types: ['in.a'],
      output_event_types: ['stellar.ledger'],
      health_endpoint: 'http://localhost:8088/health',
      max_inflight: 100,
      metadata: { source_name: 'Stellar Source', source_version: '1.2.3', source_description: 'reads ledgers', network: 'testnet' },
    });
    assert.equal(ack.service_id, 'my-service-id');
    // Filled here (flowctl left them empty).
    assert.deepEqual(ack.topic_names, ['stellar.ledger.v1']);
    assert.deepEqual(ack.connection_info, { control_plane_endpoint: cp.endpoint });

    const rec = cp.registry.get('my-service-id');
    assert.ok(rec, 'keyed by the legacy service_id');
    assert.equal(rec.info.id, 'my-component-id');
    assert.equal(rec.info.name, 'Stellar Source');
    assert.equal(rec.info.version, '1.2.3');
    assert.equal(rec.info.description, 'reads ledgers');
    assert.equal(rec.info.endpoint, 'http://localhost:8088/health');
    assert.equal(rec.info.type, ComponentType.SOURCE);
    assert.deepEqual(rec.info.input_event_types, ['in.a']);
    assert.deepEqual(rec.info.output_event_types, ['stellar.ledger']);
    assert.equal(rec.info.metadata.network, 'testnet');
    assert.deepEqual(rec.legacy, { serviceType: ServiceType.SOURCE, healthEndpoint: 'http://localhost:8088/health', maxInflight: 100, metrics: {} });

    await call(legacy, 'Heartbeat', { service_id: ack.service_id });
  });

  test('ids: service_id only, component_id only, neither (generated)', async () => {
    const a = await call(legacy, 'Register', { service_id: 'only-service', service_type: ServiceType.PROCESSOR });
    assert.equal(a.service_id, 'only-service');
    assert.equal(cp.registry.get('only-service')!.info.id, 'only-service');

    const b = await call(legacy, 'Register', { component_id: 'only-component', service_type: ServiceType.PROCESSOR });
    assert.equal(b.service_id, 'only-component');

    const c = await call(legacy, 'Register', { service_type: ServiceType.SOURCE, metadata: { name: 'anon' } });
    assert.match(c.service_id, /^COMPONENT_TYPE_SOURCE-\d+$/);
    assert.equal(cp.registry.get(c.service_id)!.info.name, 'anon');
    for (const id of [a.service_id, b.service_id, c.service_id]) await call(v1, 'UnregisterComponent', { service_id: id });
  });

  test('type mapping: SINK ↔ CONSUMER, PIPELINE → UNSPECIFIED, and the legacy type is kept', async () => {
    await call(legacy, 'Register', { service_id: 'sink-1', service_type: ServiceType.SINK, input_event_types: ['x'] });
    await call(legacy, 'Register', { service_id: 'pipe-1', service_type: ServiceType.PIPELINE });
    assert.equal(cp.registry.get('sink-1')!.info.type, ComponentType.CONSUMER);
    assert.equal(cp.registry.get('pipe-1')!.info.type, ComponentType.UNSPECIFIED);
    const v1Sink = await call(v1, 'GetComponentStatus', { service_id: 'sink-1' });
    assert.equal(v1Sink.component.type, ComponentType.CONSUMER);

    const byId = async (id: string) => call(legacy, 'GetServiceStatus', { service_id: id });
    assert.equal((await byId('sink-1')).service_type, ServiceType.SINK);
    assert.equal((await byId('pipe-1')).service_type, ServiceType.PIPELINE, 'lossless: PIPELINE survives');

    // A v1 CONSUMER shows as SINK on the legacy API.
    await call(v1, 'RegisterComponent', { component: componentInfo('v1-consumer', ComponentType.CONSUMER) });
    assert.equal((await byId('v1-consumer')).service_type, ServiceType.SINK);
    for (const id of ['sink-1', 'pipe-1', 'v1-consumer']) await call(v1, 'UnregisterComponent', { service_id: id });
  });

  test('Heartbeat keeps double metrics and the timestamp; unknown id is NOT_FOUND', async () => {
    await call(legacy, 'Register', { service_id: 'hb-1', service_type: ServiceType.SOURCE });
    await call(legacy, 'Heartbeat', {
      service_id: 'hb-1',
      timestamp: { seconds: 1_700_000_000, nanos: 250_000_000 },
      metrics: { success_count: 42, processing_latency_ms: 12.5, big: 1e21 },
    });
    await call(legacy, 'Heartbeat', { service_id: 'hb-1', metrics: { error_count: 1 } });
    const rec = cp.registry.get('hb-1')!;
    assert.deepEqual(rec.legacy!.metrics, { success_count: 42, processing_latency_ms: 12.5, big: 1e21, error_count: 1 });
    assert.equal(rec.legacy!.reportedAt, 1_700_000_000_250);
    assert.deepEqual(rec.metrics, { success_count: '42', processing_latency_ms: '12.5', big: '1e+21', error_count: '1' });
    // v1 sees them as strings.
    const st = await call(v1, 'GetComponentStatus', { service_id: 'hb-1' });
    assert.equal(st.metrics.success_count, '42');
    await expectCode(call(legacy, 'Heartbeat', { service_id: 'nobody' }), grpc.status.NOT_FOUND, 'service nobody not found');
    await call(v1, 'UnregisterComponent', { service_id: 'hb-1' });
  });

  test('GetServiceStatus: implemented, real health, last heartbeat, metrics (doubles + numeric v1 strings)', async () => {
    await call(legacy, 'Register', { service_id: 'st-1', component_id: 'st-comp', service_type: ServiceType.PROCESSOR });
    await call(legacy, 'Heartbeat', { service_id: 'st-1', metrics: { d: 0.25 } });
    await call(v1, 'Heartbeat', { service_id: 'st-1', metrics: { n: '7', f: '1e+06', s: 'not a number', empty: '' } });
    const st = await call(legacy, 'GetServiceStatus', { service_id: 'st-1' });
    assert.equal(st.service_id, 'st-1');
    assert.equal(st.component_id, 'st-comp');
    assert.equal(st.service_type, ServiceType.PROCESSOR);
    assert.equal(st.is_healthy, true);
    assert.ok(st.last_heartbeat && st.last_heartbeat.seconds > 0);
    assert.deepEqual(st.metrics, { d: 0.25, n: 7, f: 1e6 });

    await call(v1, 'Heartbeat', { service_id: 'st-1', status: HealthStatus.DEGRADED });
    assert.equal((await call(legacy, 'GetServiceStatus', { service_id: 'st-1' })).is_healthy, false);
    await expectCode(call(legacy, 'GetServiceStatus', { service_id: 'nope' }), grpc.status.NOT_FOUND, 'service nope not found');
    await expectCode(call(legacy, 'GetServiceStatus', {}), grpc.status.INVALID_ARGUMENT);
    await call(v1, 'UnregisterComponent', { service_id: 'st-1' });
  });

  test('ListServices: every record (also unhealthy), keyed by service id, real health', async () => {
    await call(legacy, 'Register', { service_id: 'ls-1', component_id: 'ls-comp-1', service_type: ServiceType.SOURCE });
    await call(v1, 'RegisterComponent', { component: componentInfo('ls-2', ComponentType.PROCESSOR) });
    await call(v1, 'Heartbeat', { service_id: 'ls-2', status: HealthStatus.UNHEALTHY });
    const list = await call(legacy, 'ListServices', {});
    const mine = list.services.filter((s: any) => s.service_id.startsWith('ls-'));
    assert.deepEqual(
      mine.map((s: any) => [s.service_id, s.component_id, s.service_type, s.is_healthy]),
      [
        ['ls-1', 'ls-comp-1', ServiceType.SOURCE, true],
        ['ls-2', 'ls-2', ServiceType.PROCESSOR, false],
      ],
    );
    assert.ok(mine.every((s: any) => s.last_heartbeat && s.last_heartbeat.seconds > 0));
    // The legacy-registered one is visible to v1 too.
    const v1List = await call(v1, 'ListComponents', { include_unhealthy: true });
    assert.ok(v1List.components.some((c: any) => c.component.id === 'ls-comp-1'));
    for (const id of ['ls-1', 'ls-2']) await call(v1, 'UnregisterComponent', { service_id: id });
  });

  test('a v1 record receiving a legacy heartbeat gets legacy extras from its type', async () => {
    await call(v1, 'RegisterComponent', { component: componentInfo('mixed', ComponentType.CONSUMER) });
    await call(legacy, 'Heartbeat', { service_id: 'mixed', metrics: { x: 3 } });
    const rec = cp.registry.get('mixed')!;
    assert.equal(rec.legacy!.serviceType, ServiceType.SINK);
    assert.deepEqual((await call(legacy, 'GetServiceStatus', { service_id: 'mixed' })).metrics, { x: 3 });
    await call(v1, 'UnregisterComponent', { service_id: 'mixed' });
  });
});
