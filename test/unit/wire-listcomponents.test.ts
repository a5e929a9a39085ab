// The hand-written ListComponentsResponse decoder (src/core/wire/listComponents.ts) against
// proto-loader's own deserializer (what the plain grpc-js client uses): for many generated responses
// — written both by proto-loader's serializer and by a byte-level writer here that adds what a
// serializer never writes (unknown fields of every wire type, groups, repeated singular fields,
// duplicate map keys, non-canonical varints, invalid UTF-8, negative enums as 10-byte varints) —
// the two give deep-equal objects with the same JSON. Malformed bytes throw WireDecodeError.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as grpc from '@grpc/grpc-js';
import { packageDefinition } from '../../src/core/proto';
import { decodeListComponentsResponse, WireDecodeError } from '../../src/core/wire/listComponents';
import { checkListComponentsShape, fastV1ServiceDefinition } from '../../src/core/wire/fastClient';

const plain = (packageDefinition()['flowctl.v1.ControlPlaneService'] as grpc.ServiceDefinition).ListComponents!;
const loaderDecode = (b: Buffer) => plain.responseDeserialize(b) as unknown;
const loaderEncode = (v: unknown) => plain.responseSerialize(v);

// ---- a seeded PRNG so a failure can be replayed ----
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    /** Set per generated case: a "big" case may hold very long strings and maps with many entries. */
    big: false,
    next,
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}
type Rng = ReturnType<typeof rng>;

const PIECES = ['a', 'Z', '0', '-', '.', ' ', 'é', 'ß', '中', '文', '🚀', '\u0000', '\u007f', '\u0080', '\u07ff', '\u0800', '\uffff', '𝄞', 'ñ'];

function randomString(r: Rng): string {
  const k = r.int(100);
  if (k < 10) return '';
  // Some need 2-byte length varints, a few (in "big" cases) 3-byte ones.
  let len = k < 65 ? r.int(12) + 1 : k < 97 || !r.big ? r.int(200) + 20 : r.int(20_000) + 16_384;
  let s = '';
  const ascii = r.chance(0.5);
  while (len-- > 0) s += ascii ? String.fromCharCode(32 + r.int(95)) : r.pick(PIECES);
  return s;
}

function randomMap(r: Rng): Record<string, string> {
  const m: Record<string, string> = {};
  const n = r.big && r.chance(0.2) ? 50 + r.int(300) : r.int(5);
  for (let i = 0; i < n; i++) m[r.chance(0.2) ? String(r.int(100)) : randomString(r)] = randomString(r);
  return m;
}

const ENUMS = [0, 1, 2, 3, 4, 5, 6, 7, 99, 1000, 2 ** 31 - 1, -1, -7, -(2 ** 31)];

/** A response object as a server would pass to proto-loader's serializer. */
function randomObject(r: Rng): unknown {
  const n = r.chance(0.1) ? 0 : r.int(30) + 1;
  const components = [];
  for (let i = 0; i < n; i++) {
    const c: Record<string, unknown> = {};
    if (!r.chance(0.1)) {
      const info: Record<string, unknown> = {};
      for (const f of ['id', 'name', 'description', 'version', 'endpoint']) if (r.chance(0.8)) info[f] = randomString(r);
      if (r.chance(0.8)) info.type = r.pick(ENUMS);
      if (r.chance(0.7)) info.input_event_types = Array.from({ length: r.int(4) }, () => randomString(r));
      if (r.chance(0.7)) info.output_event_types = Array.from({ length: r.int(4) }, () => randomString(r));
      if (r.chance(0.7)) info.metadata = randomMap(r);
      c.component = info;
    }
    if (r.chance(0.8)) c.status = r.pick(ENUMS);
    if (r.chance(0.7)) c.metrics = randomMap(r);
    for (const f of ['last_heartbeat', 'registered_at']) {
      if (r.chance(0.7)) c[f] = { seconds: r.pick([0, 1, 1_700_000_000, -1, -62135596800, 253402300799, 2 ** 40 + r.int(1000)]), nanos: r.pick([0, 1, 999_999_999, -1, r.int(1e9)]) };
    }
    components.push(c);
  }
  return { components };
}

