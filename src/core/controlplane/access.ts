// Who may do what on a control plane. Components cannot authenticate (the Go SDK sends no
// credentials), so on an embedded control plane they are recognised by where they run: the process
// behind the connection (peerProcess.ts, looked up once per connection) must be a process of this
// run (`isRunProcess`, given by the runner: the run marker in its environment, its container…). The
// run's owner (our CLI and the extension) proves itself with the per-run token from the 0600 endpoint
// file, sent as metadata `x-flowctl-run-token`.
//
//   register / heartbeat / unregister   a process of the run, an id the owner allowed for outside
//   (v1 and legacy)                      processes (allowExternal), or the owner
//   taking over an id                    never while the process that registered it is a live process
//                                        of the run (not even by another process of the run)
//   create / update / stop a run,        the owner only (when an ownerToken is set)
//   allow an outside component
//   reads (status, lists, runs)          everyone who can connect; configs are served redacted
//
// Without a policy (flowctl server) everything stays open, as in flowctl: bind it to loopback, or use
// mutual TLS off loopback. Where the process behind a connection cannot be found at all (not Linux, no
// /proc/net/tcp), component calls stay open too: refusing every component would break every run.
// A connection from a root-owned socket whose process we may not look at (we run as another user) counts
// as the run's: that is how a container of the run (root inside, host network) appears, and root could
// read the run's token anyway. Processes of other (non-root) users stay refused.
import * as fs from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { RUN_TOKEN_METADATA_KEY, tokensEqual } from '../runctl/token';
import type { Connection, ConnectionCaller, Connections } from './connections';
import { permissionDenied } from './errors';
import { processOfPeer } from './peerProcess';

export const RUN_TOKEN_METADATA = RUN_TOKEN_METADATA_KEY;

export interface PeerInfo {
  /** grpc-js peer string, e.g. `ipv4:127.0.0.1:53412`. */
  peer: string;
  /** The process behind the connection, if it could be found. */
  pid: number | undefined;
}

export interface AccessPolicy {
  /** The run owner's token. When set, owner-only calls (run create/update/stop, allowing outside components) need it. */
  ownerToken?: string;
  /**
   * When set, only processes for which this is true (or the owner, or ids in allowExternal) may
   * register, heartbeat or unregister components. Called once per connection (and again only to check
   * whether the holder of an id is still alive).
   */
  isRunProcess?: (pid: number) => boolean | Promise<boolean>;
  /** Processes likely at the other end of a connection (the ones the run spawned): looked at first (peerProcess.ts). */
  likelyPeers?: () => Iterable<number>;
  /** For connections whose process could not be found (e.g. another network namespace); default: not of the run. */
  isRunPeer?: (peer: PeerInfo) => boolean | Promise<boolean>;
  /** Component (service) ids that processes outside the run may register, heartbeat and unregister. */
  allowExternal?: Iterable<string>;
}

function tokenOf(call: grpc.ServerUnaryCall<any, any>): string | undefined {
  const values = call.metadata?.get(RUN_TOKEN_METADATA);
  const v = values?.[0];
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}


export class AccessControl {
  private readonly external: Set<string>;

  constructor(
    private readonly policy: AccessPolicy,
    private readonly connections: Connections,
    private readonly serverPort: () => number,
  ) {
    this.external = new Set(policy.allowExternal ?? []);
    this.canRestrict = typeof policy.isRunProcess === 'function' && peersFindable();
  }

  /** True when component calls are restricted to the run's processes. */
  get restricted(): boolean {
    return this.canRestrict;
  }

  private readonly canRestrict: boolean;

  /** Lets processes outside the run register (heartbeat, unregister) component id `id`. */
  allowExternal(id: string): void {
    this.external.add(id);
  }

  disallowExternal(id: string): void {
    this.external.delete(id);
  }

  externalIds(): string[] {
    return [...this.external].sort();
  }

  isOwner(call: grpc.ServerUnaryCall<any, any>): boolean {
    const token = this.policy.ownerToken;
    return token !== undefined && token !== '' && tokensEqual(token, tokenOf(call));
  }

  /** PERMISSION_DENIED unless the call carries the owner's token (open when no token is configured). */
  requireOwner(call: grpc.ServerUnaryCall<any, any>, method: string): void {
    const token = this.policy.ownerToken;
    if (token === undefined || token === '') return;
    if (this.isOwner(call)) return;
    const given = tokenOf(call) !== undefined;
    throw permissionDenied(
      `${method} is for the run's owner only: ${given ? 'the run token sent is wrong' : `no run token was sent (metadata ${RUN_TOKEN_METADATA})`}; ` +
        "use flowctl's CLI or the extension as the user who started the run (they read the token from the endpoint file)",
    );
  }

