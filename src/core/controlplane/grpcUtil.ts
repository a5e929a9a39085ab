// Handler plumbing shared by the v1 and legacy services: every handler is wrapped so nothing a
// client sends can crash the process, and registry errors become real gRPC status codes.
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneError, type ControlPlaneErrorCode } from './errors';
import { formatBytes } from './limits';
import type { LogFn } from './registry';

const CODES: Record<ControlPlaneErrorCode, grpc.status> = {
  NOT_FOUND: grpc.status.NOT_FOUND,
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  INTERNAL: grpc.status.INTERNAL,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
};

/** The gRPC status for anything a handler threw (unexpected errors are INTERNAL and logged). */
export function toServiceError(method: string, err: unknown, log: LogFn): Partial<grpc.StatusObject> {
  if (err instanceof ControlPlaneError) {
    if (err.code === 'INTERNAL') log('error', `${method}: ${err.message}`);
    return { code: CODES[err.code], details: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  log('error', `${method} failed: ${err instanceof Error && err.stack ? err.stack : message}`);
  return { code: grpc.status.INTERNAL, details: `internal error: ${message}` };
}

/** The shared google.protobuf.Empty reply. */
export const EMPTY: Record<string, never> = Object.freeze({}) as Record<string, never>;

type Handler = (request: any, call: grpc.ServerUnaryCall<any, any>) => unknown;

/** Marks a request that was over its method's size limit: it was not decoded (see limitRequestSizes). */
const TOO_LARGE = Symbol('flowctl.requestTooLarge');

interface TooLarge {
  [TOO_LARGE]: { size: number; limit: number; limitName: string };
}

/**
 * A copy of `service` whose requests are refused before decoding when larger than `maxBytes(method)`:
 * the handler (wrapped by unary()) answers RESOURCE_EXHAUSTED naming the limit. Requests above the
 * transport limit (grpc.max_receive_message_length) never get this far.
 */
export function limitRequestSizes(
  service: grpc.ServiceDefinition,
  maxBytes: (method: string) => { bytes: number; name: string },
): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<any, any>> = {};
  for (const [name, method] of Object.entries(service)) {
    const { bytes, name: limitName } = maxBytes(name);
    const decode = method.requestDeserialize;
    out[name] = {
      ...method,
      requestDeserialize: (buf: Buffer) => (buf.length > bytes ? ({ [TOO_LARGE]: { size: buf.length, limit: bytes, limitName } } as TooLarge) : decode(buf)),
    };
  }
  return out as grpc.ServiceDefinition;
}

/** Wraps a (sync or async) handler: sync results are answered without allocating a promise. */
export function unary(method: string, fn: Handler, log: LogFn): grpc.handleUnaryCall<any, any> {
  return (call, callback) => {
    const tooLarge = (call.request as Partial<TooLarge> | null)?.[TOO_LARGE];
    if (tooLarge !== undefined) {
      callback({
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: `${method} request is too large: ${formatBytes(tooLarge.size)}, limit ${formatBytes(tooLarge.limit)} (${tooLarge.limitName})`,
      });
      return;
    }
    let result: unknown;
    try {
      result = fn(call.request, call);
    } catch (err) {
      callback(toServiceError(method, err, log));
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value) => callback(null, value),
        (err) => callback(toServiceError(method, err, log)),
      );
    } else {
      callback(null, result);
    }
  };
}