// ---- a byte-level writer: what proto-loader's serializer never produces ----
class Writer {
  private parts: Uint8Array[] = [];
  /** A varint (negatives as 64-bit two's complement); `pad` extra continuation bytes (non-canonical but valid). */
  varint(v: bigint | number, pad = 0): this {
    let x = BigInt.asUintN(64, BigInt(v));
    const bytes: number[] = [];
    do {
      bytes.push(Number(x & 0x7fn));
      x >>= 7n;
    } while (x > 0n);
    // Padded only up to 5 bytes: protobufjs reads a longer uint32 varint as a 10-byte one.
    for (let i = 0; i < pad && bytes.length < 5; i++) bytes.push(0);
    for (let i = 0; i < bytes.length - 1; i++) bytes[i] = bytes[i]! | 0x80;
    this.parts.push(Uint8Array.from(bytes));
    return this;
  }
  tag(field: number, wire: number, pad = 0): this {
    return this.varint(field * 8 + wire, pad);
  }
  bytes(b: Uint8Array | number[], pad = 0): this {
    this.varint(b.length, pad);
    this.parts.push(Uint8Array.from(b));
    return this;
  }
  string(field: number, s: string | Uint8Array, pad = 0): this {
    return this.tag(field, 2).bytes(typeof s === 'string' ? Buffer.from(s, 'utf8') : s, pad);
  }
  message(field: number, fill: (w: Writer) => void, pad = 0): this {
    const w = new Writer();
    fill(w);
    return this.tag(field, 2).bytes(w.done(), pad);
  }
  raw(b: number[]): this {
    this.parts.push(Uint8Array.from(b));
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Unknown fields: numbers the message does not use, every wire type, nested groups. */
function unknownField(r: Rng, w: Writer, used: number, depth = 0): void {
  const field = r.pick([used + 1, used + 2, 15, 16, 100, 2047, 2048, 536_870_911]);
  const wire = r.pick([0, 1, 2, 3, 5]);
  w.tag(field, wire);
  if (wire === 0) w.varint(r.pick([0n, 1n, 300n, 2n ** 63n, 2n ** 64n - 1n]));
  else if (wire === 1) w.raw([1, 2, 3, 4, 5, 6, 7, 8]);
  else if (wire === 2) w.bytes(Array.from({ length: r.pick([0, 3, 200]) }, () => r.int(256)));
  else if (wire === 5) w.raw([9, 8, 7, 6]);
  else {
    const n = depth < 3 ? r.int(3) : 0;
    for (let i = 0; i < n; i++) unknownField(r, w, used, depth + 1);
    w.tag(field, 4);
  }
}

function maybeUnknown(r: Rng, w: Writer, used: number): void {
  while (r.chance(0.15)) unknownField(r, w, used);
}

function pad(r: Rng): number {
  return r.chance(0.1) ? 1 + r.int(3) : 0;
}

function randomUtf8(r: Rng): string | Uint8Array {
  if (r.chance(0.05)) return Uint8Array.from([0x61, r.pick([0x80, 0xc3, 0xe4, 0xf0, 0xff]), 0x62, r.pick([0xbf, 0xc0, 0xed])]); // invalid UTF-8
  return randomString(r);
}

function writeTimestamp(r: Rng, w: Writer, field: number): void {
  w.message(
    field,
    (t) => {
      maybeUnknown(r, t, 2);
      if (r.chance(0.8)) t.tag(1, 0, pad(r)).varint(r.pick([0n, 1n, 1_700_000_000n, -1n, -62135596800n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 62n + 12345n]));
      maybeUnknown(r, t, 2);
      if (r.chance(0.8)) t.tag(2, 0).varint(r.pick([0, 1, 999_999_999, -1, -(2 ** 31), 2 ** 31 - 1]));
      if (r.chance(0.05)) t.tag(1, 0).varint(r.int(1000)); // repeated singular field: the last one wins
    },
    pad(r),
  );
}

function writeMapEntries(r: Rng, w: Writer, field: number): void {
  const n = r.big && r.chance(0.2) ? 100 + r.int(200) : r.int(5);
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.chance(0.1) && keys.length ? r.pick(keys) : r.chance(0.03) ? '__proto__' : r.chance(0.1) ? String(r.int(50)) : randomString(r);
    keys.push(key);
    w.message(field, (e) => {
      maybeUnknown(r, e, 2);
      const order = r.chance(0.2) ? ['v', 'k'] : ['k', 'v'];
      for (const which of order) {
        if (which === 'k' && r.chance(0.95)) e.string(1, key);
        if (which === 'v' && r.chance(0.9)) e.string(2, randomUtf8(r));
      }
      maybeUnknown(r, e, 2);
    });
  }
}

function writeEnum(r: Rng, w: Writer, field: number): void {
  w.tag(field, 0).varint(r.pick(ENUMS), r.chance(0.1) ? 1 : 0); // negatives: 10-byte two's complement
}

function writeInfo(r: Rng, w: Writer): void {
  w.message(
    1,
    (m) => {
      const fields = [1, 2, 3, 4, 5, 6, 7, 8, 9];
      if (r.chance(0.3)) fields.sort(() => r.next() - 0.5); // any field order
      for (const f of fields) {
        maybeUnknown(r, m, 9);
        if (!r.chance(0.8)) continue;
        if (f === 5) writeEnum(r, m, 5);
        else if (f === 6 || f === 7) for (let i = r.int(4); i > 0; i--) m.string(f, randomUtf8(r), pad(r));
        else if (f === 9) writeMapEntries(r, m, 9);
        else m.string(f, randomUtf8(r), pad(r));
        if (r.chance(0.05) && f !== 9 && f !== 6 && f !== 7) m.string(f === 5 ? 1 : f, randomUtf8(r)); // again: the last one wins
      }
    },
    pad(r),
  );
}

function randomBytes(r: Rng): Buffer {
  const w = new Writer();
  const n = r.chance(0.05) ? 0 : r.int(20) + 1;
  for (let i = 0; i < n; i++) {
    maybeUnknown(r, w, 1);
    w.message(1, (s) => {
      const fields = [1, 2, 3, 4, 5];
      if (r.chance(0.3)) fields.sort(() => r.next() - 0.5);
      for (const f of fields) {
        maybeUnknown(r, s, 5);
        if (!r.chance(0.8)) continue;
        if (f === 1) {
          writeInfo(r, s);
          if (r.chance(0.05)) writeInfo(r, s); // a second component: proto-loader keeps the last
        } else if (f === 2) writeEnum(r, s, 2);
        else if (f === 4) writeMapEntries(r, s, 4);
        else writeTimestamp(r, s, f);
      }
    });
  }
  maybeUnknown(r, w, 1);
  return w.done();
}

function assertSame(bytes: Buffer, what: string): void {
  const expected = loaderDecode(bytes);
  const actual = decodeListComponentsResponse(bytes);
  assert.deepStrictEqual(actual, expected, what);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected), `${what}: same JSON (key order too)`);
}

