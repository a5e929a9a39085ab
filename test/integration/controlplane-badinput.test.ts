// Malformed and hostile input: every case is answered with a definite gRPC status, and the server
// stays up and keeps working afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { call, closeAll, componentInfo, expectCode, healthClient, legacyClient, v1Client, type Client } from '../helpers/grpc';

const MB = 'x'.repeat(1024 * 1024);
const many = (n: number, prefix: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, `v${i}`]));

type Case = {
  name: string;
  api: 'v1' | 'legacy';
  method: string;
  request: unknown;
  /** Expected status; grpc.status.OK = must succeed. */
  code: grpc.status;
  message?: string | RegExp;
};

const K10 = 'x'.repeat(10_000);
const cases: Case[] = [
  // RegisterComponent
  { name: 'register without component', api: 'v1', method: 'RegisterComponent', request: { component_id: 'x' }, code: grpc.status.INVALID_ARGUMENT, message: 'component is required' },
  { name: 'register with empty request', api: 'v1', method: 'RegisterComponent', request: {}, code: grpc.status.INVALID_ARGUMENT },
  { name: 'register unknown component type', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('t', 99) }, code: grpc.status.INVALID_ARGUMENT, message: 'unknown component type 99' },
  { name: 'register negative component type', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('t', -1) }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'register 10,000-character component.id', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo(K10) }, code: grpc.status.INVALID_ARGUMENT, message: 'component.id is too long: 10000 characters, limit 512 (maxIdLength)' },
  { name: 'register 10,000-character component_id', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('a'), component_id: K10 }, code: grpc.status.INVALID_ARGUMENT, message: /component_id is too long: 10000 characters, limit 512 \(maxIdLength\)/ },
  { name: 'register 1 MB component.id (request too large)', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo(MB) }, code: grpc.status.RESOURCE_EXHAUSTED, message: /^RegisterComponent request is too large: .*, limit 256 KiB \(maxRequestBytes\)$/ },
  { name: 'register 1 MB description (request too large)', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('huge-desc', 1, { description: MB }) }, code: grpc.status.RESOURCE_EXHAUSTED, message: /maxRequestBytes/ },
  { name: 'register 10,000-character description', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('d', 1, { description: K10 }) }, code: grpc.status.INVALID_ARGUMENT, message: 'component.description is too long: 10000 characters, limit 4096 (maxDescriptionLength)' },
  { name: 'register 4 KiB description (allowed)', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('big-desc', 1, { description: 'd'.repeat(4096) }) }, code: grpc.status.OK },
  { name: 'register 10,000-character name', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('n', 1, { name: K10 }) }, code: grpc.status.INVALID_ARGUMENT, message: /component\.name is too long.*maxNameLength/ },
  { name: 'register 10,000-character endpoint', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('e', 1, { endpoint: K10 }) }, code: grpc.status.INVALID_ARGUMENT, message: /component\.endpoint is too long.*maxEndpointLength/ },
  { name: 'register 10,000 metadata entries', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('m', 1, { metadata: many(10_000, 'k') }) }, code: grpc.status.INVALID_ARGUMENT, message: 'component.metadata has too many entries: 10000, limit 128 (maxMetadataEntries)' },
  { name: 'register a 10,000-character metadata value', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('m', 1, { metadata: { k: K10 } }) }, code: grpc.status.INVALID_ARGUMENT, message: /component\.metadata\["k"\] is too long: 10000 characters, limit 4096 \(maxMetadataValueLength\)/ },
  { name: 'register 128 metadata entries (allowed)', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('many-meta', 1, { metadata: many(128, 'k') }) }, code: grpc.status.OK },
  { name: 'register 10,000 event types', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('t', 1, { output_event_types: Object.keys(many(10_000, 't')) }) }, code: grpc.status.INVALID_ARGUMENT, message: /output_event_types has too many entries: 10000, limit 128 \(maxEventTypes\)/ },
  { name: 'register 128 event types (allowed)', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('many-types', 1, { output_event_types: Object.keys(many(128, 't')) }) }, code: grpc.status.OK },
  { name: 'register metadata key __proto__', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('proto-key', 1, { metadata: { ['__proto__']: 'x', constructor: 'y' } }) }, code: grpc.status.OK },
  { name: 'register oversized message (5 MiB)', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('huge', 1, { description: 'y'.repeat(5 * 1024 * 1024) }) }, code: grpc.status.RESOURCE_EXHAUSTED },
  // Heartbeat
  { name: 'heartbeat empty service_id', api: 'v1', method: 'Heartbeat', request: {}, code: grpc.status.INVALID_ARGUMENT, message: 'service_id is required' },
  { name: 'heartbeat unknown id', api: 'v1', method: 'Heartbeat', request: { service_id: 'ghost' }, code: grpc.status.NOT_FOUND, message: 'service ghost not found' },
  { name: 'heartbeat 10,000-character id', api: 'v1', method: 'Heartbeat', request: { service_id: K10 }, code: grpc.status.INVALID_ARGUMENT, message: /too long/ },
  { name: 'heartbeat 1 MB id (request too large)', api: 'v1', method: 'Heartbeat', request: { service_id: MB }, code: grpc.status.RESOURCE_EXHAUSTED, message: /^Heartbeat request is too large.*maxRequestBytes/ },
  { name: 'heartbeat unknown status', api: 'v1', method: 'Heartbeat', request: { service_id: 'big-desc', status: 42 }, code: grpc.status.INVALID_ARGUMENT, message: 'unknown health status 42' },
  { name: 'heartbeat 500 metrics (allowed)', api: 'v1', method: 'Heartbeat', request: { service_id: 'big-desc', metrics: many(500, 'm') }, code: grpc.status.OK },
  { name: 'heartbeat 10,000 metrics: new names past the cap refused', api: 'v1', method: 'Heartbeat', request: { service_id: 'big-desc', metrics: many(10_000, 'm') }, code: grpc.status.RESOURCE_EXHAUSTED, message: /^9488 new metric name\(s\) of big-desc refused: it already has 512, limit 512 \(maxMetricNames\)/ },
  { name: 'heartbeat 1 KiB metric value (allowed)', api: 'v1', method: 'Heartbeat', request: { service_id: 'big-desc', metrics: { m1: 'v'.repeat(1024) } }, code: grpc.status.OK },
  { name: 'heartbeat 10,000-character metric value', api: 'v1', method: 'Heartbeat', request: { service_id: 'big-desc', metrics: { m1: K10 } }, code: grpc.status.INVALID_ARGUMENT, message: 'metric "m1" is too long: 10000 characters, limit 1024 (maxMetricValueLength)' },
  { name: 'heartbeat 10,000-character metric name', api: 'v1', method: 'Heartbeat', request: { service_id: 'big-desc', metrics: { [K10]: '1' } }, code: grpc.status.INVALID_ARGUMENT, message: /a metric name is too long: 10000 characters, limit 256 \(maxMetricKeyLength\)/ },
  // Queries
  { name: 'status empty id', api: 'v1', method: 'GetComponentStatus', request: {}, code: grpc.status.INVALID_ARGUMENT },
  { name: 'status unknown id', api: 'v1', method: 'GetComponentStatus', request: { service_id: 'ghost' }, code: grpc.status.NOT_FOUND },
  { name: 'list unknown type filter', api: 'v1', method: 'ListComponents', request: { type_filter: 77 }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'discover unknown type', api: 'v1', method: 'DiscoverComponents', request: { type: 77 }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'discover 10,000 metadata filters', api: 'v1', method: 'DiscoverComponents', request: { metadata_filters: many(10_000, 'f') }, code: grpc.status.INVALID_ARGUMENT, message: /metadata_filters has too many entries: 10000, limit 128/ },
  { name: 'discover 100 metadata filters (allowed)', api: 'v1', method: 'DiscoverComponents', request: { metadata_filters: many(100, 'f') }, code: grpc.status.OK },
  { name: 'unregister empty id', api: 'v1', method: 'UnregisterComponent', request: {}, code: grpc.status.INVALID_ARGUMENT },
  { name: 'unregister unknown id (allowed)', api: 'v1', method: 'UnregisterComponent', request: { service_id: 'ghost' }, code: grpc.status.OK },
  // Legacy
  { name: 'legacy register unknown service type', api: 'legacy', method: 'Register', request: { service_id: 's', service_type: 9 }, code: grpc.status.INVALID_ARGUMENT, message: 'unknown service type 9' },
  { name: 'legacy register 10,000-character service_id', api: 'legacy', method: 'Register', request: { service_id: K10 }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'legacy register 1 MB service_id (request too large)', api: 'legacy', method: 'Register', request: { service_id: MB }, code: grpc.status.RESOURCE_EXHAUSTED, message: /^Register request is too large/ },
  { name: 'legacy register 10,000-character health_endpoint', api: 'legacy', method: 'Register', request: { service_id: 'h', health_endpoint: K10 }, code: grpc.status.INVALID_ARGUMENT, message: /maxEndpointLength/ },
  { name: 'legacy register empty (generated id, allowed)', api: 'legacy', method: 'Register', request: {}, code: grpc.status.OK },
  { name: 'legacy heartbeat empty id', api: 'legacy', method: 'Heartbeat', request: {}, code: grpc.status.INVALID_ARGUMENT },
  { name: 'legacy heartbeat NaN/Infinity metrics (allowed)', api: 'legacy', method: 'Heartbeat', request: { service_id: 'many-types', metrics: { a: NaN, b: Infinity, c: -0 } }, code: grpc.status.OK },
  { name: 'legacy heartbeat 10,000 metrics: past the cap refused', api: 'legacy', method: 'Heartbeat', request: { service_id: 'many-types', metrics: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`d${i}`, i])) }, code: grpc.status.RESOURCE_EXHAUSTED, message: /maxMetricNames/ },
  { name: 'legacy status unknown id', api: 'legacy', method: 'GetServiceStatus', request: { service_id: 'ghost' }, code: grpc.status.NOT_FOUND },
  { name: 'create run empty id', api: 'legacy', method: 'CreatePipelineRun', request: { pipeline_name: 'p' }, code: grpc.status.INVALID_ARGUMENT, message: 'run_id is required' },
  { name: 'create run 10,000-character id', api: 'legacy', method: 'CreatePipelineRun', request: { run_id: K10 }, code: grpc.status.INVALID_ARGUMENT, message: /run_id is too long.*maxIdLength/ },
  { name: 'create run 2 MB id (request too large)', api: 'legacy', method: 'CreatePipelineRun', request: { run_id: MB + MB }, code: grpc.status.RESOURCE_EXHAUSTED, message: /^CreatePipelineRun request is too large: .*, limit 1 MiB \(maxRunRequestBytes\)$/ },
  { name: 'create run 300 KiB config', api: 'legacy', method: 'CreatePipelineRun', request: { run_id: 'big-config', config_yaml: 'a: b\n'.repeat(75_000) }, code: grpc.status.INVALID_ARGUMENT, message: /config_yaml is too long: 375000 characters, limit 262144 \(maxConfigYamlLength\)/ },
  { name: 'create run 10,000-character pipeline name', api: 'legacy', method: 'CreatePipelineRun', request: { run_id: 'r', pipeline_name: K10 }, code: grpc.status.INVALID_ARGUMENT, message: /pipeline_name is too long.*maxNameLength/ },
  { name: 'create run 10,000 component ids', api: 'legacy', method: 'CreatePipelineRun', request: { run_id: 'many', component_ids: Object.keys(many(10_000, 'c')) }, code: grpc.status.INVALID_ARGUMENT, message: /component_ids has too many entries: 10000, limit 1000 \(maxRunComponents\)/ },
  { name: 'create run 1000 component ids (allowed)', api: 'legacy', method: 'CreatePipelineRun', request: { run_id: 'many', component_ids: Object.keys(many(1000, 'c')) }, code: grpc.status.OK },
  { name: 'update run unknown status', api: 'legacy', method: 'UpdatePipelineRun', request: { run_id: 'many', status: 17 }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'update run unknown id', api: 'legacy', method: 'UpdatePipelineRun', request: { run_id: 'ghost', status: 2 }, code: grpc.status.NOT_FOUND },
  { name: 'update run 5,000 component metrics', api: 'legacy', method: 'UpdatePipelineRun', request: { run_id: 'many', metrics: { component_metrics: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`c${i}`, { events_in: 1 }])) } }, code: grpc.status.INVALID_ARGUMENT, message: /component_metrics has too many entries: 5000, limit 1000/ },
  { name: 'update run 100 KiB error (cut, allowed)', api: 'legacy', method: 'UpdatePipelineRun', request: { run_id: 'many', error: 'e'.repeat(100_000) }, code: grpc.status.OK },
  { name: 'get run empty id', api: 'legacy', method: 'GetPipelineRun', request: {}, code: grpc.status.INVALID_ARGUMENT },
  { name: 'list runs unknown status', api: 'legacy', method: 'ListPipelineRuns', request: { status: 99 }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'list runs huge limit (allowed)', api: 'legacy', method: 'ListPipelineRuns', request: { limit: 2147483647 }, code: grpc.status.OK },
  { name: 'stop run empty id', api: 'legacy', method: 'StopPipelineRun', request: {}, code: grpc.status.INVALID_ARGUMENT },
];

