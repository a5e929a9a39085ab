// bench:extension heartbeat driver. Registers its own pipeline id (FLOWCTL_COMPONENT_ID) plus the
// ids in BENCH_EXTRA_IDS (comma-separated; their pipeline processes are cheap placeholders) with
// the flowctl.v1 control plane, then heartbeats every id every FLOWCTL_HEARTBEAT_INTERVAL_MS (the
// runner forces FLOWCTL_HEARTBEAT_INTERVAL to 10s, so the bench sets the _MS variant),
// spread evenly over the interval. One Node process per 20 components instead of one per
// component: a thousand Node processes do not fit in this machine's memory.
//
// The runner only accepts a registration once the component's process exists. With BENCH_UP_DIR, each
// placeholder touches <BENCH_UP_DIR>/<its id> when it starts, and the driver registers that id once,
// when the file appears: one registration per component, as real components do. (Without it, the
// extra ids are registered again every second while the run is starting: with 50 drivers that grew to
// ~950 registrations a second by the last wave, a load on the control plane that the bench made, not
// the components it stands for.)
//
// BENCH_CHURN_FILE: while that file exists, every tenth id alternates between DEGRADED and HEALTHY on
// each heartbeat, so the front ends have something to show changing (the graph's live updates are
// measured with real changes: without them its live look of idle components never changes).
import * as fs from 'node:fs';
import { BenchControlPlane, RUN_STARTING, heartbeatMs, sleep } from './ext-grpc';

const own = process.env.FLOWCTL_COMPONENT_ID ?? '';
const extras = (process.env.BENCH_EXTRA_IDS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const interval = heartbeatMs();
if (!own) {
  console.error('ext-heartbeats: FLOWCTL_COMPONENT_ID is not set');
  process.exit(2);
}

const cp = new BenchControlPlane(process.env.FLOWCTL_ENDPOINT ?? '');
const timers: NodeJS.Timeout[] = [];
let beats = 0;
let failures = 0;
/** Heartbeat ticks skipped because the id's previous heartbeat was still unanswered (a slow control plane). */
let skipped = 0;
/** Failed heartbeats by gRPC status name (DEADLINE_EXCEEDED, …): printed every 10 s while there are new ones. */
const failedBy = new Map<string, number>();
let stopping = false;

const STATUS_NAMES: Record<number, string> = { 1: 'CANCELLED', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 13: 'INTERNAL', 14: 'UNAVAILABLE' };
function failed(err: { code?: number }): void {
  failures++;
  const name = STATUS_NAMES[err?.code ?? -1] ?? `code ${err?.code ?? '?'}`;
  failedBy.set(name, (failedBy.get(name) ?? 0) + 1);
}
const failureText = () => [...failedBy].map(([k, v]) => `${k} ${v}`).join(', ');
let reported = '';
setInterval(() => {
  const now = `${failures}/${skipped}`;
  if (now === reported || (!failures && !skipped)) return;
  reported = now;
  console.log(`ext-heartbeats ${own}: ${beats} heartbeats, ${failures} failed (${failureText()}), ${skipped} skipped while the last was unanswered`);
}, 10_000).unref();

function stop(): void {
  if (stopping) return;
  stopping = true;
  for (const t of timers) clearInterval(t);
  cp.close();
  console.log(`ext-heartbeats ${own}: ${beats} heartbeats sent, ${failures} failed${failures ? ` (${failureText()})` : ''}, ${skipped} skipped`);
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

async function registerAll(ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => cp.registerWithRetry(id, `bench ${id}`)));
}

const churnFile = process.env.BENCH_CHURN_FILE ?? '';
let churning = false;
if (churnFile) {
  // Checked once per interval for the whole process (not per id).
  setInterval(() => (churning = fs.existsSync(churnFile)), interval).unref();
}

function startHeartbeats(ids: string[]): void {
  ids.forEach((id, i) => {
    let flip = false;
    let inFlight = false;
    const beat = () => {
      // One heartbeat in flight per id, as a real component (flowctl's Go SDK: a ticker and a blocking
      // call, so a slow control plane slows its heartbeats down). Firing one every interval whatever
      // became of the last one kept up to 10 per id queued (10 s deadline) once the control plane fell
      // behind: it then served mostly calls whose callers had given up, and never caught up again.
      if (inFlight) {
        skipped++;
        return;
      }
      inFlight = true;
      // UNKNOWN keeps the current status: a churned id is made healthy again explicitly.
      const status = i % 10 === 0 && (churning || flip) ? ((flip = !flip) ? 3 : 2) : 0;
      cp.heartbeat(id, { beats: String(++beats) }, status).then(
        () => void (inFlight = false),
        (err) => {
          inFlight = false;
          failed(err);
        },
      );
    };
    // Spread the ids over the interval so the control plane sees a steady rate, not bursts.
    const t = setTimeout(() => timers.push(setInterval(beat, interval)), Math.round(((i + Math.random()) * interval) / ids.length));
    timers.push(t);
  });
}

const upDir = process.env.BENCH_UP_DIR ?? '';

/** Registers each extra id once its placeholder process has started (its file in upDir exists). */
async function registerWhenUp(ids: string[]): Promise<void> {
  const left = new Set(ids);
  const deadline = Date.now() + 600_000;
  while (!stopping && left.size && Date.now() < deadline) {
    const up = [...left].filter((id) => fs.existsSync(`${upDir}/${id}`));
    for (const id of up) left.delete(id);
    await Promise.all(up.map((id) => cp.registerWithRetry(id, `bench ${id}`)));
    if (left.size) await sleep(250);
  }
}

async function main(): Promise<void> {
  await cp.registerWithRetry(own, `bench ${own}`);
  if (upDir) {
    await registerWhenUp(extras);
    console.log(`ext-heartbeats ${own}: registered ${1 + extras.length} ids (each once its process started), heartbeat every ${interval} ms`);
    startHeartbeats([own, ...extras]);
    return;
  }
  await registerAll(extras);
  console.log(`ext-heartbeats ${own}: registered ${1 + extras.length} ids, heartbeat every ${interval} ms`);
  startHeartbeats([own, ...extras]);
  const deadline = Date.now() + 300_000;
  while (!stopping && extras.length && Date.now() < deadline) {
    await sleep(1000);
    const status = await cp.latestRunStatus().catch(() => undefined);
    if (status !== RUN_STARTING) break;
    await registerAll(extras).catch((err: Error) => console.error(`re-register: ${err.message}`));
  }
}

main().catch((err: Error) => {
  console.error(`ext-heartbeats ${own}: ${err.message}`);
  process.exit(1);
});
