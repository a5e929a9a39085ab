// A flowctl.v1.ControlPlaneService client whose ListComponents answers are decoded by our own
// decoder (listComponents.ts) instead of protobufjs: same objects, several times faster on big lists.
// Every other method is proto-loader's, unchanged. Built from a copy of proto-loader's service
// definition with that one method's responseDeserialize replaced (the mirror of listCache.ts,
// which replaces the server's responseSerialize).
import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { packageDefinition } from '../proto';
import { decodeListComponentsResponse } from './listComponents';

const SERVICE = 'flowctl.v1.ControlPlaneService';

type Field = { name: string; number: number; label: string; type: string; typeName: string };
type MessageDescriptor = { name: string; field: Field[]; nestedType: MessageDescriptor[] };

/** name, number, type, label, type name (suffix), map value type — what the decoder assumes. */
type Expected = [string, number, string, string, string?, 'map'?];
const EXPECTED: Record<string, Expected[]> = {
  'flowctl.v1.ListComponentsResponse': [['components', 1, 'TYPE_MESSAGE', 'LABEL_REPEATED', 'ComponentStatusResponse']],
  'flowctl.v1.ComponentStatusResponse': [
    ['component', 1, 'TYPE_MESSAGE', 'LABEL_OPTIONAL', 'ComponentInfo'],
    ['status', 2, 'TYPE_ENUM', 'LABEL_OPTIONAL', 'HealthStatus'],
    ['last_heartbeat', 3, 'TYPE_MESSAGE', 'LABEL_OPTIONAL', 'google.protobuf.Timestamp'],
    ['metrics', 4, 'TYPE_MESSAGE', 'LABEL_REPEATED', undefined, 'map'],
    ['registered_at', 5, 'TYPE_MESSAGE', 'LABEL_OPTIONAL', 'google.protobuf.Timestamp'],
  ],
  'flowctl.v1.ComponentInfo': [
    ['id', 1, 'TYPE_STRING', 'LABEL_OPTIONAL'],
    ['name', 2, 'TYPE_STRING', 'LABEL_OPTIONAL'],
    ['description', 3, 'TYPE_STRING', 'LABEL_OPTIONAL'],
    ['version', 4, 'TYPE_STRING', 'LABEL_OPTIONAL'],
    ['type', 5, 'TYPE_ENUM', 'LABEL_OPTIONAL', 'ComponentType'],
    ['input_event_types', 6, 'TYPE_STRING', 'LABEL_REPEATED'],
    ['output_event_types', 7, 'TYPE_STRING', 'LABEL_REPEATED'],
    ['endpoint', 8, 'TYPE_STRING', 'LABEL_OPTIONAL'],
    ['metadata', 9, 'TYPE_MESSAGE', 'LABEL_REPEATED', undefined, 'map'],
  ],
  'google.protobuf.Timestamp': [
    ['seconds', 1, 'TYPE_INT64', 'LABEL_OPTIONAL'],
    ['nanos', 2, 'TYPE_INT32', 'LABEL_OPTIONAL'],
  ],
};

function isStringMapEntry(owner: MessageDescriptor, typeName: string): boolean {
  const entry = owner.nestedType.find((t) => t.name === typeName || typeName.endsWith(`.${t.name}`));
  if (!entry) return false;
  const [k, v] = [...entry.field].sort((a, b) => a.number - b.number);
  return entry.field.length === 2 && k?.number === 1 && k.type === 'TYPE_STRING' && v?.number === 2 && v.type === 'TYPE_STRING';
}

/**
 * Throws unless the loaded protos have exactly the field numbers and types the hand-written decoder
 * reads (a guard against the .proto files changing under it).
 */
export function checkListComponentsShape(def: protoLoader.PackageDefinition = packageDefinition()): void {
  const problems: string[] = [];
  for (const [message, fields] of Object.entries(EXPECTED)) {
    const type = (def[message] as { type?: MessageDescriptor } | undefined)?.type;
    if (!type) {
      problems.push(`${message} is not loaded`);
      continue;
    }
    if (type.field.length !== fields.length) problems.push(`${message} has ${type.field.length} fields, the decoder knows ${fields.length}`);
    for (const [name, number, wireType, label, typeName, map] of fields) {
      const f = type.field.find((x) => x.name === name);
      const ok =
        f !== undefined &&
        f.number === number &&
        f.type === wireType &&
        f.label === label &&
        (typeName === undefined || f.typeName === typeName || f.typeName.endsWith(`.${typeName}`)) &&
        (map === undefined || isStringMapEntry(type, f.typeName));
      if (!ok) problems.push(`${message}.${name} is not ${label} ${wireType}${map ? ' (map<string,string>)' : ''} = ${number}`);
    }
  }
  if (problems.length) throw new Error(`flowctl: the ListComponents decoder does not match the loaded protos: ${problems.join('; ')}`);
}

let cachedDefinition: grpc.ServiceDefinition | undefined;

/** proto-loader's v1 ControlPlaneService definition with ListComponents decoded by decodeListComponentsResponse. */
export function fastV1ServiceDefinition(): grpc.ServiceDefinition {
  if (cachedDefinition) return cachedDefinition;
  const def = packageDefinition();
  const service = def[SERVICE] as grpc.ServiceDefinition | undefined;
  const list = service?.ListComponents;
  if (!service || !list) throw new Error(`flowctl: ${SERVICE}.ListComponents is not loaded`);
  checkListComponentsShape(def);
  cachedDefinition = {
    ...service,
    ListComponents: { ...list, responseDeserialize: (bytes: Buffer) => decodeListComponentsResponse(bytes) },
  };
  return cachedDefinition;
}

let cachedCtor: grpc.ServiceClientConstructor | undefined;

/**
 * A v1 ControlPlaneService client (same methods and callbacks as `new protos().v1.ControlPlaneService(…)`)
 * whose ListComponents decodes with the hand-written decoder.
 */
export function fastV1ControlPlaneClient(
  target: string,
  creds: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
): grpc.Client & Record<string, any> {
  cachedCtor ??= grpc.makeGenericClientConstructor(fastV1ServiceDefinition(), 'ControlPlaneService', {});
  return new cachedCtor(target, creds, options) as grpc.Client & Record<string, any>;
}
