// Real grpc-js clients for the control plane, built from our own proto files (protos()), plus a
// promise wrapper and a status-code assertion.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';
import { protos } from '../../src/core/proto';

export type Client = grpc.Client & Record<string, any>;

export function v1Client(target: string, creds = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): Client {
  const Ctor = protos().v1.ControlPlaneService;
  return new Ctor(target, creds, options) as Client;
}

export function legacyClient(target: string, creds = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): Client {
  const Ctor = protos().legacy.ControlPlane;
  return new Ctor(target, creds, options) as Client;
}

const HealthClient = grpc.makeClientConstructor(healthServiceDefinition as unknown as grpc.ServiceDefinition, 'grpc.health.v1.Health');

export function healthClient(target: string, creds = grpc.credentials.createInsecure()): Client {
  return new HealthClient(target, creds) as Client;
}

/** Calls a unary method; rejects with the grpc.ServiceError. Default deadline 5 s. */
export function call<T = any>(client: Client, method: string, request: unknown, deadlineMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = client[method];
    if (typeof fn !== 'function') {
      reject(new Error(`no method ${method} on client`));
      return;
    }
    fn.call(client, request, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/** Asserts the promise rejects with this gRPC status code (and, if given, a matching message). */
export async function expectCode(p: Promise<unknown>, code: grpc.status, message?: string | RegExp): Promise<grpc.ServiceError> {
  let err: grpc.ServiceError | undefined;
  try {
    await p;
  } catch (e) {
    err = e as grpc.ServiceError;
  }
  assert.ok(err, `expected gRPC status ${grpc.status[code]}, but the call succeeded`);
  assert.equal(err.code, code, `expected ${grpc.status[code]}, got ${grpc.status[err.code]} (${err.details ?? err.message})`);
  if (typeof message === 'string') assert.equal(err.details, message);
  else if (message) assert.match(err.details, message);
  return err;
}

export function closeAll(...clients: Array<grpc.Client | undefined>): void {
  for (const c of clients) c?.close();
}

/** A minimal v1 ComponentInfo for tests. */
export function componentInfo(id: string, type = 1, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name: id, type, input_event_types: [], output_event_types: [], endpoint: '', metadata: {}, ...extra };
}
