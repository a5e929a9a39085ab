// Metric history: ring buffers (gaps, wrap-around, bounds) and the sparkline renderer.
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ComponentView, RunSnapshot } from '../../src/core/events';
import { MetricHistory, TickRing, bucketPeaks, shortRate, sparkline } from '../../src/core/history';

function view(id: string, patch: Partial<ComponentView> = {}): ComponentView {
  return { id, role: 'processor', phase: 'running', health: 2, restarts: 0, metrics: {}, waitingFor: [], eventsIn: 0, eventsOut: 0, eventsPerSecond: 0, ...patch };
}

function snap(components: ComponentView[], eventsPerSecond = 0): RunSnapshot {
  return { pipelineName: 'p', file: '/p/flow.yml', state: 'running', components, eventsProcessed: 0, eventsPerSecond };
}

describe('TickRing', () => {
  test('reads back what was written, oldest first; unwritten ticks are gaps (NaN)', () => {
    const r = new TickRing(5);
    r.put(0, 1);
    r.put(1, 2);
    r.put(3, 4); // tick 2 missed
    assert.deepEqual(r.range(0, 4), [1, 2, NaN, 4, NaN]);
    assert.ok(Number.isNaN(r.at(-1)), 'before the first write');
  });

  test('wraps around: only the last `capacity` ticks survive', () => {
    const r = new TickRing(4);
    for (let t = 0; t < 10; t++) r.put(t, t * 10);
    assert.deepEqual(r.range(6, 9), [60, 70, 80, 90]);
    assert.ok(Number.isNaN(r.at(5)), 'overwritten tick reads as a gap');
    assert.equal(r.bytes, 16, 'Float32 storage: 4 bytes a sample');
  });

  test('a jump longer than the ring leaves only the new sample; older ticks are ignored', () => {
    const r = new TickRing(3);
    r.put(0, 1);
    r.put(100, 7);
    assert.deepEqual(r.range(98, 100), [NaN, NaN, 7]);
    r.put(50, 9);
    assert.equal(r.at(100), 7);
    assert.ok(Number.isNaN(r.at(50)));
  });

  test('rejects a bad capacity', () => {
    assert.throws(() => new TickRing(0), /positive integer/);
  });
});

