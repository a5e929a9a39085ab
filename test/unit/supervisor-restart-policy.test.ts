import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkedRestartPolicy, LineRing, RestartBackoff, within } from '../../src/core/supervisor/restartPolicy';

test('checkedRestartPolicy: "no" when left out, the name when known, an error naming the choices otherwise', () => {
  assert.equal(checkedRestartPolicy('a', undefined), 'no');
  assert.equal(checkedRestartPolicy('a', 'on-failure'), 'on-failure');
  assert.throws(() => checkedRestartPolicy('a', 'sometimes'), /component a: unknown restart policy "sometimes" \(use no, on-failure, always, unless-stopped\)/);
});

test('RestartBackoff: which exits each policy restarts', () => {
  const decide = (policy: 'no' | 'on-failure' | 'always' | 'unless-stopped', code: number | null, signal: string | null) =>
    new RestartBackoff('a', policy, undefined).onExit(code, signal, 0) !== undefined;
  assert.deepEqual([decide('no', 1, null), decide('no', null, 'SIGKILL')], [false, false]);
  assert.deepEqual([decide('on-failure', 0, null), decide('on-failure', 2, null), decide('on-failure', null, 'SIGSEGV')], [false, true, true]);
  assert.deepEqual([decide('always', 0, null), decide('unless-stopped', 0, null)], [true, true]);
});

test('RestartBackoff: waits grow by the factor up to the cap, start again after a long enough run and on begin()', () => {
  const b = new RestartBackoff('a', 'always', { initialMs: 100, factor: 3, maxMs: 1_000, resetAfterMs: 5_000 });
  const waits = [0, 0, 0, 0].map(() => b.onExit(1, null, 10));
  assert.deepEqual(waits, [100, 300, 900, 1_000]);
  // A run of 5 s was healthy: the next failure waits the initial time again.
  assert.equal(b.onExit(1, null, 5_000), 100);
  assert.equal(b.onExit(1, null, 10), 300);
  b.begin();
  assert.equal(b.onExit(1, null, 10), 100);
});

test('RestartBackoff: maxRestarts caps automatic restarts in a row until begin()', () => {
  const b = new RestartBackoff('a', 'on-failure', { initialMs: 0 }, 2);
  assert.equal(b.onExit(1, null, 0), 0);
  b.restarted();
  assert.equal(b.onExit(1, null, 0), 0);
  b.restarted();
  assert.equal(b.onExit(1, null, 0), undefined, 'the third restart in a row is over the cap');
  b.begin();
  assert.equal(b.onExit(1, null, 0), 0);
});

test('RestartBackoff: defaults, and nonsense backoff refused', () => {
  assert.deepEqual(new RestartBackoff('a', 'no', undefined).backoff, { initialMs: 500, maxMs: 30_000, factor: 2, resetAfterMs: 10_000 });
  assert.throws(() => new RestartBackoff('x', 'always', { factor: 0.5 }), /component x: backoff needs/);
  assert.throws(() => new RestartBackoff('x', 'always', { initialMs: -1 }), /backoff needs/);
  assert.throws(() => new RestartBackoff('x', 'always', { maxMs: Number.NaN }), /backoff needs/);
});

test('LineRing: keeps the last lines in order, tail(n) the newest n', () => {
  const r = new LineRing(3);
  assert.deepEqual(r.tail(), []);
  for (const l of ['a', 'b']) r.push(l);
  assert.deepEqual(r.tail(), ['a', 'b']);
  for (const l of ['c', 'd', 'e']) r.push(l);
  assert.deepEqual(r.tail(), ['c', 'd', 'e']);
  assert.deepEqual(r.tail(2), ['d', 'e']);
  assert.deepEqual(r.tail(0), []);
  assert.deepEqual(r.tail(10), ['c', 'd', 'e']);
  assert.equal(new LineRing(0).capacity, 1);
});

test('within: true when the promise settles first (its timer is gone then), false when the time runs out', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  assert.equal(await within(Promise.resolve('done'), 60_000), true);
  // The 60 s timer must not outlive the answer: it would keep a CLI up after its work (a stop's grace period).
  assert.equal(timers(), before);
  assert.equal(await within(new Promise(() => {}), 20), false);
  assert.equal(timers(), before);
  await assert.rejects(within(Promise.reject(new Error('boom')), 60_000), /boom/);
  assert.equal(timers(), before);
});
