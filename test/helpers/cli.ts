// Runs `node dist/cli.js …` as a real process. startCliServer waits for the
// "listening on host:port" line that `flowctl server` prints on stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { cliPath, repoRoot } from './paths';

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [cliPath(), ...args], {
    cwd: repoRoot(),
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  // 'exit' can come before the last output was read (a loaded machine): wait for both pipes to end too,
  // at most a few seconds (a process left behind may hold them open).
  const ended = (s: NodeJS.ReadableStream) => new Promise<void>((resolve) => s.once('end', resolve).once('error', () => resolve()));
  const pipes = Promise.all([ended(child.stdout!), ended(child.stderr!)]);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      const timer = setTimeout(() => resolve({ code, signal }), 5000);
      void pipes.then(() => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnCli(args, env);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const { code } = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

export interface CliServer extends CliProcess {
  /** host:port it bound. */
  endpoint: string;
  port: number;
}

/** Spawns `flowctl server <args>` and resolves once it logged its listening address. */
export async function startCliServer(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<CliServer> {
  const p = spawnCli(['server', ...args], env);
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flowctl server did not report its address within ${timeoutMs}ms; stderr:\n${p.stderr()}`)), timeoutMs);
    const check = () => {
      const m = /listening on (\S+)/.exec(p.stderr());
      if (m) {
        clearTimeout(timer);
        p.child.stderr!.off('data', check);
        resolve(m[1]);
      }
    };
    p.child.stderr!.on('data', check);
    p.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`flowctl server exited (${code ?? signal}) before listening; stderr:\n${p.stderr()}`));
    });
  });
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  return { ...p, endpoint, port };
}
