// Durability: kill -9 the server (flowctl server with LMDB) in the middle of a burst of
// registrations, restart it on the same database file, and check that every registration that was
// acknowledged is there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { call, componentInfo, v1Client, type Client } from '../helpers/grpc';
import { startCliServer, type CliServer } from '../helpers/cli';
import { makeTempDir, removeTempDir } from '../helpers/paths';

const WORKERS = 8;
const KILL_AFTER_ACKS = 150;
const ROUNDS = 3;

describe('persistence across kill -9', () => {
  let home: string;
  const running = new Set<CliServer>();
  before(() => {
    home = makeTempDir('flowctl-persist-');
  });
  after(() => {
    for (const s of running) s.child.kill('SIGKILL');
    removeTempDir(home);
  });

  test('every acknowledged registration survives a SIGKILL during a burst', async (t) => {
    const db = path.join(home, 'registry.lmdb');
    const env = { FLOWCTL_HOME: home };
    const acked = new Set<string>();

    for (let round = 0; round < ROUNDS; round++) {
      const server = await startCliServer(['--address', '127.0.0.1', '--port', '0', '--db-path', db, '--log-level', 'warn'], env);
      running.add(server);
      const client: Client = v1Client(server.endpoint);

      // Everything acknowledged in earlier rounds is still there after the restart.
      const listed = await call(client, 'ListComponents', { include_unhealthy: true });
      const have = new Set<string>(listed.components.map((c: any) => c.component.id));
      const missing = [...acked].filter((id) => !have.has(id));
      assert.deepEqual(missing, [], `round ${round}: acknowledged registrations lost after kill -9`);

      let killed = false;
      let inFlightAtKill = 0;
      let inFlight = 0;
      let roundAcks = 0;
      const worker = async (w: number) => {
        for (let i = 0; !killed || inFlight > 0; i++) {
          if (killed) return;
          const id = `r${round}-w${w}-${i}`;
          inFlight++;
          try {
            await call(client, 'RegisterComponent', { component: componentInfo(id, 1, { metadata: { round: String(round), pad: 'x'.repeat(200) } }) }, 5000);
            acked.add(id);
            roundAcks++;
            if (!killed && roundAcks >= KILL_AFTER_ACKS) {
              killed = true;
              inFlightAtKill = inFlight - 1;
              server.child.kill('SIGKILL');
            }
          } catch (err) {
            const code = (err as grpc.ServiceError).code;
            assert.ok(killed, `registration failed before the kill: ${(err as Error).message}`);
            assert.ok(code === grpc.status.UNAVAILABLE || code === grpc.status.CANCELLED || code === grpc.status.DEADLINE_EXCEEDED || code === grpc.status.INTERNAL, `unexpected code ${code}`);
            return;
          } finally {
            inFlight--;
          }
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      const { signal } = await server.exited;
      running.delete(server);
      client.close();
      assert.equal(signal, 'SIGKILL');
      assert.ok(roundAcks >= KILL_AFTER_ACKS);
      // Calls were in flight when the process died (otherwise the test would prove little).
      assert.ok(inFlightAtKill >= 1, `no registration was in flight at the kill (round ${round})`);
      t.diagnostic(`round ${round}: ${roundAcks} acknowledged, ${inFlightAtKill} in flight at the kill`);
    }

    // Final check after the last kill.
    const server = await startCliServer(['--address', '127.0.0.1', '--port', '0', '--db-path', db], env);
    running.add(server);
    const client = v1Client(server.endpoint);
    try {
      const listed = await call(client, 'ListComponents', { include_unhealthy: true });
      const have = new Set<string>(listed.components.map((c: any) => c.component.id));
      const missing = [...acked].filter((id) => !have.has(id));
      assert.deepEqual(missing, [], 'acknowledged registrations lost after the last kill -9');
      assert.ok(acked.size >= ROUNDS * KILL_AFTER_ACKS);
    } finally {
      client.close();
      server.child.kill('SIGTERM');
      const { code } = await server.exited;
      running.delete(server);
      assert.equal(code, 0);
    }
  });
});
