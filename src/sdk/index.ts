// flowctl component SDK for TypeScript/JavaScript.
//
//   import { runSource } from 'flowctl/sdk';          // dist/sdk.js
//   await runSource({ name: 'ticker', outputEventTypes: ['demo.tick.v1'], async *produce(ctx) { … } });
//
// Environment contract (what `flowctl run` injects; the Go SDK reads the same):
//   ENABLE_FLOWCTL               "true" (any case) → register with the control plane; otherwise standalone
//   FLOWCTL_ENDPOINT             control plane host:port (an "http://" prefix is stripped) or a unix:///path socket; default 127.0.0.1:8080
//   FLOWCTL_COMPONENT_ID         component id; fallback COMPONENT_ID, then the kebab-cased name
//   FLOWCTL_HEARTBEAT_INTERVAL   Go duration ("10s", "500ms", "1m30s"); default 10s. flowctl's own Node
//                                clients read this with parseInt() as milliseconds ("10s" → 10 ms); we
//                                parse it as a Go duration. A bare number is not a Go duration: it is
//                                rejected (warning, default used). For milliseconds use
//                                FLOWCTL_HEARTBEAT_INTERVAL_MS (a number), which wins when both are set.
//   PORT                         data-plane gRPC listen address: ":50051" / "50051" (127.0.0.1), "host:50051",
//                                "0.0.0.0:50051" for every interface; unset = 127.0.0.1 on a free port
//   HEALTH_PORT                  HTTP /health /ready /live /metrics (JSON); unset = no HTTP server, 0 = free port
//   HEALTH_HOST                  address the HTTP health server binds; default 127.0.0.1 (loopback only;
//                                the Go SDK binds every interface, set HEALTH_HOST=0.0.0.0 for that)
//   FLOWCTL_ADVERTISE_HOST       host put in the registered data-plane endpoint instead of 127.0.0.1 (in a
//                                cluster: this replica's address, e.g. the pod IP); unset, a hub in another
//                                container dials the address the registration came from
//   FLOWCTL_INSTANCE             this replica's name (swarm task slot, pod name), sent as metadata so the hub
//                                keeps each replica's instance id across re-registrations
//   FLOWCTL_PARTITION_KEY        replicas behind a hub: events with the same value of this Event field or
//                                metadata key go to the same replica (default round-robin per event)
//   FLOWCTL_TLS_CA_FILE, FLOWCTL_TLS_CERT_FILE, FLOWCTL_TLS_KEY_FILE, FLOWCTL_TLS_SERVER_NAME
//                                TLS to the control plane (mutual with a client certificate); unset = plaintext
//
// Lifecycle: serve the data plane → register (component.id = component_id = id, endpoint
// 127.0.0.1:<port>; retried with backoff while the control plane is unreachable) → heartbeat every
// interval with the current health and metrics (re-register if the control plane forgot us) →
// on SIGTERM/SIGINT or stop(): STOPPING, finish open streams, UnregisterComponent, close, exit 0.
import { ComponentRuntime } from './runtime';
import { consumerHandlers, processorHandlers, sourceHandlers } from './services';
import type { ComponentHandle, ConsumerOptions, ProcessorOptions, SourceOptions } from './types';

export type { ComponentHandle, ConsumerOptions, Context, ProcessorOptions, ProcessResult, SourceContext, SourceOptions, CommonOptions } from './types';
export type { EventInit, FlowEvent } from './events';
export type { HealthName } from './health';
export type { MetricsApi } from './metrics';
export { ComponentMetrics } from './metrics';
export { parseGoDuration } from '../core/duration';
export { readSdkConfig, parseListenAddress, kebabCase, type SdkConfig } from './config';

function requireTypes(kind: string, field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((t) => typeof t !== 'string' || t === '')) {
    throw new Error(`${kind}: "${field}" must be an array of non-empty strings`);
  }
  return value as string[];
}

function requireFn(kind: string, field: string, value: unknown): void {
  if (typeof value !== 'function') throw new Error(`${kind}: "${field}" must be a function`);
}

/** Runs a source: serves flowctl.v1.SourceService; `produce` is called for each StreamEvents call. */
export async function runSource(opts: SourceOptions): Promise<ComponentHandle> {
  const out = requireTypes('runSource', 'outputEventTypes', opts?.outputEventTypes);
  requireFn('runSource', 'produce', opts.produce);
  const rt = new ComponentRuntime('source', opts, [], out);
  return rt.start(sourceHandlers(rt, opts));
}

/** Runs a processor: serves flowctl.v1.ProcessorService (bidirectional Process stream, order kept). */
export async function runProcessor(opts: ProcessorOptions): Promise<ComponentHandle> {
  const inp = requireTypes('runProcessor', 'inputEventTypes', opts?.inputEventTypes);
  const out = requireTypes('runProcessor', 'outputEventTypes', opts.outputEventTypes);
  requireFn('runProcessor', 'process', opts.process);
  const rt = new ComponentRuntime('processor', opts, inp, out);
  return rt.start(processorHandlers(rt, opts));
}

/** Runs a consumer (sink): serves flowctl.v1.ConsumerService (client-streaming Consume). */
export async function runConsumer(opts: ConsumerOptions): Promise<ComponentHandle> {
  const inp = requireTypes('runConsumer', 'inputEventTypes', opts?.inputEventTypes);
  requireFn('runConsumer', 'consume', opts.consume);
  const rt = new ComponentRuntime('consumer', opts, inp, []);
  return rt.start(consumerHandlers(rt, opts));
}

/** Sleeps, waking early (without throwing) when the signal aborts. Handy inside produce(). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
