// Replicas as the hub sees them (instance ids, recognising a replica again, taking the place of one that
// is gone), how events are spread over them (round-robin per event, or by key), and reading an event's
// key off its wire bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InstanceTable, componentOfInstance, instanceId, MAX_INSTANCES } from '../../src/core/hub/instances';
import { Spreader } from '../../src/core/dataplane/spread';
import { eventKeyOf, keyHash } from '../../src/core/dataplane/eventKey';
import { protos } from '../../src/core/proto';

test('instance ids: the first replica is the component itself, the others get #n', () => {
  assert.equal(instanceId('enrich', 1), 'enrich');
  assert.equal(instanceId('enrich', 3), 'enrich#3');
  assert.equal(componentOfInstance('enrich#3'), 'enrich');
  assert.equal(componentOfInstance('enrich'), 'enrich');
  assert.equal(componentOfInstance('odd#name'), 'odd#name', 'only a numeric suffix is an instance suffix');
});

test('InstanceTable: new replicas get new slots; the same replica keeps its id; a gone one leaves its place', () => {
  const t = new InstanceTable();
  const live = new Set<string>();
  const isLive = (id: string) => live.has(id);
  const a = t.assign('enrich', 'name:1', isLive)!;
  live.add(a.serviceId);
  const b = t.assign('enrich', 'name:2', isLive)!;
  live.add(b.serviceId);
  const c = t.assign('enrich', 'name:3', isLive)!;
  live.add(c.serviceId);
  assert.deepEqual([a.serviceId, b.serviceId, c.serviceId], ['enrich', 'enrich#2', 'enrich#3']);
  assert.equal(t.assign('enrich', 'name:2', isLive)!.serviceId, 'enrich#2', 'registering again (restart, control plane forgot it)');
  // Replica 2 is replaced by a container with a new address and no name: it takes the free place.
  live.delete('enrich#2');
  const d = t.assign('enrich', 'addr:10.0.0.9:50051', isLive)!;
  assert.equal(d.serviceId, 'enrich#2');
  assert.equal(t.get('enrich#2')!.key, 'addr:10.0.0.9:50051');
  assert.deepEqual(t.of('enrich').map((i) => i.slot), [1, 2, 3]);
  // Scaled down for good: forgotten (never the primary).
  assert.equal(t.remove('enrich#3')!.slot, 3);
  assert.equal(t.remove('enrich'), undefined);
  assert.deepEqual(t.of('enrich').map((i) => i.serviceId), ['enrich', 'enrich#2']);
  assert.equal(t.assign('other', 'x', isLive)!.serviceId, 'other');
});

test('InstanceTable: at most MAX_INSTANCES live replicas per component', () => {
  const t = new InstanceTable();
  for (let i = 0; i < MAX_INSTANCES; i++) assert.ok(t.assign('p', `k${i}`, () => true));
  assert.equal(t.assign('p', 'one-more', () => true), undefined);
  assert.ok(t.assign('p', 'k5', () => true), 'a known replica still registers');
});

test('Spreader: round-robin per event over the ready replicas; by key the same replica every time', () => {
  const s = new Spreader();
  const all = () => true;
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(() => s.pick(3, all)), [0, 1, 2, 0, 1, 2]);
  const notOne = (i: number) => i !== 1;
  const picks = Array.from({ length: 6 }, () => s.pick(3, notOne));
  assert.ok(!picks.includes(1), 'a replica whose stream does not take events is skipped');
  assert.deepEqual(new Set(picks), new Set([0, 2]));
  const none = () => false;
  assert.deepEqual(new Set(Array.from({ length: 3 }, () => s.pick(3, none))), new Set([0, 1, 2]), 'none ready: still spread (held)');
  assert.equal(s.pick(1, all), 0);
  const k = s.pick(4, all, 'AAPL');
  for (let i = 0; i < 10; i++) assert.equal(s.pick(4, none, 'AAPL'), k, 'a key sticks to its replica even while it is down');
  assert.equal(k, keyHash('AAPL') % 4);
  const spread = new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((x) => s.pick(4, all, x)));
  assert.ok(spread.size >= 3, 'keys spread over the replicas');
});

test('eventKeyOf: Event fields and metadata entries, read off the wire bytes', () => {
  const serialize = protos().v1.SourceService.service.StreamEvents.responseSerialize as (e: unknown) => Buffer;
  const buf = serialize({
    id: 'ev-1',
    type: 'demo.trade.v1',
    payload: Buffer.from('{"symbol":"AAPL"}'),
    metadata: { symbol: 'AAPL', venue: 'X', empty: '' },
    source_component_id: 'ticker',
  });
  const prefix = Buffer.concat([Buffer.from([1, 2, 3]), buf]);
  assert.equal(eventKeyOf(prefix, 3, prefix.length, 'id'), 'ev-1');
  assert.equal(eventKeyOf(buf, 0, buf.length, 'type'), 'demo.trade.v1');
  assert.equal(eventKeyOf(buf, 0, buf.length, 'source_component_id'), 'ticker');
  assert.equal(eventKeyOf(buf, 0, buf.length, 'symbol'), 'AAPL');
  assert.equal(eventKeyOf(buf, 0, buf.length, 'venue'), 'X');
  assert.equal(eventKeyOf(buf, 0, buf.length, 'empty'), '');
  assert.equal(eventKeyOf(buf, 0, buf.length, 'missing'), undefined);
  assert.equal(eventKeyOf(buf, 0, buf.length - 3, 'venue') === 'X' || true, true, 'a truncated event does not throw');
  assert.equal(eventKeyOf(Buffer.from([0xff, 0xff, 0xff]), 0, 3, 'symbol'), undefined);
});
