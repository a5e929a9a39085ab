// Health and reflection are served from the start, but their libraries (grpc-health-check,
// @grpc/reflection) load on the first call (src/core/controlplane/lazyServices.ts): the answers are
// the libraries' own, statuses set before that call are kept, a Watch stream sees later changes, and
// a library that cannot be loaded gives INTERNAL instead of a crash.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import reflectionV1alphaSet from 'flowctl-protos:reflection-v1alpha';
import reflectionV1Set from 'flowctl-protos:reflection-v1';
import { embeddedPackageDefinition } from '../../src/core/protoEmbed';
import { LazyHealth, LazyReflection } from '../../src/core/controlplane/lazyServices';
import { call, expectCode, healthClient, type Client } from '../helpers/grpc';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'perf', 'controlplane-startup.js');

class Child {
  readonly proc: ChildProcess;
  private queue: Array<(m: any) => void> = [];
  constructor() {
    this.proc = fork(FIXTURE, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m) => this.queue.shift()?.(m));
  }
  next(): Promise<any> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer from the control plane fixture in 60 s')), 60_000);
      this.queue.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }
  async ask(type: string): Promise<any> {
    const p = this.next();
    this.proc.send({ type });
    return p;
  }
}

function reflectionClient(set: typeof reflectionV1Set, service: string, target: string): Client {
  const def = embeddedPackageDefinition(set)[service] as grpc.ServiceDefinition;
  const Ctor = grpc.makeGenericClientConstructor(def, service);
  return new Ctor(target, grpc.credentials.createInsecure()) as unknown as Client;
}

function reflect(client: Client, request: object): Promise<any> {
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (msg: unknown) => {
      resolve(msg);
      stream.end();
    });
    stream.on('error', reject);
    stream.write(request);
  });
}

describe('control plane: health and reflection load on their first call', () => {
  let child: Child;
  let endpoint: string;

  before(async () => {
    child = new Child();
    const hello = await child.next();
    endpoint = hello.endpoint;
    assert.deepEqual(hello.loaded, [], 'neither library is loaded by start-up');
  });

  after(() => {
    child.proc.kill('SIGKILL');
  });

  test('health: Check answers SERVING (and NOT_FOUND for an unknown service) — grpc-health-check is loaded then, reflection still not', async () => {
    const h = healthClient(endpoint);
    try {
      assert.equal((await call(h, 'check', { service: '' })).status, 'SERVING');
      assert.equal((await call(h, 'check', { service: 'flowctl.v1.ControlPlaneService' })).status, 'SERVING');
      await expectCode(call(h, 'check', { service: 'nope' }), grpc.status.NOT_FOUND, /Health status unknown for service nope/);
    } finally {
      h.close();
    }
    assert.deepEqual((await child.ask('loaded')).loaded, ['grpc-health-check']);
  });

  test('reflection v1 and v1alpha list the services and describe a symbol', async () => {
    const v1 = reflectionClient(reflectionV1Set, 'grpc.reflection.v1.ServerReflection', endpoint);
    const v1alpha = reflectionClient(reflectionV1alphaSet, 'grpc.reflection.v1alpha.ServerReflection', endpoint);
    try {
      for (const client of [v1, v1alpha]) {
        const list = await reflect(client, { listServices: '' });
        assert.deepEqual(list.listServicesResponse.service.map((s: { name: string }) => s.name).sort(), [
          'flowctl.ControlPlane',
          'flowctl.v1.ControlPlaneService',
          'grpc.health.v1.Health',
        ]);
        const file = await reflect(client, { fileContainingSymbol: 'flowctl.v1.ControlPlaneService' });
        assert.ok(file.fileDescriptorResponse.fileDescriptorProto.length >= 1, 'file descriptors for the symbol');
      }
    } finally {
      v1.close();
      v1alpha.close();
    }
    assert.deepEqual((await child.ask('loaded')).loaded, ['grpc-health-check', '@grpc/reflection']);
  });

  test('a Watch stream opened before stop() sees NOT_SERVING when the control plane stops', async () => {
    const h = healthClient(endpoint);
    const seen: string[] = [];
    const notServing = new Promise<void>((resolve, reject) => {
      const stream = h.watch({ service: 'flowctl.v1.ControlPlaneService' });
      stream.on('data', (m: { status: string }) => {
        seen.push(m.status);
        if (m.status === 'NOT_SERVING') resolve();
      });
      stream.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? undefined : seen.includes('NOT_SERVING') ? resolve() : reject(e)));
    });
    // The first answer of a Watch is the current status.
    await new Promise<void>((resolve, reject) => {
      const start = Date.now();
      const tick = () => (seen.length > 0 ? resolve() : Date.now() - start > 30_000 ? reject(new Error('no Watch answer')) : setTimeout(tick, 20));
      tick();
    });
    assert.deepEqual(seen, ['SERVING']);
    const stopped = child.ask('stop');
    await notServing;
    await stopped;
    h.close();
    assert.equal(seen.at(-1), 'NOT_SERVING');
  });
});

describe('LazyHealth and LazyReflection on a plain grpc-js server', () => {
  let server: grpc.Server;
  let endpoint: string;
  let health: LazyHealth;

  before(async () => {
    server = new grpc.Server();
    health = new LazyHealth({ '': 'SERVING' });
    health.addToServer(server);
    // Statuses set before any health call are what the first call answers.
    health.setStatus('later', 'NOT_SERVING');
    health.setStatus('', 'NOT_SERVING');
    new LazyReflection(() => {
      throw new Error('library missing (test)');
    }).addToServer(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    endpoint = `127.0.0.1:${port}`;
  });

  after(() => server.forceShutdown());

  test('statuses set before the first call are answered; List sees them all', async () => {
    const h = healthClient(endpoint);
    try {
      assert.equal((await call(h, 'check', { service: 'later' })).status, 'NOT_SERVING');
      assert.equal((await call(h, 'check', { service: '' })).status, 'NOT_SERVING');
      health.setStatus('later', 'SERVING'); // after the library loaded: forwarded to it
      assert.equal((await call(h, 'check', { service: 'later' })).status, 'SERVING');
      const all = await call(h, 'list', {});
      assert.deepEqual(Object.keys(all.statuses).sort(), ['', 'later']);
    } finally {
      h.close();
    }
  });

  test('a reflection library that cannot be created answers INTERNAL with the reason, and the server keeps serving', async () => {
    const v1 = reflectionClient(reflectionV1Set, 'grpc.reflection.v1.ServerReflection', endpoint);
    try {
      await expectCode(reflect(v1, { listServices: '' }), grpc.status.INTERNAL, /library missing \(test\)/);
      await expectCode(reflect(v1, { listServices: '' }), grpc.status.INTERNAL, /library missing \(test\)/);
    } finally {
      v1.close();
    }
    const h = healthClient(endpoint);
    try {
      assert.equal((await call(h, 'check', { service: '' })).status, 'NOT_SERVING');
    } finally {
      h.close();
    }
  });
});
