// The package definitions embedded at build time (scripts/protoSets.mjs → src/core/protoEmbed.ts)
// equal what @grpc/proto-loader gives when it parses the same .proto files at runtime: every message,
// enum and service, every descriptor and file descriptor, every method attribute, and serializers
// that encode a fully populated message to the same bytes and decode them to the same object. Also:
// the sets were parsed from the files and with the options the code that uses them names.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import flowctlSet from 'flowctl-protos:flowctl';
import runnerSet from 'flowctl-protos:runner';
import accessSet from 'flowctl-protos:access';
import healthSet from 'flowctl-protos:health';
import reflectionV1Set from 'flowctl-protos:reflection-v1';
import reflectionV1alphaSet from 'flowctl-protos:reflection-v1alpha';
import { PROTO_LOADER_OPTS } from '@grpc/reflection/build/src/implementations/common/constants';
import { embeddedPackageDefinition, loaderOptions, type EmbeddedProtoSet } from '../../src/core/protoEmbed';
import { LOADER_OPTIONS, PROTO_FILES, packageDefinition, protoRoot } from '../../src/core/proto';
import { RUNNER_PROTO_FILE, runnerPackageDefinition } from '../../src/core/runctl/proto';
import { ACCESS_PROTO_FILE, accessPackageDefinition } from '../../src/core/controlplane/accessService';

const SETS: EmbeddedProtoSet[] = [flowctlSet, runnerSet, accessSet, healthSet, reflectionV1Set, reflectionV1alphaSet];
const repo = path.dirname(protoRoot());

function parsedAtRuntime(set: EmbeddedProtoSet): protoLoader.PackageDefinition {
  return protoLoader.loadSync(set.source.files, {
    ...loaderOptions(set.source.options),
    includeDirs: set.source.includeDirs.map((d) => path.join(repo, d)),
  });
}

type Def = Record<string, any>;

/** The data parts of a message/enum definition (no functions). */
function dataOf(d: Def): Def {
  return { format: d.format, type: d.type, fileDescriptorProtos: d.fileDescriptorProtos };
}

/** A value for every field of `type` (one member per oneof), `depth` levels of nested messages. */
function sample(type: protobuf.Type, enumsAsStrings: boolean, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const oneofTaken = new Set<string>();
  for (const f of type.fieldsArray) {
    f.resolve();
    if (f.partOf) {
      if (oneofTaken.has(f.partOf.name)) continue;
      oneofTaken.add(f.partOf.name);
    }
    const one = (): unknown => {
      const rt = f.resolvedType;
      if (rt instanceof protobuf.Enum) {
        const names = Object.keys(rt.values);
        const name = names[Math.min(1, names.length - 1)];
        return enumsAsStrings ? name : rt.values[name];
      }
      if (rt instanceof protobuf.Type) return depth < 3 ? sample(rt, enumsAsStrings, depth + 1) : {};
      switch (f.type) {
        case 'string':
          return `${f.name}-é✓`;
        case 'bytes':
          return Buffer.from([0, 1, 2, 250]);
        case 'bool':
          return true;
        case 'double':
        case 'float':
          return 1.5;
        case 'int64':
        case 'sint64':
        case 'sfixed64':
          return -1234567890123;
        case 'uint64':
        case 'fixed64':
          return 1234567890123;
        case 'int32':
        case 'sint32':
        case 'sfixed32':
          return -42;
        default:
          return 42; // uint32, fixed32
      }
    };
    if (f.map) out[f.name] = { alpha: one(), beta: one() };
    else if (f.repeated) out[f.name] = [one(), one()];
    else out[f.name] = one();
  }
  return out;
}

