// bench:hub-tls — what mutual TLS on the data plane costs the hub (`flowctl run --components external`):
// the same pipeline (source → processor → sink, the bench components as processes on this machine,
// registering from outside as a cluster's do) under a plaintext hub (the baseline) and under a hub with
// --tls-cert/--tls-key/--tls-ca-cert, whose event streams are then mutual TLS too.
//
// Both run at once; in each round each streams alone for a window while the other's source is stopped
// (SIGSTOP), order alternating, so both see the shared machine's load alike. Events/s at the sink from
// the run record (events_processed, published by the runner every second); min / median / max over the
// rounds and the per-round ratio TLS / plaintext.
//   npm run bench:hub-tls           BENCH_ROUNDS=5 BENCH_WINDOW_S=4 BENCH_PAD_BYTES=256
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { protos } from '../src/core/proto';
import { generateCerts, generatePeerCerts } from '../test/helpers/certs';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const COMPONENTS = path.join(ROOT, 'dist', 'bench', 'components');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 4);
const PAD = Number(process.env.BENCH_PAD_BYTES ?? 256);

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = require('node:net').createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

interface Setup {
  name: string;
  target: string;
  creds: () => grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
  source?: ChildProcess;
  windows: number[];
}

async function eventsProcessed(s: Setup): Promise<number | undefined> {
  const Ctor = protos().legacy.ControlPlane as unknown as new (t: string, c: grpc.ChannelCredentials, o: grpc.ChannelOptions) => any;
  const client = new Ctor(s.target, s.creds(), s.options);
  try {
    return await new Promise((resolve) =>
      client.ListPipelineRuns({ limit: 1 }, { deadline: Date.now() + 3000 }, (err: Error | null, res: any) =>
        resolve(err || !res?.runs?.[0] ? undefined : Number(res.runs[0].metrics?.events_processed ?? 0)),
      ),
    );
  } finally {
    client.close();
  }
}

const PIPELINE = [
  'apiVersion: flowctl/v1',
  'kind: Pipeline',
  'metadata: {name: bench-hub-tls}',
  'spec:',
  '  sources: [{id: src, image: bench/source:1}]',
  '  processors: [{id: proc, image: bench/processor:1, inputs: [src]}]',
  '  sinks: [{id: sink, image: bench/sink:1, inputs: [proc]}]',
  '',
].join('\n');

async function hub(dir: string, name: string, tls: { hubCert: string; hubKey: string; ca: string; compCert: string; compKey: string } | undefined, children: ChildProcess[]): Promise<Setup> {
  const home = path.join(dir, `home-${name}`);
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${name}.yml`);
  fs.writeFileSync(file, PIPELINE);
  const port = await freePort();
  const args = ['run', file, '--components', 'external', '--control-plane-port', String(port), '--no-persistence', '--show-status=false'];
  if (tls) args.push('--tls-cert', tls.hubCert, '--tls-key', tls.hubKey, '--tls-ca-cert', tls.ca);
  children.push(spawn(process.execPath, [CLI, ...args], { env: { ...process.env, FLOWCTL_HOME: home }, stdio: 'ignore' }));
  const env: NodeJS.ProcessEnv = { ...process.env, ENABLE_FLOWCTL: 'true', FLOWCTL_ENDPOINT: `127.0.0.1:${port}`, PAD_BYTES: String(PAD), RATE: '0' };
  if (tls) Object.assign(env, { FLOWCTL_TLS_CA_FILE: tls.ca, FLOWCTL_TLS_CERT_FILE: tls.compCert, FLOWCTL_TLS_KEY_FILE: tls.compKey, FLOWCTL_TLS_SERVER_NAME: 'localhost' });
  const start = (id: string, script: string) => {
    const c = spawn(process.execPath, [path.join(COMPONENTS, `${script}.js`)], { env: { ...env, FLOWCTL_COMPONENT_ID: id }, stdio: 'ignore' });
    children.push(c);
    return c;
  };
  await sleep(1000);
  start('sink', 'sink');
  start('proc', 'processor');
  const setup: Setup = {
    name,
    target: `127.0.0.1:${port}`,
    creds: () => (tls ? grpc.credentials.createSsl(fs.readFileSync(tls.ca), fs.readFileSync(tls.hubKey), fs.readFileSync(tls.hubCert)) : grpc.credentials.createInsecure()),
    options: tls ? { 'grpc.ssl_target_name_override': 'localhost' } : {},
    windows: [],
  };
  setup.source = start('src', 'source');
  const deadline = Date.now() + 120_000;
  while (((await eventsProcessed(setup)) ?? 0) === 0) {
    if (Date.now() > deadline) throw new Error(`${name}: no events reached the sink`);
    await sleep(500);
  }
  return setup;
}

async function measure(s: Setup): Promise<number> {
  s.source!.kill('SIGCONT');
  await sleep(1500);
  const a = (await eventsProcessed(s)) ?? 0;
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const b = (await eventsProcessed(s)) ?? 0;
  const rate = (b - a) / ((performance.now() - t0) / 1000);
  s.source!.kill('SIGSTOP');
  await sleep(1500);
  return rate;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const f = (v: number) => (v >= 10 ? String(Math.round(v)) : v.toFixed(2));
  return `${f(s[0])} / ${f(s[Math.floor(s.length / 2)])} / ${f(s[s.length - 1])}`;
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI) || !fs.existsSync(path.join(COMPONENTS, 'source.js'))) throw new Error('run `npm run build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-bench-hubtls-'));
  const children: ChildProcess[] = [];
  try {
    const certs = generateCerts(path.join(dir, 'certs'));
    const peer = generatePeerCerts(certs);
    log(`bench:hub-tls — ${ROUNDS} rounds of ${WINDOW_S} s windows, ${PAD}-byte payloads, source → processor → sink through a hub; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const setups = [
      await hub(dir, 'plaintext', undefined, children),
      await hub(dir, 'mutual-tls', { hubCert: peer.hubCert, hubKey: peer.hubKey, ca: certs.caCert, compCert: peer.componentCert, compKey: peer.componentKey }, children),
    ];
    for (const s of setups) s.source!.kill('SIGSTOP');
    await sleep(2000);
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? setups : [...setups].reverse();
      for (const s of order) {
        s.windows.push(await measure(s));
        log(`  round ${r + 1}/${ROUNDS} ${s.name}: ${Math.round(s.windows[r])} events/s`);
      }
      ratios.push(setups[1].windows[r] / setups[0].windows[r]);
    }
    console.log(`hub relay, events/s at the sink (min / median / max over ${ROUNDS} rounds); load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`  plaintext hub (baseline):      ${stats(setups[0].windows)}`);
    console.log(`  mutual TLS hub (data plane):   ${stats(setups[1].windows)}`);
    console.log(`  ratio TLS / plaintext per round: ${stats(ratios)}`);
  } finally {
    for (const c of children) {
      c.kill('SIGCONT');
      c.kill('SIGTERM');
    }
    await sleep(2000);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
