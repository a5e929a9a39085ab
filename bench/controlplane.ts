// Control-plane benchmark: `npm run bench:controlplane` (BENCH_SECONDS=2 for a quick run).
// Starts each server as its own child process (bench/controlplane-server.ts), so the server's CPU is
// read from the server process itself, then drives it over real gRPC:
//   (a)  our control plane, in memory
//   (a') the same with an embedded run's access rules (the caller's process looked up once per connection)
//   (b)  ours with LMDB, heartbeats BATCHED: acknowledged at once, written together ≤ 1 s later
//        (registrations and run changes are durable when acknowledged; heartbeats are not)
//   (b2) ours with LMDB, DURABLE heartbeats: acknowledged after the fsync'ed commit holding them
//        (heartbeats arriving together share one commit)
//   (b3) ours with LMDB, one transaction + fsync PER HEARTBEAT, the way flowctl's BoltDB writes them
//   (c)  a no-op grpc-js server of the same flowctl.v1.ControlPlaneService
// Load: 1000 registered components, 64 concurrent heartbeat callers for BENCH_SECONDS (default 10),
// from gRPC C-core (bench/heartbeat_load.py on Debian's python3-grpcio, BENCH_CLIENT_PROCESSES
// processes, default 2) so the load generator is not another grpc-js; BENCH_CLIENT=node uses grpc-js
// in this process instead. The client's own CPU is measured and printed next to the server's.
// BENCH_SERVERS picks servers (e.g. memory,noop); BENCH_LISTS=0 skips the 10,000-component list part.
// For each server also: RSS with 10,000 registered components and ListComponents latency over them:
// end to end with the client our CLI uses (src/cli/client.ts connect(): fastV1ControlPlaneClient,
// ListComponents decoded by src/core/wire/listComponents.ts), end to end with the plain proto-loader
// client, and without decoding (a client whose deserializer keeps the received bytes), plus each
// decoder's time alone, and the latency when every record changed since the last list (each record
// re-encoded).
// Prints a table, the ratios against their targets, and a final JSON line.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
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
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const CLIENT_PROCESSES = Math.max(1, Number(process.env.BENCH_CLIENT_PROCESSES ?? 2));

type Mode = 'memory' | 'memory-access' | 'lmdb' | 'lmdb-durable' | 'lmdb-per-beat' | 'noop';
const LABELS: Record<Mode, string> = {
  memory: '(a) ours, memory',
  'memory-access': "(a') memory + access",
  lmdb: '(b) LMDB, batched hb',
  'lmdb-durable': '(b2) LMDB, durable hb',
  'lmdb-per-beat': '(b3) LMDB, txn per hb',
  noop: '(c) no-op grpc-js',
};
const MODES = (process.env.BENCH_SERVERS ?? 'memory,memory-access,lmdb,lmdb-durable,lmdb-per-beat,noop').split(',').map((m) => m.trim()) as Mode[];
for (const m of MODES) if (!(m in LABELS)) throw new Error(`BENCH_SERVERS: unknown server ${m} (${Object.keys(LABELS).join(',')})`);
/** Lists are the same for every LMDB mode: measured for these only (none with BENCH_LISTS=0). */
const LIST_MODES: Mode[] = process.env.BENCH_LISTS === '0' ? [] : ['memory', 'lmdb', 'noop'];
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


// ---- load generators ------------------------------------------------------------------------------

interface WindowResult {
  count: number;
  errors: number;
  firstError?: string;
  /** Client CPU spent in the window (µs), all load processes together. */
  clientCpuUs: number;
  p50Us: number;
  p99Us: number;
}

interface Load {
  readonly kind: string;
  run(seconds: number): Promise<WindowResult>;
  close(): Promise<void>;
}

