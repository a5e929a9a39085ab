// ListComponents answers from each record's kept encoding (src/core/controlplane/listCache.ts).
// Checked over a real socket against what the plain proto-loader path sends for the same records:
// byte-identical responses and deep-equal decoded lists, for every type_filter × include_unhealthy,
// after heartbeats, metric and status changes, staleness, process exits, legacy heartbeats,
// re-registrations and unregisters. Also: only changed records are re-encoded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { packageDefinition } from '../../src/core/proto';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { statusResponseToWire } from '../../src/core/controlplane/convert';
import { frameRepeatedField1, varintSize } from '../../src/core/controlplane/listCache';
import { ComponentType, HealthStatus, ServiceType, type ServiceRecord } from '../../src/core/controlplane/model';
import { Registry } from '../../src/core/controlplane/registry';
import { V1_SERVICE_NAME } from '../../src/core/controlplane/v1Service';
import { call, closeAll, componentInfo, legacyClient, v1Client, type Client } from '../helpers/grpc';

const { HEALTHY, DEGRADED, UNHEALTHY, STARTING } = HealthStatus;
const TYPES = [ComponentType.UNSPECIFIED, ComponentType.SOURCE, ComponentType.PROCESSOR, ComponentType.CONSUMER];
const LIST = '/flowctl.v1.ControlPlaneService/ListComponents';

/** The plain proto-loader serializers and deserializer of ListComponents (what the server used before). */
const plainList = (packageDefinition()[V1_SERVICE_NAME] as grpc.ServiceDefinition).ListComponents!;

/** The response a plain `{ components: records.map(statusResponseToWire) }` answer puts on the wire. */
function plainBytes(records: ServiceRecord[]): Buffer {
  return plainList.responseSerialize({ components: records.map(statusResponseToWire) });
}

/** ListComponents without decoding: the response bytes as received. */
function rawList(client: grpc.Client, req: { type_filter: number; include_unhealthy: boolean }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      LIST,
      plainList.requestSerialize,
      (b: Buffer) => b,
      req,
      { deadline: Date.now() + 5000 },
      (err, res) => (err ? reject(err) : resolve(res!)),
    );
  });
}

