import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RunCounters } from '../../src/core/runner/counters';
import { dataNodes, sourceParams } from '../../src/core/runner/wiring';
import type { ComponentSpec } from '../../src/core/pipeline/model';

test('counts of finished data planes add up with the live one; events processed are sink deliveries', () => {
  const c = new RunCounters((id) => id.startsWith('sink'));
  c.absorb({ src: { eventsIn: 0, eventsOut: 10, bytesIn: 0, bytesOut: 100 }, sink: { eventsIn: 9, eventsOut: 0, bytesIn: 90, bytesOut: 0 } });
  const now = c.current({ sink: { eventsIn: 5, eventsOut: 0, bytesIn: 50, bytesOut: 0 }, sink2: { eventsIn: 5, eventsOut: 0, bytesIn: 50, bytesOut: 0 } });
  assert.deepEqual(c.of(now, 'sink'), { eventsIn: 14, eventsOut: 0, bytesIn: 140, bytesOut: 0 });
  assert.deepEqual(c.of(now, 'src'), { eventsIn: 0, eventsOut: 10, bytesIn: 0, bytesOut: 100 });
  assert.deepEqual(c.of(now, 'nobody'), { eventsIn: 0, eventsOut: 0, bytesIn: 0, bytesOut: 0 });
  assert.deepEqual(c.totals(now), { eventsProcessed: 19, bytes: 190 });
});

test('the rate is measured over the recent samples', () => {
  const c = new RunCounters(() => true);
  assert.equal(c.rate(0, 1000), 0);
  c.sample(0, 1000);
  c.sample(50, 2000);
  assert.equal(c.rate(100, 3000), 50);
  for (let i = 0; i < 10; i++) c.sample(1000 + i * 10, 10_000 + i * 1000);
  assert.equal(c.rate(1090, 19_000), 10, 'old samples fall out of the window');
});

function spec(id: string, role: ComponentSpec['role'], inputs: string[] = [], extra: Partial<ComponentSpec> = {}): ComponentSpec {
  return { id, role, inputs, command: ['x'], position: { line: 1, column: 1 }, range: { line: 1, column: 1, endLine: 1, endColumn: 1 }, index: 0, loc: {}, ...extra } as ComponentSpec;
}

test('the data graph follows inputs among sources, processors and sinks; pipeline entries and unknown ids are left out', () => {
  const nodes = dataNodes([
    spec('a', 'source', ['x']),
    spec('p', 'processor', ['a', 'box', 'ghost']),
    spec('s', 'sink', ['p'], { input_event_types: ['t.v1'] }),
    spec('box', 'pipeline'),
  ]);
  assert.deepEqual(
    nodes.map((n) => [n.id, n.role, n.inputs]),
    [
      ['a', 'source', []],
      ['p', 'processor', ['a']],
      ['s', 'sink', ['p']],
    ],
  );
  assert.deepEqual(nodes[2].inputEventTypes, ['t.v1']);
  assert.deepEqual(sourceParams(spec('a', 'source', [], { env: { START_LEDGER: '5', OTHER: 'x' } })), { start_ledger: '5' });
});