describe('bad input', () => {
  let cp: ControlPlaneServer;
  let v1: Client;
  let legacy: Client;
  const opts = { 'grpc.max_send_message_length': 64 * 1024 * 1024 };

  before(async () => {
    cp = await ControlPlaneServer.start({ port: 0 });
    v1 = v1Client(cp.endpoint, undefined, opts);
    legacy = legacyClient(cp.endpoint, undefined, opts);
  });
  after(async () => {
    closeAll(v1, legacy);
    await cp.stop();
  });

  for (const c of cases) {
    test(`${c.name} → ${grpc.status[c.code]}`, async () => {
      const client = c.api === 'v1' ? v1 : legacy;
      if (c.code === grpc.status.OK) await call(client, c.method, c.request, 10_000);
      else await expectCode(call(client, c.method, c.request, 10_000), c.code, c.message);
    });
  }

  test('bytes that are not a protobuf message get an error status, not a crash', async () => {
    const raw = new grpc.Client(cp.endpoint, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        raw.makeUnaryRequest(
          '/flowctl.v1.ControlPlaneService/Heartbeat',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
          (e) => resolve(e),
        ),
      );
      assert.ok(err, 'a malformed message must fail');
      assert.notEqual(err.code, grpc.status.OK);
    } finally {
      raw.close();
    }
  });

  test('the server is still up and working after all of it', async () => {
    const h = healthClient(cp.endpoint);
    try {
      assert.equal((await call(h, 'check', { service: '' })).status, 'SERVING');
    } finally {
      h.close();
    }
    const ok = await call(v1, 'RegisterComponent', { component: componentInfo('after-all') });
    assert.equal(ok.service_id, 'after-all');
    const rec = cp.registry.get('many-meta')!;
    assert.equal(Object.keys(rec.info.metadata).length, 128);
    const big = cp.registry.get('big-desc')!;
    assert.equal(Object.keys(big.metrics).length, 512, 'metric names stop at the cap');
    assert.equal(big.metrics.m1!.length, 1024, 'known names are still updated');
    const run = await call(legacy, 'GetPipelineRun', { run_id: 'many' });
    assert.equal(run.error.length, 16 * 1024, 'a long run error is cut to maxRunErrorLength');
    assert.match(run.error, /… \(cut: 100000 characters, limit 16384 \(maxRunErrorLength\)\)$/);
  });
});