/** grpc-js in this process (the old load generator): its CPU is this process's CPU during the window. */
class NodeLoad implements Load {
  readonly kind = 'grpc-js (this process)';
  constructor(private readonly cs: Client[]) {}
  async run(seconds: number): Promise<WindowResult> {
    const c0 = process.cpuUsage();
    const hb = await heartbeats(this.cs, seconds);
    const cpu = process.cpuUsage(c0);
    return {
      count: hb.count,
      errors: hb.errors,
      firstError: hb.firstError,
      clientCpuUs: cpu.user + cpu.system,
      p50Us: quantile(hb.latenciesUs, 0.5),
      p99Us: quantile(hb.latenciesUs, 0.99),
    };
  }
  async close(): Promise<void> {}
}

/** gRPC C-core: bench/heartbeat_load.py in CLIENT_PROCESSES processes, pre-encoded requests. */
class PythonLoad implements Load {
  readonly kind: string;
  private readonly lines = new Map<ChildProcess, Array<(l: string) => void>>();
  private constructor(private readonly procs: ChildProcess[]) {
    this.kind = `gRPC C-core (python3-grpcio), ${procs.length} process(es)`;
    for (const p of procs) {
      const waiters: Array<(l: string) => void> = [];
      this.lines.set(p, waiters);
      let buf = '';
      p.stdout!.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          waiters.shift()?.(line);
        }
      });
    }
  }

  private next(p: ChildProcess): Promise<any> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`heartbeat_load.py exited (${code})`));
      p.once('exit', onExit);
      this.lines.get(p)!.push((l) => {
        p.off('exit', onExit);
        resolve(JSON.parse(l));
      });
    });
  }

  static async start(port: number, requestsFile: string): Promise<PythonLoad> {
    const script = path.join(__dirname, '..', '..', 'bench', 'heartbeat_load.py');
    const per = Math.max(1, Math.round(CONCURRENCY / CLIENT_PROCESSES));
    const procs = Array.from({ length: CLIENT_PROCESSES }, () => {
      const p = spawn(PYTHON, [script, `127.0.0.1:${port}`, String(per), requestsFile, '/flowctl.v1.ControlPlaneService/Heartbeat'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      live.add(p);
      p.once('exit', () => live.delete(p));
      return p;
    });
    const load = new PythonLoad(procs);
    await Promise.all(procs.map((p) => load.next(p)));
    return load;
  }

  async run(seconds: number): Promise<WindowResult> {
    const results = await Promise.all(
      this.procs.map((p) => {
        const r = this.next(p);
        p.stdin!.write(`run ${seconds}\n`);
        return r;
      }),
    );
    const p50s = results.map((r) => r.p50_us ?? NaN).sort((a, b) => a - b);
    return {
      count: results.reduce((n, r) => n + r.count, 0),
      errors: results.reduce((n, r) => n + r.errors, 0),
      firstError: results.find((r) => r.first_error)?.first_error ?? undefined,
      clientCpuUs: results.reduce((n, r) => n + r.cpu_s * 1e6, 0),
      p50Us: p50s[Math.floor(p50s.length / 2)]!,
      p99Us: Math.max(...results.map((r) => r.p99_us ?? 0)),
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.stdin!.end('quit\n');
          }),
      ),
    );
  }
}

function pythonGrpcAvailable(): boolean {
  if (process.env.BENCH_CLIENT === 'node') return false;
  const r = spawnSync(PYTHON, ['-c', 'import grpc'], { stdio: 'ignore' });
  if (r.status === 0) return true;
  if (process.env.BENCH_CLIENT === 'python') throw new Error(`BENCH_CLIENT=python but ${PYTHON} cannot import grpc (apt install python3-grpcio)`);
  console.warn(`  ${PYTHON} has no grpc module (apt install python3-grpcio): falling back to the grpc-js load generator in this process`);
  return false;
}

