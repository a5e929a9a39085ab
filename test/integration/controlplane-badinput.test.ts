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

const cases: Case[] = [
  // RegisterComponent
  { name: 'register without component', api: 'v1', method: 'RegisterComponent', request: { component_id: 'x' }, code: grpc.status.INVALID_ARGUMENT, message: 'component is required' },
  { name: 'register with empty request', api: 'v1', method: 'RegisterComponent', request: {}, code: grpc.status.INVALID_ARGUMENT },
  { name: 'register unknown component type', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('t', 99) }, code: grpc.status.INVALID_ARGUMENT, message: 'unknown component type 99' },
  { name: 'register negative component type', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('t', -1) }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'register 1 MB component.id', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo(MB) }, code: grpc.status.INVALID_ARGUMENT, message: /component\.id is too long/ },
  { name: 'register 1 MB component_id', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('a'), component_id: MB }, code: grpc.status.INVALID_ARGUMENT, message: /component_id is too long/ },
  { name: 'register 1 MB description (allowed)', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('big-desc', 1, { description: MB }) }, code: grpc.status.OK },
  { name: 'register 10,000 metadata entries (allowed)', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('many-meta', 1, { metadata: many(10_000, 'k') }) }, code: grpc.status.OK },
  { name: 'register 10,000 event types (allowed)', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('many-types', 1, { output_event_types: Object.keys(many(10_000, 't')) }) }, code: grpc.status.OK },
  { name: 'register metadata key __proto__', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('proto-key', 1, { metadata: { ['__proto__']: 'x', constructor: 'y' } }) }, code: grpc.status.OK },
  { name: 'register oversized message (5 MiB)', api: 'v1', method: 'RegisterComponent', request: { component: componentInfo('huge', 1, { description: 'y'.repeat(5 * 1024 * 1024) }) }, code: grpc.status.RESOURCE_EXHAUSTED },
  // Heartbeat
  { name: 'heartbeat empty service_id', api: 'v1', method: 'Heartbeat', request: {}, code: grpc.status.INVALID_ARGUMENT, message: 'service_id is required' },
  { name: 'heartbeat unknown id', api: 'v1', method: 'Heartbeat', request: { service_id: 'ghost' }, code: grpc.status.NOT_FOUND, message: 'service ghost not found' },
  { name: 'heartbeat 1 MB id', api: 'v1', method: 'Heartbeat', request: { service_id: MB }, code: grpc.status.INVALID_ARGUMENT, message: /too long/ },
  { name: 'heartbeat unknown status', api: 'v1', method: 'Heartbeat', request: { service_id: 'big-desc', status: 42 }, code: grpc.status.INVALID_ARGUMENT, message: 'unknown health status 42' },
  { name: 'heartbeat 10,000 metrics (allowed)', api: 'v1', method: 'Heartbeat', request: { service_id: 'big-desc', metrics: many(10_000, 'm') }, code: grpc.status.OK },
  { name: 'heartbeat 1 MB metric value (allowed)', api: 'v1', method: 'Heartbeat', request: { service_id: 'big-desc', metrics: { big: MB } }, code: grpc.status.OK },
  // Queries
  { name: 'status empty id', api: 'v1', method: 'GetComponentStatus', request: {}, code: grpc.status.INVALID_ARGUMENT },
  { name: 'status unknown id', api: 'v1', method: 'GetComponentStatus', request: { service_id: 'ghost' }, code: grpc.status.NOT_FOUND },
  { name: 'list unknown type filter', api: 'v1', method: 'ListComponents', request: { type_filter: 77 }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'discover unknown type', api: 'v1', method: 'DiscoverComponents', request: { type: 77 }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'discover 10,000 metadata filters', api: 'v1', method: 'DiscoverComponents', request: { metadata_filters: many(10_000, 'f') }, code: grpc.status.OK },
  { name: 'unregister empty id', api: 'v1', method: 'UnregisterComponent', request: {}, code: grpc.status.INVALID_ARGUMENT },
  { name: 'unregister unknown id (allowed)', api: 'v1', method: 'UnregisterComponent', request: { service_id: 'ghost' }, code: grpc.status.OK },
  // Legacy
  { name: 'legacy register unknown service type', api: 'legacy', method: 'Register', request: { service_id: 's', service_type: 9 }, code: grpc.status.INVALID_ARGUMENT, message: 'unknown service type 9' },
  { name: 'legacy register 1 MB service_id', api: 'legacy', method: 'Register', request: { service_id: MB }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'legacy register empty (generated id, allowed)', api: 'legacy', method: 'Register', request: {}, code: grpc.status.OK },
  { name: 'legacy heartbeat empty id', api: 'legacy', method: 'Heartbeat', request: {}, code: grpc.status.INVALID_ARGUMENT },
  { name: 'legacy heartbeat NaN/Infinity metrics (allowed)', api: 'legacy', method: 'Heartbeat', request: { service_id: 'big-desc', metrics: { a: NaN, b: Infinity, c: -0 } }, code: grpc.status.OK },
  { name: 'legacy status unknown id', api: 'legacy', method: 'GetServiceStatus', request: { service_id: 'ghost' }, code: grpc.status.NOT_FOUND },
  { name: 'create run empty id', api: 'legacy', method: 'CreatePipelineRun', request: { pipeline_name: 'p' }, code: grpc.status.INVALID_ARGUMENT, message: 'run_id is required' },
  { name: 'create run 1 MB id', api: 'legacy', method: 'CreatePipelineRun', request: { run_id: MB }, code: grpc.status.INVALID_ARGUMENT, message: /too long/ },
  { name: 'create run 10,000 component ids (allowed)', api: 'legacy', method: 'CreatePipelineRun', request: { run_id: 'many', component_ids: Object.keys(many(10_000, 'c')) }, code: grpc.status.OK },
  { name: 'update run unknown status', api: 'legacy', method: 'UpdatePipelineRun', request: { run_id: 'many', status: 17 }, code: grpc.status.INVALID_ARGUMENT },
  { name: 'update run unknown id', api: 'legacy', method: 'UpdatePipelineRun', request: { run_id: 'ghost', status: 2 }, code: grpc.status.NOT_FOUND },
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
    assert.equal(Object.keys(rec.info.metadata).length, 10_000);
    assert.equal(cp.registry.get('big-desc')!.metrics.big.length, MB.length);
  });
});
