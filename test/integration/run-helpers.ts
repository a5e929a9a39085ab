// Helpers for `flowctl run` integration tests: pipelines written into temp folders, the CLI run as a
// user would (real processes, real sockets), and a leak check that finds every process of a test by a
// marker in its environment (children inherit the runner's environment, grandchildren too).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { repoRoot, makeTempDir, removeTempDir } from '../helpers/paths';
import { spawnCli, type CliProcess } from '../helpers/cli';
import { waitFor } from '../helpers/net';

export function fixture(name: string): string {
  return path.join(repoRoot(), 'out', 'test', 'fixtures', name);
}

export interface RunEnv {
  dir: string;
  home: string;
  marker: string;
  env: NodeJS.ProcessEnv;
}

/** A temp folder, a private FLOWCTL_HOME and a process marker; after the test, leftovers are killed and the folder removed. */
export function runEnv(t: { after(fn: () => void | Promise<void>): void }, prefix = 'flowctl-run-'): RunEnv {
  const dir = makeTempDir(prefix);
  const home = path.join(dir, 'home');
  const marker = crypto.randomUUID();
  t.after(() => {
    killMarked(marker);
    removeTempDir(dir);
  });
  return { dir, home, marker, env: { FLOWCTL_HOME: home, FLOWCTL_TEST_MARKER: marker } };
}

export function writePipeline(dir: string, yaml: string, name = 'flow.yml'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  return file;
}

/** Pids of live processes carrying FLOWCTL_TEST_MARKER=<marker>, excluding `except`. */
export function markedProcesses(marker: string, except: number[] = []): number[] {
  const needle = `FLOWCTL_TEST_MARKER=${marker}`;
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (except.includes(pid) || pid === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // zombie: already dead
      if (env.split('\0').includes(needle)) found.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

export function killMarked(marker: string): void {
  for (const pid of markedProcesses(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export interface RunningCli extends CliProcess {
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
}

export function startRun(file: string, args: string[], env: RunEnv): RunningCli {
  // In-memory registry unless the test asks for a database.
  const persistence = args.includes('--db-path') ? [] : ['--no-persistence'];
  const p = spawnCli(['run', file, '--control-plane-port', '0', ...persistence, '--log-dir', path.join(env.dir, 'logs'), ...args], env.env);
  return {
    ...p,
    waitForOutput: async (pattern, timeoutMs = 20_000) => {
      const test = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
      try {
        await waitFor(() => test(p.stdout()) || test(p.stderr()), timeoutMs, `output ${pattern}`, 50);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- stdout so far:\n${p.stdout()}\n--- stderr:\n${p.stderr()}`);
      }
    },
  };
}

export async function stopRun(run: CliProcess, signal: NodeJS.Signals = 'SIGINT', timeoutMs = 20_000) {
  run.child.kill(signal);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const result = await run.exited;
  clearTimeout(timer);
  return result;
}

export function node(script: string): string {
  return JSON.stringify(['node', fixture(script)]);
}
