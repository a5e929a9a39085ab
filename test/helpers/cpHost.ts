// Test helpers for control-plane processes: an embedded control plane in a child process
// (test/fixtures/controlplane/cp-host.ts), a caller process that makes calls for a test
// (cp-caller.ts), and memory figures read from /proc.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { repoRoot } from './paths';

function fixture(name: string): string {
  return path.join(repoRoot(), 'out', 'test', 'fixtures', 'controlplane', name);
}

/** Peak resident memory (VmHWM) of a process, in bytes. */
export function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Current resident memory (VmRSS) of a process, in bytes. */
export function currentRss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export interface HostOptions {
  dbPath?: string;
  ownerToken?: string;
  restricted?: boolean;
  allowExternal?: string[];
  limits?: Record<string, number>;
  heartbeatTtlMs?: number;
  janitorIntervalMs?: number;
  /** Run the control plane as this user (and group of the same number); needs root. */
  uid?: number;
}

export class CpHost {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(opts: HostOptions = {}): Promise<CpHost> {
    const { uid, ...hostOpts } = opts;
    const ids = uid === undefined ? {} : { uid, gid: uid };
    const child = fork(fixture('cp-host.js'), [JSON.stringify(hostOpts)], { ...ids, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.env.CP_HOST_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.CP_HOST_PROF] : [] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { type: string; port: number }) => (m.type === 'ready' ? resolve(m.port) : reject(new Error(`unexpected ${m.type}`))));
      child.once('exit', (code) => reject(new Error(`cp-host exited during start (${code})`)));
    });
    return new CpHost(child, port);
  }

  private send(msg: object): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('message', () => resolve());
      this.child.send(msg);
    });
  }

  addRunPid(pid: number): Promise<void> {
    return this.send({ type: 'addRunPid', pid });
  }

  allowExternal(id: string): Promise<void> {
    return this.send({ type: 'allowExternal', id });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export type Answer = { ok: true; response: any } | { ok: false; code: number; details: string };

/** A separate process that makes the calls it is told to (one connection). */
export class Caller {
  private readonly answers: Array<(a: any) => void> = [];
  private constructor(readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => this.answers.shift()?.(JSON.parse(line)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** `uid`: run the caller as this user (and group of the same number); needs root. */
  static async start(endpoint: string, env: NodeJS.ProcessEnv = process.env, uid?: number): Promise<Caller> {
    const ids = uid === undefined ? {} : { uid, gid: uid };
    const child = spawn(process.execPath, [fixture('cp-caller.js'), endpoint], { ...ids, stdio: ['pipe', 'pipe', 'inherit'], env });
    const caller = new Caller(child);
    await new Promise<void>((resolve, reject) => {
      caller.answers.push(() => resolve());
      child.once('exit', (code) => reject(new Error(`cp-caller exited early (${code})`)));
    });
    return caller;
  }

  call(api: 'v1' | 'legacy' | 'access', method: string, request: unknown, token?: string): Promise<Answer> {
    return new Promise((resolve) => {
      this.answers.push(resolve);
      this.child.stdin!.write(JSON.stringify({ api, method, request, token }) + '\n');
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
