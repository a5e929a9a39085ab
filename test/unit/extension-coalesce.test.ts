// The coalescer behind the Services view, status bar, CodeLens and context keys: trailing debounce
// (quiet period counted from the LAST trigger) with a max wait, one timer per burst.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coalesce } from '../../src/extension/coalesce';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the quiet period counts from the last trigger, not the first', async () => {
  const calls: number[] = [];
  const t0 = performance.now();
  const c = coalesce(() => calls.push(performance.now() - t0), 60, 10_000);
  c.trigger();
  await sleep(40);
  c.trigger(); // re-arms the quiet period
  await sleep(40);
  assert.equal(calls.length, 0, 'no call 80 ms after the first trigger: only 40 ms of quiet so far');
  assert.equal(c.pending, true);
  await sleep(200);
  assert.equal(calls.length, 1);
  assert.ok(calls[0] >= 95, `called after the quiet period following the second trigger (${calls[0].toFixed(0)} ms)`);
  assert.equal(c.pending, false);
  c.dispose();
});

test('flush delivers at once and only when something is pending; a later burst is delivered again', async () => {
  let calls = 0;
  const c = coalesce(() => calls++, 50, 100);
  c.flush();
  assert.equal(calls, 0, 'nothing pending, nothing delivered');
  c.trigger();
  c.flush();
  assert.equal(calls, 1);
  await sleep(120);
  assert.equal(calls, 1, 'the flushed change is not delivered twice');
  for (let i = 0; i < 1000; i++) c.trigger();
  await sleep(150);
  assert.equal(calls, 2, 'a thousand triggers: one more call');
  c.dispose();
});
