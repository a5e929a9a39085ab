// The example components (built by `npm run build` into dist/examples) against the real control
// plane and the DataPlane: the demo's transform/filter/fan-out, the Go-SDK-like source (registers
// before listening, endpoint ":port", UNKNOWN heartbeats) and the legacy-API component.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControlPlaneServer } from '../../src/core/controlplane/server';
import { ComponentType, HealthStatus } from '../../src/core/controlplane/model';
import type { RegistryEvent } from '../../src/core/events';
import { DataPlane, type DataPlaneEvent } from '../../src/core/dataplane';
import { startComponent, waitFor, type RunningComponent } from '../fixtures/components/harness';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-examples-'));
const running: RunningComponent[] = [];
const servers: ControlPlaneServer[] = [];
after(async () => {
  await Promise.all(running.map((c) => c.stop(3000)));
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  fs.rmSync(tmp, { recursive: true, force: true });
});

function example(rel: string): string {
  const file = path.resolve(__dirname, '../../../dist/examples', rel);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run "npm run build" first`);
  return file;
}

function start(rel: string, env: Record<string, string>): RunningComponent {
  const c = startComponent(example(rel), env);
  running.push(c);
  return c;
}

function readLines(file: string): any[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

describe('example components', () => {
  it('demo: ticker → enrich (transform + filter) → jsonl-sink and counter-sink', async () => {
    const out = path.join(tmp, 'demo', 'events.jsonl');
    const ticker = start('demo/components/ticker.js', { FLOWCTL_COMPONENT_ID: 'ticker', RATE: '300' });
    const enrich = start('demo/components/enrich.js', { FLOWCTL_COMPONENT_ID: 'enrich', MIN_QTY: '50' });
    const jsonl = start('demo/components/jsonl-sink.js', { FLOWCTL_COMPONENT_ID: 'jsonl-sink', OUTPUT_FILE: out });
    const counter = start('demo/components/counter-sink.js', { FLOWCTL_COMPONENT_ID: 'counter-sink' });
    const endpoints: Record<string, string> = {
      ticker: await ticker.endpoint,
      enrich: await enrich.endpoint,
      'jsonl-sink': await jsonl.endpoint,
      'counter-sink': await counter.endpoint,
    };
    const dp = new DataPlane({
      nodes: [
        { id: 'ticker', role: 'source', inputs: [] },
        { id: 'enrich', role: 'processor', inputs: ['ticker'] },
        { id: 'jsonl-sink', role: 'sink', inputs: ['enrich'], inputEventTypes: ['demo.trade.enriched.v1'] },
        { id: 'counter-sink', role: 'sink', inputs: ['enrich'] },
      ],
      endpointOf: (id) => endpoints[id],
    });
    const errors: DataPlaneEvent[] = [];
    dp.events.on((e) => e.type === 'error' && errors.push(e));
    await dp.start();
    await waitFor(() => readLines(out).length >= 60, 20_000, '60 enriched trades in the JSONL file');
    await waitFor(() => /counter-sink: \d+ events/.test(counter.output()), 10_000, 'a counter-sink summary line');
    await dp.stop();
    assert.deepEqual(errors, []);

    const lines = readLines(out);
    const counts = dp.counts();
    assert.equal(lines.length, counts['jsonl-sink'].eventsIn);
    assert.equal(counts['counter-sink'].eventsIn, counts['jsonl-sink'].eventsIn, 'fan-out: both sinks got every event');
    assert.ok(counts.enrich.eventsOut < counts.enrich.eventsIn, 'some small trades were dropped');
    for (const l of lines) {
      assert.equal(l.type, 'demo.trade.enriched.v1');
      assert.equal(l.from, 'enrich');
      assert.match(l.payload.symbol, /^[A-Z]+$/);
      assert.ok(l.payload.qty >= 50, `qty ${l.payload.qty} should have been filtered`);
      assert.equal(l.payload.notional, Math.round(l.payload.price * l.payload.qty * 100) / 100);
    }
    assert.match(counter.output(), /counter-sink: \d+ events .*— [A-Z]+ \d+/);
  });

  it('Go-SDK-like source: registered id and ":port" endpoint, UNKNOWN heartbeats, wired before it listens', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, log: () => undefined });
    servers.push(cp);
    const seen: RegistryEvent[] = [];
    cp.registry.events.on((e) => seen.push(e));
    const src = start('go-sdk-like/go-like-source.js', {
      ENABLE_FLOWCTL: 'true',
      FLOWCTL_ENDPOINT: cp.endpoint,
      FLOWCTL_COMPONENT_ID: 'ledgers',
      FLOWCTL_HEARTBEAT_INTERVAL: '300ms',
      RATE: '50',
      // Far longer than a loaded machine takes from registration to the check below.
      LISTEN_DELAY_MS: '5000',
    });
    const rec = await waitFor(() => cp.registry.get('go-like-ledger-source'), 15_000, 'the Go-like registration');
    assert.equal(cp.registry.get('ledgers'), undefined, 'it ignores FLOWCTL_COMPONENT_ID like the Go SDK');
    assert.equal(rec.info.type, ComponentType.SOURCE);
    assert.match(rec.info.endpoint, /^:\d+$/);
    assert.equal(rec.info.metadata.source_name, 'go-like-source');

    const out = path.join(tmp, 'ledgers.jsonl');
    const sink = start('demo/components/jsonl-sink.js', { FLOWCTL_COMPONENT_ID: 'ledger-file', OUTPUT_FILE: out, INPUT_EVENT_TYPES: 'stellar.ledger.v1' });
    const endpoints: Record<string, string> = { ledgers: rec.info.endpoint, 'ledger-file': await sink.endpoint };
    // Wire at once: the source is registered but not listening yet (it listens 5 s later here).
    assert.doesNotMatch(src.output(), /serving flowctl\.v1\.SourceService/);
    const dp = new DataPlane({
      nodes: [
        { id: 'ledgers', role: 'source', inputs: [] },
        { id: 'ledger-file', role: 'sink', inputs: ['ledgers'], inputEventTypes: ['stellar.ledger.v1'] },
      ],
      endpointOf: (id) => endpoints[id],
      params: () => ({ start_ledger: '777', end_ledger: '799' }),
    });
    const events: DataPlaneEvent[] = [];
    dp.events.on((e) => events.push(e));
    await dp.start();
    await waitFor(() => events.some((e) => e.type === 'ended' && e.id === 'ledger-file'), 20_000, 'the bounded ledger range to arrive');
    assert.deepEqual(events.filter((e) => e.type === 'error'), []);
    const got = readLines(out);
    assert.deepEqual(
      got.map((l) => l.payload.sequence),
      Array.from({ length: 23 }, (_, i) => 777 + i),
    );
    assert.equal(got[0].id, 'stellar-ledger-777');

    const beat = await waitFor(() => seen.find((e) => e.type === 'heartbeat' && e.record.serviceId === 'go-like-ledger-source'), 10_000, 'a heartbeat');
    assert.ok(beat.type === 'heartbeat');
    assert.equal(beat.record.status, HealthStatus.HEALTHY, 'an UNKNOWN heartbeat keeps the HEALTHY status');
    assert.equal(beat.record.metrics.processed_count !== undefined, true);
    await dp.stop();
    assert.deepEqual(await src.stop(), { code: 0, signal: null });
    assert.ok(cp.registry.get('go-like-ledger-source'), 'the Go-like source does not unregister');
  });

  it('legacy component: registers and heartbeats through flowctl.ControlPlane only', async () => {
    const cp = await ControlPlaneServer.start({ port: 0, log: () => undefined });
    servers.push(cp);
    const seen: RegistryEvent[] = [];
    cp.registry.events.on((e) => seen.push(e));
    const legacy = start('legacy-component/legacy-source.js', {
      ENABLE_FLOWCTL: 'true',
      FLOWCTL_ENDPOINT: cp.endpoint,
      FLOWCTL_COMPONENT_ID: 'legacy-source',
      FLOWCTL_HEARTBEAT_INTERVAL: '1200ms',
      HEALTH_PORT: '0',
    });
    const reg = await waitFor(() => seen.find((e) => e.type === 'registered'), 15_000, 'the legacy registration');
    assert.ok(reg.type === 'registered');
    assert.equal(reg.record.info.id, 'legacy-source');
    assert.equal(reg.record.info.type, ComponentType.SOURCE);
    assert.ok(reg.record.legacy, 'recorded as a legacy registration');
    assert.match(reg.record.info.endpoint, /^http:\/\/localhost:\d+\/health$/);
    const beat = await waitFor(
      () => seen.find((e) => e.type === 'heartbeat' && (e.record.legacy?.metrics.total_processed ?? 0) >= 1),
      15_000,
      'a legacy heartbeat with double metrics',
    );
    assert.ok(beat.type === 'heartbeat');
    assert.equal(typeof beat.record.legacy!.metrics.last_successful_sequence, 'number');
    assert.deepEqual(await legacy.stop(), { code: 0, signal: null });
  });
});