for (const set of SETS) {
  describe(`embedded proto set "${set.name}" equals proto-loader parsing ${set.source.files.join(', ')} at runtime`, () => {
    const runtime = parsedAtRuntime(set) as Record<string, Def>;
    const embedded = embeddedPackageDefinition(set) as Record<string, Def>;
    const enumsAsStrings = loaderOptions(set.options).enums === String;
    const root = protobuf.Root.fromJSON(set.root);
    root.resolveAll();

    test('the same messages, enums and services', () => {
      assert.deepEqual(Object.keys(embedded).sort(), Object.keys(runtime).sort());
      assert.ok(Object.keys(runtime).length >= 3);
    });

    test('every message and enum: format, descriptor and file descriptors', () => {
      for (const [name, d] of Object.entries(runtime)) {
        if (typeof d.format !== 'string') continue;
        assert.deepEqual(dataOf(embedded[name]), dataOf(d), name);
        assert.equal(typeof embedded[name].serialize, typeof d.serialize, `${name}: serialize`);
        assert.equal(typeof embedded[name].deserialize, typeof d.deserialize, `${name}: deserialize`);
      }
    });

    test('every service method: path, streaming, names, options, request and response types', () => {
      let methods = 0;
      for (const [name, d] of Object.entries(runtime)) {
        if (typeof d.format === 'string') continue;
        assert.deepEqual(Object.keys(embedded[name]).sort(), Object.keys(d).sort(), name);
        for (const [m, md] of Object.entries(d as Record<string, Def>)) {
          const em = embedded[name][m] as Def;
          for (const k of ['path', 'requestStream', 'responseStream', 'originalName', 'options']) assert.deepEqual(em[k], md[k], `${name}.${m}.${k}`);
          assert.deepEqual(dataOf(em.requestType), dataOf(md.requestType), `${name}.${m} request type`);
          assert.deepEqual(dataOf(em.responseType), dataOf(md.responseType), `${name}.${m} response type`);
          for (const k of ['requestSerialize', 'requestDeserialize', 'responseSerialize', 'responseDeserialize']) assert.equal(typeof em[k], 'function', `${name}.${m}.${k}`);
          methods++;
        }
      }
      assert.ok(methods > 0);
    });

    test('serializers: a fully populated message encodes to the same bytes and decodes to the same object', () => {
      let checked = 0;
      for (const [name, d] of Object.entries(runtime)) {
        if (typeof d.serialize !== 'function') continue;
        const value = sample(root.lookupType(name), enumsAsStrings);
        const bytes = d.serialize(value) as Buffer;
        assert.deepEqual(Buffer.from(embedded[name].serialize(value)), Buffer.from(bytes), `${name}: bytes`);
        assert.deepEqual(embedded[name].deserialize(bytes), d.deserialize(bytes), `${name}: decoded`);
        assert.deepEqual(embedded[name].deserialize(Buffer.alloc(0)), d.deserialize(Buffer.alloc(0)), `${name}: defaults`);
        checked++;
      }
      // …and the same through each method's four functions.
      for (const [name, d] of Object.entries(runtime)) {
        if (typeof d.format === 'string') continue;
        for (const [m, md] of Object.entries(d as Record<string, Def>)) {
          const em = embedded[name][m] as Def;
          for (const side of ['request', 'response'] as const) {
            // The type the embedded set names for this side; proto-loader's serializer must agree on its bytes.
            const typeName = (set.definitions[name] as unknown as { methods: Record<string, Record<string, string>> }).methods[m][`${side}Type`];
            assert.deepEqual(dataOf(runtime[typeName]), dataOf(md[`${side}Type`]), `${name}.${m}: ${side} type is ${typeName}`);
            const value = sample(root.lookupType(typeName), enumsAsStrings);
            const bytes = md[`${side}Serialize`](value) as Buffer;
            assert.deepEqual(Buffer.from(em[`${side}Serialize`](value)), Buffer.from(bytes), `${name}.${m} ${side}: bytes`);
            assert.deepEqual(em[`${side}Deserialize`](bytes), md[`${side}Deserialize`](bytes), `${name}.${m} ${side}: decoded`);
          }
        }
      }
      assert.ok(checked > 0);
    });

    test('a plain object with an array where a message belongs is refused as proto-loader refuses it', () => {
      const name = Object.keys(runtime).find((k) => typeof runtime[k].serialize === 'function')!;
      assert.throws(() => runtime[name].serialize([]), /got array instead/);
      assert.throws(() => embedded[name].serialize([]), /got array instead/);
    });
  });
}

describe('embedded proto sets are the files and options their users name', () => {
  test('flowctl: PROTO_FILES with LOADER_OPTIONS; packageDefinition() is that set', () => {
    assert.deepEqual(flowctlSet.source.files, Object.values(PROTO_FILES));
    assert.deepEqual(loaderOptions(flowctlSet.source.options), LOADER_OPTIONS);
    assert.deepEqual(flowctlSet.source.includeDirs, [path.relative(repo, protoRoot())]);
    const def = packageDefinition() as Record<string, Def>;
    assert.deepEqual(Object.keys(def).sort(), Object.keys(embeddedPackageDefinition(flowctlSet)).sort());
  });

  test('runner: RUNNER_PROTO_FILE with LOADER_OPTIONS; runnerPackageDefinition() is that set', () => {
    assert.deepEqual(runnerSet.source.files, [RUNNER_PROTO_FILE]);
    assert.deepEqual(loaderOptions(runnerSet.source.options), LOADER_OPTIONS);
    assert.deepEqual(Object.keys(runnerPackageDefinition()).sort(), Object.keys(embeddedPackageDefinition(runnerSet)).sort());
  });

  test('access: ACCESS_PROTO_FILE with LOADER_OPTIONS; accessPackageDefinition() is that set', () => {
    assert.deepEqual(accessSet.source.files, [ACCESS_PROTO_FILE]);
    assert.deepEqual(loaderOptions(accessSet.source.options), LOADER_OPTIONS);
    assert.deepEqual(Object.keys(accessPackageDefinition()).sort(), Object.keys(embeddedPackageDefinition(accessSet)).sort());
  });

  test("health: grpc-health-check's own proto file and options (its service definition, method by method)", async () => {
    const health = await import('grpc-health-check');
    assert.equal(path.join(repo, healthSet.source.includeDirs[0], healthSet.source.files[0]), health.protoPath);
    const theirs = health.service as unknown as Record<string, Def>;
    const ours = embeddedPackageDefinition(healthSet)['grpc.health.v1.Health'] as Record<string, Def>;
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
    for (const [m, md] of Object.entries(theirs)) {
      for (const k of ['path', 'requestStream', 'responseStream', 'originalName']) assert.deepEqual(ours[m][k], md[k], `${m}.${k}`);
    }
    const check = { service: 'flowctl.v1.ControlPlaneService' };
    assert.deepEqual(ours.Check.requestSerialize(check), theirs.Check.requestSerialize(check));
    const answer = theirs.Check.responseSerialize({ status: 'NOT_SERVING' });
    assert.deepEqual(ours.Check.responseDeserialize(answer), theirs.Check.responseDeserialize(answer));
    assert.deepEqual(ours.Check.responseDeserialize(answer), { status: 'NOT_SERVING' });
  });

  test("reflection: @grpc/reflection's own proto files and loader options", () => {
    for (const set of [reflectionV1Set, reflectionV1alphaSet]) {
      assert.deepEqual(loaderOptions(set.source.options), PROTO_LOADER_OPTS);
      assert.match(set.source.includeDirs[0], /@grpc\/reflection\/build\/proto$/);
    }
    assert.deepEqual(reflectionV1Set.source.files, ['grpc/reflection/v1/reflection.proto']);
    assert.deepEqual(reflectionV1alphaSet.source.files, ['grpc/reflection/v1alpha/reflection.proto']);
  });
});
