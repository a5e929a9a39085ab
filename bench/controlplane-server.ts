// One benchmarked server, run as a child of bench/controlplane.ts (forked, with an IPC channel):
//   node dist/bench/controlplane-server.js memory|lmdb|lmdb-durable|lmdb-per-beat|noop
// memory: our ControlPlaneServer with MemoryStorage; memory-access: the same with an embedded run's access
// rules (every connection's process looked up, once); lmdb: ours with LmdbStorage in a temp dir, heartbeats
// batched (the default: written together at most 1 s later); lmdb-durable: every heartbeat acknowledged
// after the fsync'ed commit holding it (concurrent ones share a commit); lmdb-per-beat: one transaction
// and fsync per heartbeat, as flowctl's BoltDB writes them; noop: a bare grpc-js server of the same
// flowctl.v1.ControlPlaneService whose handlers answer at once.
// It reports its own process.cpuUsage() and RSS on request, so server CPU excludes the load driver.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { protos } from '../src/core/proto';
import { startOurServer } from './ourServer';
import type { ServerStats, ToServer } from './protocol';

interface Running {
  port: number;
  stop(): Promise<void>;
}

async function startNoop(): Promise<Running> {
  const server = new grpc.Server();
  // Heartbeat answers at once. RegisterComponent only keeps a ready-made status entry, so that
  // ListComponents shows the floor of grpc-js serialisation for the same number of components.
  const listed = new Map<string, unknown>();
  const ok = <T>(value: T) => (_call: unknown, cb: grpc.sendUnaryData<T>) => cb(null, value);
  server.addService(protos().v1.ControlPlaneService.service, {
    RegisterComponent: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
      const id: string = call.request.component_id || call.request.component?.id || 'x';
      const now = { seconds: Math.floor(Date.now() / 1000), nanos: 0 };
      listed.set(id, { component: call.request.component, status: 2, last_heartbeat: now, metrics: {}, registered_at: now });
      cb(null, { service_id: id, assigned_topics: [], connection_info: {} });
    },
    UnregisterComponent: ok({}),
    DiscoverComponents: ok({ components: [] }),
    Heartbeat: ok({}),
    GetComponentStatus: ok({}),
    ListComponents: (_call: unknown, cb: grpc.sendUnaryData<any>) => cb(null, { components: [...listed.values()] }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (!process.send) throw new Error('controlplane-server must be started by bench/controlplane.ts (needs an IPC channel)');
  let tmp: string | undefined;
  let running: Running;
  if (mode === 'noop') running = await startNoop();
  else if (mode === 'memory') running = await startOurServer(undefined);
  else if (mode === 'memory-access') running = await startOurServer(undefined, 'batched', true);
  else if (mode === 'lmdb' || mode === 'lmdb-durable' || mode === 'lmdb-per-beat') {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-'));
    const writes = mode === 'lmdb' ? 'batched' : mode === 'lmdb-durable' ? 'durable' : 'per-beat';
    running = await startOurServer(path.join(tmp, 'registry.lmdb'), writes);
  } else throw new Error(`unknown server mode ${mode} (memory|lmdb|lmdb-durable|lmdb-per-beat|noop)`);

  const cleanup = () => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('disconnect', () => {
    // The driver went away: don't linger.
    cleanup();
    process.exit(0);
  });
  process.on('message', (msg: ToServer) => {
    if (msg.type === 'stats') {
      if (msg.gc && typeof global.gc === 'function') {
        global.gc();
        global.gc();
      }
      const mem = process.memoryUsage();
      const stats: ServerStats = { type: 'stats', cpu: process.cpuUsage(), rss: mem.rss, heapUsed: mem.heapUsed };
      process.send!(stats);
    } else if (msg.type === 'stop') {
      running
        .stop()
        .catch((err) => process.stderr.write(`stop failed: ${(err as Error).message}\n`))
        .finally(() => {
          cleanup();
          process.exit(0);
        });
    }
  });
  process.send({ type: 'ready', port: running.port });
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