describe('decodeListComponentsResponse ≡ proto-loader', () => {
  test('the loaded protos have the field numbers and types the decoder reads', () => {
    assert.doesNotThrow(() => checkListComponentsShape());
    const def = packageDefinition();
    const info = def['flowctl.v1.ComponentInfo'] as any;
    const changed = { ...def, 'flowctl.v1.ComponentInfo': { ...info, type: { ...info.type, field: info.type.field.map((f: any) => (f.name === 'endpoint' ? { ...f, number: 10 } : f)) } } };
    assert.throws(() => checkListComponentsShape(changed), /ComponentInfo\.endpoint is not LABEL_OPTIONAL TYPE_STRING = 8/);
  });

  test('an empty body and a hand-picked response', () => {
    assertSame(Buffer.alloc(0), 'empty');
    const obj = {
      components: [
        {
          component: { id: 'src-1', name: 'Source', type: 1, input_event_types: [], output_event_types: ['a.b'], endpoint: '127.0.0.1:1', metadata: { k: 'v' } },
          status: 2,
          last_heartbeat: { seconds: 1_700_000_000, nanos: 5 },
          metrics: { events: '12' },
          registered_at: null,
        },
        {},
      ],
    };
    const bytes = loaderEncode(obj);
    assertSame(bytes, 'hand-picked');
    const out = decodeListComponentsResponse(bytes);
    assert.equal(out.components.length, 2);
    assert.equal(out.components[0]!.component!.id, 'src-1');
    assert.deepEqual(out.components[1], { metrics: {}, component: null, status: 0, last_heartbeat: null, registered_at: null });
  });

  test('400 responses written by proto-loader’s serializer', () => {
    const r = rng(1);
    for (let i = 0; i < 400; i++) {
      r.big = i % 20 === 0;
      assertSame(loaderEncode(randomObject(r)), `serializer case ${i}`);
    }
  });

  test('1500 hand-written responses: unknown fields, groups, repeats, padding, invalid UTF-8, negative enums', () => {
    const r = rng(2);
    for (let i = 0; i < 1500; i++) {
      r.big = i % 50 === 0;
      assertSame(randomBytes(r), `writer case ${i}`);
    }
  });

  test('edge values decode to what proto-loader gives, and to the expected numbers', () => {
    const bytes = new Writer()
      .message(1, (s) => {
        s.message(1, (c) => {
          c.string(1, 'é中🚀');
          c.tag(5, 0).varint(-3);
          c.message(9, (e) => e.string(1, '__proto__').string(2, 'x'));
          c.message(9, (e) => e.string(1, 'dup').string(2, 'first'));
          c.message(9, (e) => e.string(1, 'dup').string(2, 'second'));
        });
        s.tag(2, 0).varint(2 ** 31 - 1);
        s.message(3, (t) => t.tag(1, 0).varint(-1n).tag(2, 0).varint(-5));
        s.message(5, (t) => t.tag(1, 0).varint(2n ** 53n + 1n));
      })
      .done();
    assertSame(bytes, 'edge values');
    const c = decodeListComponentsResponse(bytes).components[0]!;
    assert.equal(c.component!.id, 'é中🚀');
    assert.equal(c.component!.type, -3);
    assert.equal(Object.getPrototypeOf(c.component!.metadata), Object.prototype, 'a "__proto__" key does not replace the prototype');
    assert.deepEqual(Object.keys(c.component!.metadata), ['__proto__', 'dup']);
    assert.equal(c.component!.metadata.dup, 'second');
    assert.equal(c.status, 2 ** 31 - 1);
    assert.deepEqual(c.last_heartbeat, { seconds: -1, nanos: -5 });
    assert.deepEqual(c.registered_at, { seconds: 2 ** 53, nanos: 0 });
  });

  test('10,000 components like a big registry', () => {
    const components = Array.from({ length: 10_000 }, (_, i) => ({
      component: { id: `c-${i}`, name: `Component ${i}`, type: 1 + (i % 3), output_event_types: ['stellar.ledger'], endpoint: `127.0.0.1:${20000 + i}`, metadata: { index: String(i) } },
      status: 2,
      metrics: { events_processed: String(i * 7) },
      last_heartbeat: { seconds: 1_700_000_000 + i, nanos: i },
      registered_at: { seconds: 1_700_000_000, nanos: 0 },
    }));
    assertSame(loaderEncode({ components }), '10k');
  });
});

