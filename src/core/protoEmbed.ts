// Package definitions from .proto files parsed at build time (scripts/protoSets.mjs embeds them as
// `flowctl-protos:<set>`), so no process parses .proto text or builds descriptors at start-up. The
// result is what @grpc/proto-loader's loadSync gives for the same files and options — same keys,
// descriptors, file descriptors, method attributes, and serializers built the way proto-loader builds
// them (fromObject + encode; decode + toObject with the loader options) — checked by
// test/unit/proto-embedded.test.ts. Serializers find their protobufjs type on first use, and the
// protobufjs Root is built from its JSON on the first (de)serialization, not at load.
import * as protobuf from 'protobufjs/light';
import type * as protoLoader from '@grpc/proto-loader';

type JsonOption = string | number | boolean | { ctor: 'String' | 'Number' | 'Array' | 'Object' };

interface EmbeddedMessage {
  kind: 'message' | 'enum';
  format: string;
  type: object;
}

interface EmbeddedMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  originalName: string;
  options: Record<string, unknown>;
  requestType: string;
  responseType: string;
}

interface EmbeddedService {
  kind: 'service';
  methods: Record<string, EmbeddedMethod>;
}

/** What `import set from 'flowctl-protos:<name>'` gives (see scripts/protoSets.mjs). */
export interface EmbeddedProtoSet {
  name: string;
  /** The files, include folders (relative to the repository) and loader options it was parsed from. */
  source: { files: string[]; includeDirs: string[]; options: Record<string, JsonOption> };
  options: Record<string, JsonOption>;
  /** protobufjs Root.toJSON() of the loaded files. */
  root: protobuf.INamespace;
  /** FileDescriptorProtos, base64. */
  files: string[];
  definitions: Record<string, EmbeddedMessage | EmbeddedService>;
}

const CTORS = { String, Number, Array, Object } as const;

type Msg = protoLoader.MessageTypeDefinition<object, object>;

/** Loader options with their constructor values back (longs: Number, enums: String, bytes: Array…). */
export function loaderOptions(json: Record<string, JsonOption>): protoLoader.Options {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) out[k] = typeof v === 'object' && v !== null && 'ctor' in v ? CTORS[v.ctor] : v;
  return out as protoLoader.Options;
}

/** The package definition of an embedded set: what protoLoader.loadSync gives for its source files. */
export function embeddedPackageDefinition(set: EmbeddedProtoSet): protoLoader.PackageDefinition {
  const options = loaderOptions(set.options);
  let root: protobuf.Root | undefined;
  const lookup = (name: string): protobuf.Type => {
    if (!root) {
      root = protobuf.Root.fromJSON(set.root);
      root.resolveAll(); // as proto-loader does: field types and (edition) features, e.g. packed encoding
    }
    return root.lookupType(name);
  };
  const fileDescriptorProtos = set.files.map((b64) => Buffer.from(b64, 'base64'));

  const messages = new Map<string, Msg>();
  const message = (name: string): Msg => {
    let m = messages.get(name);
    if (!m) {
      const e = set.definitions[name];
      if (!e || e.kind !== 'message') throw new Error(`flowctl: embedded proto set ${set.name} has no message ${name}`);
      let type: protobuf.Type | undefined;
      const cls = () => (type ??= lookup(name));
      m = {
        format: e.format as 'Protocol Buffer 3 DescriptorProto',
        type: e.type as Msg['type'],
        fileDescriptorProtos,
        serialize: serializer(cls),
        deserialize: deserializer(cls, options),
      };
      messages.set(name, m);
    }
    return m;
  };

  const def: protoLoader.PackageDefinition = {};
  for (const [name, e] of Object.entries(set.definitions)) {
    if (e.kind !== 'service') {
      def[name] =
        e.kind === 'message'
          ? message(name)
          : { format: e.format as 'Protocol Buffer 3 EnumDescriptorProto', type: e.type as protoLoader.EnumTypeDefinition['type'], fileDescriptorProtos };
    } else {
      const service: Record<string, protoLoader.MethodDefinition<object, object>> = {};
      for (const [methodName, m] of Object.entries(e.methods)) {
        const req = message(m.requestType);
        const res = message(m.responseType);
        service[methodName] = {
          path: m.path,
          requestStream: m.requestStream,
          responseStream: m.responseStream,
          requestSerialize: req.serialize,
          requestDeserialize: req.deserialize,
          responseSerialize: res.serialize,
          responseDeserialize: res.deserialize,
          originalName: m.originalName,
          requestType: req,
          responseType: res,
          options: m.options as protoLoader.MethodDefinition<object, object>['options'],
        };
      }
      def[name] = service as protoLoader.ServiceDefinition;
    }
  }
  return def;
}

// The serializers proto-loader makes (createSerializer / createDeserializer), with the type found lazily.
function serializer(cls: () => protobuf.Type): (arg: object) => Buffer {
  return function serialize(arg: object): Buffer {
    const t = cls();
    if (Array.isArray(arg)) throw new Error(`Failed to serialize message: expected object with ${t.name} structure, got array instead`);
    return t.encode(t.fromObject(arg)).finish() as Buffer;
  };
}

function deserializer(cls: () => protobuf.Type, options: protoLoader.Options): (buf: Buffer) => object {
  return function deserialize(argBuf: Buffer): object {
    const t = cls();
    return t.toObject(t.decode(argBuf), options as protobuf.IConversionOptions);
  };
}
