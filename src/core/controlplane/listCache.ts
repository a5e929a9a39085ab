// ListComponents without re-encoding unchanged records.
//
// A ListComponentsResponse is `repeated ComponentStatusResponse components = 1`, and protobuf encodes
// a repeated message field as, for each element, the tag byte 0x0a (field 1, wire type 2), the
// element's length as a varint, then the element's bytes. So the response is exactly the
// concatenation of each record's own encoding, framed that way: the registry keeps each record's
// encoded ComponentStatusResponse (dropped whenever the record changes, see Registry.listEncoded),
// and the ListComponents method gets a responseSerialize that accepts that pre-framed Buffer.
// Bytes on the wire are identical to what proto-loader's own serializer produces for the same list.
import type * as grpc from '@grpc/grpc-js';

type Serialize = (value: any) => Buffer;

/** Bytes needed to write n (a non-negative int below 2^31) as a protobuf varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n >>>= 7;
    size++;
  }
  return size;
}

/** The body of a message whose field 1 (a repeated message) holds these encoded elements, in order. */
export function frameRepeatedField1(parts: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const p of parts) total += 1 + varintSize(p.length) + p.length;
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (const p of parts) {
    out[o++] = 0x0a; // field 1, wire type 2 (length-delimited)
    let len = p.length;
    while (len > 0x7f) {
      out[o++] = (len & 0x7f) | 0x80;
      len >>>= 7;
    }
    out[o++] = len;
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A handler's answer that is already the encoded message body (see preEncodedResponses). */
export class EncodedMessage {
  constructor(readonly bytes: Buffer) {}
}

interface ProtoLoaderMethod extends grpc.MethodDefinition<any, any> {
  responseType?: { type?: { name?: string; field?: Array<{ name: string; number: number; label: string; type: string; typeName: string }> } };
}

function messageName(method: ProtoLoaderMethod): string | undefined {
  return method.responseType?.type?.name;
}

/**
 * A copy of the v1 ControlPlaneService definition whose ListComponents accepts an EncodedMessage
 * (written as is) besides a plain response object (encoded by proto-loader as before). Also returns
 * proto-loader's serializer for one ComponentStatusResponse (protobufjs Type.fromObject + encode,
 * the same code path the plain response takes for each element). Throws if the loaded protos do not
 * have the shape this relies on (ListComponentsResponse.components = 1, repeated ComponentStatusResponse).
 */
export function preEncodedListComponents(service: grpc.ServiceDefinition): {
  definition: grpc.ServiceDefinition;
  encodeStatus: Serialize;
} {
  const list = service.ListComponents as ProtoLoaderMethod | undefined;
  const status = service.GetComponentStatus as ProtoLoaderMethod | undefined;
  if (!list || !status) throw new Error('flowctl: ControlPlaneService definition lacks ListComponents or GetComponentStatus');
  const fields = list.responseType?.type?.field ?? [];
  const f = fields.length === 1 ? fields[0]! : undefined;
  const shapeOk =
    messageName(list) === 'ListComponentsResponse' &&
    messageName(status) === 'ComponentStatusResponse' &&
    f !== undefined &&
    f.number === 1 &&
    f.label === 'LABEL_REPEATED' &&
    f.type === 'TYPE_MESSAGE' &&
    /(^|\.)ComponentStatusResponse$/.test(f.typeName);
  if (!shapeOk) throw new Error('flowctl: ListComponentsResponse is not `repeated ComponentStatusResponse components = 1`; cannot pre-encode it');

  const plain = list.responseSerialize as Serialize;
  const responseSerialize: Serialize = (value) => (value instanceof EncodedMessage ? value.bytes : plain(value));
  const definition: grpc.ServiceDefinition = { ...service, ListComponents: { ...list, responseSerialize } };
  return { definition, encodeStatus: status.responseSerialize as Serialize };
}
