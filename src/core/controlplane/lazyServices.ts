// grpc.health.v1.Health and gRPC server reflection (v1 and v1alpha) on the control plane's server,
// served from the first moment, with the libraries that implement them (grpc-health-check,
// @grpc/reflection) loaded on the first call instead of at start-up.
//
// Why: both libraries parse their .proto files with their own copy of @grpc/proto-loader when they
// are loaded (and @grpc/reflection loads a second grpc-js), which cost `flowctl run` ~270 ms of CPU
// before the control plane could answer (see the perf report) — for services that a run seldom sees
// a call on. Here the services are registered with definitions parsed at build time
// (flowctl-protos:health / reflection-*, the libraries' own files and loader options, checked by
// test/unit/proto-embedded.test.ts), and each handler hands its call to the library's own handler,
// which is created on first use. Answers are the library's, unchanged.
import type * as grpc from '@grpc/grpc-js';
import type { ServingStatus, ServingStatusMap } from 'grpc-health-check';
import type { ReflectionService } from '@grpc/reflection';
import healthSet from 'flowctl-protos:health';
import reflectionV1Set from 'flowctl-protos:reflection-v1';
import reflectionV1alphaSet from 'flowctl-protos:reflection-v1alpha';
import { embeddedPackageDefinition } from '../protoEmbed';

export const HEALTH_SERVICE = 'grpc.health.v1.Health';
const REFLECTION_SERVICES: Array<[typeof reflectionV1Set, string]> = [
  [reflectionV1Set, 'grpc.reflection.v1.ServerReflection'],
  [reflectionV1alphaSet, 'grpc.reflection.v1alpha.ServerReflection'],
];

type Handler = (...args: any[]) => unknown;
const INTERNAL = 13; // grpc.status.INTERNAL, without loading grpc-js here

/** The handlers a library's addToServer(server) registers, by method path. */
function captureHandlers(addToServer: (server: grpc.Server) => void): Map<string, Handler> {
  const byPath = new Map<string, Handler>();
  const capture = {
    addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation) {
      for (const [name, method] of Object.entries(definition)) {
        const h = (implementation[name] ?? implementation[method.originalName ?? '']) as Handler | undefined;
        if (h) byPath.set(method.path, h);
      }
    },
  };
  addToServer(capture as unknown as grpc.Server);
  return byPath;
}

/** Registers `definition` on `server`; each method calls the handler `real()` gives for its path. */
function addForwarding(server: grpc.Server, definition: grpc.ServiceDefinition, real: () => Map<string, Handler>): void {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    implementation[name] = ((...args: unknown[]) => {
      let h: Handler | undefined;
      let problem: string | undefined;
      try {
        h = real().get(method.path);
        if (!h) problem = `no handler for ${method.path}`;
      } catch (err) {
        problem = `${method.path} is not available: ${(err as Error).message}`;
      }
      if (h) return h(...args);
      // Unary and client-streaming calls answer through their callback; the others through the call.
      const [call, callback] = args as [{ emit(ev: 'error', e: object): void }, unknown];
      const status = { code: INTERNAL, details: `flowctl: ${problem}` };
      if (typeof callback === 'function') callback(status, null);
      else call.emit('error', status);
    }) as grpc.UntypedHandleCall;
  }
  server.addService(definition, implementation);
}

/** grpc-health-check's HealthImplementation, created (with the statuses set so far) on the first health call. */
export class LazyHealth {
  private readonly statuses: ServingStatusMap;
  private real?: { setStatus(service: string, status: ServingStatus): void };
  private handlers?: Map<string, Handler>;

  constructor(initial: ServingStatusMap) {
    this.statuses = { ...initial };
  }

  setStatus(service: string, status: ServingStatus): void {
    if (this.real) this.real.setStatus(service, status);
    else this.statuses[service] = status;
  }

  addToServer(server: grpc.Server): void {
    const definition = embeddedPackageDefinition(healthSet)[HEALTH_SERVICE] as grpc.ServiceDefinition;
    addForwarding(server, definition, () => this.load());
  }

  private load(): Map<string, Handler> {
    if (!this.handlers) {
      // Loaded here, not at start-up (an external package: a plain require at run time).
      const { HealthImplementation } = require('grpc-health-check') as typeof import('grpc-health-check');
      const real = new HealthImplementation(this.statuses);
      this.handlers = captureHandlers((s) => real.addToServer(s));
      this.real = real;
    }
    return this.handlers;
  }
}

/** @grpc/reflection's ReflectionService, built by `create` on the first reflection call. */
export class LazyReflection {
  private handlers?: Map<string, Handler>;

  constructor(private readonly create: () => ReflectionService) {}

  addToServer(server: grpc.Server): void {
    for (const [set, name] of REFLECTION_SERVICES) {
      addForwarding(server, embeddedPackageDefinition(set)[name] as grpc.ServiceDefinition, () => this.load());
    }
  }

  private load(): Map<string, Handler> {
    if (!this.handlers) {
      const service = this.create();
      this.handlers = captureHandlers((s) => service.addToServer(s));
    }
    return this.handlers;
  }
}
