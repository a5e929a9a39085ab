// Helpers of `bench:run` (bench/run.ts): statistics, per-process CPU and RSS from /proc, standalone
// component processes, and the result table.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wall-clock milliseconds with sub-millisecond precision (comparable across processes). */
export const wallNow = () => performance.timeOrigin + performance.now();

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const CLK_TCK = 100; // Linux USER_HZ

/** CPU seconds (user + system) a process has used so far; NaN when it cannot be read. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

/**
 * CPU time (ms) a process tree has used so far: the process, the children it has already waited for
 * (cutime, cstime) and every descendant still in /proc (zombies included). Linux only: NaN elsewhere.
 * Resolution: one clock tick (10 ms) per process.
 */
export function procTreeCpuMs(root: number): number {
  const stat = (pid: number | string): string[] | undefined => {
    try {
      const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return s.slice(s.lastIndexOf(')') + 2).split(' ');
    } catch {
      return undefined;
    }
  };
  const own = stat(root);
  if (!own) return NaN;
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return NaN;
  }
  const ticks = new Map<number, number>();
  for (const e of entries) {
    const f = stat(e);
    if (!f) continue;
    const pid = Number(e);
    const ppid = Number(f[1]);
    ticks.set(pid, Number(f[11]) + Number(f[12]));
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
  }
  let total = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  const todo = [...(children.get(root) ?? [])];
  while (todo.length) {
    const pid = todo.pop()!;
    total += ticks.get(pid) ?? 0;
    todo.push(...(children.get(pid) ?? []));
  }
  return (total * 1000) / CLK_TCK;
}

/** VmRSS of a process in MiB; NaN when it cannot be read. */
export function procRssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Environment without the flowctl contract variables inherited from this process. */
export function standaloneEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (/^(FLOWCTL_|ENABLE_FLOWCTL$|COMPONENT_ID$|PORT$|HEALTH_PORT$)/.test(k)) delete env[k];
  return { ...env, ...extra };
}

export interface Standalone {
  child: ChildProcess;
  endpoint: string;
}

const live = new Set<ChildProcess>();
export function killLiveChildren(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Starts a component without a control plane and waits for "serving flowctl.v1.X on <endpoint>". */
export function startStandalone(script: string, env: Record<string, string>): Promise<Standalone> {
  const child = spawn(process.execPath, [script], { env: standaloneEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not announce its endpoint within 20 s:\n${out}`)), 20_000);
    const onText = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /serving flowctl\.v1\.\w+ on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data').resume();
        child.stderr!.removeAllListeners('data').resume();
        resolve({ child, endpoint: m[1] });
      }
    };
    child.stdout!.on('data', onText);
    child.stderr!.on('data', onText);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${signal ?? code}) before announcing its endpoint:\n${out}`));
    });
  });
}

export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

export interface Row {
  what: string;
  value: string;
  target?: string;
  ok?: boolean;
}

export function printTable(title: string, rows: Row[]): void {
  const w0 = Math.max(...rows.map((r) => r.what.length), 6);
  const w1 = Math.max(...rows.map((r) => r.value.length), 8);
  const w2 = Math.max(...rows.map((r) => (r.target ?? '').length), 6);
  console.log(`\n${title}`);
  console.log(`  ${'metric'.padEnd(w0)}  ${'measured'.padStart(w1)}  ${'target'.padEnd(w2)}  result`);
  console.log(`  ${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ${'-'.repeat(w2)}  ------`);
  for (const r of rows) {
    const res = r.ok === undefined ? '' : r.ok ? 'PASS' : 'FAIL';
    console.log(`  ${r.what.padEnd(w0)}  ${r.value.padStart(w1)}  ${(r.target ?? '').padEnd(w2)}  ${res}`);
  }
}