describe('decodeListComponentsResponse on malformed bytes', () => {
  function throwsWire(bytes: Buffer | number[], pattern: RegExp, what = pattern.source): void {
    assert.throws(
      () => decodeListComponentsResponse(Buffer.from(bytes)),
      (err: unknown) => err instanceof WireDecodeError && /^flowctl: malformed ListComponentsResponse at byte \d+: /.test(err.message) && pattern.test(err.message),
      what,
    );
  }

  test('crafted cases throw a clear WireDecodeError', () => {
    throwsWire([0x0a], /truncated varint/);
    throwsWire([0x0a, 0x05, 0x0a, 0x01], /length 5 runs past the end of its message \(2 bytes left\)/);
    throwsWire([0x0a, 0x03, 0x0a, 0x05, 0x61], /length 5 runs past the end/); // a string longer than its message
    throwsWire([0x0a, 0x80], /truncated varint/);
    throwsWire([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /varint longer than 10 bytes/);
    throwsWire([0x00, 0x01], /field number 0/);
    throwsWire([0x0e, 0x00], /invalid wire type 6/);
    throwsWire([0x0f, 0x00], /invalid wire type 7/);
    throwsWire([0x0c], /end-group 1 outside a group/);
    throwsWire([0x1b, 0x08, 0x01], /group 3 is not closed/);
    throwsWire([0x1b, 0x24], /group 3 closed by end-group 4/);
    throwsWire([0x19, 1, 2, 3], /truncated fixed64/);
    throwsWire([0x1d, 1, 2], /truncated fixed32/);
    throwsWire([...Array.from({ length: 101 }, () => 0x1b)], /groups nested too deep/);
    throwsWire([0x0a, 0x02, 0x1a, 0x05], /length 5 runs past/); // a Timestamp longer than its parent
    throwsWire([0x0a, 0xff, 0xff, 0xff, 0xff, 0x1f], /≥ 2\^32|runs past/);
  });

  test('every cut of a valid response either ends on a component boundary (a shorter list) or throws', () => {
    const r = rng(3);
    for (let k = 0; k < 20; k++) {
      const obj = randomObject(r) as { components: unknown[] };
      obj.components = obj.components.slice(0, 6); // every cut decodes its prefix: keep it quadratic-cheap
      const bytes = loaderEncode(obj);
      const full = decodeListComponentsResponse(bytes).components;
      // Element boundaries from the framing: tag 0x0a, length varint, body.
      const boundaries = new Map<number, number>([[0, 0]]);
      for (let p = 0, i = 0; p < bytes.length; i++) {
        assert.equal(bytes[p], 0x0a);
        let len = 0;
        let shift = 0;
        let b: number;
        p++;
        do {
          b = bytes[p++]!;
          len += (b & 0x7f) * 2 ** shift;
          shift += 7;
        } while (b & 0x80);
        p += len;
        boundaries.set(p, i + 1);
      }
      for (let cut = 0; cut < bytes.length; cut++) {
        const part = bytes.subarray(0, cut);
        const n = boundaries.get(cut);
        if (n !== undefined) assert.deepStrictEqual(decodeListComponentsResponse(part).components, full.slice(0, n));
        else assert.throws(() => decodeListComponentsResponse(part), WireDecodeError, `cut at ${cut} of ${bytes.length}`);
      }
    }
  });

  test('random garbage and random byte flips: a result or a WireDecodeError, never another error, never a hang', () => {
    const r = rng(4);
    const t0 = Date.now();
    let threw = 0;
    let decoded = 0;
    const check = (b: Buffer) => {
      try {
        const out = decodeListComponentsResponse(b);
        assert.ok(Array.isArray(out.components));
        decoded++;
      } catch (err) {
        assert.ok(err instanceof WireDecodeError, `unexpected ${(err as Error).stack}`);
        threw++;
      }
    };
    for (let i = 0; i < 3000; i++) check(Buffer.from(Array.from({ length: r.int(64) + 1 }, () => r.int(256))));
    for (let i = 0; i < 1000; i++) {
      const b = Buffer.from(randomBytes(r));
      if (b.length === 0) continue;
      for (let k = 1 + r.int(4); k > 0; k--) b[r.int(b.length)] = r.int(256);
      check(b);
    }
    assert.ok(threw > 1000, `most garbage is rejected (${threw} rejected, ${decoded} decoded)`);
    assert.ok(Date.now() - t0 < 60_000, 'finishes');
  });

  test('a Uint8Array view (not a Buffer) at an offset decodes the same', () => {
    const bytes = loaderEncode(randomObject(rng(5)));
    const backing = new Uint8Array(bytes.length + 7);
    backing.set(bytes, 3);
    assert.deepStrictEqual(decodeListComponentsResponse(backing.subarray(3, 3 + bytes.length)), loaderDecode(bytes));
  });
});

describe('fastV1ServiceDefinition', () => {
  test('only ListComponents’ response decoder differs from proto-loader’s definition', () => {
    const plainDef = packageDefinition()['flowctl.v1.ControlPlaneService'] as grpc.ServiceDefinition;
    const fast = fastV1ServiceDefinition();
    assert.deepEqual(Object.keys(fast).sort(), Object.keys(plainDef).sort());
    for (const name of Object.keys(plainDef)) {
      const a = plainDef[name]!;
      const b = fast[name]!;
      assert.equal(b.path, a.path);
      assert.equal(b.requestSerialize, a.requestSerialize);
      if (name === 'ListComponents') assert.notEqual(b.responseDeserialize, a.responseDeserialize);
      else assert.equal(b.responseDeserialize, a.responseDeserialize, name);
    }
    const bytes = loaderEncode(randomObject(rng(6)));
    assert.deepStrictEqual(fast.ListComponents!.responseDeserialize(bytes), plain.responseDeserialize(bytes));
  });
});
