// Metrics people can read (src/core/present): flowctl's metric conventions humanised, values with
// units and rounding, counter rates from consecutive heartbeats; and the number/time formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterRates, classifyMetric, humaniseName, presentMetrics } from '../../src/core/present/metrics';
import { formatAgo, formatBytes, formatLatency, formatNumber, formatRate, parseTimestamp } from '../../src/core/present/format';

test('numbers are rounded to what matters and grouped', () => {
  assert.equal(formatNumber(167.20558454), '167.2');
  assert.equal(formatNumber(12345), '12,345');
  assert.equal(formatNumber(1234.567), '1,235');
  assert.equal(formatNumber(3.14159), '3.14');
  assert.equal(formatNumber(0.012345), '0.0123');
  assert.equal(formatNumber(2.5), '2.5');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(1e6), '1,000,000');
  assert.equal(formatRate(0), '0 ev/s');
  assert.equal(formatRate(0.46), '0.5 ev/s');
  assert.equal(formatRate(12.4), '12 ev/s');
  assert.equal(formatRate(1530), '1.5k ev/s');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatLatency(3.456), '3.46 ms');
  assert.equal(formatLatency(1500), '1.5 s');
});

test('times: Unix seconds, milliseconds, nanoseconds and RFC 3339 read as "N s ago"', () => {
  const now = Date.UTC(2026, 11, 1, 12, 0, 0);
  assert.equal(parseTimestamp(String(now / 1000)), now);
  assert.equal(parseTimestamp(String(now)), now);
  assert.equal(parseTimestamp(String(now * 1e6)), now);
  assert.equal(parseTimestamp('2026-12-01T12:00:00Z'), now);
  assert.equal(parseTimestamp('42'), undefined, 'a small number is not a time');
  assert.equal(parseTimestamp('soon'), undefined);
  assert.equal(formatAgo(now - 12_000, now), '12 s ago');
  assert.equal(formatAgo(now - 500, now), 'just now');
  assert.equal(formatAgo(now - 3 * 60_000, now), '3 min ago');
  assert.equal(formatAgo(now + 5000, now), 'in 5 s');
});

test('metric names follow flowctl conventions', () => {
  assert.equal(humaniseName('events_GOOG'), 'Events GOOG');
  assert.deepEqual(classifyMetric('counter_events_GOOG'), { label: 'Events GOOG', kind: 'counter' });
  assert.equal(classifyMetric('gauge_queue_depth').kind, 'gauge');
  assert.equal(classifyMetric('gauge_queue_depth').label, 'Queue depth');
  assert.deepEqual(classifyMetric('ledgers_processed_total'), { label: 'Ledgers processed', kind: 'counter' });
  assert.deepEqual(classifyMetric('retry_count'), { label: 'Retry', kind: 'counter' });
  assert.deepEqual(classifyMetric('last_flush_time'), { label: 'Last flush', kind: 'time' });
  assert.equal(classifyMetric('last_update_time').label, 'Last update');
  assert.equal(classifyMetric('batch_bytes').kind, 'bytes');
  assert.equal(classifyMetric('flush_ms').kind, 'latency');
  assert.equal(classifyMetric('whatever').kind, 'gauge');
});

test('a heartbeat map becomes labelled rows in a stable order, with units', () => {
  const now = 1_796_107_608_000;
  const rows = presentMetrics(
    {
      counter_events_GOOG: '610',
      last_update_time: '1796107596',
      events_per_second: '167.20558454',
      processed_count: '12345',
      processing_latency: '3.456',
      uptime_seconds: '3723.5',
      gauge_lag: '0.25',
      last_error: 'x'.repeat(200),
      total_bytes: '1048576',
    },
    { now },
  );
  const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
  assert.equal(byKey.last_update_time.value, '12 s ago');
  assert.equal(byKey.last_update_time.label, 'Last update');
  assert.equal(byKey.events_per_second.value, '167 /s');
  assert.equal(byKey.processed_count.value, '12,345');
  assert.equal(byKey.processing_latency.value, '3.46 ms');
  assert.equal(byKey.uptime_seconds.value, '1h 2m');
  assert.equal(byKey.counter_events_GOOG.label, 'Events GOOG');
  assert.equal(byKey.counter_events_GOOG.value, '610');
  assert.equal(byKey.gauge_lag.value, '0.25');
  assert.equal(byKey.total_bytes.value, '1 MiB');
  assert.ok(byKey.last_error.value.length <= 80, 'long text is cut');
  // Standard keys first in a fixed order, then the rest by label: the same whatever order they came in.
  assert.deepEqual(
    rows.map((r) => r.key).slice(0, 3),
    ['events_per_second', 'processed_count', 'processing_latency'],
  );
  const again = presentMetrics(Object.fromEntries(Object.entries({ gauge_lag: '1', counter_events_GOOG: '1', processed_count: '1' }).reverse()), { now });
  assert.deepEqual(again.map((r) => r.key), ['processed_count', 'counter_events_GOOG', 'gauge_lag']);
  for (const r of rows) assert.ok(!/\d{5,}\.\d|e\+/.test(r.value), `no raw floats or exponents: ${r.key}=${r.value}`);
});

test('counter rates come from two consecutive reports; a reset starts over', () => {
  const rates = new CounterRates();
  rates.observe({ processed_count: '100', counter_x: '10', gauge_y: '5' }, 10_000);
  assert.equal(rates.current.size, 0, 'one report: no rate yet');
  rates.observe({ processed_count: '300', counter_x: '10', gauge_y: '9' }, 20_000);
  assert.equal(rates.current.get('processed_count'), 20);
  assert.equal(rates.current.get('counter_x'), 0);
  assert.equal(rates.current.has('gauge_y'), false, 'gauges have no rate');
  rates.observe({ processed_count: '999', counter_x: '10' }, 20_000);
  assert.equal(rates.current.get('processed_count'), 20, 'the same report time twice is ignored');
  rates.observe({ processed_count: '5', counter_x: '20' }, 30_000);
  assert.equal(rates.current.has('processed_count'), false, 'a counter that went down (restart) has no rate');
  assert.equal(rates.current.get('counter_x'), 1);
  const rows = presentMetrics({ counter_x: '20' }, { rates: rates.current });
  assert.equal(rows[0].rate, '+1/s');
});