  /** The process behind the call's connection: cached on the connection, looked up once. */
  caller(call: grpc.ServerUnaryCall<any, any>, conn: Connection = this.connections.of(call)): ConnectionCaller | Promise<ConnectionCaller> {
    if (conn.caller) return conn.caller;
    if (!conn.callerLookup) {
      conn.callerLookup = this.lookUp(conn.peer).then((caller) => {
        conn.caller = caller;
        return caller;
      });
    }
    return conn.callerLookup;
  }

  private async lookUp(peer: string): Promise<ConnectionCaller> {
    let pid: number | undefined;
    let uid: number | undefined;
    try {
      ({ pid, uid } = await processOfPeer(peer, this.serverPort(), this.policy.likelyPeers));
    } catch {
      pid = undefined;
    }
    let inRun = false;
    try {
      if (pid !== undefined) inRun = !!(await this.policy.isRunProcess?.(pid));
      // A socket of root's whose process we may not look at (we are not root): typically a container of
      // the run (containers run as root; docker's --network host shares our socket table, not our right
      // to read root's /proc/<pid>/fd). Root can read the run's token anyway, so this opens nothing.
      else if (uid === 0 && OUR_UID !== 0) inRun = true;
      else if (this.policy.isRunPeer) inRun = !!(await this.policy.isRunPeer({ peer, pid }));
    } catch {
      inRun = false;
    }
    return { pid, inRun };
  }

  /**
   * May this call register / heartbeat / unregister `serviceId`? undefined = yes, decided at once (the
   * fast path: no policy, or the connection's process is known to be of the run); a promise otherwise.
   * Rejects (throws) PERMISSION_DENIED when not.
   */
  component(call: grpc.ServerUnaryCall<any, any>, serviceId: string | undefined, method: string): undefined | Promise<ConnectionCaller> {
    if (!this.restricted) return undefined;
    const conn = this.connections.of(call);
    const known = conn.caller;
    if (known?.inRun) return undefined;
    if (known) {
      this.decide(call, known, serviceId, method);
      return Promise.resolve(known);
    }
    return Promise.resolve(this.caller(call, conn)).then((caller) => {
      this.decide(call, caller, serviceId, method);
      return caller;
    });
  }

  private decide(call: grpc.ServerUnaryCall<any, any>, caller: ConnectionCaller, serviceId: string | undefined, method: string): void {
    if (caller.inRun) return;
    if (serviceId !== undefined && this.external.has(serviceId)) return;
    if (this.isOwner(call)) return;
    const who = caller.pid !== undefined ? `process ${caller.pid}` : 'the calling process (not found on this machine)';
    const id = serviceId ? ` ${serviceId}` : '';
    throw permissionDenied(
      `${method}${id} refused: ${who} is not part of this run. Only the run's own processes may register, heartbeat or unregister ` +
        `its components; to let a component started by hand (e.g. under a debugger) join, the run's owner allows its id ` +
        `(flowctl run --allow-external <id>, or the extension's action)`,
    );
  }

  /**
   * PERMISSION_DENIED if `serviceId` is held by a live process of the run other than the caller.
   * `holder` is the pid that registered it (Registry.holderOf).
   */
  async checkTakeOver(serviceId: string, holder: number | undefined, caller: ConnectionCaller | undefined, method: string): Promise<void> {
    if (!this.restricted || holder === undefined || holder === caller?.pid) return;
    let alive = false;
    try {
      alive = !!(await this.policy.isRunProcess!(holder));
    } catch {
      alive = false;
    }
    if (alive) {
      throw permissionDenied(
        `${method} ${serviceId} refused: that id is held by process ${holder}, a live process of this run; ` +
          'an id cannot be taken over while its process runs (stop or restart that component instead)',
      );
    }
  }
}

/**
 * A peer reached over a unix socket: grpc-js gives no address for those ('unknown'; a TCP peer is always
 * `host:port`). The only unix socket we serve is a run's private container socket (ControlPlaneServer.listenUnix).
 */
export function isUnixPeer(peer: string): boolean {
  return peer === 'unknown' || peer.startsWith('unix:');
}

const OUR_UID = typeof process.getuid === 'function' ? process.getuid() : -1;

/** Whether the process behind a local TCP connection can be found here (Linux with /proc). */
function peersFindable(): boolean {
  return process.platform === 'linux' && fs.existsSync('/proc/net/tcp');
}
