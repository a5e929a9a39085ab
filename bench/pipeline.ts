// Pipeline-file benchmark: `npm run bench:pipeline`. In one run, each figure beside its baseline:
//   1. parse + validate (parsePipeline, no command lookup) of realistic pipelines of 100, 1,000 and
//      10,000 components vs the `yaml` package's parseAllDocuments alone on the same text (what any
//      YAML-based validator pays): min/median/max over BENCH_ROUNDS (default 5) rounds each.
//   2. completion at an `inputs: [|]` and at a key position in the 1,000-component file (min/median/max).
//   3. hostile files, each in a fresh child process (time and peak RSS): 1 MB of nested `[`, a
//      "billion laughs" alias bomb in a component's config, and a 50 MB file; ours vs what main did
//      (yaml.parseAllDocuments + toJS on the whole text). The 50 MB baseline is parsed from a 10 MB
//      slice of it (×5 is the estimate), unless BENCH_FULL=1.
// Prints a table and a final JSON line.
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { completeAt } from '../src/core/pipeline/assist';
import { loadPipelineFile, parsePipeline } from '../src/core/pipeline/load';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function pipelineText(components: number): string {
  const lines = ['apiVersion: flowctl/v1', 'kind: Pipeline', 'metadata:', '  name: bench', 'spec:', '  sources:'];
  const sources = Math.max(1, Math.floor(components / 4));
  for (let i = 0; i < sources; i++) lines.push(`    - id: src-${i}`, '      command: ["node", "dist/source.js"]', '      output_event_types: [bench.v1]', '      env:', `        RATE: "${i}"`);
  lines.push('  processors:');
  const procs = Math.max(1, Math.floor(components / 4));
  for (let i = 0; i < procs; i++) lines.push(`    - id: proc-${i}`, '      command: ["node", "dist/proc.js"]', `      inputs: [src-${i % sources}]`, '      restart_policy: on-failure');
  lines.push('  sinks:');
  for (let i = 0; i < components - sources - procs; i++) lines.push(`    - id: sink-${i}`, '      command: ["node", "dist/sink.js"]', `      inputs: [proc-${i % procs}]`, '      input_event_types: [bench.v1]');
  return lines.join('\n') + '\n';
}

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

