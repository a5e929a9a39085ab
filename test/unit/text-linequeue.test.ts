// The bounded line queue shared by the extension's terminals and the CLI's log view, and the CLI's
// TerminalOutput on top of it with a real stream that stops taking data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { BoundedLineQueue, droppedLinesText } from '../../src/core/text/lineQueue';
import { TerminalOutput } from '../../src/cli/render/output';

function drain(q: BoundedLineQueue): string[] {
  const out: string[] = [];
  const dropped = q.takeDropped();
  if (dropped) out.push(`<${dropped}>`);
  for (let l = q.shift(); l !== undefined; l = q.shift()) out.push(l);
  return out;
}

test('drops the oldest beyond maxLines, counts them, keeps order', () => {
  const q = new BoundedLineQueue({ maxLines: 3 });
  for (let i = 0; i < 10; i++) q.push(`l${i}`);
  assert.equal(q.length, 3);
  assert.equal(q.totalDropped, 7);
  assert.deepEqual(drain(q), ['<7>', 'l7', 'l8', 'l9']);
  assert.equal(q.takeDropped(), 0);
  assert.equal(droppedLinesText(1), '… 1 line dropped …');
  assert.equal(droppedLinesText(7), '… 7 lines dropped …');
});

test('maxChars bounds the characters held', () => {
  const q = new BoundedLineQueue({ maxLines: 1000, maxChars: 100 });
  for (let i = 0; i < 50; i++) q.push('x'.repeat(30));
  assert.ok(q.queuedChars <= 100, `${q.queuedChars}`);
  assert.equal(q.length, 3);
  assert.equal(q.totalDropped, 47);
});

test('kept lines (notices) survive a flood, in order, before what is still queued', () => {
  const q = new BoundedLineQueue({ maxLines: 5 });
  q.push('n-start', true);
  for (let i = 0; i < 20; i++) q.push(`l${i}`);
  q.push('n-mid', true);
  for (let i = 20; i < 40; i++) q.push(`l${i}`);
  const out = drain(q);
  assert.deepEqual(out, ['<35>', 'n-start', 'n-mid', 'l35', 'l36', 'l37', 'l38', 'l39']);
});

/** A sink that takes nothing until opened, then everything. */
function stallingSink(): { stream: Writable; received: () => string; open: () => void } {
  let text = '';
  let open = false;
  const pending: Array<() => void> = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk, _enc, cb) {
      text += chunk.toString();
      if (open) cb();
      else pending.push(cb);
    },
  });
  return {
    stream,
    received: () => text,
    open: () => {
      open = true;
      for (const cb of pending.splice(0)) cb();
    },
  };
}

test('TerminalOutput: a stalled reader costs dropped lines (marked), never unbounded memory; notices are kept', async () => {
  const sink = stallingSink();
  const out = new TerminalOutput(sink.stream, { maxLines: 100, maxChars: 10_000 });
  out.line('first');
  for (let i = 0; i < 100_000; i++) out.line(`line ${i} ${'y'.repeat(50)}`);
  out.line('a notice', true);
  for (let i = 100_000; i < 100_010; i++) out.line(`line ${i}`);
  assert.ok(out.isBehind);
  assert.ok(sink.stream.writableLength < 20_000, `stream buffer bounded: ${sink.stream.writableLength}`);
  assert.ok(out.droppedLines > 99_000, `dropped ${out.droppedLines}`);
  sink.open();
  assert.equal(await out.flush(5000), true);
  const lines = sink.received().split('\n');
  const gap = lines.findIndex((l) => /^… \d+ lines dropped …$/.test(l));
  assert.ok(gap > 0, 'the gap is marked');
  assert.equal(Number(/… (\d+)/.exec(lines[gap])![1]), out.droppedLines);
  assert.ok(lines.includes('a notice'), 'the notice was kept');
  assert.equal(lines.at(-2), 'line 100009', 'the newest lines arrive');
  assert.equal(lines[0], 'first');
});

test('TerminalOutput: a closed stdout (EPIPE) ends the output quietly', async () => {
  const stream = new Writable({
    write(_c, _e, cb) {
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  const out = new TerminalOutput(stream);
  out.line('one');
  await new Promise((r) => setImmediate(r));
  out.line('two');
  assert.equal(await out.flush(100), false);
});
