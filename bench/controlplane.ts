// Control-plane benchmark: `npm run bench:controlplane` (BENCH_SECONDS=2 for a quick run).
// Starts each server as its own child process (bench/controlplane-server.ts), so the server's CPU is
// read from the server process itself, then drives it over real gRPC from this process:
//   (a) our control plane, in memory   (b) our control plane, persistent (LMDB in a temp dir)
//   (c) a no-op grpc-js server of the same flowctl.v1.ControlPlaneService
// Load: 1000 registered components, 64 concurrent heartbeat callers for BENCH_SECONDS (default 10).
// For each server also: RSS with 10,000 registered components and ListComponents latency over them:
// end to end with the client our CLI uses (src/cli/client.ts connect(): fastV1ControlPlaneClient,
// ListComponents decoded by src/core/wire/listComponents.ts), end to end with the plain proto-loader
// client, and without decoding (a client whose deserializer keeps the received bytes), plus each
// decoder's time alone, and the latency when every record changed since the last list (each record
// re-encoded).
// Prints a table, the ratios against their targets, and a final JSON line.
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { packageDefinition, protos } from '../src/core/proto';
import { call as cliCall, connect as cliConnect, type Clients as CliClients } from '../src/cli/client';
import { decodeListComponentsResponse } from '../src/core/wire/listComponents';
import type { FromServer, ServerStats, ToServer } from './protocol';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Math.min(2, Math.max(0.5, SECONDS / 5));
const COMPONENTS = 1000;
const CONCURRENCY = 64;
const BIG = 10_000;
const LIST_CALLS = 7;
const CHANNELS = 4;
const ROUNDS = Math.max(1, Math.min(10, Math.round(SECONDS)));
const MB = 1024 * 1024;
const TARGETS = { cpuRatioMax: 1.15, throughputRatioMin: 0.8, rssMaxMb: 150, listMaxMs: 50 };

type Mode = 'memory' | 'lmdb' | 'noop';
const LABELS: Record<Mode, string> = {
  memory: '(a) ours, in memory',
  lmdb: '(b) ours, LMDB',
  noop: '(c) no-op grpc-js',
};
const MODES = (process.env.BENCH_SERVERS ?? 'memory,lmdb,noop').split(',').map((m) => m.trim()) as Mode[];
for (const m of MODES) if (!(m in LABELS)) throw new Error(`BENCH_SERVERS: unknown server ${m} (memory,lmdb,noop)`);
if (!(SECONDS > 0)) throw new Error(`BENCH_SECONDS must be a positive number (got ${process.env.BENCH_SECONDS})`);

const live = new Set<ChildProcess>();
function killAll(): void {
  for (const c of live) c.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

class ServerChild {
  private waiters: Array<(m: FromServer) => void> = [];
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (m: FromServer) => this.waiters.shift()?.(m));
  }

  static async start(mode: Mode): Promise<ServerChild> {
    const child = fork(path.join(__dirname, 'controlplane-server.js'), [mode], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(child);
    child.once('exit', () => live.delete(child));
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: FromServer) => (m.type === 'ready' ? resolve(m.port) : reject(new Error('unexpected message'))));
      child.once('exit', (code) => reject(new Error(`${mode} server exited during start (code ${code})`)));
    });
    return new ServerChild(child, port);
  }

  stats(gc = false): Promise<ServerStats> {
    return new Promise((resolve) => {
      this.waiters.push((m) => resolve(m as ServerStats));
      const msg: ToServer = { type: 'stats', gc };
      this.child.send(msg);
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    const msg: ToServer = { type: 'stop' };
    this.child.send(msg);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

type Client = grpc.Client & Record<string, Function>;

const LIST_METHOD = (packageDefinition()['flowctl.v1.ControlPlaneService'] as grpc.ServiceDefinition).ListComponents!;

/** ListComponents with a deserializer that keeps the bytes: server time + transfer, no client decoding. */
function rawList(client: Client, req: unknown): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(LIST_METHOD.path, LIST_METHOD.requestSerialize, (b: Buffer) => b, req, (err, res) => (err ? reject(err) : resolve(res!)));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function clients(port: number): Client[] {
  const Ctor = protos().v1.ControlPlaneService;
  return Array.from(
    { length: CHANNELS },
    () =>
      new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1, // one connection per client
        'grpc.max_receive_message_length': 256 * 1024 * 1024,
      }) as Client,
  );
}

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!.call(client, req, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

function component(i: number) {
  const id = `bench-component-${i}`;
  return {
    component_id: id,
    component: {
      id,
      name: `Bench component ${i}`,
      description: 'benchmark load',
      version: '1.0.0',
      type: 1 + (i % 3),
      input_event_types: i % 3 === 0 ? [] : ['stellar.ledger'],
      output_event_types: ['stellar.ledger'],
      endpoint: `127.0.0.1:${20000 + (i % 40000)}`,
      metadata: { team: 'bench', index: String(i) },
    },
  };
}

async function registerRange(cs: Client[], from: number, to: number): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = next++; i < to; i = next++) await call(cs[w % cs.length]!, 'RegisterComponent', component(i));
    }),
  );
}

