// The data plane wired over real SDK components running as child processes (standalone mode:
// the test plays the control plane's part by handing the DataPlane their endpoints).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { DataPlane, type DataPlaneEvent, type DataPlaneNode } from '../../src/core/dataplane';
import { fixture, getJson, startComponent, waitFor, type RunningComponent } from '../fixtures/components/harness';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-dataplane-'));
const running: RunningComponent[] = [];
after(async () => {
  await Promise.all(running.map((c) => c.stop(3000)));
  fs.rmSync(tmp, { recursive: true, force: true });
});

function start(kind: 'count-source' | 'relay-processor' | 'record-sink', id: string, env: Record<string, string> = {}): RunningComponent {
  const c = startComponent(fixture(kind), { FLOWCTL_COMPONENT_ID: id, ...env });
  running.push(c);
  return c;
}

function sinkFile(name: string): string {
  return path.join(tmp, `${name}-${Date.now()}-${Math.random().toString(16).slice(2)}.jsonl`);
}

function lines(file: string): Array<{ id: string; type: string; source: string; seq: number; relayedBy?: string }> {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function wire(nodes: DataPlaneNode[], components: Record<string, RunningComponent>, endpointFormat = (e: string) => e) {
  const endpoints: Record<string, string> = {};
  for (const [id, c] of Object.entries(components)) endpoints[id] = endpointFormat(await c.endpoint);
  const dp = new DataPlane({ nodes, endpointOf: (id) => endpoints[id] });
  const events: DataPlaneEvent[] = [];
  dp.events.on((e) => events.push(e));
  const ended = (id: string) => waitFor(() => events.some((e) => e.type === 'ended' && e.id === id), 30_000, `${id} to end`);
  await dp.start();
  return { dp, events, ended };
}

describe('DataPlane', () => {
  it('pumps a linear chain source → processor → sink, in order, with consistent counts', async () => {
    const out = sinkFile('chain');
    const src = start('count-source', 'src', { COUNT: '200' });
    const proc = start('relay-processor', 'proc', { DROP_EVERY: '10' });
    const sink = start('record-sink', 'sink', { OUTPUT_FILE: out });
    const { dp, events, ended } = await wire(
      [
        { id: 'src', role: 'source', inputs: [] },
        { id: 'proc', role: 'processor', inputs: ['src'] },
        { id: 'sink', role: 'sink', inputs: ['proc'] },
      ],
      { src, proc, sink },
      (e) => `:${e.split(':').pop()}`, // Go-SDK style endpoint without a host
    );
    await ended('sink');
    assert.deepEqual(
      events
        .filter((e) => e.type === 'wired')
        .map((e) => e.type === 'wired' && `${e.from}->${e.to}`)
        .sort(),
      ['proc->sink', 'src->proc'],
    );
    assert.ok(events.some((e) => e.type === 'sourceEnded' && e.id === 'src'));
    assert.deepEqual(events.filter((e) => e.type === 'error'), []);
    const got = lines(out);
    assert.equal(got.length, 180);
    assert.deepEqual(
      got.map((l) => l.seq),
      Array.from({ length: 200 }, (_, i) => i + 1).filter((s) => s % 10 !== 0),
    );
    assert.ok(got.every((l) => l.relayedBy === 'proc' && l.source === 'src'));
    const counts = dp.counts();
    assert.equal(counts.src.eventsOut, 200);
    assert.equal(counts.proc.eventsIn, 200);
    assert.equal(counts.proc.eventsOut, 180);
    assert.equal(counts.sink.eventsIn, 180);
    assert.ok(counts.sink.bytesIn > 0);
    assert.deepEqual(dp.consumeResults().sink, { eventsConsumed: 180, eventsFailed: 0, errors: [] });
    assert.equal(dp.totals().eventsProcessed, 180);
    await dp.stop();
  });

  it('fans out one processor to two sinks: both get every event', async () => {
    const a = sinkFile('fanout-a');
    const b = sinkFile('fanout-b');
    const src = start('count-source', 'fo-src', { COUNT: '150' });
    const proc = start('relay-processor', 'fo-proc');
    const sinkA = start('record-sink', 'fo-a', { OUTPUT_FILE: a });
    const sinkB = start('record-sink', 'fo-b', { OUTPUT_FILE: b, DELAY_MS: '2' });
    const { dp, ended } = await wire(
      [
        { id: 'fo-src', role: 'source', inputs: [] },
        { id: 'fo-proc', role: 'processor', inputs: ['fo-src'] },
        { id: 'fo-a', role: 'sink', inputs: ['fo-proc'] },
        { id: 'fo-b', role: 'sink', inputs: ['fo-proc'] },
      ],
      { 'fo-src': src, 'fo-proc': proc, 'fo-a': sinkA, 'fo-b': sinkB },
    );
    await Promise.all([ended('fo-a'), ended('fo-b')]);
    const seqs = Array.from({ length: 150 }, (_, i) => i + 1);
    assert.deepEqual(lines(a).map((l) => l.seq), seqs);
    assert.deepEqual(lines(b).map((l) => l.seq), seqs);
    const counts = dp.counts();
    assert.equal(counts['fo-a'].eventsIn, 150);
    assert.equal(counts['fo-b'].eventsIn, 150);
    assert.equal(dp.totals().eventsProcessed, 300);
    await dp.stop();
  });

  it('fans two sources into one sink on a single stream, ending after both', async () => {
    const out = sinkFile('fanin');
    const s1 = start('count-source', 'fi-one', { COUNT: '50' });
    const s2 = start('count-source', 'fi-two', { COUNT: '70', RATE: '200' });
    const sink = start('record-sink', 'fi-sink', { OUTPUT_FILE: out });
    const { dp, events, ended } = await wire(
      [
        { id: 'fi-one', role: 'source', inputs: [] },
        { id: 'fi-two', role: 'source', inputs: [] },
        { id: 'fi-sink', role: 'sink', inputs: ['fi-one', 'fi-two'] },
      ],
      { 'fi-one': s1, 'fi-two': s2, 'fi-sink': sink },
    );
    await ended('fi-sink');
    const sourceEnds = events.filter((e) => e.type === 'sourceEnded').map((e) => e.id);
    assert.deepEqual(sourceEnds.sort(), ['fi-one', 'fi-two']);
    const ix = (pred: (e: DataPlaneEvent) => boolean) => events.findIndex(pred);
    assert.ok(ix((e) => e.type === 'ended' && e.id === 'fi-sink') > ix((e) => e.type === 'sourceEnded' && e.id === 'fi-two'));
    const got = lines(out);
    assert.equal(got.length, 120);
    assert.deepEqual(got.filter((l) => l.source === 'fi-one').map((l) => l.seq), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.deepEqual(got.filter((l) => l.source === 'fi-two').map((l) => l.seq), Array.from({ length: 70 }, (_, i) => i + 1));
    assert.equal(dp.counts()['fi-sink'].eventsIn, 120);
    assert.equal(dp.consumeResults()['fi-sink'].eventsConsumed, 120);
    await dp.stop();
  });

  it('feeds a sink directly from a source, filtering by the sink input event types', async () => {
    const out = sinkFile('direct');
    const src = start('count-source', 'd-src', { COUNT: '60', EVENT_TYPES: 'test.a.v1,test.b.v1,test.c.v1' });
    const sink = start('record-sink', 'd-sink', { OUTPUT_FILE: out });
    const { dp, ended } = await wire(
      [
        { id: 'd-src', role: 'source', inputs: [] },
        { id: 'd-sink', role: 'sink', inputs: ['d-src'], inputEventTypes: ['test.a.v1', 'test.c.v1'] },
      ],
      { 'd-src': src, 'd-sink': sink },
    );
    await ended('d-sink');
    const got = lines(out);
    assert.equal(got.length, 40);
    assert.ok(got.every((l) => l.type === 'test.a.v1' || l.type === 'test.c.v1'));
    assert.equal(dp.counts()['d-src'].eventsOut, 60);
    assert.equal(dp.counts()['d-sink'].eventsIn, 40);
    await dp.stop();
  });

  it('lets a slow sink slow the source down (bounded in-flight events) and stops cleanly', async () => {
    const out = sinkFile('slow');
    const src = start('count-source', 'bp-src', { COUNT: '0', PAD_BYTES: '2000', HEALTH_PORT: '0' });
    const proc = start('relay-processor', 'bp-proc');
    const sink = start('record-sink', 'bp-sink', { OUTPUT_FILE: out, DELAY_MS: '5', HEALTH_PORT: '0' });
    const { dp, events } = await wire(
      [
        { id: 'bp-src', role: 'source', inputs: [] },
        { id: 'bp-proc', role: 'processor', inputs: ['bp-src'] },
        { id: 'bp-sink', role: 'sink', inputs: ['bp-proc'] },
      ],
      { 'bp-src': src, 'bp-proc': proc, 'bp-sink': sink },
    );
    const srcPort = await src.healthPort;
    const sinkPort = await sink.healthPort;
    const produced = async () => (await getJson(srcPort, '/metrics')).body.metrics.processed_count as number;
    const consumed = async () => (await getJson(sinkPort, '/metrics')).body.metrics.processed_count as number;
    await waitFor(async () => (await consumed()) >= 100, 20_000, 'the sink to consume 100 events');
    const samples: Array<{ p: number; c: number }> = [];
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 500));
      samples.push({ p: await produced(), c: await consumed() });
    }
    const last = samples[samples.length - 1];
    const inFlight = samples.map((s) => s.p - s.c);
    console.log(`backpressure: produced ${last.p}, consumed ${last.c}, in flight ${inFlight.join(',')}; dataplane rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
    // An unthrottled source makes well over 10k events/s; the slow sink takes ~150/s.
    assert.ok(last.p < 8000, `the source should be held back, produced ${last.p}`);
    // The in-flight window stays bounded instead of growing with time.
    assert.ok(Math.max(...inFlight) < 5000, `in flight ${inFlight.join(',')}`);
    assert.ok(inFlight[inFlight.length - 1] - inFlight[0] < 1500, `in-flight grows: ${inFlight.join(',')}`);

    await dp.stop();
    const counts = dp.counts();
    const result = dp.consumeResults()['bp-sink'];
    assert.ok(result, 'the sink answered Consume on stop');
    assert.equal(result.eventsConsumed, counts['bp-sink'].eventsIn);
    assert.equal(lines(out).length, counts['bp-sink'].eventsIn);
    assert.equal(counts['bp-proc'].eventsOut, counts['bp-sink'].eventsIn);
    assert.ok(counts['bp-src'].eventsOut >= counts['bp-proc'].eventsIn);
    assert.ok(events.some((e) => e.type === 'ended' && e.id === 'bp-sink'));
    assert.deepEqual(events.filter((e) => e.type === 'error'), []);
  });

  it('reports a clear error for a component that is not a v1 data-plane server', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const sink = start('record-sink', 'x-sink', {});
    const sinkEndpoint = await sink.endpoint;
    const dp = new DataPlane({
      nodes: [
        { id: 'legacy', role: 'source', inputs: [] },
        { id: 'http', role: 'source', inputs: [] },
        { id: 'wrong-kind', role: 'source', inputs: [] },
        { id: 'x-sink', role: 'sink', inputs: ['legacy', 'http', 'wrong-kind', 'ghost'] },
      ],
      endpointOf: (id) =>
        ({ legacy: `http://127.0.0.1:${port}/health`, http: `127.0.0.1:${port}`, 'wrong-kind': sinkEndpoint, 'x-sink': sinkEndpoint })[id],
      connectTimeoutMs: 3000,
    });
    const errors: Array<{ id: string; message: string }> = [];
    dp.events.on((e) => e.type === 'error' && errors.push({ id: e.id, message: e.message }));
    await dp.start();
    // A gRPC server of another kind answers the event stream itself with UNIMPLEMENTED (GetInfo is optional).
    await waitFor(() => errors.some((e) => e.id === 'wrong-kind'), 10_000, 'the wrong-kind error');
    server.close();
    const byId = Object.fromEntries(errors.map((e) => [e.id, e.message]));
    assert.match(byId.legacy, /HTTP URL/);
    assert.match(byId.http, /flowctl\.v1 SourceService/);
    assert.match(byId['wrong-kind'], /not a flowctl\.v1 SourceService/);
    assert.match(byId['x-sink'], /unknown input "ghost"/);
    await dp.stop();
  });
});
