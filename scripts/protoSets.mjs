// Pre-parsed .proto files, embedded in the bundles at build time (esbuild plugin below).
//
// Parsing .proto text with @grpc/proto-loader costs every process that speaks gRPC ~150 ms of CPU
// on the machine we measure on (protobufjs's parser + proto-loader building descriptors for every
// message and method; see bench/run.ts and the perf report). So the build parses each set of files
// once, with the same loader and options the code used at runtime, and the bundle imports the result
// as `flowctl-protos:<set>`; src/core/protoEmbed.ts turns it back into a package definition
// (protobufjs/light Root.fromJSON for the serializers, the descriptors as they were). The unit test
// test/unit/proto-embedded.test.ts checks that every set equals what proto-loader gives at runtime.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

// Loader options as the code that serves or calls these services uses them.
const LOADER_OPTIONS = { keepCase: true, longs: Number, defaults: true, arrays: true, objects: true, oneofs: true }; // src/core/proto.ts
const HEALTH_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true }; // grpc-health-check's own
const REFLECTION_OPTIONS = { longs: String, enums: String, bytes: Array, defaults: true, oneofs: true }; // @grpc/reflection's PROTO_LOADER_OPTS

const reflectionProtoDir = path.join(path.dirname(require.resolve('@grpc/reflection')), '..', 'proto');
const healthProtoDir = path.resolve(path.dirname(require.resolve('grpc-health-check')), '..', '..', 'proto');

/** name → { files, includeDirs (absolute), options }. Keep in step with the importers (the test checks). */
export const PROTO_SETS = {
  flowctl: {
    files: [
      'flowctl/v1/common.proto',
      'flowctl/v1/control_plane.proto',
      'flowctl/v1/source.proto',
      'flowctl/v1/processor.proto',
      'flowctl/v1/consumer.proto',
      'flowctl/control_plane.proto',
      'flowctl/common.proto',
    ],
    includeDirs: [path.join(repo, 'proto')],
    options: LOADER_OPTIONS,
  },
  runner: { files: ['flowctl/runner/v1/runner.proto'], includeDirs: [path.join(repo, 'proto')], options: LOADER_OPTIONS },
  access: { files: ['flowctl/access/v1/access.proto'], includeDirs: [path.join(repo, 'proto')], options: LOADER_OPTIONS },
  health: { files: ['health/v1/health.proto'], includeDirs: [healthProtoDir], options: HEALTH_OPTIONS },
  'reflection-v1': { files: ['grpc/reflection/v1/reflection.proto'], includeDirs: [reflectionProtoDir], options: REFLECTION_OPTIONS },
  'reflection-v1alpha': { files: ['grpc/reflection/v1alpha/reflection.proto'], includeDirs: [reflectionProtoDir], options: REFLECTION_OPTIONS },
};

/** Loader options as JSON: the constructors proto-loader takes (String, Number, Array) by name. */
function optionsToJson(options) {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, typeof v === 'function' ? { ctor: v.name } : v]));
}

/** The protobufjs Root proto-loader builds for these files (same include-path resolution, same options). */
function loadRoot(files, includeDirs, options) {
  const root = new protobuf.Root();
  const fallback = root.resolvePath;
  root.resolvePath = (origin, target) => {
    if (path.isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const full = path.join(dir, target);
      try {
        fs.accessSync(full, fs.constants.R_OK);
        return full;
      } catch {
        // next folder
      }
    }
    return fallback(origin, target);
  };
  root.loadSync(files, options);
  root.resolveAll();
  return root;
}

/**
 * One set, pre-parsed: the protobufjs Root as JSON (for serializers), each definition's data parts
 * (descriptor objects, method attributes) and the encoded FileDescriptorProtos, as proto-loader makes them.
 */
export function embedProtoSet(name) {
  const set = PROTO_SETS[name];
  if (!set) throw new Error(`unknown proto set "${name}"`);
  const def = protoLoader.loadSync(set.files, { ...set.options, includeDirs: set.includeDirs });
  const root = loadRoot(set.files, set.includeDirs, set.options);
  let fileDescriptors;
  const definitions = {};
  const sameFiles = (d) => {
    fileDescriptors ??= d.fileDescriptorProtos;
    if (d.fileDescriptorProtos !== fileDescriptors) throw new Error(`proto set ${name}: definitions do not share one file descriptor list`);
  };
  for (const [fullName, d] of Object.entries(def)) {
    if (typeof d.format === 'string') {
      sameFiles(d);
      definitions[fullName] = { kind: typeof d.serialize === 'function' ? 'message' : 'enum', format: d.format, type: d.type };
      continue;
    }
    const service = root.lookupService(fullName);
    const methods = {};
    for (const [methodName, m] of Object.entries(d)) {
      const rm = service.methods[methodName];
      if (!rm) throw new Error(`proto set ${name}: ${fullName}.${methodName} not found in the protobufjs root`);
      sameFiles(m.requestType);
      sameFiles(m.responseType);
      methods[methodName] = {
        path: m.path,
        requestStream: m.requestStream,
        responseStream: m.responseStream,
        originalName: m.originalName,
        options: m.options,
        requestType: rm.resolvedRequestType.fullName.replace(/^\./, ''),
        responseType: rm.resolvedResponseType.fullName.replace(/^\./, ''),
      };
    }
    definitions[fullName] = { kind: 'service', methods };
  }
  return {
    name,
    // Where it came from (relative to the repository), so the test can parse the same files again.
    source: {
      files: set.files,
      includeDirs: set.includeDirs.map((d) => path.relative(repo, d)),
      options: optionsToJson(set.options),
    },
    options: optionsToJson(set.options),
    root: root.toJSON({ keepComments: false }),
    files: (fileDescriptors ?? []).map((b) => Buffer.from(b).toString('base64')),
    definitions,
  };
}

/**
 * esbuild plugin: `import set from 'flowctl-protos:<name>'` gives that set's embedded form (a JSON
 * string parsed once at load: cheaper than a large object literal). Rebuilt when a .proto changes.
 */
export function protoSetsPlugin() {
  const cache = new Map();
  return {
    name: 'flowctl-protos',
    setup(build) {
      build.onStart(() => cache.clear()); // --watch: a changed .proto is parsed again
      build.onResolve({ filter: /^flowctl-protos:/ }, (args) => ({ path: args.path.slice('flowctl-protos:'.length), namespace: 'flowctl-protos' }));
      build.onLoad({ filter: /.*/, namespace: 'flowctl-protos' }, (args) => {
        let text = cache.get(args.path);
        if (text === undefined) {
          text = JSON.stringify(embedProtoSet(args.path));
          cache.set(args.path, text);
        }
        const set = PROTO_SETS[args.path];
        return {
          contents: `module.exports = JSON.parse(${JSON.stringify(text)});\n`,
          loader: 'js',
          watchFiles: set.includeDirs.flatMap((d) => set.files.map((f) => path.join(d, f))),
        };
      });
    },
  };
}