interface HeartbeatResult {
  count: number;
  errors: number;
  firstError?: string;
  latenciesUs: Float64Array;
}

async function heartbeats(cs: Client[], seconds: number): Promise<HeartbeatResult> {
  const end = performance.now() + seconds * 1000;
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let k = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      const client = cs[w % cs.length]!;
      while (performance.now() < end) {
        const i = k++ % COMPONENTS;
        const req = { service_id: `bench-component-${i}`, status: 2, metrics: { events_processed: String(k) } };
        const t0 = process.hrtime.bigint();
        try {
          await call(client, 'Heartbeat', req);
          lat.push(Number(process.hrtime.bigint() - t0) / 1000);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  return { count: lat.length, errors, firstError, latenciesUs: Float64Array.from(lat).sort() };
}

function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function cpuUs(a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number {
  return b.user - a.user + (b.system - a.system);
}

interface ModeResult {
  mode: Mode;
  heartbeatsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerHeartbeat: number;
  heartbeatErrors: number;
  /** Throughput of each round, to show the spread caused by other load on the machine. */
  roundHeartbeatsPerSec: number[];
  /** RSS right after start (after GC), for reference. */
  rssMbStart?: number;
  rssMb10k?: number;
  /** End to end: call → decoded list, with the client our CLI uses (fast decoder). Median. */
  listComponents10kMs?: number;
  /** End to end: call → decoded list, with the plain proto-loader client. Median. */
  listComponents10kPlainMs?: number;
  /** Call → response bytes in the client, not decoded (server + transfer). Median. */
  listComponents10kRawMs?: number;
  /** Our decoder (src/core/wire) on those bytes alone. Median. */
  listComponents10kDecodeMs?: number;
  /** proto-loader's decoding of those bytes alone. Median. */
  listComponents10kPlainDecodeMs?: number;
  /** Like listComponents10kRawMs, but every record heartbeated (changed) since the last list. Median. */
  listComponents10kColdRawMs?: number;
  /** Server CPU spent per ListComponents call over 10,000 components (unchanged records). */
  listComponents10kServerCpuMs?: number;
  listComponentsCount?: number;
}

interface Target {
  mode: Mode;
  server: ServerChild;
  clients: Client[];
  count: number;
  errors: number;
  firstError?: string;
  seconds: number;
  cpuUs: number;
  latencies: Float64Array[];
  rounds: number[];
}

/** Heartbeats every one of the first n components once (a metric changes), so each record changed. */
async function heartbeatAll(cs: Client[], n: number, round: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = next++; i < n; i = next++) {
        await call(cs[w % cs.length]!, 'Heartbeat', { service_id: `bench-component-${i}`, status: 2, metrics: { round: String(round) } });
      }
    }),
  );
}

/**
 * A fresh server of this mode with 10,000 registered components: RSS after GC (and at start, for
 * reference), then ListComponents: median latency end to end with the CLI's client and with the plain
 * proto-loader client, not decoded, each decoder's time, the server CPU per call, and the not-decoded
 * latency right after all 10,000 changed.
 */
