// The batch in which a run tells the extension's views which components changed: a burst of changes
// (a thousand heartbeats) is ONE delivery of the distinct ids, not one per change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentBatch } from '../../src/extension/componentBatch';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a burst of component changes is delivered once, with each changed id once', async () => {
  const deliveries: string[][] = [];
  const batch = new ComponentBatch((ids) => deliveries.push([...ids]), 20);
  for (let round = 0; round < 3; round++) for (let i = 0; i < 1000; i++) batch.add(`svc-${i}`);
  assert.equal(deliveries.length, 0, 'nothing is delivered while the batch is open');
  assert.equal(batch.size, 1000);
  await sleep(300);
  assert.equal(deliveries.length, 1, '3,000 changes of 1,000 components: one delivery');
  assert.equal(deliveries[0].length, 1000);
  assert.equal(new Set(deliveries[0]).size, 1000, 'each id once');
  assert.equal(batch.size, 0);
  batch.add('svc-1');
  await sleep(300);
  assert.deepEqual(deliveries.at(-1), ['svc-1'], 'a later change is a new delivery');
  assert.equal(batch.deliveries, 2);
  batch.dispose();
});

test('flush delivers what is pending at once, clear drops it, dispose stops deliveries', async () => {
  const deliveries: string[][] = [];
  const batch = new ComponentBatch((ids) => deliveries.push([...ids]), 20);
  batch.flush();
  assert.equal(deliveries.length, 0, 'nothing pending, nothing delivered');
  batch.add('a');
  batch.add('b');
  batch.flush();
  assert.deepEqual(deliveries, [['a', 'b']]);
  await sleep(100);
  assert.equal(deliveries.length, 1, 'a flushed batch is not delivered again by its timer');
  batch.add('c');
  batch.clear();
  await sleep(100);
  assert.equal(deliveries.length, 1, 'a cleared change is not delivered (a whole-run change covered it)');
  batch.add('d');
  batch.dispose();
  batch.add('e');
  await sleep(100);
  assert.equal(deliveries.length, 1, 'nothing after dispose');
});
