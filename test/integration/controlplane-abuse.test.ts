// The control plane under abuse, over real sockets, against `flowctl server` (a real CLI process with
// LMDB) and an embedded control plane (test/fixtures/controlplane/cp-host.ts, LMDB, in its own process):
// oversized and many-field requests, metric-name floods, run floods, and 10,000 components with
// thousands of ListComponents answers nobody reads while another client keeps being answered. Every
// request is answered with a definite status naming the limit, the process never exits, and its peak
// memory (VmHWM) stays under MEMORY_BUDGET.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { packageDefinition } from '../../src/core/proto';
import { call, closeAll, componentInfo, expectCode, legacyClient, v1Client, type Client } from '../helpers/grpc';
import { startCliServer, type CliServer } from '../helpers/cli';
import { CpHost, peakRss } from '../helpers/cpHost';
import { makeTempDir, removeTempDir } from '../helpers/paths';
import { waitFor } from '../helpers/net';

/** The fixed bound the control plane's memory must stay under in every abuse test here. */
const MEMORY_BUDGET = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

const v1Def = packageDefinition()['flowctl.v1.ControlPlaneService'] as grpc.ServiceDefinition;

/** A RegisterComponent request of about `bytes` bytes, encoded once (the id is patched per call). */
function bigRegistration(bytes: number): Buffer {
  const req = { component: componentInfo('big-000000', 1, { description: 'x'.repeat(bytes) }) };
  return v1Def.RegisterComponent!.requestSerialize(req);
}

function rawCall(client: grpc.Client, method: string, body: Buffer): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(`/flowctl.v1.ControlPlaneService/${method}`, (b: Buffer) => b, (b: Buffer) => b, body, { deadline: Date.now() + 60_000 }, (err) =>
      resolve(err),
    ),
  );
}

/** Runs fn over 0..n-1 with `concurrency` workers. */
async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
}

/** gRPC framing of one message: 0 (not compressed), 4-byte big-endian length, bytes. */
function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

interface Stalled {
  /** Calls answered with a grpc-status in the headers (refused) so far, by code. */
  refused: Map<number, number>;
  /** Calls whose answer started (headers without grpc-status): the server holds their data for us. */
  held: number;
  close(): void;
}

/**
 * `connections` HTTP/2 connections that send `perConnection` ListComponents calls each and never read
 * an answer: their stream windows are 0, so the server cannot send a byte of data.
 */
function stalledReaders(port: number, connections: number, perConnection: number): Stalled {
  const body = grpcFrame(v1Def.ListComponents!.requestSerialize({ include_unhealthy: true }));
  const sessions: http2.ClientHttp2Session[] = [];
  const state: Stalled = {
    refused: new Map(),
    held: 0,
    close: () => {
      for (const s of sessions) s.destroy();
    },
  };
  for (let c = 0; c < connections; c++) {
    const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 0 } });
    session.on('error', () => undefined);
    sessions.push(session);
    for (let i = 0; i < perConnection; i++) {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/flowctl.v1.ControlPlaneService/ListComponents',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      stream.on('error', () => undefined);
      stream.on('response', (headers) => {
        const status = headers['grpc-status'];
        if (status !== undefined) state.refused.set(Number(status), (state.refused.get(Number(status)) ?? 0) + 1);
        else state.held++;
      });
      stream.end(body);
    }
  }
  return state;
}

interface Target {
  name: string;
  endpoint: string;
  pid: number;
  alive(): boolean;
  stop(): Promise<void>;
}

function assertWithinBudget(t: Target, when: string): void {
  const peak = peakRss(t.pid);
  console.log(`# ${t.name}: peak RSS ${Math.round(peak / MiB)} MiB ${when}`);
  assert.ok(peak < MEMORY_BUDGET, `${t.name}: peak RSS ${Math.round(peak / MiB)} MiB ${when} (budget ${MEMORY_BUDGET / MiB} MiB)`);
}