async function bigRegistry(mode: Mode, r: ModeResult): Promise<void> {
  const server = await ServerChild.start(mode);
  const cs = clients(server.port);
  let cli: CliClients | undefined;
  try {
    r.rssMbStart = (await server.stats(true)).rss / MB;
    await registerRange(cs, 0, BIG);
    await new Promise((res) => setTimeout(res, 500));
    r.rssMb10k = (await server.stats(true)).rss / MB;
    // The client `flowctl status` uses: connect() and call() of src/cli/client.ts, its own channel
    // with the CLI's default options.
    cli = await cliConnect({ 'control-plane-addr': `127.0.0.1:${server.port}` });
    const cliClient = cli.v1;
    const req = { type_filter: 0, include_unhealthy: true };
    const first = await cliCall<{ components: unknown[] }>(cliClient, 'ListComponents', req); // warm-up
    r.listComponentsCount = first.components.length;
    const firstPlain = await call<{ components: unknown[] }>(cs[0]!, 'ListComponents', req);
    if (JSON.stringify(first) !== JSON.stringify(firstPlain)) throw new Error('the CLI client and the proto-loader client decoded different lists');
    await rawList(cs[0]!, req);
    const fast: number[] = [];
    const plain: number[] = [];
    const raw: number[] = [];
    const decode: number[] = [];
    const plainDecode: number[] = [];
    const before = await server.stats();
    for (let i = 0; i < LIST_CALLS; i++) {
      fast.push(await timed(() => cliCall(cliClient, 'ListComponents', req)));
      plain.push(await timed(() => call(cs[0]!, 'ListComponents', req)));
      let bytes: Buffer | undefined;
      raw.push(await timed(async () => (bytes = await rawList(cs[0]!, req))));
      let t0 = performance.now();
      const n = decodeListComponentsResponse(bytes!).components.length;
      decode.push(performance.now() - t0);
      t0 = performance.now();
      const nPlain = (LIST_METHOD.responseDeserialize(bytes!) as { components: unknown[] }).components.length;
      plainDecode.push(performance.now() - t0);
      if (n !== r.listComponentsCount || nPlain !== n) throw new Error(`ListComponents decoded ${n} (proto-loader ${nPlain}) components, first call ${r.listComponentsCount}`);
    }
    const after = await server.stats();
    r.listComponents10kMs = median(fast);
    r.listComponents10kPlainMs = median(plain);
    r.listComponents10kRawMs = median(raw);
    r.listComponents10kDecodeMs = median(decode);
    r.listComponents10kPlainDecodeMs = median(plainDecode);
    r.listComponents10kServerCpuMs = cpuUs(before.cpu, after.cpu) / (3 * LIST_CALLS) / 1000;
    const cold: number[] = [];
    for (let i = 0; i < 3; i++) {
      await heartbeatAll(cs, BIG, i);
      cold.push(await timed(() => rawList(cs[0]!, req)));
    }
    r.listComponents10kColdRawMs = median(cold);
  } finally {
    cli?.close();
    for (const c of cs) c.close();
    await server.stop();
  }
}

/**
 * All servers run at once (idle ones cost nothing) and are measured in alternating windows
 * (a, b, c, a, b, c, …) so that other load on the machine hits each of them alike.
 */
