// How `flowctl restart|stop|start` reach a live run's runner service: `--control-plane-address/
// --control-plane-port` (the control-plane port of a run, or its runner port), else the endpoint file
// (the run of -f/--file, the flow.yml here, or the only live run). The owner token and TLS settings come
// from the run's entry; without the entry there is no token and actions are refused (PERMISSION_DENIED).
// Also: the messages for every way this can fail, and waiting for a component or run to get somewhere.
import * as grpc from '@grpc/grpc-js';
import { dialAddress, entryAlive, readEndpointEntries, runnerDialAddress, type EndpointEntry } from '../core/endpointFile';
import { endpointFilePath } from '../core/paths';
import { chooseEntry, entriesAt } from '../core/runctl/findRun';
import { RunnerCallError, RunnerClient } from '../core/runctl/client';
import type { RemoteRunSnapshot } from '../core/runctl/snapshot';
import type { ComponentView } from '../core/events';
import { sanitizeField } from '../core/text/terminal';
import { tlsSettings, type EndpointFlags } from './client';

export interface RunTarget {
  client: RunnerClient;
  /** host:port of the runner service. */
  target: string;
  /** The run's endpoint entry (absent when flags point somewhere the endpoint file does not know). */
  entry?: EndpointEntry;
}

export function noRunMessage(): string {
  return `no flowctl run is running (no live run in ${endpointFilePath()})\nstart one with: flowctl run [flow.yml]`;
}

/** Finds the run and connects to its runner service (2 s), or throws a message a user can act on. */
export async function connectRun(flags: EndpointFlags, timeoutMs = 2000): Promise<RunTarget> {
  const entries = readEndpointEntries();
  let entry: EndpointEntry | undefined;
  let target: string;
  const explicit = flags['control-plane-addr'] ?? flags.endpoint;
  if (explicit || flags['control-plane-address'] !== undefined || flags['control-plane-port'] !== undefined) {
    const given = explicit ?? dialAddress({ address: flags['control-plane-address'] ?? '127.0.0.1', port: Number(flags['control-plane-port'] ?? 8080) });
    // Several runs can share one external control plane: then -f (or the flow.yml here) says which.
    const here = entriesAt(entries.filter((e) => e.kind === 'run'), given);
    entry = here.length > 1 ? chooseEntry(here, { file: flags.file, strictFile: !!flags.file, kinds: ['run'] }) : here[0];
    target = entry ? runnerDialAddress(entry) : given;
  } else {
    entry = chooseEntry(entries, { file: flags.file, strictFile: true, kinds: ['run'] });
    if (!entry) throw new Error(noRunMessage());
    target = runnerDialAddress(entry);
  }
  // A runner service on its own port (external control plane) is plaintext loopback; otherwise the entry's TLS, flags over it.
  const tls = entry?.runner ? null : tlsSettings(flags, entry?.tls);
  const client = new RunnerClient({ address: target, token: entry?.token, tls });
  try {
    await client.waitForReady(timeoutMs);
  } catch {
    client.close();
    throw new Error(
      entry
        ? `the flowctl run of ${entry.file ?? entry.pipeline} (pid ${entry.pid}) does not answer at ${target}`
        : `no flowctl run is reachable at ${target}\nstart one with: flowctl run [flow.yml], or give its address with --control-plane-address/--control-plane-port`,
    );
  }
  return { client, target, entry };
}

/** The message for a failed runner call. */
export function explain(err: unknown, t: Pick<RunTarget, 'target' | 'entry'>): Error {
  if (!(err instanceof RunnerCallError)) return err instanceof Error ? err : new Error(String(err));
  switch (err.code) {
    case grpc.status.PERMISSION_DENIED:
      return new Error(
        `this run belongs to another user/home: only the flowctl that started it (same user, same FLOWCTL_HOME) may control it` +
          (t.entry ? '' : `\n(no entry for ${t.target} in ${endpointFilePath()}, so no owner token was sent)`) +
          `\nserver said: ${sanitizeField(err.details, 1000)}`,
      );
    case grpc.status.UNIMPLEMENTED:
      return new Error(
        `the control plane at ${t.target} has no runner service (a flowctl server, or another flowctl): ` +
          `restart/stop/start work with runs started by this flowctl (flowctl run or the VS Code extension)`,
      );
    case grpc.status.UNAVAILABLE:
      return new Error(`lost the connection to the run at ${t.target} (${sanitizeField(err.details, 500)})`);
    case grpc.status.DEADLINE_EXCEEDED:
      return new Error(`the run at ${t.target} did not answer in time (use --timeout to wait longer)`);
    default:
      return new Error(sanitizeField(err.details || err.message, 4000));
  }
}

export function elapsed(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/**
 * Watches the run until `check` returns a view (done) or an Error (failed), the run leaves `running`, or
 * the time is up.
 */
export async function waitForComponent(
  client: RunnerClient,
  id: string,
  check: (view: ComponentView) => ComponentView | Error | undefined,
  timeoutMs: number,
  what: string,
): Promise<ComponentView> {
  let result: ComponentView | Error | undefined;
  const watch = client.watchRun(
    (run: RemoteRunSnapshot) => {
      if (result) return;
      const view = run.components.find((c) => c.id === id);
      if (run.state !== 'running') result = new Error(`the run is ${run.state} (${what} did not happen)`);
      else if (view) result = check(view);
      if (result) watch.cancel();
    },
    { minIntervalMs: 100 },
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      result ??= new Error(`${what} did not happen within ${elapsed(timeoutMs)} (use --timeout to wait longer)`);
      watch.cancel();
      resolve();
    }, timeoutMs);
  });
  try {
    await Promise.race([watch.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
  if (!result) throw new Error(`the run ended before ${what}`);
  if (result instanceof Error) throw result;
  return result;
}

/** Waits for a local process to end (pid + start time); false when it is still there after timeoutMs. */
export async function waitForExit(entry: Pick<EndpointEntry, 'pid' | 'pidStartTime'>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (entryAlive(entry)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Waits until the run's entry has left the endpoint file (or its process died); false after timeoutMs. */
export async function waitForEntryGone(entry: EndpointEntry, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const present = () => readEndpointEntries().some((e) => e.pid === entry.pid && (entry.token ? e.token === entry.token : e.port === entry.port));
  while (present()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