describe('ListComponents from kept encodings', () => {
  let clock = 1_700_000_000_123;
  let cp: ControlPlaneServer;
  let v1: Client;
  let legacy: Client;
  let raw: grpc.Client;

  before(async () => {
    cp = await ControlPlaneServer.start({ port: 0, heartbeatTtlMs: 60_000, now: () => clock });
    v1 = v1Client(cp.endpoint);
    legacy = legacyClient(cp.endpoint);
    raw = new grpc.Client(cp.endpoint, grpc.credentials.createInsecure());
  });
  after(async () => {
    closeAll(v1, legacy, raw);
    await cp.stop();
  });

  /**
   * For every filter variant: the decoded list (normal proto-loader client) deep-equals the decoding
   * of what the plain path would send for the registry's current records, and the raw bytes are identical.
   */
  async function assertListsMatchPlain(step: string): Promise<void> {
    for (const type_filter of TYPES) {
      for (const include_unhealthy of [false, true]) {
        const req = { type_filter, include_unhealthy };
        const records = cp.registry.list({ typeFilter: type_filter, includeUnhealthy: include_unhealthy });
        const expectedBytes = plainBytes(records);
        const got = await call(v1, 'ListComponents', req);
        assert.deepEqual(got, plainList.responseDeserialize(expectedBytes), `${step}: decoded list for ${JSON.stringify(req)}`);
        assert.equal(got.components.length, records.length, `${step}: count for ${JSON.stringify(req)}`);
        const bytes = await rawList(raw, req);
        assert.ok(bytes.equals(expectedBytes), `${step}: response bytes for ${JSON.stringify(req)}`);
      }
    }
  }

  async function listed(serviceId: string, include_unhealthy = true): Promise<any> {
    const res = await call(v1, 'ListComponents', { type_filter: 0, include_unhealthy });
    return res.components.find((c: any) => c.component.id === serviceId);
  }

  test('a varied registry lists identically to the plain encoding, before and after every kind of change', async () => {
    // Types, empty and non-ASCII fields, and records whose encoding needs 1-, 2- and 3-byte length varints.
    await call(v1, 'RegisterComponent', { component: componentInfo('src-1', ComponentType.SOURCE, { output_event_types: ['stellar.ledger'] }) });
    await call(v1, 'RegisterComponent', {
      component: componentInfo('proc-1', ComponentType.PROCESSOR, {
        name: 'Prozessor ✓ 処理',
        input_event_types: ['stellar.ledger'],
        output_event_types: ['ttp.event', 'x'],
        metadata: { team: 'a', note: 'é'.repeat(80) },
      }),
    });
    await call(v1, 'RegisterComponent', {
      component: componentInfo('sink-big', ComponentType.CONSUMER, { description: 'd'.repeat(4000), input_event_types: ['ttp.event'] }),
    });
    await call(v1, 'RegisterComponent', { component: componentInfo('untyped', ComponentType.UNSPECIFIED) });
    await call(v1, 'RegisterComponent', { component: componentInfo('proc-2', ComponentType.PROCESSOR), component_id: 'env-proc-2' });
    await call(legacy, 'Register', { service_id: 'legacy-sink', service_type: ServiceType.SINK, input_event_types: ['x'], metadata: { sink_name: 'Old' } });
    await assertListsMatchPlain('registered');
    await assertListsMatchPlain('registered, listed again (all kept)');

    // Heartbeat with a metric change: the record is re-encoded and the new value and time show.
    clock += 1500;
    await call(v1, 'Heartbeat', { service_id: 'proc-1', status: HEALTHY, metrics: { events_processed: '42' } });
    let proc1 = await listed('proc-1');
    assert.deepEqual(proc1.metrics, { events_processed: '42' });
    assert.equal(proc1.last_heartbeat.seconds * 1000 + proc1.last_heartbeat.nanos / 1e6, clock);
    clock += 10;
    await call(v1, 'Heartbeat', { service_id: 'proc-1', status: HEALTHY, metrics: { events_processed: '43', lag: '7' } });
    proc1 = await listed('proc-1');
    assert.deepEqual(proc1.metrics, { events_processed: '43', lag: '7' }, 'a second change after a kept encoding shows too');
    await assertListsMatchPlain('after metric heartbeats');

    // Status changes move records in and out of the healthy-only list.
    clock += 10;
    await call(v1, 'Heartbeat', { service_id: 'src-1', status: DEGRADED });
    await call(v1, 'Heartbeat', { service_id: 'sink-big', status: STARTING, metrics: { big: 'y'.repeat(300) } });
    assert.equal(await listed('src-1', false), undefined, 'DEGRADED is not listed without include_unhealthy');
    assert.equal((await listed('src-1')).status, DEGRADED);
    await assertListsMatchPlain('after status changes');
    clock += 10;
    await call(v1, 'Heartbeat', { service_id: 'src-1', status: HEALTHY });
    assert.equal((await listed('src-1', false)).status, HEALTHY);
    await assertListsMatchPlain('after recovery');

    // The runner saw a process exit; then staleness via the TTL (fake clock + sweep).
    cp.registry.markExited('env-proc-2');
    assert.equal((await listed('proc-2')).status, UNHEALTHY, 'listed by component id, service id env-proc-2');
    await assertListsMatchPlain('after a process exit');
    clock += 70_001;
    await call(v1, 'Heartbeat', { service_id: 'proc-1', status: HEALTHY });
    cp.registry.sweep();
    assert.equal((await listed('src-1')).status, UNHEALTHY, 'silent past the TTL + grace: stale');
    assert.equal((await listed('proc-1')).status, HEALTHY);
    await assertListsMatchPlain('after going stale');
    clock += 5;
    await call(v1, 'Heartbeat', { service_id: 'src-1' }); // UNKNOWN status revives a stale record
    assert.equal((await listed('src-1', false)).status, HEALTHY);
    await assertListsMatchPlain('after a stale record recovered');

    // A legacy heartbeat merges its doubles as strings into the v1 metrics.
    clock += 5;
    await call(legacy, 'Heartbeat', { service_id: 'legacy-sink', metrics: { rate: 2.5 } });
    assert.deepEqual((await listed('legacy-sink')).metrics, { rate: '2.5' });
    await assertListsMatchPlain('after a legacy heartbeat');

    // Re-registration replaces the record (new info, moved to the end); unregister removes it.
    clock += 5;
    await call(v1, 'RegisterComponent', { component: componentInfo('src-1', ComponentType.SOURCE, { name: 'renamed', version: '2' }) });
    const all = (await call(v1, 'ListComponents', { type_filter: 0, include_unhealthy: true })).components;
    assert.equal(all.at(-1).component.id, 'src-1');
    assert.equal(all.at(-1).component.name, 'renamed');
    assert.deepEqual(all.at(-1).metrics, {}, 're-registration starts with no metrics');
    await assertListsMatchPlain('after a re-registration');
    await call(v1, 'UnregisterComponent', { service_id: 'proc-1' });
    await call(v1, 'UnregisterComponent', { service_id: 'sink-big' });
    assert.equal(await listed('proc-1'), undefined);
    await assertListsMatchPlain('after unregisters');

    // An empty result (no healthy processor left: proc-1 gone, proc-2 exited) is an empty message, as before.
    const none = { type_filter: ComponentType.PROCESSOR, include_unhealthy: false };
    assert.equal((await rawList(raw, none)).length, 0);
    assert.deepEqual(await call(v1, 'ListComponents', none), { components: [] });
  });

  test('an unknown type_filter is still INVALID_ARGUMENT', async () => {
    await assert.rejects(call(v1, 'ListComponents', { type_filter: 9, include_unhealthy: true }), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /unknown component type 9/);
      return true;
    });
  });
});