const targets: Array<{ name: string; start: (dir: string) => Promise<Target> }> = [
  {
    name: 'flowctl server',
    start: async (dir) => {
      const server: CliServer = await startCliServer(['--port', '0', '--db-path', path.join(dir, 'registry.lmdb')], { FLOWCTL_HOME: path.join(dir, 'home') });
      return {
        name: 'flowctl server',
        endpoint: server.endpoint,
        pid: server.child.pid!,
        alive: () => server.child.exitCode === null && server.child.signalCode === null,
        stop: async () => {
          server.child.kill('SIGTERM');
          await server.exited;
        },
      };
    },
  },
  {
    name: 'embedded control plane',
    start: async (dir) => {
      const host = await CpHost.start({ dbPath: path.join(dir, 'registry.lmdb') });
      return { name: 'embedded control plane', endpoint: host.endpoint, pid: host.pid, alive: () => host.alive, stop: () => host.stop() };
    },
  },
];

for (const spec of targets) {
  describe(`abuse: ${spec.name}`, () => {
    let dir: string;
    let target: Target;
    let v1: Client;
    let legacy: Client;

    before(async () => {
      dir = makeTempDir('flowctl-abuse-');
      target = await spec.start(dir);
      const opts = { 'grpc.max_send_message_length': 16 * MiB, 'grpc.max_receive_message_length': 256 * MiB };
      v1 = v1Client(target.endpoint, undefined, opts);
      legacy = legacyClient(target.endpoint, undefined, opts);
    });
    after(async () => {
      closeAll(v1, legacy);
      await target?.stop();
      removeTempDir(dir);
    });

    test('400 registrations of ~4 MB with distinct ids: each RESOURCE_EXHAUSTED naming maxRequestBytes, nothing kept', async () => {
      const clients = Array.from({ length: 4 }, () => new grpc.Client(target.endpoint, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 16 * MiB, 'grpc.use_local_subchannel_pool': 1 }));
      const template = bigRegistration(4 * MiB - 4096);
      const idAt = template.indexOf('big-000000');
      const codes = new Map<string, number>();
      try {
        await pool(400, 8, async (i) => {
          const body = Buffer.from(template);
          body.write(`big-${String(i).padStart(6, '0')}`, idAt, 'latin1');
          const err = await rawCall(clients[i % clients.length]!, 'RegisterComponent', body);
          const key = err ? `${grpc.status[err.code]}: ${err.details.replace(/[\d.]+ (MiB|KiB|bytes)/, 'N')}` : 'OK';
          codes.set(key, (codes.get(key) ?? 0) + 1);
        });
      } finally {
        for (const c of clients) c.close();
      }
      assert.deepEqual([...codes], [['RESOURCE_EXHAUSTED: RegisterComponent request is too large: N, limit 256 KiB (maxRequestBytes)', 400]]);
      await expectCode(call(v1, 'GetComponentStatus', { service_id: 'big-000007' }), grpc.status.NOT_FOUND);
      assert.ok(target.alive());
      assertWithinBudget(target, 'after 400 registrations of 4 MB');
    });

    test('many-field registrations are refused with INVALID_ARGUMENT naming the limit', async () => {
      const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 'v']));
      await expectCode(call(v1, 'RegisterComponent', { component: componentInfo('m', 1, { metadata: many }) }), grpc.status.INVALID_ARGUMENT, /limit 128 \(maxMetadataEntries\)/);
      await expectCode(
        call(v1, 'RegisterComponent', { component: componentInfo('t', 1, { input_event_types: Object.keys(many) }) }),
        grpc.status.INVALID_ARGUMENT,
        /limit 128 \(maxEventTypes\)/,
      );
      await expectCode(call(legacy, 'Register', { service_id: 'l', metadata: many }), grpc.status.INVALID_ARGUMENT, /maxMetadataEntries/);
    });

    test('metric-name flood: 20,000 names in one heartbeat are over the request limit; 10 × 12,000 new names keep at most 512', async () => {
      await call(v1, 'RegisterComponent', { component: componentInfo('flooded', 1) });
      const huge = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`m${i}`, String(i)]));
      await expectCode(call(v1, 'Heartbeat', { service_id: 'flooded', metrics: huge }), grpc.status.RESOURCE_EXHAUSTED, /^Heartbeat request is too large: .*\(maxRequestBytes\)$/);
      for (let round = 0; round < 10; round++) {
        const metrics = Object.fromEntries(Array.from({ length: 12_000 }, (_, i) => [`${round}.${i}`, '1']));
        await expectCode(call(v1, 'Heartbeat', { service_id: 'flooded', metrics }), grpc.status.RESOURCE_EXHAUSTED, /limit 512 \(maxMetricNames\)/);
      }
      const st = await call(v1, 'GetComponentStatus', { service_id: 'flooded' });
      assert.equal(Object.keys(st.metrics).length, 512);
      assert.equal(st.status, 2, 'the refused heartbeats still counted as heartbeats');
      assertWithinBudget(target, 'after the metric-name flood');
    });

    test('run flood: 600 runs with 200 KiB configs are pruned to the run budget; ListPipelineRuns(-1) is bounded', async () => {
      const config = `apiVersion: flowctl/v1\n# ${'x'.repeat(200 * 1024)}\n`;
      await pool(600, 8, async (i) => {
        await call(legacy, 'CreatePipelineRun', { run_id: `flood-${i}`, pipeline_name: i % 2 ? 'flood-a' : `flood-${i}`, config_yaml: config }, 30_000);
      });
      // Per pipeline: 300 runs of flood-a, at most 100 kept.
      const a = await call(legacy, 'ListPipelineRuns', { pipeline_name: 'flood-a', limit: -1 }, 30_000);
      assert.ok(a.runs.length <= 100, `${a.runs.length} runs of flood-a kept`);
      const all = await call(legacy, 'ListPipelineRuns', { limit: -1 }, 30_000);
      assert.ok(all.runs.length <= 1000);
      const bytes = all.runs.reduce((n: number, r: { config_yaml: string }) => n + r.config_yaml.length, 0);
      assert.ok(bytes <= 64 * MiB, `ListPipelineRuns(-1) answered ${Math.round(bytes / MiB)} MiB of configs (maxRunBytes 64 MiB)`);
      const newest = all.runs.slice(0, 8).map((r: { run_id: string }) => r.run_id);
      assert.ok(newest.includes('flood-599'), `newest first, the newest kept (${newest.join(', ')})`);
      await expectCode(call(legacy, 'GetPipelineRun', { run_id: 'flood-0' }), grpc.status.NOT_FOUND);
      // What is on disk is bounded too (LMDB keeps freed pages for reuse; the file never shrinks).
      const size = fs.statSync(path.join(dir, 'registry.lmdb')).size;
      assert.ok(size < 256 * MiB, `registry file ${Math.round(size / MiB)} MiB`);
      assertWithinBudget(target, 'after the run flood');
    });

    test('10,000 components and 3,000 unread ListComponents answers: others still answered within a second, memory bounded', async () => {
      const clients = Array.from({ length: 4 }, () => v1Client(target.endpoint, undefined, { 'grpc.use_local_subchannel_pool': 1 }));
      const already = (await call(v1, 'ListComponents', { include_unhealthy: true })).components.length;
      try {
        await pool(10_000 - already, 64, async (i) => {
          await call(clients[i % 4]!, 'RegisterComponent', {
            component: componentInfo(`c-${i}`, 1 + (i % 3), { endpoint: `127.0.0.1:${20000 + (i % 40000)}`, output_event_types: ['stellar.ledger'], metadata: { index: String(i) } }),
          });
        });
      } finally {
        closeAll(...clients);
      }
      await expectCode(call(v1, 'RegisterComponent', { component: componentInfo('one-too-many', 1) }), grpc.status.RESOURCE_EXHAUSTED, /limit 10000 \(maxComponents, --max-components\)/);

      const good = v1Client(target.endpoint, undefined, { 'grpc.max_receive_message_length': 256 * MiB, 'grpc.use_local_subchannel_pool': 1 });
      // "Under a second", allowing for other load on this machine: at least 1 s, and 5× the slowest
      // answer before the attack (measured now, on this machine, in this run).
      const baseline: number[] = [];
      let answerBytes = 0;
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        await call(good, 'GetComponentStatus', { service_id: 'c-42' });
        const list = await call(good, 'ListComponents', { include_unhealthy: true });
        baseline.push(performance.now() - t0);
        answerBytes = v1Def.ListComponents!.responseSerialize(list).length;
      }
      const bound = Math.max(1000, 5 * Math.max(...baseline));
      const port = Number(target.endpoint.split(':').pop());
      const stalled = stalledReaders(port, 30, 100);
      const statusMs: number[] = [];
      const listOutcomes: string[] = [];
      try {
        // The burst of 3,000 calls costs CPU like any 3,000 calls; what must not last is the effect of
        // answers nobody reads. So: once every stalled call was answered (refused) or is held, others
        // must be answered promptly for as long as the stalled clients stay.
        const answeredSoFar = () => [...stalled.refused.values()].reduce((a, b) => a + b, 0) + stalled.held;
        await waitFor(() => answeredSoFar() === 3000, 300_000, 'all 3,000 stalled calls answered or held', 200);
        const until = Date.now() + 8000;
        while (Date.now() < until) {
          let t0 = performance.now();
          const st = await call(good, 'GetComponentStatus', { service_id: 'c-42' }, 30_000);
          statusMs.push(performance.now() - t0);
          assert.equal(st.component.id, 'c-42');
          t0 = performance.now();
          try {
            const list = await call(good, 'ListComponents', { include_unhealthy: true }, 30_000);
            listOutcomes.push(`listed ${list.components.length}`);
          } catch (err) {
            const e = err as grpc.ServiceError;
            assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED, e.details);
            assert.match(e.details, /maxUnsentBytes/);
            listOutcomes.push('refused');
          }
          assert.ok(performance.now() - t0 < bound, `ListComponents took ${Math.round(performance.now() - t0)} ms (bound ${Math.round(bound)} ms)`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const answered = [...stalled.refused.values()].reduce((a, b) => a + b, 0) + stalled.held;
        assert.ok(answered > 1000, `the stalled clients' calls were processed (${answered} answered, ${stalled.held} held)`);
        assert.ok((stalled.refused.get(grpc.status.RESOURCE_EXHAUSTED) ?? 0) > 0, 'unread answers past the budget were refused');
        // Held back: at most maxUnsentBytes (256 MiB) in all, plus one small answer per connection that had read everything.
        const heldBytes = stalled.held * answerBytes;
        assert.ok(heldBytes <= 256 * MiB + 30 * Math.min(answerBytes, MiB), `${stalled.held} answers of ${answerBytes} bytes held`);
        assertWithinBudget(target, 'with 3,000 unread ListComponents answers');
      } finally {
        stalled.close();
      }
      const slowest = Math.max(...statusMs);
      assert.ok(slowest < bound, `GetComponentStatus took up to ${Math.round(slowest)} ms while others did not read (${statusMs.length} calls, bound ${Math.round(bound)} ms)`);
      // Once the stalled clients are gone, their answers are released and big answers flow again.
      const after = await call(good, 'ListComponents', { include_unhealthy: true }, 10_000);
      assert.equal(after.components.length, 10_000);
      good.close();
      assert.ok(listOutcomes.length > 5, listOutcomes.join(', '));
      assert.ok(target.alive());
      assertWithinBudget(target, 'at the end');
    });
  });
}
