// What the gRPC service adapters (v1Service.ts, legacyService.ts, accessService.ts) share: the
// registry, the connection table (answer budgets), the access rules, and the log.
import type { AccessControl, PeerInfo } from './access';
import type { ConnectionCaller, Connections } from './connections';
import type { LogFn, Registry } from './registry';
import type * as grpc from '@grpc/grpc-js';
import { EMPTY } from './grpcUtil';

export interface HandlerContext {
  registry: Registry;
  connections: Connections;
  /** Undefined: everything open (flowctl server). */
  access: AccessControl | undefined;
  log: LogFn;
}

export type { PeerInfo };

/**
 * Runs `then` once the call may touch component `serviceId` (see AccessControl.component): at once
 * (synchronously) when allowed without waiting, else after the connection's process was looked up.
 */
export function withComponentAccess<T>(
  ctx: HandlerContext,
  call: grpc.ServerUnaryCall<any, any>,
  serviceId: string | undefined,
  method: string,
  then: () => T,
): T | Promise<Awaited<T>> {
  const gate = ctx.access?.component(call, serviceId, method);
  if (gate === undefined) return then();
  return gate.then(() => then()) as Promise<Awaited<T>>;
}

/**
 * For a registration: the caller (pid) when access is restricted, after checking that `serviceId` is
 * not held by another live process of the run. Re-checks if the holder changed meanwhile.
 */
export async function registrationCaller(
  ctx: HandlerContext,
  call: grpc.ServerUnaryCall<any, any>,
  serviceId: string | undefined,
  method: string,
): Promise<ConnectionCaller | undefined> {
  const access = ctx.access;
  if (!access?.restricted) return undefined;
  const gate = access.component(call, serviceId, method);
  if (gate) await gate;
  const caller = await access.caller(call);
  if (serviceId === undefined) return caller;
  for (let i = 0; i < 10; i++) {
    const holder = ctx.registry.holderOf(serviceId);
    await access.checkTakeOver(serviceId, holder, caller, method);
    if (ctx.registry.holderOf(serviceId) === holder) return caller;
  }
  return caller;
}

/**
 * The Heartbeat handler of both services: `record` applies the beat to the registry; the answer waits for
 * the write the registry asks for (if any). Allocation-free when the call may go ahead at once (the usual case).
 */
export function heartbeatHandler(ctx: HandlerContext, record: (req: any) => void): (req: any, call: grpc.ServerUnaryCall<any, any>) => unknown {
  const beat = (req: any) => {
    record(req);
    const write = ctx.registry.takeHeartbeatWrite();
    return write ? write.then(() => EMPTY) : EMPTY;
  };
  return (req, call) => {
    const gate = ctx.access?.component(call, req.service_id, 'Heartbeat');
    return gate === undefined ? beat(req) : gate.then(() => beat(req));
  };
}
