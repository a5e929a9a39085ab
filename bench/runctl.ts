// Run-control benchmark: `npm run bench:runctl`. Everything measured in ONE run, each figure next to a
// baseline measured the same way in the same run:
//   1. endpoint file: one locked add + remove (read, prune, atomic rename, under the O_EXCL lock) with
//      0 / 10 / 100 other live entries, vs the bare atomic write of the same file (no lock, no read).
//   2. GetRun over loopback (a runner of source → sink hosted in this process) vs grpc.health.v1 Check
//      on the same server and connection.
//   3. the CLI: `flowctl stop <id>` / `flowctl start <id>` wall time minus the runner's own time for the
//      action (reported by the service), vs `flowctl version` (the CLI's start-up alone).
// BENCH_ROUNDS (default 200 for 1 and 2), BENCH_CLI_ROUNDS (default 5). Prints min / median / max.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { Runner } from '../src/core/runner';
import { addEndpointEntry, readEndpointEntries, removeEndpointEntries } from '../src/core/endpointFile';
import { RunnerClient } from '../src/core/runctl/client';
import { median, round } from './run-util';

const ROUNDS = Math.max(5, Number(process.env.BENCH_ROUNDS ?? 200));
const CLI_ROUNDS = Math.max(3, Number(process.env.BENCH_CLI_ROUNDS ?? 5));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-runctl-'));
process.env.FLOWCTL_HOME = path.join(tmp, 'home');
const cli = path.join(__dirname, '..', 'cli.js');

type Stats = { min: number; median: number; max: number };
const stats = (xs: number[]): Stats => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });
const fmt = (s: Stats, unit: string, digits = 2) => `${round(s.min, digits)} / ${round(s.median, digits)} / ${round(s.max, digits)} ${unit}`;
const rows: Array<[string, string, string, string]> = [];

function endpointFile(): void {
  const file = path.join(tmp, 'ep', 'endpoint.json');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  for (const others of [0, 10, 100]) {
    fs.rmSync(file, { force: true });
    for (let i = 0; i < others; i++) addEndpointEntry({ kind: 'run', address: '127.0.0.1', port: 20000 + i, tls: null, token: `o${i}`, file: `/x/${i}.yml`, pipeline: `p${i}` }, file);
    const mine = { kind: 'run' as const, address: '127.0.0.1', port: 30000, tls: null, token: 'mine', file: '/x/mine.yml', pipeline: 'mine' };
    addEndpointEntry(mine, file);
    const content = fs.readFileSync(file, 'utf8'); // what the baseline writes (twice: as many writes as add + remove)
    removeEndpointEntries((e) => e.token === 'mine', file);
    const ours: number[] = [];
    const bare: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate so load on the machine hits both alike.
      let t = performance.now();
      addEndpointEntry(mine, file);
      removeEndpointEntries((e) => e.token === 'mine', file);
      ours.push((performance.now() - t) * 1000);
      t = performance.now();
      for (let k = 0; k < 2; k++) {
        const tmpFile = `${file}.${crypto.randomBytes(4).toString('hex')}.tmp`;
        fs.writeFileSync(tmpFile, content, { mode: 0o600, flag: 'wx' });
        fs.renameSync(tmpFile, file);
      }
      bare.push((performance.now() - t) * 1000);
    }
    // The baseline rewrote the file with `mine` in it: one more round of ours takes it out again.
    addEndpointEntry(mine, file);
    removeEndpointEntries((e) => e.token === 'mine', file);
    if (readEndpointEntries(file).length !== others) throw new Error('endpoint file lost entries');
    const o = stats(ours);
    const b = stats(bare);
    rows.push([`endpoint file add + remove, ${others} other entries`, fmt(o, 'µs', 0), fmt(b, 'µs', 0), `${round(o.median / b.median, 1)}×`]);
  }
}