async function runAll(modes: Mode[]): Promise<Record<string, ModeResult>> {
  const targets: Target[] = [];
  try {
    for (const mode of modes) {
      const server = await ServerChild.start(mode);
      targets.push({ mode, server, clients: clients(server.port), count: 0, errors: 0, seconds: 0, cpuUs: 0, latencies: [], rounds: [] });
    }
    for (const t of targets) {
      await registerRange(t.clients, 0, COMPONENTS);
      await heartbeats(t.clients, WARMUP_SECONDS);
    }
    const window = SECONDS / ROUNDS;
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const before = await t.server.stats();
        const t0 = performance.now();
        const hb = await heartbeats(t.clients, window);
        const elapsed = (performance.now() - t0) / 1000;
        const after = await t.server.stats();
        t.count += hb.count;
        t.errors += hb.errors;
        t.firstError ??= hb.firstError;
        t.seconds += elapsed;
        t.cpuUs += cpuUs(before.cpu, after.cpu);
        t.latencies.push(hb.latenciesUs);
        t.rounds.push(hb.count / elapsed);
      }
      process.stdout.write(`  round ${round + 1}/${ROUNDS} done\n`);
    }
    const results: Record<string, ModeResult> = {};
    for (const t of targets) {
      if (t.errors > 0) console.warn(`  ${LABELS[t.mode]}: ${t.errors} heartbeat errors, first: ${t.firstError}`);
      const all = new Float64Array(t.latencies.reduce((n, l) => n + l.length, 0));
      let off = 0;
      for (const l of t.latencies) {
        all.set(l, off);
        off += l.length;
      }
      all.sort();
      const r: ModeResult = {
        mode: t.mode,
        heartbeatsPerSec: t.count / t.seconds,
        p50Ms: quantile(all, 0.5) / 1000,
        p99Ms: quantile(all, 0.99) / 1000,
        cpuUsPerHeartbeat: t.cpuUs / Math.max(1, t.count + t.errors),
        heartbeatErrors: t.errors,
        roundHeartbeatsPerSec: t.rounds.map((x) => Math.round(x)),
      };
      results[t.mode] = r;
    }
    return results;
  } finally {
    for (const t of targets) {
      for (const c of t.clients) c.close();
      await t.server.stop();
    }
  }
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

function verdict(ok: boolean): string {
  return ok ? 'OK' : 'MISSED';
}

