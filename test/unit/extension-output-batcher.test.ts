// OutputBatcher under load: the ring queue keeps order, counts every dropped line exactly, marks
// every gap with a `… N lines dropped …` notice, stays bounded, and pushes in O(1) (a flood of a
// million lines into a full queue is cheap; the old splice-per-line queue took ~16 µs a line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputBatcher, droppedNotice } from '../../src/extension/outputBatcher';

const NOTICE = /\x1b\[2;33m… (\d+) lines? dropped …\x1b\[0m\r\n/g;

/** Splits written text into lines and notices, in order. */
function parse(text: string): { lines: string[]; notices: number[]; sequence: (string | number)[] } {
  const sequence: (string | number)[] = [];
  let last = 0;
  for (const m of text.matchAll(NOTICE)) {
    for (const l of text.slice(last, m.index).split('\r\n').filter(Boolean)) sequence.push(l);
    sequence.push(Number(m[1]));
    last = m.index! + m[0].length;
  }
  for (const l of text.slice(last).split('\r\n').filter(Boolean)) sequence.push(l);
  return {
    lines: sequence.filter((x): x is string => typeof x === 'string'),
    notices: sequence.filter((x): x is number => typeof x === 'number'),
    sequence,
  };
}

test('notice text: singular and plural', () => {
  assert.match(droppedNotice(1), /… 1 line dropped …/);
  assert.match(droppedNotice(2), /… 2 lines dropped …/);
});

test('below the bound nothing is dropped and order is kept (queue grows past its initial size)', () => {
  const writes: string[] = [];
  const b = new OutputBatcher((t) => writes.push(t), { intervalMs: 1000, maxQueuedLines: 1000, paused: true });
  for (let i = 0; i < 1000; i++) b.push(`n${i}`);
  assert.equal(b.queued, 1000);
  b.resume();
  b.drain();
  const { lines, notices } = parse(writes.join(''));
  assert.deepEqual(lines, Array.from({ length: 1000 }, (_, i) => `n${i}`));
  assert.deepEqual(notices, []);
  assert.equal(b.totalDropped, 0);
  assert.equal(b.totalWritten, 1000);
  b.dispose();
});

test('interleaved floods and flushes: every line is written or counted as dropped, gaps are marked where they are', () => {
  const writes: string[] = [];
  const max = 50;
  const b = new OutputBatcher((t) => writes.push(t), { intervalMs: 1000, maxQueuedLines: max, maxBytesPerFlush: 200 });
  let produced = 0;
  // Bursts of varying size between single flushes (each flush writes at most 200 chars).
  for (let round = 0; round < 200; round++) {
    const burst = (round * 37) % 130;
    for (let i = 0; i < burst; i++) b.push(`L${produced++}`);
    assert.ok(b.queued <= max, `queue bounded: ${b.queued}`);
    b.flush();
  }
  b.drain();
  const { lines, notices, sequence } = parse(writes.join(''));
  const dropped = notices.reduce((a, n) => a + n, 0);
  assert.equal(lines.length + dropped, produced, 'written + dropped = produced');
  assert.equal(dropped, b.totalDropped, 'the notices add up to the drop count');
  assert.equal(lines.length, b.totalWritten);
  assert.equal(notices.length, b.dropNotices);
  assert.ok(dropped > 0 && notices.length > 1, `the flood dropped lines (${dropped} in ${notices.length} notices)`);
  // Each notice sits exactly on the gap: the numbers after it continue N lines later.
  let expected = 0;
  for (const item of sequence) {
    if (typeof item === 'number') expected += item;
    else {
      assert.equal(item, `L${expected}`, 'order kept, gaps exactly as announced');
      expected++;
    }
  }
  assert.equal(expected, produced);
  b.dispose();
});

test('a million-line flood into a full queue: bounded, exact counts, one notice, O(1) per line', () => {
  const writes: string[] = [];
  const b = new OutputBatcher((t) => writes.push(t), { intervalMs: 1000, maxQueuedLines: 5000, paused: true });
  const t0 = performance.now();
  for (let i = 0; i < 1_000_000; i++) b.push(`flood line ${i}`);
  const ms = performance.now() - t0;
  // Generous bound (about 0.2 µs a line here; the splice-based queue needed ~16 s for this).
  assert.ok(ms < 3000, `1,000,000 pushes took ${ms.toFixed(0)} ms`);
  assert.equal(b.queued, 5000, 'only the newest 5,000 lines are kept');
  assert.equal(b.totalDropped, 995_000);
  assert.equal(b.pendingDropped, 995_000);
  b.resume();
  b.drain();
  const { lines, notices } = parse(writes.join(''));
  assert.deepEqual(notices, [995_000]);
  assert.equal(lines[0], 'flood line 995000');
  assert.equal(lines.at(-1), 'flood line 999999');
  assert.equal(lines.length, 5000);
  assert.ok(writes.every((w) => w.length <= 64 * 1024), 'each write within maxBytesPerFlush');
  b.dispose();
});

test('lines with inner newlines become \\r\\n lines only when written; a paused batcher writes nothing', () => {
  const writes: string[] = [];
  const b = new OutputBatcher((t) => writes.push(t), { intervalMs: 1000, paused: true });
  b.push('a\nb');
  b.push('c\r\nd');
  b.flush();
  assert.deepEqual(writes, []);
  b.resume();
  b.pause();
  assert.equal(b.isPaused, true);
  b.flush();
  assert.deepEqual(writes, []);
  b.resume();
  b.flush();
  assert.deepEqual(writes, ['a\r\nb\r\nc\r\nd\r\n']);
  b.dispose();
  b.push('after dispose');
  assert.equal(b.queued, 0, 'a disposed batcher takes nothing');
});

test('the timer writes queued lines by itself (every intervalMs) and stops when the queue is empty', async () => {
  const writes: string[] = [];
  const b = new OutputBatcher((t) => writes.push(t), { intervalMs: 5, maxBytesPerFlush: 10 });
  for (let i = 0; i < 6; i++) b.push(`x${i}`); // 4 chars each: two lines per flush
  const deadline = Date.now() + 5000;
  while (b.queued > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(b.queued, 0);
  assert.equal(writes.join(''), 'x0\r\nx1\r\nx2\r\nx3\r\nx4\r\nx5\r\n');
  assert.ok(writes.length >= 3, `capped writes: ${writes.length}`);
  b.dispose();
});
