// Crash notifications are rate-limited (one per component a minute, three a minute in all, the
// held-back ones counted); a connected run's components are shown in pipeline order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotificationRateLimit } from '../../src/extension/rateLimit';
import { sortInPipelineOrder } from '../../src/extension/connect';
import type { ComponentView } from '../../src/core/events';

test('crash notifications: one per component per minute, three a minute in all; the held-back ones are counted', () => {
  let now = 0;
  const limit = new NotificationRateLimit({ perKeyMs: 60_000, maxPerWindow: 3, windowMs: 60_000 }, () => now);
  assert.deepEqual(limit.check('a'), { show: true, suppressed: 0 });
  now = 1000;
  assert.equal(limit.check('a').show, false, 'the same component again within the minute');
  assert.deepEqual(limit.check('b'), { show: true, suppressed: 1 }, 'another component: shown, saying one was held back');
  assert.equal(limit.check('c').show, true);
  assert.equal(limit.check('d').show, false, 'a fourth within the minute');
  now = 61_000;
  assert.deepEqual(limit.check('a'), { show: true, suppressed: 1 }, 'a minute later: shown, saying one (d) was held back');
  assert.deepEqual(limit.check('d'), { show: true, suppressed: 0 });
});

function v(id: string, role: ComponentView['role']): ComponentView {
  return { id, role, phase: 'running', health: 2, restarts: 0, metrics: {}, waitingFor: [], eventsIn: 0, eventsOut: 0, eventsPerSecond: 0 };
}

test('connected components: sources, processors, sinks; in the file’s order when known, else by id', () => {
  const views = () => [v('z-sink', 'sink'), v('a-sink', 'sink'), v('enrich', 'processor'), v('ticker', 'source')];
  assert.deepEqual(sortInPipelineOrder(views()).map((x) => x.id), ['ticker', 'enrich', 'a-sink', 'z-sink']);
  const order = new Map([['ticker', { index: 0 }], ['enrich', { index: 1 }], ['z-sink', { index: 2 }], ['a-sink', { index: 3 }]]);
  assert.deepEqual(sortInPipelineOrder(views(), order).map((x) => x.id), ['ticker', 'enrich', 'z-sink', 'a-sink']);
});