async function main(): Promise<void> {
  console.log(
    `flowctl control-plane benchmark: ${COMPONENTS} components, ${CONCURRENCY} concurrent heartbeat callers over ${CHANNELS} connections, ` +
      `${SECONDS} s per server (+${WARMUP_SECONDS} s warm-up); node ${process.version}`,
  );
  const results: Partial<Record<Mode, ModeResult>> = await runAll(MODES);
  for (const mode of MODES) {
    process.stdout.write(`  ${LABELS[mode]}: fresh server, 10,000 components …\n`);
    await bigRegistry(mode, results[mode]!);
  }

  console.log('');
  console.log(
    `${'server'.padEnd(22)}${'heartbeats/s'.padStart(14)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'CPU µs/hb'.padStart(11)}` +
      `${'RSS@start'.padStart(11)}${'RSS@10k MB'.padStart(12)}${'List e2e ms'.padStart(13)}${'e2e PL ms'.padStart(11)}${'List raw ms'.padStart(13)}` +
      `${'decode ms'.padStart(11)}${'PL dec ms'.padStart(11)}${'srv CPU ms'.padStart(12)}${'cold raw ms'.padStart(13)}`,
  );
  for (const mode of MODES) {
    const r = results[mode]!;
    console.log(
      `${LABELS[mode].padEnd(22)}${fmt(r.heartbeatsPerSec, 0).padStart(14)}${fmt(r.p50Ms, 2).padStart(9)}${fmt(r.p99Ms, 2).padStart(9)}` +
        `${fmt(r.cpuUsPerHeartbeat, 1).padStart(11)}${fmt(r.rssMbStart).padStart(11)}${fmt(r.rssMb10k).padStart(12)}${fmt(r.listComponents10kMs).padStart(13)}` +
        `${fmt(r.listComponents10kPlainMs).padStart(11)}${fmt(r.listComponents10kRawMs).padStart(13)}${fmt(r.listComponents10kDecodeMs).padStart(11)}` +
        `${fmt(r.listComponents10kPlainDecodeMs).padStart(11)}${fmt(r.listComponents10kServerCpuMs).padStart(12)}` +
        `${fmt(r.listComponents10kColdRawMs).padStart(13)}`,
    );
  }
  console.log('per-round heartbeats/s: ' + MODES.map((m) => `${m} [${results[m]!.roundHeartbeatsPerSec.join(', ')}]`).join('; '));
  console.log('ListComponents over 10,000 components, medians of ' + LIST_CALLS + ' calls:');
  console.log('  List e2e    = end to end as `flowctl status` sees it: call → decoded list, with the CLI\'s client');
  console.log('                (src/cli/client.ts connect(): fastV1ControlPlaneClient, our decoder in src/core/wire)');
  console.log('  e2e PL      = the same call with the plain @grpc/proto-loader client (protobufjs decode + toObject)');
  console.log('  List raw    = call → response bytes in the client, NOT decoded (server work + transfer)');
  console.log('  decode      = our decoder (src/core/wire/listComponents.ts) on those bytes, alone (≈ List e2e − raw)');
  console.log('  PL dec      = proto-loader\'s deserializer on the same bytes, alone (≈ e2e PL − raw)');
  console.log('  srv CPU     = server process CPU per call, records unchanged since the last list');
  console.log('  cold raw    = List raw right after all 10,000 components heartbeated (every record re-encoded)');
  console.log('(c) answers ListComponents from a ready-made list encoded by proto-loader on each call: the grpc-js floor without kept encodings.');
  console.log('');

  const a = results.memory;
  const b = results.lmdb;
  const c = results.noop;
  const checks: Record<string, { value: number; target: string; ok: boolean }> = {};
  if (a && c) {
    const v = a.cpuUsPerHeartbeat / c.cpuUsPerHeartbeat;
    checks.cpuPerHeartbeatRatio_a_over_c = { value: v, target: `<= ${TARGETS.cpuRatioMax}`, ok: v <= TARGETS.cpuRatioMax };
  }
  if (a && b) {
    const v = b.heartbeatsPerSec / a.heartbeatsPerSec;
    checks.throughputRatio_b_over_a = { value: v, target: `>= ${TARGETS.throughputRatioMin}`, ok: v >= TARGETS.throughputRatioMin };
  }
  for (const r of [a, b]) {
    if (!r || r.rssMb10k === undefined || r.listComponents10kMs === undefined) continue;
    checks[`rssMb10k_${r.mode}`] = { value: r.rssMb10k, target: `< ${TARGETS.rssMaxMb}`, ok: r.rssMb10k < TARGETS.rssMaxMb };
    checks[`listComponents10kMs_${r.mode}`] = {
      value: r.listComponents10kMs,
      target: `< ${TARGETS.listMaxMs}`,
      ok: r.listComponents10kMs < TARGETS.listMaxMs && r.listComponentsCount === BIG,
    };
    if (r.listComponents10kRawMs !== undefined) {
      checks[`listComponents10kRawMs_${r.mode}`] = {
        value: r.listComponents10kRawMs,
        target: `< ${TARGETS.listMaxMs}`,
        ok: r.listComponents10kRawMs < TARGETS.listMaxMs && r.listComponentsCount === BIG,
      };
    }
    if (r.listComponentsCount !== BIG) console.warn(`  ${LABELS[r.mode]}: ListComponents returned ${r.listComponentsCount} of ${BIG} components`);
  }
  const names: Record<string, string> = {
    cpuPerHeartbeatRatio_a_over_c: 'server CPU per heartbeat, a/c',
    throughputRatio_b_over_a: 'heartbeat throughput, b/a',
    rssMb10k_memory: 'RSS with 10,000 components (a), MB',
    rssMb10k_lmdb: 'RSS with 10,000 components (b), MB',
    listComponents10kMs_memory: 'ListComponents 10,000 (a) e2e CLI client, ms',
    listComponents10kMs_lmdb: 'ListComponents 10,000 (b) e2e CLI client, ms',
    listComponents10kRawMs_memory: 'ListComponents 10,000 (a) not decoded, ms',
    listComponents10kRawMs_lmdb: 'ListComponents 10,000 (b) not decoded, ms',
  };
  for (const [key, chk] of Object.entries(checks)) {
    console.log(`${(names[key] ?? key).padEnd(44)}${fmt(chk.value, 2).padStart(10)}   target ${chk.target.padEnd(8)} ${verdict(chk.ok)}`);
  }
  console.log(
    JSON.stringify({
      bench: 'controlplane',
      seconds: SECONDS,
      components: COMPONENTS,
      concurrency: CONCURRENCY,
      results,
      checks,
      allTargetsMet: Object.values(checks).every((x) => x.ok),
    }),
  );
}

main().catch((err) => {
  console.error(`bench:controlplane failed: ${(err as Error).stack ?? err}`);
  killAll();
  process.exit(1);
});
