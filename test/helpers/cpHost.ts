// Test helpers for control-plane processes: an embedded control plane in a child process
// (test/fixtures/controlplane/cp-host.ts), a caller process that makes calls for a test
// (cp-caller.ts), and memory figures read from /proc.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { repoRoot } from './paths';

function fixture(name: string): string {
  return path.join(repoRoot(), 'out', 'test', 'fixtures', 'controlplane', name);
}

/** Packages the fixtures load at run time (esbuild leaves them external). */
const RUNTIME_PACKAGES = ['lmdb', '@grpc/reflection', 'grpc-health-check'];
let staged: string | undefined;

/**
 * A fixture another user can run. The checkout may sit under a folder only root can enter (a fresh
 * clone in a 0700 temp folder), so for a uid the fixtures and the packages they load are copied to a
 * folder every user can read (removed when this process exits).
 */
function fixtureFor(name: string, uid: number | undefined): string {
  if (uid === undefined) return fixture(name);
  if (!staged) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-cp-fixtures-'));
    fs.chmodSync(dir, 0o755);
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const root = path.join(repoRoot(), 'node_modules');
    const copied = new Set<string>();
    const visit = (pkg: string, from: string): void => {
      let src = path.join(from, 'node_modules', pkg);
      if (!fs.existsSync(src)) src = path.join(root, pkg);
      if (!fs.existsSync(src) || copied.has(src)) return;
      copied.add(src);
      // A package nested in another's node_modules is copied with it; only hoisted ones are copied here.
      if (path.dirname(src) === root || path.dirname(path.dirname(src)) === root) {
        fs.cpSync(src, path.join(dir, 'node_modules', path.relative(root, src)), { recursive: true, dereference: true });
      }
      const pj = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
      for (const dep of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) visit(dep, src);
    };
    for (const pkg of RUNTIME_PACKAGES) visit(pkg, root);
    for (const f of ['cp-host.js', 'cp-caller.js']) fs.copyFileSync(fixture(f), path.join(dir, f));
    staged = dir;
  }
  return path.join(staged, name);
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
    const child = fork(fixtureFor('cp-host.js', uid), [JSON.stringify(hostOpts)], { ...ids, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.env.CP_HOST_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.CP_HOST_PROF] : [] });
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
    const child = spawn(process.execPath, [fixtureFor('cp-caller.js', uid), endpoint], { ...ids, stdio: ['pipe', 'pipe', 'inherit'], env });
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
