// The data plane's pass-through codec: what it reads off a serialized flowctl.v1.Event must agree
// with the real decoder, and the raw clients must leave events byte-for-byte as they came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { protos } from '../../src/core/proto';
import { rawClientConstructor, scanEvent } from '../../src/core/dataplane/rawCodec';

const consume = () => protos().v1.ConsumerService.service.Consume;
const encode = (ev: object): Buffer => consume().requestSerialize(ev);

const full = {
  id: 'evt-1',
  type: 'demo.trade.v1',
  payload: Buffer.from('{"symbol":"ACME"}'),
  metadata: { a: '1', relayed_by: 'enrich' },
  timestamp: { seconds: 1_700_000_000, nanos: 123 },
  source_component_id: 'ticker',
  content_type: 'application/json',
  stellar_cursor: { ledger_sequence: 2 ** 40, index_in_ledger: 7 },
};

test('reads type and payload size of a full event, fields before and after them included', () => {
  assert.deepEqual(scanEvent(encode(full)), { type: 'demo.trade.v1', payloadBytes: 17 });
});

test('payload sizes that need multi-byte varints, an empty payload, and a non-ASCII type', () => {
  for (const n of [0, 1, 127, 128, 16_383, 16_384, 300_000]) {
    const buf = encode({ ...full, type: 'démo.ü.v1', payload: Buffer.alloc(n, 1) });
    assert.deepEqual(scanEvent(buf), { type: 'démo.ü.v1', payloadBytes: n }, `payload of ${n} bytes`);
  }
});

test('without wantType the type is not decoded; a scan never reads past a truncated buffer', () => {
  const buf = encode(full);
  assert.deepEqual(scanEvent(buf, false), { type: '', payloadBytes: 17 });
  for (let cut = 0; cut < buf.length; cut++) {
    const r = scanEvent(buf.subarray(0, cut));
    assert.ok(r.payloadBytes === 0 || r.payloadBytes === 17, `cut at ${cut}`);
    assert.ok(r.type === '' || r.type === 'demo.trade.v1', `cut at ${cut}`);
  }
});

test('the raw clients pass events as bytes and keep the normal codec for everything else', () => {
  const source = rawClientConstructor('source').service;
  const processor = rawClientConstructor('processor').service;
  const sink = rawClientConstructor('sink').service;
  const bytes = encode(full);
  assert.equal(source.StreamEvents.responseDeserialize(bytes), bytes);
  assert.equal(processor.Process.requestSerialize(bytes), bytes);
  assert.equal(processor.Process.responseDeserialize(bytes), bytes);
  assert.equal(sink.Consume.requestSerialize(bytes), bytes);
  // What a sink receives decodes to the event that was sent.
  const decoded = consume().requestDeserialize(sink.Consume.requestSerialize(bytes));
  assert.equal(decoded.id, 'evt-1');
  assert.deepEqual(decoded.metadata, full.metadata);
  // Requests and answers that are not events still use the proto codec.
  const req = source.StreamEvents.requestSerialize({ params: { start_ledger: '5' }, resume: false, resume_token: '' });
  assert.ok(Buffer.isBuffer(req) && req.length > 0);
  assert.deepEqual(protos().v1.SourceService.service.StreamEvents.requestDeserialize(req).params, { start_ledger: '5' });
  assert.equal(rawClientConstructor('sink'), rawClientConstructor('sink'), 'constructors are cached');
});
