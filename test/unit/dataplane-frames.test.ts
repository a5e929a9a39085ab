// gRPC frame boundaries in the data plane: whatever way a stream is cut into DATA chunks, every
// frame comes out whole, in order, byte for byte; bad frames are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameSplitter, frameMessage, type FrameSink } from '../../src/core/dataplane/frames';

function collector(): FrameSink & { frames: Buffer[] } {
  const frames: Buffer[] = [];
  return { frames, frame: (buf, start, end) => frames.push(Buffer.from(buf.subarray(start, end))) };
}

const messages = [Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(300, 7), Buffer.from('hello'), Buffer.alloc(70_000, 3), Buffer.from('z')];
const framed = messages.map(frameMessage);
const stream = Buffer.concat(framed);

test('frameMessage: flag 0, big-endian length, then the message', () => {
  const f = frameMessage(Buffer.from('abc'));
  assert.deepEqual([...f], [0, 0, 0, 0, 3, 0x61, 0x62, 0x63]);
});

test('every frame comes out whole when the stream is cut at any single point', () => {
  for (let cut = 0; cut <= stream.length; cut += cut < 400 ? 1 : 997) {
    const s = new FrameSplitter(-1);
    const c = collector();
    assert.equal(s.feed(stream.subarray(0, cut), c), undefined);
    assert.equal(s.feed(stream.subarray(cut), c), undefined);
    assert.deepEqual(c.frames, framed, `cut at ${cut}`);
    assert.equal(s.partialBytes, 0);
  }
});

test('one-byte chunks, and small random chunks, give the same frames', () => {
  const s = new FrameSplitter(-1);
  const c = collector();
  for (let i = 0; i < 2000; i++) s.feed(stream.subarray(i, i + 1), c);
  let pos = 2000;
  let seed = 7;
  while (pos < stream.length) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (seed % 5000);
    s.feed(stream.subarray(pos, pos + n), c);
    pos += n;
  }
  assert.deepEqual(c.frames, framed);
  assert.equal(s.partialBytes, 0);
});

test('frames inside one chunk are handed over in place (no copy)', () => {
  const s = new FrameSplitter(-1);
  const seen: Array<[Buffer, number, number]> = [];
  s.feed(stream, { frame: (buf, start, end) => seen.push([buf, start, end]) });
  assert.equal(seen.length, framed.length);
  assert.ok(seen.every(([buf]) => buf === stream));
  assert.deepEqual(
    seen.map(([, a, b]) => b - a),
    framed.map((f) => f.length),
  );
});

test('an unfinished frame at the end is reported by partialBytes', () => {
  const s = new FrameSplitter(-1);
  const c = collector();
  s.feed(stream.subarray(0, framed[0].length + framed[1].length + 3), c);
  assert.equal(c.frames.length, 2);
  assert.equal(s.partialBytes, 3);
  s.feed(stream.subarray(framed[0].length + framed[1].length + 3, framed[0].length + framed[1].length + 10), c);
  assert.equal(s.partialBytes, 10);
});

test('a compressed frame and a frame over the size limit are refused', () => {
  const compressed = frameMessage(Buffer.from('x'));
  compressed[0] = 1;
  assert.match(new FrameSplitter(-1).feed(compressed, collector()) ?? '', /compressed message/);
  const big = frameMessage(Buffer.alloc(101));
  assert.match(new FrameSplitter(100).feed(big, collector()) ?? '', /larger than max \(101 vs\. 100\)/);
  // The same when the header itself arrives in pieces.
  const s = new FrameSplitter(100);
  assert.equal(s.feed(big.subarray(0, 2), collector()), undefined);
  assert.match(s.feed(big.subarray(2), collector()) ?? '', /larger than max/);
  assert.equal(new FrameSplitter(101).feed(big, collector()), undefined);
});