function time(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const range = (s: { min: number; median: number; max: number }) => `${fmt(s.median)} ms (${fmt(s.min)}–${fmt(s.max)})`;

// ---- child mode: one hostile case, report time and peak RSS ---------------------------------
async function child(kind: string, file: string): Promise<void> {
  const t0 = performance.now();
  let note = '';
  if (kind === 'ours') {
    const r = await loadPipelineFile(file, { checkCommands: false });
    note = r.diagnostics.map((d) => d.code).join(',');
  } else {
    // What main did: read everything, parse everything, convert config values with toJS.
    const slice = process.env.BENCH_SLICE ? Number(process.env.BENCH_SLICE) : undefined;
    const fd = fs.openSync(file, 'r');
    const size = slice ?? fs.fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    fs.readSync(fd, buf, 0, size, 0);
    fs.closeSync(fd);
    try {
      const docs = parseAllDocuments(buf.toString('utf8'), { lineCounter: new LineCounter(), prettyErrors: false });
      const d = Array.isArray(docs) ? docs[0] : undefined;
      d?.toJS();
      note = `${Array.isArray(docs) ? docs.reduce((n, x) => n + x.errors.length, 0) : 0} yaml errors`;
    } catch (err) {
      note = `threw: ${(err as Error).message.slice(0, 60)}`;
    }
  }
  const ms = performance.now() - t0;
  process.send!({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024, note });
}

function runChild(kind: string, file: string, env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; maxRssMB: number; note: string }> {
  return new Promise((resolve, reject) => {
    const c = fork(__filename, ['--child', kind, file], { env: { ...process.env, ...env }, execArgv: ['--max-old-space-size=4096'] });
    c.once('message', (m) => resolve(m as { ms: number; maxRssMB: number; note: string }));
    c.once('error', reject);
    c.once('exit', (code) => (code ? reject(new Error(`child ${kind} exited ${code}`)) : undefined));
  });
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  const json: Record<string, unknown> = {};

  // 1. Realistic files.
  for (const n of [100, 1000, 10000]) {
    const text = pipelineText(n);
    const yamlOnly: number[] = [];
    const ours: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate so load on the machine hits both alike.
      yamlOnly.push(time(() => parseAllDocuments(text, { lineCounter: new LineCounter() })));
      ours.push(time(() => parsePipeline(text, 'flow.yml', { checkCommands: false })));
    }
    const a = stats(yamlOnly);
    const b = stats(ours);
    rows.push([`parse + validate, ${n.toLocaleString('en-US')} components (${(text.length / 1024).toFixed(0)} KB)`, range(b), range(a), `${(b.median / a.median).toFixed(2)}×`]);
    json[`parse_${n}`] = { ours: b, yamlOnly: a };
  }

  // 2. Completion.
  {
    const text = pipelineText(1000);
    const model = parsePipeline(text, 'flow.yml', { checkCommands: false }).pipeline;
    const at = text.indexOf('inputs: [proc-0]', text.indexOf('- id: sink-200')) + 'inputs: ['.length;
    const key = text.indexOf('      command', text.indexOf('- id: sink-200'));
    const ids: number[] = [];
    const keys: number[] = [];
    let n = 0;
    for (let r = 0; r < ROUNDS * 4; r++) {
      ids.push(time(() => (n = completeAt(text, at, model).items.length)));
      keys.push(time(() => completeAt(text, key, model)));
    }
    rows.push([`completion of ids in inputs, 1,000 components (${n} items)`, range(stats(ids)), '', '']);
    rows.push(['completion of keys, 1,000 components', range(stats(keys)), '', '']);
    json.completion = { ids: stats(ids), keys: stats(keys) };
  }

  // 3. Hostile files, each case in its own process.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pipeline-'));
  try {
    const head = 'apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: b}\nspec:\n  sources:\n    - id: s\n      command: [sh]\n';
    const deep = path.join(dir, 'deep.yml');
    fs.writeFileSync(deep, head + '      config: {a: ' + '['.repeat(1_000_000) + '}\n');
    const laughs = path.join(dir, 'laughs.yml');
    const bomb = ['x0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) bomb.push(`x${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    fs.writeFileSync(laughs, head + '      config:\n' + bomb.map((l) => `        ${l}`).join('\n') + '\n');
    const big = path.join(dir, 'big.yml');
    let body = head;
    const chunk = (i: number) => `    - id: s${i}\n      command: [sh, -c, "echo ${i}"]\n`;
    const parts: string[] = [body];
    let size = body.length;
    for (let i = 0; size < 50 * 1024 * 1024; i++) {
      const c = chunk(i);
      parts.push(c);
      size += c.length;
    }
    fs.writeFileSync(big, parts.join(''));
    body = '';
    const cases: [string, string, NodeJS.ProcessEnv][] = [
      ['1 MB of nested `[`', deep, {}],
      ['alias bomb (10^9 values) in config', laughs, {}],
      [process.env.BENCH_FULL === '1' ? '50 MB file' : '50 MB file (baseline: its first 10 MB, ×5 estimated)', big, process.env.BENCH_FULL === '1' ? {} : { BENCH_SLICE: String(10 * 1024 * 1024) }],
    ];
    for (const [name, file, env] of cases) {
      const ours = await runChild('ours', file);
      const before = await runChild('main', file, env).catch((err: Error) => ({ ms: NaN, maxRssMB: NaN, note: err.message }));
      rows.push([
        `${name}: ours → ${ours.note}`,
        `${fmt(ours.ms)} ms, peak RSS ${ours.maxRssMB.toFixed(0)} MB`,
        `${fmt(before.ms)} ms, peak RSS ${before.maxRssMB.toFixed(0)} MB (${before.note})`,
        `${(before.ms / ours.ms).toFixed(0)}× faster`,
      ]);
      json[name] = { ours, main: before };
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['figure', 'ours', 'baseline', 'ratio'][i].length));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join(' | ');
  console.log(line(['figure', 'ours', 'baseline', 'ratio']));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
  console.log(JSON.stringify(json));
}

if (process.argv[2] === '--child') void child(process.argv[3], process.argv[4]);
else
  void main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
