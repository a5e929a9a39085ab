// Our data plane (its own gRPC client over node:http2) against gRPC C-core servers (Debian's
// python3-grpcio), not only grpc-js: source → processor → sink, hand-encoded messages on the other side.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { DataPlane, type DataPlaneEvent } from '../../src/core/dataplane';
import { repoRoot } from '../helpers/paths';
import { waitFor } from '../helpers/net';

const PYTHON = '/usr/bin/python3';
const hasGrpcio = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import grpc'], { stdio: 'ignore' }).status === 0;

test('source → processor → sink served by gRPC C-core (python3-grpcio): every event arrives, retyped, and the sink answers', { skip: !hasGrpcio && !process.env.CI ? 'python3-grpcio not installed (scripts/install-test-deps.sh installs it)' : false }, async (t) => {
  const N = 2000;
  const script = path.join(repoRoot(), 'test', 'fixtures', 'interop', 'grpc_components.py');
  const py = spawn(PYTHON, [script, String(N)], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => py.kill('SIGKILL'));
  let out = '';
  py.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const port = Number((await waitFor(() => /port (\d+)/.exec(out), 15_000, 'the python server'))[1]);
  const endpoint = `127.0.0.1:${port}`;
  const dp = new DataPlane({
    nodes: [
      { id: 'src', role: 'source', inputs: [] },
      { id: 'proc', role: 'processor', inputs: ['src'] },
      { id: 'sink', role: 'sink', inputs: ['proc'], inputEventTypes: ['interop.processed.v1'] },
    ],
    endpointOf: () => endpoint,
  });
  const events: DataPlaneEvent[] = [];
  dp.events.on((e) => events.push(e));
  await dp.start();
  await waitFor(() => events.some((e) => e.type === 'ended' && e.id === 'sink'), 30_000, 'the sink to end');
  assert.deepEqual(events.filter((e) => e.type === 'error'), [], 'no errors');
  const counts = dp.counts();
  assert.equal(counts.src.eventsOut, N);
  assert.equal(counts.proc.eventsIn, N);
  assert.equal(counts.proc.eventsOut, N);
  assert.equal(counts.sink.eventsIn, N, 'the sink filter let the processed type through');
  assert.equal(dp.consumeResults().sink?.eventsConsumed, N, "the C-core sink's ConsumeResponse was read");
  await dp.stop();
  py.stdin!.end();
  const summary = JSON.parse((await waitFor(() => out.split('\n').find((l) => l.startsWith('{')), 10_000, 'the summary')) as string);
  assert.deepEqual(summary, { events: N, types: ['interop.processed.v1'], first: ['py-1'], last: [`py-${N}`] }, 'in order, none lost');
});
