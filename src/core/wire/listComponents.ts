// A hand-written decoder for flowctl.v1.ListComponentsResponse that gives the SAME object
// @grpc/proto-loader's deserializer gives with our LOADER_OPTIONS (keepCase, longs Number, enums as
// numbers, defaults, arrays, objects, oneofs) — same keys, same key order, same defaults — at a
// fraction of the cost (no generic reader, no intermediate message objects, no toObject copy).
//
// Field numbers (proto/flowctl/v1/*.proto):
//   ListComponentsResponse   1 components: repeated ComponentStatusResponse
//   ComponentStatusResponse  1 component: ComponentInfo   2 status: HealthStatus (enum)
//                            3 last_heartbeat: Timestamp  4 metrics: map<string,string>
//                            5 registered_at: Timestamp
//   ComponentInfo            1 id  2 name  3 description  4 version (strings)  5 type: ComponentType (enum)
//                            6 input_event_types  7 output_event_types (repeated string)
//                            8 endpoint (string)  9 metadata: map<string,string>
//   google.protobuf.Timestamp 1 seconds: int64   2 nanos: int32
//   map entries              1 key   2 value
//
// Matches proto-loader (protobufjs 7) on every well-formed input, including: unknown fields of any
// wire type (skipped; groups must close with their own field number), unknown enum numbers (kept as
// numbers; negative ones sign-extended from their 10-byte varint), int64 seconds → Number the way
// protobufjs' LongBits.toNumber does, a repeated singular field (the last one wins, a message too —
// protobufjs replaces rather than merges), duplicate map keys (last wins), a map key "__proto__"
// (an own property, not the prototype), strings through Node's UTF-8 decoder (invalid bytes → U+FFFD).
// None of these messages has a repeated scalar field, so packed encoding never applies.
// A known field number with an unexpected wire type is skipped as unknown, as protobuf specifies
// (protobufjs would misread it), and a length or tag varint padded past 5 bytes is read as written
// (protobufjs assumes such a varint is 10 bytes long); no encoder writes either.
// Malformed input — truncated varints or lengths, a length past the end of its message, a varint
// longer than 10 bytes, field number 0, wire types 4 (outside a group), 6 and 7, an unclosed or
// mismatched group, groups nested deeper than 100 — throws WireDecodeError.

export interface WireTimestamp {
  seconds: number;
  nanos: number;
}

export interface WireComponentInfo {
  input_event_types: string[];
  output_event_types: string[];
  metadata: Record<string, string>;
  id: string;
  name: string;
  description: string;
  version: string;
  /** flowctl.v1.ComponentType number (unknown numbers are kept). */
  type: number;
  endpoint: string;
}

export interface WireComponentStatus {
  metrics: Record<string, string>;
  component: WireComponentInfo | null;
  /** flowctl.v1.HealthStatus number (unknown numbers are kept). */
  status: number;
  last_heartbeat: WireTimestamp | null;
  registered_at: WireTimestamp | null;
}

export interface WireListComponentsResponse {
  components: WireComponentStatus[];
}

/** The bytes are not a well-formed ListComponentsResponse. */
export class WireDecodeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`flowctl: malformed ListComponentsResponse at byte ${offset}: ${message}`);
    this.name = 'WireDecodeError';
  }
}

const MAX_GROUP_DEPTH = 100;

// Decoder state: one decode runs synchronously from start to end, so module-level state is safe and
// lets V8 keep the hot loop free of property loads through an object.
const EMPTY = Buffer.alloc(0);
let buf: Buffer = EMPTY;
let pos = 0;
/** High 32 bits of the last readVarint (low bits are its return value). */
let hi = 0;

const utf8Slice: ((this: Buffer, start: number, end: number) => string) | undefined = (Buffer.prototype as any).utf8Slice;

function fail(message: string, at = pos): never {
  throw new WireDecodeError(message, at);
}

/**
 * Reads a varint ending before `end`: returns its low 32 bits as an unsigned number and leaves the
 * high 32 bits in `hi`. Throws on truncation or on more than 10 bytes.
 */
