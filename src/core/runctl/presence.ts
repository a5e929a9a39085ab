// A run's presence on this machine, from before its control plane opens until it has stopped:
//   - the run lock (one run per pipeline file),
//   - the owner token,
//   - the runner service (on the control-plane port, or on a loopback port of its own when the control
//     plane is external),
//   - the run's entry in the endpoint file (removed on close, and on process exit if close never came).
// openControlPlane() claims it and wraps the ControlPlaneLink so the runner's usual cp.close() ends it.
import * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import type { ControlPlaneLink, CreateRunInput } from '../runner/controlPlaneLink';
import type { PipelineRunner, TlsFiles } from '../runnerTypes';
import { createRunControl, type RunControl } from '../runner/control';
import { addEndpointEntry, removeEndpointEntries, updateEndpointEntries, type EndpointTls } from '../endpointFile';
import { endpointFilePath } from '../paths';
import { acquireRunLock, type RunLock } from './runLock';
import { newRunToken } from './token';
import { clientTlsForServer } from './clientTls';
import { onProcessExit } from './exitHook';

export interface ServiceEntry {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export interface ClaimOptions {
  /** FLOWCTL_HOME (endpoint file, locks). */
  home: string;
  /** Absolute pipeline file. */
  file: string;
  pipeline: string;
  /** Without a runner there is no runner service (lock, token and entry only). */
  runner?: PipelineRunner;
}

export class RunPresence {
  /** The run's owner token (also for the control plane's own access checks). */
  readonly token = newRunToken();
  private readonly control?: RunControl;
  private ownServer?: grpc.Server;
  private announced = false;
  private closed = false;
  private readonly endpointFile: string;
  private readonly forgetExit: () => void;

  private constructor(
    private readonly opts: ClaimOptions,
    private readonly lock: RunLock,
  ) {
    this.endpointFile = endpointFilePath(opts.home);
    if (opts.runner) this.control = createRunControl({ runner: opts.runner, token: this.token });
    this.forgetExit = onProcessExit(() => this.closeSync());
  }

  /** Takes the run lock (throws PipelineAlreadyRunningError when the file already runs). */
  static claim(opts: ClaimOptions): RunPresence {
    const lock = acquireRunLock(opts.home, opts.file, opts.pipeline);
    return new RunPresence({ ...opts, file: path.resolve(opts.file) }, lock);
  }

  /** Extra services for the embedded control plane's server. */
  get services(): ServiceEntry[] {
    return this.control ? [{ definition: this.control.definition, implementation: this.control.implementation }] : [];
  }

  /** Serves the runner service on 127.0.0.1:<free port> (runs whose control plane is external). */
  async serveOwnPort(): Promise<{ address: string; port: number } | undefined> {
    if (!this.control) return undefined;
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024, 'grpc.max_concurrent_streams': 100 });
    server.addService(this.control.definition, this.control.implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.ownServer = server;
    return { address: '127.0.0.1', port };
  }

  /** Writes the run's entry. `tls` = the files the control plane serves (embedded) or dials with (external). */
  announce(at: { address: string; port: number; external: boolean; tls?: TlsFiles; runner?: { address: string; port: number } }): void {
    let tls: EndpointTls | null = null;
    if (at.tls) {
      tls = at.external
        ? { caFile: at.tls.caFile, certFile: at.tls.certFile, keyFile: at.tls.keyFile }
        : clientTlsForServer(at.tls, at.address === '0.0.0.0' ? '127.0.0.1' : at.address === '::' ? '::1' : at.address);
    }
    addEndpointEntry(
      {
        kind: 'run',
        address: at.address,
        port: at.port,
        pipeline: this.opts.pipeline,
        file: this.opts.file,
        token: this.token,
        tls,
        runner: at.runner,
      },
      this.endpointFile,
    );
    this.announced = true;
  }

  private mine = (e: { token?: string }) => e.token === this.token;

  setRunId(runId: string): void {
    if (this.announced && !this.closed) updateEndpointEntries(this.mine, { runId }, this.endpointFile);
  }

  /** The link, with close() also ending this presence and createRun() recording the run id in the entry. */
  wrap(link: ControlPlaneLink): ControlPlaneLink {
    return new Proxy(link, {
      get: (target, prop) => {
        if (prop === 'close') {
          return async () => {
            this.control?.close(); // watchers end first: the server's graceful shutdown waits for open streams
            try {
              await target.close();
            } finally {
              await this.close();
            }
          };
        }
        if (prop === 'createRun') {
          return async (input: CreateRunInput) => {
            await target.createRun(input);
            try {
              this.setRunId(input.runId);
            } catch {
              // the entry still finds the run; only its run id is missing
            }
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Ends the runner service, removes the entry, releases the lock. Idempotent; never throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.control?.close();
    const server = this.ownServer;
    if (server) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.closeSync();
  }

  private closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    this.forgetExit();
    this.control?.close();
    this.ownServer?.forceShutdown();
    if (this.announced) {
      try {
        removeEndpointEntries(this.mine, this.endpointFile);
      } catch {
        // a dead entry is pruned by the next writer and ignored by readers
      }
    }
    this.lock.release();
  }
}