/** The heartbeat requests every load generator sends, pre-encoded once (1 per component, cycled). */
function writeRequestsFile(): string {
  const method = (packageDefinition()['flowctl.v1.ControlPlaneService'] as grpc.ServiceDefinition).Heartbeat!;
  const parts: Buffer[] = [];
  for (let i = 0; i < COMPONENTS; i++) {
    const body = method.requestSerialize({ service_id: `bench-component-${i}`, status: 2, metrics: { events_processed: String(i * 7) } });
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    parts.push(len, body);
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-req-')), 'heartbeats.bin');
  fs.writeFileSync(file, Buffer.concat(parts));
  return file;
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

interface Spread {
  min: number;
  median: number;
  max: number;
}

function spread(xs: number[]): Spread {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return { min: s[0] ?? NaN, median: s.length ? s[Math.floor(s.length / 2)]! : NaN, max: s.at(-1) ?? NaN };
}

interface ModeResult {
  mode: Mode;
  heartbeatsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerHeartbeat: number;
  /** The load generator's CPU per heartbeat (all its processes). */
  clientCpuUsPerHeartbeat: number;
  /** Client CPU as a share of the window's wall time (1.0 = one core busy). */
  clientCores: number;
  /** Server CPU as a share of wall time. */
  serverCores: number;
  heartbeatErrors: number;
  /** Per round: throughput and server CPU per heartbeat. */
  roundHeartbeatsPerSec: number[];
  roundCpuUsPerHeartbeat: number[];
  rssMbStart?: number;
  rssMb10k?: number;
  /** End to end: call → decoded list, with the client our CLI uses (fast decoder). Median. */
  listComponents10kMs?: number;
  /** End to end: call → decoded list, with the plain proto-loader client. Median. */
  listComponents10kPlainMs?: number;
  /** Call → response bytes in the client, not decoded (server + transfer), records unchanged since the last list (warm). Median. */
  listComponents10kRawMs?: number;
  /** Our decoder (src/core/wire) on those bytes alone. Median. */
  listComponents10kDecodeMs?: number;
  /** proto-loader's decoding of those bytes alone. Median. */
  listComponents10kPlainDecodeMs?: number;
  /** Like listComponents10kRawMs, but every record heartbeated (changed) since the last list (cold). Median. */
  listComponents10kColdRawMs?: number;
  /** Cold, end to end with the CLI's client. Median. */
  listComponents10kColdMs?: number;
  /** Server CPU spent per ListComponents call over 10,000 components (unchanged records). */
  listComponents10kServerCpuMs?: number;
  listComponentsCount?: number;
}

interface Target {
  mode: Mode;
  server: ServerChild;
  clients: Client[];
  load?: Load;
  count: number;
  errors: number;
  firstError?: string;
  seconds: number;
  cpuUs: number;
  clientCpuUs: number;
  p50s: number[];
  p99s: number[];
  rounds: number[];
  roundCpu: number[];
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
    const coldE2e: number[] = [];
    for (let i = 0; i < 3; i++) {
      await heartbeatAll(cs, BIG, 2 * i);
      cold.push(await timed(() => rawList(cs[0]!, req)));
      await heartbeatAll(cs, BIG, 2 * i + 1);
      coldE2e.push(await timed(() => cliCall(cliClient, 'ListComponents', req)));
    }
    r.listComponents10kColdRawMs = median(cold);
    r.listComponents10kColdMs = median(coldE2e);
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

/**
 * All servers run at once (idle ones cost nothing) and are measured in alternating windows
 * (a, b, b2, b3, c, a, …) so that other load on the machine hits each of them alike.
 */
async function runAll(modes: Mode[], usePython: boolean): Promise<{ results: Record<string, ModeResult>; clientKind: string }> {
  const targets: Target[] = [];
  const requestsFile = usePython ? writeRequestsFile() : undefined;
  let clientKind = 'grpc-js (this process)';
  try {
    for (const mode of modes) {
      const server = await ServerChild.start(mode);
      targets.push({
        mode,
        server,
        clients: clients(server.port),
        count: 0,
        errors: 0,
        seconds: 0,
        cpuUs: 0,
        clientCpuUs: 0,
        p50s: [],
        p99s: [],
        rounds: [],
        roundCpu: [],
      });
    }
    for (const t of targets) {
      await registerRange(t.clients, 0, COMPONENTS);
      t.load = requestsFile ? await PythonLoad.start(t.server.port, requestsFile) : new NodeLoad(t.clients);
      clientKind = t.load.kind;
      await t.load.run(WARMUP_SECONDS);
    }
    const window = SECONDS / ROUNDS;
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const before = await t.server.stats();
        const t0 = performance.now();
        const w = await t.load!.run(window);
        const elapsed = (performance.now() - t0) / 1000;
        const after = await t.server.stats();
        const serverUs = cpuUs(before.cpu, after.cpu);
        t.count += w.count;
        t.errors += w.errors;
        t.firstError ??= w.firstError;
        t.seconds += elapsed;
        t.cpuUs += serverUs;
        t.clientCpuUs += w.clientCpuUs;
        t.p50s.push(w.p50Us);
        t.p99s.push(w.p99Us);
        t.rounds.push(w.count / elapsed);
        t.roundCpu.push(serverUs / Math.max(1, w.count + w.errors));
      }
      process.stdout.write(`  round ${round + 1}/${ROUNDS} done\n`);
    }
    const results: Record<string, ModeResult> = {};
    for (const t of targets) {
      if (t.errors > 0) console.warn(`  ${LABELS[t.mode]}: ${t.errors} heartbeat errors, first: ${t.firstError}`);
      const calls = Math.max(1, t.count + t.errors);
      results[t.mode] = {
        mode: t.mode,
        heartbeatsPerSec: t.count / t.seconds,
        p50Ms: spread(t.p50s).median / 1000,
        p99Ms: spread(t.p99s).max / 1000,
        cpuUsPerHeartbeat: t.cpuUs / calls,
        clientCpuUsPerHeartbeat: t.clientCpuUs / calls,
        clientCores: t.clientCpuUs / 1e6 / t.seconds,
        serverCores: t.cpuUs / 1e6 / t.seconds,
        heartbeatErrors: t.errors,
        roundHeartbeatsPerSec: t.rounds.map((x) => Math.round(x)),
        roundCpuUsPerHeartbeat: t.roundCpu.map((x) => Math.round(x * 10) / 10),
      };
    }
    return { results, clientKind };
  } finally {
    for (const t of targets) {
      await t.load?.close().catch(() => undefined);
      for (const c of t.clients) c.close();
      await t.server.stop();
    }
    if (requestsFile) fs.rmSync(path.dirname(requestsFile), { recursive: true, force: true });
  }
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

function fmtSpread(s: Spread, digits = 2): string {
  return `${fmt(s.median, digits)} (min ${fmt(s.min, digits)}, max ${fmt(s.max, digits)})`;
}

function verdict(ok: boolean): string {
  return ok ? 'OK' : 'MISSED';
}

/** Per-round ratio x/y of a per-round series. */
function roundRatios(x: number[] | undefined, y: number[] | undefined): number[] {
  if (!x || !y) return [];
  return x.map((v, i) => v / y[i]!);
}

async function main(): Promise<void> {
  const usePython = pythonGrpcAvailable();
  console.log(
    `flowctl control-plane benchmark: ${COMPONENTS} components, ${CONCURRENCY} concurrent heartbeat callers, ` +
      `${SECONDS} s per server in ${ROUNDS} alternating rounds (+${WARMUP_SECONDS} s warm-up); node ${process.version}`,
  );
  const { results: all, clientKind } = await runAll(MODES, usePython);
  const results = all as Partial<Record<Mode, ModeResult>>;
  for (const mode of MODES.filter((m) => LIST_MODES.includes(m))) {
    process.stdout.write(`  ${LABELS[mode]}: fresh server, 10,000 components …\n`);
    await bigRegistry(mode, results[mode]!);
  }

  console.log('');
  console.log(`heartbeat load from: ${clientKind}`);
  console.log(
    `${'server'.padEnd(24)}${'heartbeats/s'.padStart(13)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'srv µs/hb'.padStart(11)}${'srv cores'.padStart(10)}` +
      `${'client µs/hb'.padStart(14)}${'client cores'.padStart(13)}`,
  );
  for (const mode of MODES) {
    const r = results[mode]!;
    console.log(
      `${LABELS[mode].padEnd(24)}${fmt(r.heartbeatsPerSec, 0).padStart(13)}${fmt(r.p50Ms, 2).padStart(8)}${fmt(r.p99Ms, 2).padStart(8)}` +
        `${fmt(r.cpuUsPerHeartbeat, 1).padStart(11)}${fmt(r.serverCores, 2).padStart(10)}${fmt(r.clientCpuUsPerHeartbeat, 1).padStart(14)}${fmt(r.clientCores, 2).padStart(13)}`,
    );
  }
  console.log('per round, heartbeats/s: ' + MODES.map((m) => `${m} [${results[m]!.roundHeartbeatsPerSec.join(', ')}]`).join('; '));
  console.log('per round, server µs/heartbeat: ' + MODES.map((m) => `${m} [${results[m]!.roundCpuUsPerHeartbeat.join(', ')}]`).join('; '));
  console.log('(b) acknowledges a heartbeat before writing it: heartbeats are batched into one LMDB transaction at most 1 s later');
  console.log('    (a crash loses at most that second of liveness); registrations and runs are durable when acknowledged.');
  console.log('(b2) acknowledges each heartbeat after the fsync\'ed commit holding it; (b3) commits and fsyncs every heartbeat on');
  console.log('    its own, the way flowctl\'s BoltDB does (one db.Update per beat).');
  console.log('client cores = the load generator\'s CPU / wall time (1.00 = one core busy); with 2 cores in all, a load generator');
  console.log('    near one core means the client, not the server, limits heartbeats/s.');

  console.log('');
  console.log('ListComponents over 10,000 components, medians of ' + LIST_CALLS + ' calls (ms):');
  console.log(
    `${'server'.padEnd(24)}${'RSS@10k MB'.padStart(11)}${'warm e2e'.padStart(10)}${'cold e2e'.padStart(10)}${'warm raw'.padStart(10)}${'cold raw'.padStart(10)}` +
      `${'e2e PL'.padStart(9)}${'decode'.padStart(8)}${'PL dec'.padStart(8)}${'srv CPU'.padStart(9)}`,
  );
  for (const mode of MODES.filter((m) => LIST_MODES.includes(m))) {
    const r = results[mode]!;
    console.log(
      `${LABELS[mode].padEnd(24)}${fmt(r.rssMb10k).padStart(11)}${fmt(r.listComponents10kMs).padStart(10)}${fmt(r.listComponents10kColdMs).padStart(10)}` +
        `${fmt(r.listComponents10kRawMs).padStart(10)}${fmt(r.listComponents10kColdRawMs).padStart(10)}${fmt(r.listComponents10kPlainMs).padStart(9)}` +
        `${fmt(r.listComponents10kDecodeMs).padStart(8)}${fmt(r.listComponents10kPlainDecodeMs).padStart(8)}${fmt(r.listComponents10kServerCpuMs).padStart(9)}`,
    );
  }
  console.log('  warm = no record changed since the last list (each record\'s kept encoding is reused)');
  console.log('  cold = every one of the 10,000 records heartbeated since the last list (each re-encoded)');
  console.log('  e2e = call → decoded list with the client `flowctl status` uses (src/cli/client.ts, our decoder in src/core/wire)');
  console.log('  raw = call → response bytes, not decoded (server work + transfer); e2e PL = the plain proto-loader client');
  console.log('  decode / PL dec = each decoder alone on the same bytes; srv CPU = server CPU per warm call');
  console.log('(c) answers ListComponents from a ready-made list encoded by proto-loader on each call: the grpc-js floor without kept encodings.');
  console.log('');

  const a = results.memory;
  const b = results.lmdb;
  const c = results.noop;
  const checks: Record<string, { value: number; spread?: Spread; target: string; ok: boolean }> = {};
  if (a && c) {
    const s = spread(roundRatios(a.roundCpuUsPerHeartbeat, c.roundCpuUsPerHeartbeat));
    checks.cpuPerHeartbeatRatio_a_over_c = { value: s.median, spread: s, target: `<= ${TARGETS.cpuRatioMax}`, ok: s.median <= TARGETS.cpuRatioMax };
  }
  if (a && b) {
    const s = spread(roundRatios(b.roundHeartbeatsPerSec, a.roundHeartbeatsPerSec));
    checks.throughputRatio_b_over_a = { value: s.median, spread: s, target: `>= ${TARGETS.throughputRatioMin}`, ok: s.median >= TARGETS.throughputRatioMin };
  }
  const info: Record<string, Spread> = {};
  if (a && results['memory-access']) info.cpuRatio_access_over_a = spread(roundRatios(results['memory-access']!.roundCpuUsPerHeartbeat, a.roundCpuUsPerHeartbeat));
  for (const m of ['lmdb-durable', 'lmdb-per-beat'] as const) {
    if (a && results[m]) info[`throughputRatio_${m}_over_a`] = spread(roundRatios(results[m]!.roundHeartbeatsPerSec, a.roundHeartbeatsPerSec));
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
    cpuPerHeartbeatRatio_a_over_c: 'server CPU per heartbeat, a/c, per round',
    throughputRatio_b_over_a: 'heartbeat throughput, b/a, per round',
    rssMb10k_memory: 'RSS with 10,000 components (a), MB',
    rssMb10k_lmdb: 'RSS with 10,000 components (b), MB',
    listComponents10kMs_memory: 'ListComponents 10,000 (a) warm e2e CLI client, ms',
    listComponents10kMs_lmdb: 'ListComponents 10,000 (b) warm e2e CLI client, ms',
    listComponents10kRawMs_memory: 'ListComponents 10,000 (a) warm, not decoded, ms',
    listComponents10kRawMs_lmdb: 'ListComponents 10,000 (b) warm, not decoded, ms',
  };
  for (const [key, chk] of Object.entries(checks)) {
    const value = chk.spread ? fmtSpread(chk.spread) : fmt(chk.value, 2);
    console.log(`${(names[key] ?? key).padEnd(52)}${value.padStart(32)}   target ${chk.target.padEnd(8)} ${verdict(chk.ok)}`);
  }
  for (const [key, s] of Object.entries(info)) {
    const label =
      key === 'cpuRatio_access_over_a'
        ? "server CPU per heartbeat, a' (access)/a, per round"
        : key === 'throughputRatio_lmdb-durable_over_a'
          ? 'heartbeat throughput, b2 (durable)/a, per round'
          : 'heartbeat throughput, b3 (txn per beat)/a, per round';
    const note = key === 'cpuRatio_access_over_a' ? '(the access rules on the heartbeat path)' : '(no target: the price of durability)';
    console.log(`${label.padEnd(52)}${fmtSpread(s, 3).padStart(32)}   ${note}`);
  }
  console.log(
    JSON.stringify({
      bench: 'controlplane',
      seconds: SECONDS,
      components: COMPONENTS,
      concurrency: CONCURRENCY,
      client: clientKind,
      results,
      checks,
      info,
      allTargetsMet: Object.values(checks).every((x) => x.ok),
    }),
  );
}

main().catch((err) => {
  console.error(`bench:controlplane failed: ${(err as Error).stack ?? err}`);
  killAll();
  process.exit(1);
});