describe('MetricHistory', () => {
  test('records rates from the views (per-second fields) and numeric metrics; non-numeric metrics are skipped', () => {
    const h = new MetricHistory({ capacity: 10 });
    h.record(snap([view('a', { eventsInPerSecond: 5, eventsOutPerSecond: 3, metrics: { lag_ms: '12.5', mode: 'fast' } })], 8), 1000);
    h.record(snap([view('a', { eventsInPerSecond: 7, eventsOutPerSecond: 9, metrics: { lag_ms: '10' } })], 16), 2000);
    const c = h.component('a')!;
    assert.deepEqual(c.in, [5, 7]);
    assert.deepEqual(c.out, [3, 9]);
    assert.deepEqual(Object.keys(c.metrics), ['lag_ms']);
    assert.deepEqual(c.metrics.lag_ms, [12.5, 10]);
    assert.deepEqual(h.rates('a'), [5, 9], 'rate = the larger of in and out');
    assert.deepEqual(h.timesOf(), [1000, 2000]);
    assert.equal(h.version, 2);
  });

  test('without per-second fields, rates are derived from the counts between ticks', () => {
    const h = new MetricHistory({ capacity: 10 });
    h.record(snap([view('s', { eventsOut: 100 })]), 0);
    h.record(snap([view('s', { eventsOut: 300 })]), 2000);
    h.record(snap([view('s', { eventsOut: 40 })]), 3000); // counts reset (a restart): 40 new events
    assert.deepEqual(h.component('s')!.out, [0, 100, 40]);
  });

  test('a component that is not running leaves gaps, not zeros', () => {
    const h = new MetricHistory({ capacity: 10 });
    h.record(snap([view('x', { eventsOutPerSecond: 4 })]), 0);
    h.record(snap([view('x', { phase: 'stopped', eventsOutPerSecond: 0 })]), 1000);
    h.record(snap([view('x', { eventsOutPerSecond: 6 })]), 2000);
    assert.deepEqual(h.rates('x'), [4, NaN, 6]);
    assert.equal(sparkline(h.rates('x')), '▆ █');
  });

  test('keeps at most `capacity` samples', () => {
    const h = new MetricHistory({ capacity: 600 });
    for (let i = 0; i < 1500; i++) h.record(snap([view('a', { eventsInPerSecond: i })]), i * 1000);
    const c = h.component('a')!;
    assert.equal(c.in.length, 600);
    assert.equal(c.in[0], 900);
    assert.equal(c.in[599], 1499);
    assert.equal(h.timesOf().length, 600);
  });

  test('memory is bounded: at most maxSeries series whatever the number of components and metric names', () => {
    const h = new MetricHistory({ capacity: 600, maxSeries: 100, maxMetricsPerComponent: 3 });
    const components = Array.from({ length: 1000 }, (_, i) =>
      view(`c${i}`, { eventsInPerSecond: 1, metrics: Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`m${k}`, String(k)])) }),
    );
    for (let t = 0; t < 5; t++) h.record(snap(components), t * 1000);
    assert.ok(h.series <= 100, 'series capped');
    assert.ok(h.bytes <= 100 * 600 * 4 + 600 * 8 + 600 * 4, `bytes ${h.bytes}`);
    assert.ok(h.refused > 0, 'refusals are counted');
    // Rates first: the first 50 components got in/out (100 series), no metric slot was left.
    assert.deepEqual(h.component('c0')!.in, [1, 1, 1, 1, 1]);
    assert.deepEqual(h.component('c49')!.in, [1, 1, 1, 1, 1]);
    assert.deepEqual(Object.keys(h.component('c0')!.metrics), []);
    assert.ok(h.component('c999')!.in.every(Number.isNaN), 'no slot left: gaps, not growth');
  });

  test('the default bound (4,096 series × 600 samples) stays under 10 MiB with 1,000 components × 20 metrics', () => {
    const h = new MetricHistory();
    const components = Array.from({ length: 1000 }, (_, i) =>
      view(`c${i}`, { eventsInPerSecond: i, metrics: Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`m${k}`, String(k)])) }),
    );
    h.record(snap(components), 0);
    assert.equal(h.series, 2000 + 2048, 'every rate, and metrics up to half the slots');
    assert.ok(h.bytes < 10 * 1024 * 1024, `${(h.bytes / 1024 / 1024).toFixed(1)} MiB`);
    assert.equal(h.component('c999')!.in[0], 999, 'every component has its rates');
  });

  test('components gone for a whole window are forgotten and give their slots back', () => {
    const h = new MetricHistory({ capacity: 4, maxSeries: 4 });
    h.record(snap([view('old', { eventsInPerSecond: 1 })]), 0);
    for (let t = 1; t <= 8; t++) h.record(snap([]), t * 1000);
    assert.equal(h.component('old'), undefined);
    assert.equal(h.series, 0);
    h.record(snap([view('new', { eventsInPerSecond: 2 })]), 9000);
    assert.equal(h.series, 2);
  });

  test('toJSON: times and one value per time for every series, NaN as null, rounded to 0.1', () => {
    const h = new MetricHistory({ capacity: 10 });
    h.record(snap([view('a', { eventsInPerSecond: 1.234 })], 1.25), 1000);
    h.record(snap([view('a', { phase: 'exited' })], 0), 2000);
    const j = h.toJSON();
    assert.deepEqual(j.times, [1000, 2000]);
    assert.deepEqual(j.total, [1.3, 0]);
    assert.deepEqual(j.components.a.in, [1.2, null]);
    assert.equal(j.intervalMs, 1000);
    assert.deepEqual(JSON.parse(JSON.stringify(j)), j, 'plain JSON');
    assert.equal(h.toJSON(1).times.length, 1, 'last N samples');
  });
});

describe('sparkline', () => {
  test('eight levels from 0 to the peak', () => {
    assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), '▁▂▃▄▅▆▇█');
    assert.equal(sparkline([0, 0, 0]), '▁▁▁', 'idle: the lowest bar');
    assert.equal(sparkline([20, 20]), '██', 'steady: full height');
  });

  test('gaps are spaces; short input is left-padded to the width', () => {
    assert.equal(sparkline([NaN, 4, 8]), ' ▅█');
    assert.equal(sparkline([8], { width: 4 }), '   █');
  });

  test('long input is bucketed to the width by peaks (a spike is never lost)', () => {
    const values = new Array(100).fill(1);
    values[57] = 50;
    const s = sparkline(values, { width: 10 });
    assert.equal([...s].length, 10);
    assert.equal([...s].filter((c) => c === '█').length, 1);
    assert.deepEqual(bucketPeaks([1, 2, 3, 4], 2), [2, 4]);
  });

  test('a fixed max clamps values above it', () => {
    assert.equal(sparkline([5, 10, 20], { max: 10 }), '▅██');
  });

  test('short rates', () => {
    assert.equal(shortRate(0), '0/s');
    assert.equal(shortRate(0.25), '0.3/s');
    assert.equal(shortRate(20.4), '20/s');
    assert.equal(shortRate(1234), '1.2k/s');
    assert.equal(shortRate(2_500_000), '2.5M/s');
  });
});
