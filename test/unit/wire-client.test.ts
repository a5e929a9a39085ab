// fastV1ControlPlaneClient over a real socket (an in-process control plane on port 0): its
// ListComponents answers deep-equal the plain proto-loader client's, and so do what the CLI's
// connect() and the extension's listComponents() get, which now use it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { protos } from '../../src/core/proto';
import { fastV1ControlPlaneClient } from '../../src/core/wire/fastClient';
import { connect } from '../../src/cli/client';
import { listComponents, viewFromStatus } from '../../src/extension/connect';

type Client = grpc.Client & Record<string, any>;

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](req, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

describe('fastV1ControlPlaneClient', () => {
  let cp: ControlPlaneServer;
  let plain: Client;
  let fast: Client;
  const N = 300;

  before(async () => {
    cp = await ControlPlaneServer.start({ port: 0, heartbeatTtlMs: 60_000 });
    plain = new (protos().v1.ControlPlaneService)(cp.endpoint, grpc.credentials.createInsecure()) as Client;
    fast = fastV1ControlPlaneClient(cp.endpoint, grpc.credentials.createInsecure());
    for (let i = 0; i < N; i++) {
      const id = i % 7 === 0 ? `компонент-${i}-🚀` : `c-${i}`;
      // Registered through the fast client: its other methods are proto-loader's own.
      await call(fast, 'RegisterComponent', {
        component_id: id,
        component: {
          id,
          name: i % 5 === 0 ? '' : `Component ${i} ${'x'.repeat(i % 240)}`,
          description: i % 3 === 0 ? 'déjà vu 中文' : '',
          version: '1.2.3',
          type: i % 4,
          input_event_types: Array.from({ length: i % 3 }, (_, k) => `in.${k}`),
          output_event_types: i % 2 ? ['out'] : [],
          endpoint: i % 2 ? `127.0.0.1:${10000 + i}` : '',
          metadata: Object.fromEntries(Array.from({ length: i % 40 }, (_, k) => [`key-${k}`, `value ${k} é`])),
        },
      });
      if (i % 2) await call(fast, 'Heartbeat', { service_id: id, status: 1 + (i % 5), metrics: { events: String(i), 'ünï': 'x' } });
    }
  });
  after(async () => {
    plain?.close();
    fast?.close();
    await cp?.stop();
  });

  test('ListComponents deep-equals the plain proto-loader client, for every filter', async () => {
    for (const type_filter of [0, 1, 2, 3]) {
      for (const include_unhealthy of [true, false]) {
        const req = { type_filter, include_unhealthy };
        const [a, b] = await Promise.all([call<any>(plain, 'ListComponents', req), call<any>(fast, 'ListComponents', req)]);
        assert.deepStrictEqual(b, a, JSON.stringify(req));
        if (type_filter === 0 && include_unhealthy) assert.equal(b.components.length, N);
      }
    }
  });

  test('the CLI’s connect() and the extension’s listComponents() get the same list', async () => {
    const expected = await call<any>(plain, 'ListComponents', { include_unhealthy: true });
    const clients = await connect({ 'control-plane-addr': cp.endpoint });
    try {
      const got = await call<any>(clients.v1, 'ListComponents', { include_unhealthy: true });
      assert.deepStrictEqual(got, expected);
    } finally {
      clients.close();
    }
    const views = await listComponents({ address: cp.endpoint });
    // In the server's order (the Services view sorts them into pipeline order itself).
    assert.deepStrictEqual(views, expected.components.map(viewFromStatus));
    assert.equal(views.length, N);
  });
});