describe('Registry.listEncoded', () => {
  test('encodes each record once and again only after it changed', async () => {
    let clock = 1_000_000;
    const registry = new Registry({ endpoint: () => '127.0.0.1:1', now: () => clock, heartbeatTtlMs: 60_000 });
    await registry.open();
    try {
      for (const id of ['a', 'b', 'c']) await registry.register({ component: componentInfo(id, ComponentType.PROCESSOR) });
      const encoded: string[] = [];
      const encode = (r: ServiceRecord) => {
        encoded.push(r.serviceId);
        return Buffer.from(`${r.serviceId}:${r.status}:${r.lastHeartbeat}:${JSON.stringify(r.metrics)}`);
      };
      const text = (parts: Uint8Array[]) => parts.map((p) => Buffer.from(p).toString());
      const all = { includeUnhealthy: true };

      assert.deepEqual(text(registry.listEncoded(all, encode)), ['a:2:1000000:{}', 'b:2:1000000:{}', 'c:2:1000000:{}']);
      assert.deepEqual(encoded.splice(0), ['a', 'b', 'c']);
      registry.listEncoded(all, encode);
      assert.deepEqual(encoded.splice(0), [], 'nothing changed: nothing re-encoded');

      clock += 1;
      registry.heartbeat('b', HealthStatus.UNKNOWN, { n: '1' });
      assert.deepEqual(text(registry.listEncoded(all, encode)), ['a:2:1000000:{}', 'b:2:1000001:{"n":"1"}', 'c:2:1000000:{}']);
      assert.deepEqual(encoded.splice(0), ['b'], 'only the heartbeated record');

      registry.markExited('c');
      assert.deepEqual(text(registry.listEncoded({}, encode)), ['a:2:1000000:{}', 'b:2:1000001:{"n":"1"}'], 'healthy only');
      assert.deepEqual(encoded.splice(0), [], 'the exited record is filtered out, not encoded');
      assert.deepEqual(text(registry.listEncoded(all, encode)).at(-1), `c:${HealthStatus.UNHEALTHY}:1000000:{}`);
      assert.deepEqual(encoded.splice(0), ['c']);

      clock += 70_000;
      registry.sweep(); // a and b are silent past their window (TTL 60 s + grace of one 10 s janitor interval)
      assert.deepEqual(text(registry.listEncoded(all, encode)).slice(0, 2), ['a:4:1000000:{}', 'b:4:1000001:{"n":"1"}']);
      assert.deepEqual(encoded.splice(0), ['a', 'b']);

      await registry.unregister('a');
      assert.equal(registry.listEncoded(all, encode).length, 2);
      assert.deepEqual(encoded.splice(0), []);

      const other = (r: ServiceRecord) => Buffer.from(r.serviceId);
      assert.deepEqual(text(registry.listEncoded(all, other)), ['b', 'c'], 'a different encoder does not see the old encodings');
      assert.throws(() => registry.listEncoded({ typeFilter: 42 }, encode), /unknown component type 42/);
    } finally {
      await registry.close();
    }
  });
});

describe('frameRepeatedField1', () => {
  test('frames elements of 0, 1, 127, 128, 16383 and 16384 bytes as field 1 (length-delimited)', () => {
    const sizes = [0, 1, 127, 128, 16_383, 16_384];
    const parts = sizes.map((n, i) => Buffer.alloc(n, i + 1));
    const out = frameRepeatedField1(parts);
    let o = 0;
    for (const [i, n] of sizes.entries()) {
      assert.equal(out[o], 0x0a, `tag of element ${i}`);
      o++;
      let len = 0;
      let shift = 0;
      for (;;) {
        const b = out[o++]!;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80) break;
      }
      assert.equal(len, n, `length of element ${i}`);
      assert.ok(out.subarray(o, o + n).equals(parts[i]!), `bytes of element ${i}`);
      o += n;
    }
    assert.equal(o, out.length, 'nothing after the last element');
    assert.deepEqual(sizes.map(varintSize), [1, 1, 1, 2, 2, 3]);
    assert.equal(frameRepeatedField1([]).length, 0);
  });
});
