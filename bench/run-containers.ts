// bench:run, section 6 — containers next to processes, measured in the same run with the same SDK
// components (examples/demo's ticker → enrich → two counter sinks): once as processes (`node
// dist/examples/demo/components/*.js`), once as containers (the demo image built locally by
// scripts/docker-test-images.sh, host networking), alternating round by round so both see the same load.
// Per round: start → running (runner.start() resolved: every component registered, streams open), the
// first event at every sink after that, a restart of the processor → its first event again, and the
// run's stop (everything gone; containers removed).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Runner } from '../src/core/runner';
import { checkEngine, DockerCli } from '../src/core/drivers/dockerCli';
import { sleep } from './run-util';

export interface ModeFigures {
  running: number[];
  firstEventEverySink: number[];
  restart: number[];
  stop: number[];
}

export interface ContainerFigures {
  rounds: number;
  image?: string;
  process: ModeFigures;
  container: ModeFigures;
  /** Why the section was skipped (no engine). */
  skipped?: string;
}

export interface ContainerBenchContext {
  tmp: string;
  rounds: number;
  newRunner(file: string): Runner;
  stopRunner(r: Runner): Promise<void>;
  log(line: string): void;
}

function pipeline(mode: 'process' | 'container', image: string | undefined, built: string): string {
  const run = (js: string) =>
    mode === 'process' ? `      command: ${JSON.stringify([process.execPath, path.join(built, js)])}` : `      image: ${image}\n      command: ["node", "/app/${js}"]`;
  return [
    'apiVersion: flowctl/v1',
    'kind: Pipeline',
    `metadata: { name: bench-${mode} }`,
    'spec:',
    `  driver: ${mode === 'process' ? 'process' : 'docker'}`,
    '  sources:',
    '    - id: ticker',
    run('ticker.js'),
    '      env: { RATE: "200" }',
    '  processors:',
    '    - id: enrich',
    run('enrich.js'),
    '      inputs: [ticker]',
    '      env: { MIN_QTY: "0" }',
    '  sinks:',
    ...['sink-a', 'sink-b'].flatMap((id) => [`    - id: ${id}`, run('counter-sink.js'), '      inputs: [enrich]']),
    '',
  ].join('\n');
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

async function round(ctx: ContainerBenchContext, file: string, into: ModeFigures): Promise<void> {
  const r = ctx.newRunner(file);
  let stopped = false;
  try {
    const t0 = performance.now();
    await r.start();
    into.running.push(performance.now() - t0);
    const up = performance.now();
    await until(() => ['sink-a', 'sink-b'].every((id) => (r.liveCounts()[id]?.eventsIn ?? 0) > 0), 60_000, 'the first event at every sink');
    into.firstEventEverySink.push(performance.now() - up);
    await sleep(500);
    const t1 = performance.now();
    await r.restartComponent('enrich');
    await until(() => r.snapshot().components.find((c) => c.id === 'enrich')?.phase === 'running', 120_000, 'enrich running again');
    const base = r.liveCounts().enrich?.eventsOut ?? 0;
    await until(() => (r.liveCounts().enrich?.eventsOut ?? 0) > base, 60_000, "enrich's first event after its restart");
    into.restart.push(performance.now() - t1);
    const t2 = performance.now();
    await ctx.stopRunner(r);
    stopped = true;
    into.stop.push(performance.now() - t2);
  } finally {
    if (!stopped) await ctx.stopRunner(r).catch(() => undefined);
  }
}

export async function containerFigures(ctx: ContainerBenchContext): Promise<ContainerFigures> {
  const empty = (): ModeFigures => ({ running: [], firstEventEverySink: [], restart: [], stop: [] });
  const out: ContainerFigures = { rounds: ctx.rounds, process: empty(), container: empty() };
  const engine = await checkEngine(new DockerCli());
  if (!engine.ok) {
    out.skipped = `skipped: no Docker engine (${engine.detail})`;
    return out;
  }
  const root = path.resolve(__dirname, '..', '..');
  const built = path.join(root, 'dist', 'examples', 'demo', 'components');
  const images = execFileSync('bash', [path.join(root, 'scripts', 'docker-test-images.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
  out.image = images.trim().split('\n')[1];
  const dir = fs.mkdtempSync(path.join(ctx.tmp, 'containers-'));
  const files = {
    process: path.join(dir, 'process.yml'),
    container: path.join(dir, 'container.yml'),
  };
  fs.writeFileSync(files.process, pipeline('process', undefined, built));
  fs.writeFileSync(files.container, pipeline('container', out.image, built));
  for (let i = 0; i < ctx.rounds; i++) {
    // Alternate which goes first, so neither always meets a machine just freed by the other.
    const order = i % 2 === 0 ? (['process', 'container'] as const) : (['container', 'process'] as const);
    for (const mode of order) {
      await round(ctx, files[mode], out[mode]);
      const f = out[mode];
      ctx.log(
        `  ${mode.padEnd(9)} round ${i + 1}/${ctx.rounds}: running after ${Math.round(f.running.at(-1)!)} ms, ` +
          `restart → first event ${Math.round(f.restart.at(-1)!)} ms, stop ${Math.round(f.stop.at(-1)!)} ms`,
      );
    }
  }
  return out;
}
