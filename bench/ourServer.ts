// Starts our ControlPlaneServer for the benchmark: MemoryStorage, or LmdbStorage at dbPath with the
// given way of writing heartbeats ('batched' = the product's default).
import { ControlPlaneServer } from '../src/core/controlplane/server';
import { LmdbStorage } from '../src/core/controlplane/storage/lmdb';
import { MemoryStorage } from '../src/core/controlplane/storage/memory';

export async function startOurServer(
  dbPath: string | undefined,
  heartbeatWrites: 'batched' | 'durable' | 'per-beat' = 'batched',
  withAccess = false,
): Promise<{ port: number; stop(): Promise<void> }> {
  const storage = dbPath ? new LmdbStorage(dbPath, { heartbeatWrites }) : new MemoryStorage();
  // With access rules as an embedded run has them: every connection's process is looked up once (a
  // /proc scan), then each heartbeat finds the answer on its connection. Every process counts as "of the
  // run" here, so the load generator is let in.
  const access = withAccess ? { ownerToken: 'bench-owner-token', isRunProcess: () => true } : undefined;
  // A long TTL: nothing may go stale during the run, the janitor only sweeps.
  const server = await ControlPlaneServer.start({ address: '127.0.0.1', port: 0, storage, heartbeatTtlMs: 10 * 60_000, access });
  return { port: server.port, stop: () => server.stop() };
}
