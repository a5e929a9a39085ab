// Pass-through event codec for the data plane. The runner forwards each flowctl.v1.Event as the
// bytes it received instead of decoding it into an object and encoding it again at every hop
// (measured by `npm run bench:run`: ~20% of the runner's CPU per event). It reads only what it
// needs off the wire: the event type (for sink input_event_types filters) and the payload size
// (for byte counts). Sources' StreamRequest and sinks' ConsumeResponse keep the normal codec.
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

/** Reads a protobuf varint at `pos`: [value, next position]; next = -1 when the buffer ends first. */
function varint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10 && pos < buf.length; i++) {
    const b = buf[pos++];
    value += (b & 0x7f) * mul;
    if (b < 0x80) return [value, pos];
    mul *= 128;
  }
  return [0, -1];
}

/**
 * Event.type (field 2) and the length of Event.payload (field 3) of a serialized flowctl.v1.Event.
 * The type is only decoded when `wantType`. A truncated or malformed message yields what was read
 * before the damage (the receiving component's decoder reports the error).
 */
export function scanEvent(buf: Uint8Array, wantType = true): { type: string; payloadBytes: number } {
  let type = '';
  let payloadBytes = 0;
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = varint(buf, pos);
    if (p1 < 0) break;
    const wire = tag & 7;
    if (wire === 2) {
      const [len, p2] = varint(buf, p1);
      if (p2 < 0 || p2 + len > buf.length) break;
      const field = Math.floor(tag / 8);
      if (field === 3) payloadBytes = len;
      else if (field === 2 && wantType) type = Buffer.from(buf.buffer, buf.byteOffset + p2, len).toString('utf8');
      pos = p2 + len;
    } else if (wire === 0) {
      const [, p2] = varint(buf, p1);
      if (p2 < 0) break;
      pos = p2;
    } else if (wire === 1) pos = p1 + 8;
    else if (wire === 5) pos = p1 + 4;
    else break;
  }
  return { type, payloadBytes };
}
