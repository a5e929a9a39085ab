// Calls that wait for the registry: a control plane that listens before its registry is open (a run's,
// so that its components are spawned before the database is even loaded: server.ts, openRegistryAfterBind)
// opens the registry when asked (`ready`) or when the first call of a gated service arrives, holds each
// such call until it is open, then runs it as usual; if the registry cannot be opened, the call ends with
// UNAVAILABLE naming the reason. Once open, handlers are called directly (no promise per call).
import * as grpc from '@grpc/grpc-js';

export class RegistryGate {
  private open = false;
  private failure?: Error;
  private opening?: Promise<void>;

  /** `start` opens the registry; it is called once, by the first `ready` or the first call held. */
  constructor(private readonly start: () => Promise<void>) {}

  /** Opens the registry (once) and resolves when it is open; rejects when it cannot be opened. */
  get ready(): Promise<void> {
    if (!this.opening) {
      this.opening = Promise.resolve()
        .then(this.start)
        .then(
          () => {
            this.open = true;
          },
          (err: unknown) => {
            this.failure = err instanceof Error ? err : new Error(String(err));
            throw this.failure;
          },
        );
      this.opening.catch(() => undefined); // callers that care await it; the calls held get UNAVAILABLE
    }
    return this.opening;
  }

  private unavailable(): grpc.StatusObject & Error {
    const details = `the control plane could not open its registry: ${this.failure?.message ?? 'unknown error'}`;
    return Object.assign(new Error(details), { code: grpc.status.UNAVAILABLE, details, metadata: new grpc.Metadata() });
  }

  /** `impl` with every method of `def` held until the registry is open (unary methods: all the gated services have). */
  wrap(def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
    const out: grpc.UntypedServiceImplementation = { ...impl };
    for (const [name, method] of Object.entries(def)) {
      const key = name in impl ? name : method.originalName && method.originalName in impl ? method.originalName : undefined;
      if (!key) continue;
      if (method.requestStream || method.responseStream) throw new Error(`RegistryGate: ${method.path} streams; only unary calls can be held`);
      const handler = impl[key] as grpc.handleUnaryCall<unknown, unknown>;
      out[key] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (this.open) return handler(call, callback);
        this.ready.then(
          () => handler(call, callback),
          () => callback(this.unavailable()),
        );
      }) as grpc.UntypedHandleCall;
    }
    return out;
  }
}
