// Our .proto files (proto/) as gRPC package definitions. They are parsed at build time and embedded
// in the bundle (scripts/protoSets.mjs, src/core/protoEmbed.ts): the same definitions
// @grpc/proto-loader gives at runtime for PROTO_FILES with LOADER_OPTIONS, without the ~150 ms of CPU
// that parsing costs each process. The files still ship in the package (proto/): protoRoot() finds
// them, e.g. for the test that compares the two.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import flowctlProtos from 'flowctl-protos:flowctl';
import { embeddedPackageDefinition } from './protoEmbed';

/** Loader options shared by every side (server, clients, SDK) so shapes agree everywhere. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

export const PROTO_FILES = {
  v1Common: 'flowctl/v1/common.proto',
  v1ControlPlane: 'flowctl/v1/control_plane.proto',
  v1Source: 'flowctl/v1/source.proto',
  v1Processor: 'flowctl/v1/processor.proto',
  v1Consumer: 'flowctl/v1/consumer.proto',
  legacyControlPlane: 'flowctl/control_plane.proto',
  legacyCommon: 'flowctl/common.proto',
} as const;

let cachedRoot: string | undefined;

/** The folder holding flowctl/v1/*.proto: walks up from this file (dist/, out/test/…, src/core/). */
export function protoRoot(): string {
  if (cachedRoot) return cachedRoot;
  const override = process.env.FLOWCTL_PROTO_DIR;
  if (override && fs.existsSync(path.join(override, PROTO_FILES.v1Common))) return (cachedRoot = override);
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'proto');
    if (fs.existsSync(path.join(candidate, PROTO_FILES.v1Common))) return (cachedRoot = candidate);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`flowctl: cannot find the proto/ folder above ${__dirname}; set FLOWCTL_PROTO_DIR`);
}

let cachedDefinition: protoLoader.PackageDefinition | undefined;

/** One package definition holding every service (both control planes and the data plane): PROTO_FILES. */
export function packageDefinition(): protoLoader.PackageDefinition {
  cachedDefinition ??= embeddedPackageDefinition(flowctlProtos);
  return cachedDefinition;
}

type ServiceCtor = grpc.ServiceClientConstructor;

export interface LoadedProtos {
  v1: {
    ControlPlaneService: ServiceCtor;
    SourceService: ServiceCtor;
    ProcessorService: ServiceCtor;
    ConsumerService: ServiceCtor;
  };
  legacy: { ControlPlane: ServiceCtor };
}

let cachedProtos: LoadedProtos | undefined;

/** Client constructors and service definitions for every service we speak. */
export function protos(): LoadedProtos {
  if (cachedProtos) return cachedProtos;
  const root = grpc.loadPackageDefinition(packageDefinition()) as any;
  cachedProtos = {
    v1: {
      ControlPlaneService: root.flowctl.v1.ControlPlaneService,
      SourceService: root.flowctl.v1.SourceService,
      ProcessorService: root.flowctl.v1.ProcessorService,
      ConsumerService: root.flowctl.v1.ConsumerService,
    },
    legacy: { ControlPlane: root.flowctl.ControlPlane },
  };
  return cachedProtos;
}