function writePipeline(): string {
  const dir = path.join(tmp, 'pipeline');
  fs.mkdirSync(dir, { recursive: true });
  const comp = (n: string) => JSON.stringify(['node', path.join(__dirname, 'components', `${n}.js`)]);
  const file = path.join(dir, 'flow.yml');
  fs.writeFileSync(
    file,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: bench-runctl }
spec:
  sources:
    - id: src
      command: ${comp('source')}
      env: { RATE: "50" }
  sinks:
    - id: sink
      command: ${comp('sink')}
      inputs: [src]
`,
  );
  return file;
}

function unary(client: any, method: string, req: unknown): Promise<void> {
  return new Promise((resolve, reject) => client[method](req, { deadline: Date.now() + 5000 }, (err: Error | null) => (err ? reject(err) : resolve())));
}

async function rpcAndCli(): Promise<void> {
  const file = writePipeline();
  const runner = new Runner({ file, port: 0, noPersistence: true, logDir: path.join(tmp, 'logs'), shutdownGraceMs: 3000 });
  await runner.start();
  try {
    const [entry] = readEndpointEntries();
    const target = `127.0.0.1:${entry.port}`;
    const client = new RunnerClient({ address: target, token: entry.token });
    const healthDef = protoLoader.loadSync(healthProtoPath, { keepCase: true });
    const Health = (grpc.loadPackageDefinition(healthDef) as any).grpc.health.v1.Health;
    const health = new Health(target, grpc.credentials.createInsecure());
    await client.getRun();
    await unary(health, 'Check', { service: '' });
    const get: number[] = [];
    const check: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      await client.getRun();
      get.push((performance.now() - t) * 1000);
      t = performance.now();
      await unary(health, 'Check', { service: '' });
      check.push((performance.now() - t) * 1000);
    }
    const g = stats(get);
    const c = stats(check);
    rows.push(['GetRun (2 components) over loopback', fmt(g, 'µs', 0), fmt(c, 'µs', 0) + ' (health Check)', `${round(g.median / c.median, 1)}×`]);
    client.close();
    health.close();

    const env = { ...process.env, NO_COLOR: '1' };
    // Asynchronous: the runner lives in this process and must keep answering.
    const wall = async (args: string[]) => {
      const t = performance.now();
      const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      const ms = performance.now() - t;
      if (code !== 0) throw new Error(`flowctl ${args.join(' ')} failed: ${err}`);
      return { ms, out };
    };
    const base: number[] = [];
    const stopOver: number[] = [];
    const startOver: number[] = [];
    const stopAction: number[] = [];
    const startAction: number[] = [];
    for (let r = 0; r < CLI_ROUNDS; r++) {
      base.push((await wall(['version'])).ms);
      const s = await wall(['stop', 'sink', '--json', '-f', file]);
      const sj = JSON.parse(s.out);
      stopAction.push(sj.durationMs);
      stopOver.push(s.ms - sj.durationMs);
      const st = await wall(['start', 'sink', '--json', '-f', file]);
      const stj = JSON.parse(st.out);
      startAction.push(stj.durationMs);
      startOver.push(st.ms - stj.durationMs);
    }
    const b = stats(base);
    const so = stats(stopOver);
    const sto = stats(startOver);
    rows.push(['flowctl stop sink: wall − the runner\'s own time', fmt(so, 'ms', 0), fmt(b, 'ms', 0) + ' (flowctl version)', `${round(so.median / b.median, 1)}×`]);
    rows.push(['  (the runner\'s stop of sink itself)', fmt(stats(stopAction), 'ms', 0), '', '']);
    rows.push(['flowctl start sink: wall (until registered) − action', fmt(sto, 'ms', 0), fmt(b, 'ms', 0) + ' (flowctl version)', `${round(sto.median / b.median, 1)}×`]);
    rows.push(['  (the runner\'s start of sink itself)', fmt(stats(startAction), 'ms', 0), '', '']);
  } finally {
    await runner.stop('benchmark done');
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm run bench:runctl does)`);
  endpointFile();
  await rpcAndCli();
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[['figure', 'ours min / median / max', 'baseline min / median / max', 'median ratio'], ...rows].map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(['figure', 'ours min / median / max', 'baseline min / median / max', 'median ratio']));
  for (const r of rows) console.log(line(r));
  console.log(`(${ROUNDS} rounds for the endpoint file and RPCs, ${CLI_ROUNDS} for the CLI; ${os.cpus().length} CPUs, shared)`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(1);
  },
);
