// A typed client of a run's runner service (flowctl.runner.v1.RunnerService): the CLI's restart/stop/start
// use it, and so can the extension's Connect… for a run started elsewhere. The owner token (from the
// run's endpoint entry) goes on every call as metadata; TLS follows the entry's settings.
import * as grpc from '@grpc/grpc-js';
import type { ComponentView } from '../events';
import { RUN_TOKEN_METADATA_KEY } from './token';
import { runnerClientConstructor, type WireComponentActionResponse, type WireRun, type WireStopRunResponse } from './proto';
import type { HistoryJson } from '../history/metricHistory';
import { componentFromWire, runFromWire, type RemoteRunSnapshot } from './snapshot';
import { clientChannel, type ClientTlsSettings } from './clientTls';

export interface RunnerTarget {
  /** host:port of the runner service. */
  address: string;
  /** The run's owner token (needed for every action; reads work without it on loopback). */
  token?: string;
  /** null/undefined = plaintext. */
  tls?: ClientTlsSettings | null;
}

export interface ComponentActionResult {
  before?: ComponentView;
  after?: ComponentView;
  durationMs: number;
}

export interface RunWatch {
  /** Ends the watch (done then resolves). */
  cancel(): void;
  /** Resolves when the stream ends (the run's control plane shut down, or cancel()); rejects on an error. */
  readonly done: Promise<void>;
}

/** A failed call: the gRPC status code and the server's message. */
export class RunnerCallError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    readonly target: string,
  ) {
    super(details || grpc.status[code] || `gRPC status ${code}`);
    this.name = 'RunnerCallError';
  }
}

/** Adds the owner token to every call's metadata. */
export function tokenInterceptor(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(RUN_TOKEN_METADATA_KEY, token);
        next(metadata, listener);
      },
    });
}

const ANSWER_LIMIT_BYTES = 64 * 1024 * 1024;

export class RunnerClient {
  private readonly client: grpc.Client & Record<string, any>;

  /** `channelOptions`: extra grpc-js channel options (e.g. `grpc.use_local_subchannel_pool` for a connection of its own). */
  constructor(
    readonly target: RunnerTarget,
    channelOptions: grpc.ChannelOptions = {},
  ) {
    const { credentials, options } = clientChannel(target.tls);
    const Ctor = runnerClientConstructor();
    this.client = new Ctor(target.address, credentials, {
      ...channelOptions,
      ...options,
      'grpc.max_receive_message_length': ANSWER_LIMIT_BYTES,
      interceptors: target.token ? [tokenInterceptor(target.token)] : [],
    }) as grpc.Client & Record<string, any>;
  }

  /** Resolves once connected; rejects after timeoutMs. */
  waitForReady(timeoutMs = 2000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (err?: Error) => (err ? reject(err) : resolve())),
    );
  }

  private unary<Res>(method: string, request: unknown, timeoutMs: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client[method](request, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: Res) =>
        err ? reject(new RunnerCallError(err.code, err.details, this.target.address)) : resolve(res),
      );
    });
  }

  async getRun(timeoutMs = 5000): Promise<RemoteRunSnapshot> {
    return runFromWire(await this.unary<WireRun>('GetRun', {}, timeoutMs));
  }

  /** The runner's metric history of the last `seconds` (≤ 600); undefined when the runner has none. */
  async getHistory(seconds: number, timeoutMs = 5000): Promise<HistoryJson | undefined> {
    const w = await this.unary<WireRun>('GetRun', { history_seconds: Math.min(600, Math.max(1, Math.floor(seconds))) }, timeoutMs);
    if (!w.history_json) return undefined;
    const parsed = JSON.parse(w.history_json) as HistoryJson;
    return parsed && Array.isArray(parsed.times) && parsed.components && typeof parsed.components === 'object' ? parsed : undefined;
  }

  watchRun(onSnapshot: (run: RemoteRunSnapshot) => void, opts: { minIntervalMs?: number } = {}): RunWatch {
    const call: grpc.ClientReadableStream<WireRun> = this.client.WatchRun({ min_interval_ms: opts.minIntervalMs ?? 0 });
    let cancelled = false;
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (w: WireRun) => onSnapshot(runFromWire(w)));
      call.on('error', (err: grpc.ServiceError) => {
        if (cancelled && err.code === grpc.status.CANCELLED) resolve();
        else reject(new RunnerCallError(err.code, err.details, this.target.address));
      });
      call.on('status', (s: grpc.StatusObject) => {
        if (s.code === grpc.status.OK) resolve();
      });
    });
    return {
      cancel: () => {
        cancelled = true;
        call.cancel();
      },
      done,
    };
  }

  private async action(method: string, id: string, timeoutMs: number): Promise<ComponentActionResult> {
    const res = await this.unary<WireComponentActionResponse>(method, { component_id: id }, timeoutMs);
    return {
      before: res.before ? componentFromWire(res.before) : undefined,
      after: res.after ? componentFromWire(res.after) : undefined,
      durationMs: Number(res.duration_ms),
    };
  }

  restartComponent(id: string, timeoutMs = 120_000): Promise<ComponentActionResult> {
    return this.action('RestartComponent', id, timeoutMs);
  }

  stopComponent(id: string, timeoutMs = 120_000): Promise<ComponentActionResult> {
    return this.action('StopComponent', id, timeoutMs);
  }

  startComponent(id: string, timeoutMs = 120_000): Promise<ComponentActionResult> {
    return this.action('StartComponent', id, timeoutMs);
  }

  /** Asks the run to stop; answers at once (state `stopping`). */
  async stopRun(reason = '', timeoutMs = 10_000): Promise<{ state: string; runnerPid: number }> {
    const res = await this.unary<WireStopRunResponse>('StopRun', { reason }, timeoutMs);
    return { state: res.state, runnerPid: Number(res.runner_pid) };
  }

  close(): void {
    this.client.close();
  }
}
