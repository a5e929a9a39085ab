// Errors the registry raises. They carry a transport-neutral code; the gRPC services map the code to
// a gRPC status (see grpcStatusOf in server.ts), in-process callers can switch on it.

export type ControlPlaneErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_ARGUMENT'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'PERMISSION_DENIED';

export class ControlPlaneError extends Error {
  constructor(
    readonly code: ControlPlaneErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ControlPlaneError';
  }
}

export function notFound(message: string): ControlPlaneError {
  return new ControlPlaneError('NOT_FOUND', message);
}

export function invalidArgument(message: string): ControlPlaneError {
  return new ControlPlaneError('INVALID_ARGUMENT', message);
}

/** A limit was reached (too many components, metric names, unread answers, …); the message names the limit. */
export function resourceExhausted(message: string): ControlPlaneError {
  return new ControlPlaneError('RESOURCE_EXHAUSTED', message);
}

export function permissionDenied(message: string): ControlPlaneError {
  return new ControlPlaneError('PERMISSION_DENIED', message);
}

export function internalError(message: string, cause?: unknown): ControlPlaneError {
  return new ControlPlaneError('INTERNAL', message, { cause });
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ControlPlaneError && err.code === 'NOT_FOUND';
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