function readVarint(end: number): number {
  const start = pos;
  let b: number;
  if (pos >= end) fail('truncated varint');
  b = buf[pos++]!;
  if (b < 0x80) {
    hi = 0;
    return b;
  }
  let lo = b & 0x7f;
  for (let shift = 7; shift < 28; shift += 7) {
    if (pos >= end) fail('truncated varint', start);
    b = buf[pos++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      hi = 0;
      return lo >>> 0;
    }
  }
  // 5th byte: 4 bits of lo, 3 bits of hi.
  if (pos >= end) fail('truncated varint', start);
  b = buf[pos++]!;
  lo |= (b & 0x0f) << 28;
  let h = (b & 0x7f) >> 4;
  if (b >= 0x80) {
    for (let shift = 3; ; shift += 7) {
      if (shift > 31) fail('varint longer than 10 bytes', start);
      if (pos >= end) fail('truncated varint', start);
      b = buf[pos++]!;
      h |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
  }
  hi = h >>> 0;
  return lo >>> 0;
}

/** A length prefix: the end offset of the bytes it announces, checked against `end`. */
function readLengthEnd(end: number): number {
  const at = pos;
  const len = readVarint(end);
  if (hi !== 0 || len > end - pos) fail(`length ${hi !== 0 ? '≥ 2^32' : len} runs past the end of its message (${end - pos} bytes left)`, at);
  return pos + len;
}

function readString(end: number): string {
  const stop = readLengthEnd(end);
  const start = pos;
  pos = stop;
  if (stop === start) return '';
  // Node's own UTF-8 decoder, as protobufjs' BufferReader uses (a JS loop for short ASCII strings
  // measured slower: its cons-strings cost more in GC than the native call saves).
  return utf8Slice !== undefined ? utf8Slice.call(buf, start, stop) : buf.toString('utf8', start, stop);
}

/** int64 as protobufjs turns it into a Number (LongBits.toNumber, signed). */
function readInt64(end: number): number {
  let lo = readVarint(end);
  let h = hi;
  if (h >>> 31) {
    lo = (~lo + 1) >>> 0;
    h = ~h >>> 0;
    if (!lo) h = (h + 1) >>> 0;
    return -(lo + h * 4294967296);
  }
  return lo + h * 4294967296;
}

/** Skips the value of a field of this wire type (tag already read); groups up to their end tag. */
function skipField(tag: number, end: number, depth: number): void {
  switch (tag & 7) {
    case 0:
      readVarint(end);
      return;
    case 1:
      if (end - pos < 8) fail('truncated fixed64');
      pos += 8;
      return;
    case 2:
      pos = readLengthEnd(end);
      return;
    case 3: {
      if (depth >= MAX_GROUP_DEPTH) fail('groups nested too deep');
      const field = tag >>> 3;
      for (;;) {
        const at = pos;
        if (pos >= end) fail(`group ${field} is not closed`);
        const t = readTag(end);
        if ((t & 7) === 4) {
          if (t >>> 3 !== field) fail(`group ${field} closed by end-group ${t >>> 3}`, at);
          return;
        }
        skipField(t, end, depth + 1);
      }
    }
    case 5:
      if (end - pos < 4) fail('truncated fixed32');
      pos += 4;
      return;
    case 4:
      fail(`end-group ${tag >>> 3} outside a group`);
    default:
      fail(`invalid wire type ${tag & 7}`);
  }
}

function readTag(end: number): number {
  const at = pos;
  const tag = readVarint(end);
  if (hi !== 0) fail('tag ≥ 2^32', at);
  if (tag >>> 3 === 0) fail('field number 0', at);
  return tag;
}

function readTimestamp(end: number): WireTimestamp {
  const stop = readLengthEnd(end);
  const ts: WireTimestamp = { seconds: 0, nanos: 0 };
  while (pos < stop) {
    const tag = readTag(stop);
    if (tag === 0x08) ts.seconds = readInt64(stop);
    else if (tag === 0x10) ts.nanos = readVarint(stop) | 0;
    else skipField(tag, stop, 0);
  }
  return ts;
}

/** One map<string,string> entry, stored the way protobufjs stores it (last key wins; "__proto__" as an own key). */
function readMapEntry(map: Record<string, string>, end: number): void {
  const stop = readLengthEnd(end);
  let key = '';
  let value = '';
  while (pos < stop) {
    const tag = readTag(stop);
    if (tag === 0x0a) key = readString(stop);
    else if (tag === 0x12) value = readString(stop);
    else skipField(tag, stop, 0);
  }
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, configurable: true, writable: true });
  else map[key] = value;
}

function readComponentInfo(end: number): WireComponentInfo {
  const stop = readLengthEnd(end);
  const info: WireComponentInfo = {
    input_event_types: [],
    output_event_types: [],
    metadata: {},
    id: '',
    name: '',
    description: '',
    version: '',
    type: 0,
    endpoint: '',
  };
  while (pos < stop) {
    const tag = readTag(stop);
    switch (tag) {
      case 0x0a:
        info.id = readString(stop);
        break;
      case 0x12:
        info.name = readString(stop);
        break;
      case 0x1a:
        info.description = readString(stop);
        break;
      case 0x22:
        info.version = readString(stop);
        break;
      case 0x28:
        info.type = readVarint(stop) | 0;
        break;
      case 0x32:
        info.input_event_types.push(readString(stop));
        break;
      case 0x3a:
        info.output_event_types.push(readString(stop));
        break;
      case 0x42:
        info.endpoint = readString(stop);
        break;
      case 0x4a:
        readMapEntry(info.metadata, stop);
        break;
      default:
        skipField(tag, stop, 0);
    }
  }
  return info;
}

function readComponentStatus(end: number): WireComponentStatus {
  const stop = readLengthEnd(end);
  const status: WireComponentStatus = { metrics: {}, component: null, status: 0, last_heartbeat: null, registered_at: null };
  while (pos < stop) {
    const tag = readTag(stop);
    switch (tag) {
      case 0x0a:
        status.component = readComponentInfo(stop);
        break;
      case 0x10:
        status.status = readVarint(stop) | 0;
        break;
      case 0x1a:
        status.last_heartbeat = readTimestamp(stop);
        break;
      case 0x22:
        readMapEntry(status.metrics, stop);
        break;
      case 0x2a:
        status.registered_at = readTimestamp(stop);
        break;
      default:
        skipField(tag, stop, 0);
    }
  }
  return status;
}

/** Decodes a ListComponentsResponse body; throws WireDecodeError for malformed bytes. */
export function decodeListComponentsResponse(bytes: Uint8Array): WireListComponentsResponse {
  buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = 0;
  const end = buf.length;
  const components: WireComponentStatus[] = [];
  try {
    while (pos < end) {
      const tag = readTag(end);
      if (tag === 0x0a) components.push(readComponentStatus(end));
      else skipField(tag, end, 0);
    }
  } finally {
    buf = EMPTY; // do not keep the caller's buffer alive
  }
  return { components };
}
