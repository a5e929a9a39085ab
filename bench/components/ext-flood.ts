// bench:extension log flood. Registers with the control plane and heartbeats like any component;
// once the file BENCH_GO_FILE exists it prints lines as fast as its stdout pipe accepts them, up to
// BENCH_RATE lines/s (default 100,000), for BENCH_SECONDS (default 10); then it writes
// `{"produced":N,"seconds":S,"done":true}` to BENCH_COUNT_FILE and idles until stopped.
// A write that the pipe does not take at once (backpressure) waits for 'drain': lines are never
// lost here, the producer just slows down when the reader (the extension host) falls behind.
import * as fs from 'node:fs';
import { BenchControlPlane, heartbeatMs, sleep } from './ext-grpc';

const id = process.env.FLOWCTL_COMPONENT_ID ?? 'ext-flood';
const rate = Number(process.env.BENCH_RATE ?? '100000');
const seconds = Number(process.env.BENCH_SECONDS ?? '10');
const goFile = process.env.BENCH_GO_FILE ?? '';
const countFile = process.env.BENCH_COUNT_FILE ?? '';
if (!goFile || !countFile) {
  console.error('ext-flood: BENCH_GO_FILE and BENCH_COUNT_FILE must be set');
  process.exit(2);
}

const cp = new BenchControlPlane(process.env.FLOWCTL_ENDPOINT ?? '');
let produced = 0;
let floodSeconds = 0;
let done = false;

function writeCount(): void {
  // Atomic (temp file + rename): the bench polls this file.
  fs.writeFileSync(`${countFile}.tmp`, JSON.stringify({ produced, seconds: floodSeconds, done }));
  fs.renameSync(`${countFile}.tmp`, countFile);
}

process.on('SIGTERM', () => {
  writeCount();
  cp.close();
  process.exit(0);
});

const PAD = 'the quick brown fox jumps over the lazy dog';
function batch(from: number, n: number): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += `flood ${String(i).padStart(10, '0')} ${PAD}\n`;
  return s;
}

function writeOut(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

async function flood(): Promise<void> {
  const started = performance.now();
  const end = started + seconds * 1000;
  const maxBatch = Math.max(1, Math.ceil(rate / 100)); // ~10 ms worth of lines per write
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    const due = Math.floor(((now - started) / 1000) * rate) - produced;
    if (due <= 0) {
      await sleep(2);
      continue;
    }
    const n = Math.min(due, maxBatch);
    await writeOut(batch(produced, n));
    produced += n;
  }
  floodSeconds = (performance.now() - started) / 1000;
  done = true;
  writeCount();
}

async function main(): Promise<void> {
  const serviceId = await cp.registerWithRetry(id, 'bench log flood');
  let beats = 0;
  setInterval(() => void cp.heartbeat(serviceId, { beats: String(++beats), lines: String(produced) }).catch(() => undefined), heartbeatMs());
  console.log(`ext-flood: registered as ${serviceId}; waiting for ${goFile}`);
  writeCount();
  while (!fs.existsSync(goFile)) await sleep(50);
  const timer = setInterval(writeCount, 250);
  await flood();
  clearInterval(timer);
}

main().catch((err: Error) => {
  console.error(`ext-flood: ${err.message}`);
  process.exit(1);
});
