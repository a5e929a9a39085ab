// Pass-through event codec for the data plane. The runner forwards each flowctl.v1.Event as the
// bytes it received instead of decoding it into an object and encoding it again at every hop
// (measured by `npm run bench:run`: ~20% of the runner's CPU per event). It reads only what it
// needs off the wire: the event type (for sink input_event_types filters) and the payload size
// (for byte counts), without allocating. The event streams themselves run on node:http2 (h2call.ts);
// rawClientConstructor is the grpc-js form of the same idea (events as Buffers, everything else
// through the proto codec), used by bench/run-direct-client.ts with BENCH_DIRECT_RAW=1.
import * as grpc from '@grpc/grpc-js';
import { protos } from '../proto';

export type RawRole = 'source' | 'processor' | 'sink';

const SERVICE = { source: 'SourceService', processor: 'ProcessorService', sink: 'ConsumerService' } as const;
const identity = (b: Buffer) => b;
const cache = new Map<RawRole, grpc.ServiceClientConstructor>();

/** A client of the role's flowctl.v1 service whose event streams carry serialized Events (Buffers). */
export function rawClientConstructor(role: RawRole): grpc.ServiceClientConstructor {
  const cached = cache.get(role);
  if (cached) return cached;
  const def = protos().v1[SERVICE[role]].service as grpc.ServiceDefinition;
  const methods: Record<string, grpc.MethodDefinition<any, any>> = {};
  for (const [name, m] of Object.entries(def)) {
    if (name === 'StreamEvents') methods[name] = { ...m, responseDeserialize: identity };
    else if (name === 'Process') methods[name] = { ...m, requestSerialize: identity, responseDeserialize: identity };
    else if (name === 'Consume') methods[name] = { ...m, requestSerialize: identity };
    else methods[name] = m;
  }
  const ctor = grpc.makeGenericClientConstructor(methods, SERVICE[role]);
  cache.set(role, ctor);
  return ctor;
}

// Varint reads leave the position after the varint here (-1 = the buffer ended first), so the
// scanners allocate nothing per event.
let vpos = 0;

function varint(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10 && pos < end; i++) {
    const b = buf[pos++];
    value += (b & 0x7f) * mul;
    if (b < 0x80) {
      vpos = pos;
      return value;
    }
    mul *= 128;
  }
  vpos = -1;
  return 0;
}

/** Set by findField: where the field's bytes start. */
let fieldStart = 0;

/**
 * Finds the last occurrence of length-delimited field `field` in the message buf[start, end):
 * its length (fieldStart = where its bytes start), or -1 when absent. Stops at damage (a truncated
 * or malformed message yields what was found before it; the receiving component reports the error).
 */
function findField(buf: Uint8Array, start: number, end: number, field: number): number {
  let found = -1;
  let pos = start;
  while (pos < end) {
    const tag = varint(buf, pos, end);
    if (vpos < 0) break;
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint(buf, vpos, end);
      const p2 = vpos;
      if (p2 < 0 || p2 + len > end) break;
      if (Math.floor(tag / 8) === field) {
        found = len;
        fieldStart = p2;
      }
      pos = p2 + len;
    } else if (wire === 0) {
      varint(buf, vpos, end);
      if (vpos < 0) break;
      pos = vpos;
    } else if (wire === 1) pos = vpos + 8;
    else if (wire === 5) pos = vpos + 4;
    else break;
  }
  return found;
}

/** Length of Event.payload (field 3) of the serialized flowctl.v1.Event in buf[start, end) (0 when absent). */
export function payloadBytesOf(buf: Uint8Array, start = 0, end = buf.length): number {
  const len = findField(buf, start, end, 3);
  return len < 0 ? 0 : len;
}

/** Event.type (field 2) of the serialized flowctl.v1.Event in buf[start, end) ('' when absent). */
export function eventTypeOf(buf: Uint8Array, start = 0, end = buf.length): string {
  const len = findField(buf, start, end, 2);
  return len <= 0 ? '' : Buffer.from(buf.buffer, buf.byteOffset + fieldStart, len).toString('utf8');
}

/**
 * Event.type (field 2) and the length of Event.payload (field 3) of a serialized flowctl.v1.Event.
 * The type is only decoded when `wantType`. A truncated or malformed message yields what was read
 * before the damage (the receiving component's decoder reports the error).
 */
export function scanEvent(buf: Uint8Array, wantType = true): { type: string; payloadBytes: number } {
  return { type: wantType ? eventTypeOf(buf) : '', payloadBytes: payloadBytesOf(buf) };
}

/** Event.id (field 1) of the serialized flowctl.v1.Event in buf[start, end) ('' when absent). */
export function eventIdOf(buf: Uint8Array, start = 0, end = buf.length): string {
  const len = findField(buf, start, end, 1);
  return len <= 0 ? '' : Buffer.from(buf.buffer, buf.byteOffset + fieldStart, len).toString('utf8');
}

/** Event.stellar_cursor (field 8: {1 ledger_sequence, 2 index_in_ledger}) of a serialized Event, if set. */
export function stellarCursorOf(buf: Uint8Array, start = 0, end = buf.length): { ledgerSequence: number; indexInLedger: number } | undefined {
  const len = findField(buf, start, end, 8);
  if (len < 0) return undefined;
  let pos = fieldStart;
  const stop = fieldStart + len;
  let ledgerSequence = 0;
  let indexInLedger = 0;
  while (pos < stop) {
    const tag = varint(buf, pos, stop);
    if (vpos < 0) break;
    if ((tag & 7) !== 0) break; // both fields are varints; anything else is damage
    const value = varint(buf, vpos, stop);
    if (vpos < 0) break;
    if (tag >>> 3 === 1) ledgerSequence = value;
    else if (tag >>> 3 === 2) indexInLedger = value;
    pos = vpos;
  }
  return { ledgerSequence, indexInLedger };
}
