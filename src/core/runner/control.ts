// The runner's own gRPC service (flowctl.runner.v1.RunnerService, proto/flowctl/runner/v1/runner.proto)
// over the PipelineRunner interface: read the run (GetRun, WatchRun), control one component
// (Restart/Stop/StartComponent), stop the run (StopRun). Served on the run's control-plane port by
// openControlPlane (or on a loopback port of its own when the run uses an external control plane).
//
// Access: reads are open to loopback peers (anyone else needs the owner token); every action needs the
// owner token (metadata x-flowctl-run-token, constant-time compare) → PERMISSION_DENIED otherwise.
// Limits: component ids ≤ 253 characters, stop reasons ≤ 200, WatchRun streams per connection and in
// total, one action per component at a time (ABORTED for a second), a watcher that does not read gets
// only the latest snapshot once it drains (memory stays bounded).
import * as grpc from '@grpc/grpc-js';
import type { PipelineRunner } from '../runnerTypes';
import type { ComponentView } from '../events';
import { RUN_TOKEN_METADATA_KEY, tokensEqual } from '../runctl/token';
import { runnerServiceDefinition, type WireComponentActionResponse, type WireRun } from '../runctl/proto';
import { componentToWire, runToWire } from '../runctl/snapshot';
import { isLoopbackPeer } from '../runctl/peer';
import { sanitizeField } from '../text/terminal';

export const RUN_CONTROL_LIMITS = {
  /** Longest component id accepted (flowctl-style ids: letters, digits, `.`, `_`, `-`, at most 253). */
  maxComponentIdChars: 253,
  maxReasonChars: 200,
  /** Concurrent WatchRun streams on one connection (peer address and port). */
  maxWatchStreamsPerConnection: 4,
  /** Concurrent WatchRun streams in all. */
  maxWatchStreams: 64,
  defaultWatchIntervalMs: 500,
  minWatchIntervalMs: 100,
  maxWatchIntervalMs: 60_000,
  /** Valid ids listed in a NOT_FOUND message at most (the rest are counted). */
  maxIdsListed: 50,
};

type Action = 'restart' | 'stop' | 'start';

export interface RunControlOptions {
  runner: PipelineRunner;
  /** The run's owner token. */
  token: string;
  /** Pid of the process running the pipeline (default: this one). */
  runnerPid?: number;
  limits?: Partial<typeof RUN_CONTROL_LIMITS>;
}

export interface RunControl {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Sends every watcher a last snapshot and ends its stream; new watches are refused. Idempotent. */
  close(): void;
}

class CallError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

function tokenOf(call: { metadata: grpc.Metadata }): string | undefined {
  const values = call.metadata.get(RUN_TOKEN_METADATA_KEY);
  if (values.length !== 1) return undefined; // none, or several (never ours)
  const v = values[0];
  return typeof v === 'string' ? v : undefined;
}

function serviceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof CallError) return { code: err.code, details: err.message };
  return { code: grpc.status.INTERNAL, details: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

export function createRunControl(opts: RunControlOptions): RunControl {
  const limits = { ...RUN_CONTROL_LIMITS, ...opts.limits };
  const { runner, token } = opts;
  const runnerPid = opts.runnerPid ?? process.pid;
  const busy = new Map<string, Action>();
  const watchers = new Set<Watcher>();
  const perConnection = new Map<string, number>();
  let closed = false;

  const wireRun = (): WireRun => runToWire(runner.snapshot(), runnerPid);

  const requireOwner = (call: { metadata: grpc.Metadata }) => {
    const given = tokenOf(call);
    if (given === undefined) {
      throw new CallError(
        grpc.status.PERMISSION_DENIED,
        `missing owner token (metadata ${RUN_TOKEN_METADATA_KEY}): only the owner of this run — the flowctl CLI or editor using the FLOWCTL_HOME that started it — may control it`,
      );
    }
    if (!tokensEqual(token, given)) {
      throw new CallError(grpc.status.PERMISSION_DENIED, `wrong owner token: this run was started by another user or with another FLOWCTL_HOME`);
    }
  };

  const requireReader = (call: { metadata: grpc.Metadata; getPeer(): string }) => {
    if (isLoopbackPeer(call.getPeer())) return;
    if (tokensEqual(token, tokenOf(call))) return;
    throw new CallError(grpc.status.PERMISSION_DENIED, 'reading this run needs a loopback connection or the owner token');
  };

  const componentOf = (id: unknown): ComponentView => {
    if (typeof id !== 'string' || id.length === 0) throw new CallError(grpc.status.INVALID_ARGUMENT, 'component_id is required');
    if (id.length > limits.maxComponentIdChars) {
      throw new CallError(grpc.status.INVALID_ARGUMENT, `component_id is longer than ${limits.maxComponentIdChars} characters (limit maxComponentIdChars)`);
    }
    const snap = runner.snapshot();
    const view = snap.components.find((c) => c.id === id);
    if (!view) {
      const ids = snap.components.map((c) => c.id);
      const shown = ids.slice(0, limits.maxIdsListed).join(', ');
      const more = ids.length > limits.maxIdsListed ? ` … and ${ids.length - limits.maxIdsListed} more` : '';
      throw new CallError(
        grpc.status.NOT_FOUND,
        `no component "${sanitizeField(id, 80)}" in this run of ${snap.pipelineName}; valid ids: ${ids.length ? shown + more : '(none)'}`,
      );
    }
    if (snap.state !== 'running') {
      throw new CallError(grpc.status.FAILED_PRECONDITION, `the run is ${snap.state}, not running: its components can be controlled only while it runs`);
    }
    return view;
  };

  const act = (action: Action): grpc.handleUnaryCall<{ component_id: string }, WireComponentActionResponse> => (call, callback) => {
    void (async () => {
      requireOwner(call);
      const before = componentOf(call.request?.component_id);
      const id = before.id;
      const current = busy.get(id);
      if (current) throw new CallError(grpc.status.ABORTED, `${id} is being ${current === 'stop' ? 'stopped' : current === 'start' ? 'started' : 'restarted'}; try again when that has finished`);
      busy.set(id, action);
      const started = performance.now();
      try {
        if (action === 'restart') await runner.restartComponent(id);
        else if (action === 'stop') await runner.stopComponent(id);
        else await runner.startComponent(id);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new CallError(/^no component /.test(message) ? grpc.status.NOT_FOUND : grpc.status.FAILED_PRECONDITION, `${action} ${id}: ${message}`);
      } finally {
        busy.delete(id);
      }
      const after = runner.snapshot().components.find((c) => c.id === id);
      return {
        before: componentToWire(before),
        after: after ? componentToWire(after) : null,
        duration_ms: Math.round(performance.now() - started),
      };
    })().then(
      (res) => callback(null, res),
      (err) => callback(serviceError(err)),
    );
  };

  const implementation: grpc.UntypedServiceImplementation = {
    GetRun: ((call, callback) => {
      try {
        requireReader(call);
        const run = wireRun();
        // The metric history on request (bounded: at most the ring's 600 samples of each series).
        const seconds = Math.min(600, Math.max(0, Math.floor(Number((call.request as { history_seconds?: number } | undefined)?.history_seconds ?? 0)) || 0));
        if (seconds > 0 && runner.history) run.history_json = JSON.stringify(runner.history.toJSON(Math.ceil((seconds * 1000) / runner.history.intervalMs)));
        callback(null, run);
      } catch (err) {
        callback(serviceError(err));
      }
    }) as grpc.handleUnaryCall<unknown, WireRun>,

    WatchRun: ((call: grpc.ServerWritableStream<{ min_interval_ms?: number }, WireRun>) => {
      try {
        requireReader(call);
        if (closed) throw new CallError(grpc.status.UNAVAILABLE, 'the run is shutting down');
        const connection = call.getPeer();
        if ((perConnection.get(connection) ?? 0) >= limits.maxWatchStreamsPerConnection) {
          throw new CallError(grpc.status.RESOURCE_EXHAUSTED, `at most ${limits.maxWatchStreamsPerConnection} WatchRun streams per connection (limit maxWatchStreamsPerConnection)`);
        }
        if (watchers.size >= limits.maxWatchStreams) {
          throw new CallError(grpc.status.RESOURCE_EXHAUSTED, `at most ${limits.maxWatchStreams} WatchRun streams at once (limit maxWatchStreams)`);
        }
        const asked = Number(call.request?.min_interval_ms) || limits.defaultWatchIntervalMs;
        const interval = Math.min(limits.maxWatchIntervalMs, Math.max(limits.minWatchIntervalMs, asked));
        perConnection.set(connection, (perConnection.get(connection) ?? 0) + 1);
        const w = new Watcher(call, interval, wireRun, () => {
          watchers.delete(w);
          const n = (perConnection.get(connection) ?? 1) - 1;
          if (n <= 0) perConnection.delete(connection);
          else perConnection.set(connection, n);
        });
        watchers.add(w);
        w.subscription = runner.onEvent((e) => {
          if (e.type !== 'log') w.changed();
        });
        w.send();
      } catch (err) {
        call.emit('error', serviceError(err));
      }
    }) as grpc.handleServerStreamingCall<unknown, WireRun>,

    RestartComponent: act('restart'),
    StopComponent: act('stop'),
    StartComponent: act('start'),

    StopRun: ((call: grpc.ServerUnaryCall<{ reason?: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      try {
        requireOwner(call);
        const given = typeof call.request?.reason === 'string' ? call.request.reason : '';
        const reason = sanitizeField(given, limits.maxReasonChars) || 'stop requested through the runner service';
        const state = runner.snapshot().state;
        if (state === 'stopped' || state === 'failed') {
          callback(null, { state, runner_pid: runnerPid });
          return;
        }
        // Not awaited: stopping ends with this very server closing, which waits for calls in flight.
        void runner.stop(reason).catch(() => undefined);
        callback(null, { state: 'stopping', runner_pid: runnerPid });
      } catch (err) {
        callback(serviceError(err));
      }
    }) as grpc.handleUnaryCall<unknown, unknown>,
  };

  return {
    definition: runnerServiceDefinition(),
    implementation,
    close() {
      if (closed) return;
      closed = true;
      for (const w of [...watchers]) w.finish();
    },
  };
}

/** One WatchRun stream: coalesces changes to at most one message per interval and never queues more than one. */
class Watcher {
  subscription?: { dispose(): void };
  private timer?: NodeJS.Timeout;
  private lastSent = 0;
  private waitingForDrain = false;
  private pending = false;
  private done = false;

  constructor(
    private readonly call: grpc.ServerWritableStream<unknown, WireRun>,
    private readonly intervalMs: number,
    private readonly snapshot: () => WireRun,
    private readonly onDone: () => void,
  ) {
    const end = () => this.cleanup();
    call.on('cancelled', end);
    call.on('error', end);
    call.on('close', end);
    call.on('finish', end);
    call.on('drain', () => {
      this.waitingForDrain = false;
      if (this.pending) this.changed();
    });
  }

  changed(): void {
    if (this.done) return;
    this.pending = true;
    if (this.timer || this.waitingForDrain) return;
    const wait = Math.max(0, this.lastSent + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, wait);
    this.timer.unref();
  }

  send(): void {
    if (this.done) return;
    this.pending = false;
    this.lastSent = Date.now();
    // write() returning false means the client is not reading: hold on (only "something changed" is kept).
    if (!this.call.write(this.snapshot())) this.waitingForDrain = true;
  }

  /** Last snapshot (if the client is reading) and the end of the stream. */
  finish(): void {
    if (this.done) return;
    if (!this.waitingForDrain) this.call.write(this.snapshot());
    this.cleanup();
    this.call.end();
  }

  private cleanup(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.subscription?.dispose();
    this.onDone();
  }
}
