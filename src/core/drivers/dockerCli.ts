// The Docker engine, reached through the `docker` CLI (run with execa). The CLI is what users already
// configured: it honours DOCKER_HOST, `docker context use`, TLS settings, ~/.docker/config.json and the
// credential helpers a pull of a private image needs, and it negotiates the API version with the engine
// (a v28 CLI talks to a 20.10 engine at API 1.41). Every call runs in its own process group, so a Ctrl+C
// in the terminal reaches the runner (which then stops containers in order) and not a `docker stop`
// half-way through.
import type * as Execa from 'execa';

/** execa, loaded on the first docker command: a run of processes only never needs it. */
function execa(): typeof Execa.execa {
  return (require('execa') as typeof Execa).execa;
}

export interface DockerCliOptions {
  /** The CLI to run (default `docker`, looked up on PATH). */
  command?: string;
  /** Environment of every CLI call (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG… are honoured); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The CLI itself could not be run (not installed / not on PATH). */
  notFound?: boolean;
  timedOut?: boolean;
}

export interface ExecOptions {
  /** Killed (and reported as timedOut) after this long; default 60 s. */
  timeoutMs?: number;
  /** Variables added to the CLI's own environment (e.g. values for `-e NAME` flags). */
  env?: Record<string, string>;
  /** Called for each line the CLI writes to stdout while it runs (pull progress). */
  onStdoutLine?: (line: string) => void;
}

export interface FollowHandlers {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

export interface Follower {
  /** Resolves when the CLI ended (the followed container stopped, or kill() was called). */
  readonly done: Promise<CliResult>;
  kill(): void;
  /** Stop / start reading its output (back-pressure: the engine keeps the container's output meanwhile). */
  pause(): void;
  resume(): void;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export class DockerCli {
  readonly command: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(opts: DockerCliOptions = {}) {
    this.command = opts.command ?? 'docker';
    this.env = opts.env ?? process.env;
  }

  private envWith(extra?: Record<string, string>): NodeJS.ProcessEnv {
    return extra ? { ...this.env, ...extra } : this.env;
  }

  /** Runs one CLI command to its end; never rejects (look at exitCode / notFound / timedOut). */
  async exec(args: string[], opts: ExecOptions = {}): Promise<CliResult> {
    let sub: ReturnType<typeof Execa.execa>;
    try {
      sub = execa()(this.command, args, {
        env: this.envWith(opts.env),
        extendEnv: false,
        detached: true,
        stdin: 'ignore',
        reject: false,
        timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        forceKillAfterDelay: 2_000,
        stripFinalNewline: true,
        windowsHide: true,
      });
    } catch (err) {
      return { exitCode: -1, stdout: '', stderr: (err as Error).message, notFound: true };
    }
    if (opts.onStdoutLine && sub.stdout) {
      let partial = '';
      sub.stdout.on('data', (chunk: Buffer) => {
        const text = partial + chunk.toString('utf8');
        const lines = text.split(/\r?\n|\r/);
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) opts.onStdoutLine!(line);
      });
    }
    const r = await sub;
    const code = (r as { code?: string }).code;
    const notFound = code === 'ENOENT' || (r.failed && r.exitCode === undefined && /ENOENT/.test(String(r.message)));
    return {
      exitCode: r.exitCode ?? -1,
      stdout: typeof r.stdout === 'string' ? r.stdout : '',
      stderr: typeof r.stderr === 'string' ? r.stderr : String(r.message ?? ''),
      ...(notFound ? { notFound: true } : {}),
      ...(r.timedOut ? { timedOut: true } : {}),
    };
  }

  /** Starts a long-running CLI command (e.g. `docker logs --follow`) whose stdout/stderr are streamed. */
  follow(args: string[], handlers: FollowHandlers): Follower {
    let sub: ReturnType<typeof Execa.execa>;
    try {
      sub = execa()(this.command, args, {
        env: this.env,
        extendEnv: false,
        detached: true,
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
        buffer: false,
        reject: false,
        cleanup: false,
        windowsHide: true,
      });
    } catch (err) {
      const none = () => undefined;
      return { done: Promise.resolve({ exitCode: -1, stdout: '', stderr: (err as Error).message, notFound: true }), kill: none, pause: none, resume: none };
    }
    sub.stdout?.on('data', (c: Buffer) => handlers.onStdout(c));
    sub.stderr?.on('data', (c: Buffer) => handlers.onStderr(c));
    // Listen for the ends now: once the CLI has exited they may already have happened.
    const ended = (['stdout', 'stderr'] as const).map(
      (name) =>
        new Promise<void>((resolve) => {
          const s = sub[name];
          if (!s || s.destroyed || s.readableEnded) return resolve();
          s.once('end', resolve);
          s.once('close', resolve);
          s.once('error', () => resolve());
        }),
    );
    const done = (async (): Promise<CliResult> => {
      const r = await sub;
      await Promise.all(ended);
      // The streams were the followed container's output; only a failure of the CLI itself is reported.
      return { exitCode: r.exitCode ?? -1, stdout: '', stderr: r.failed && r.exitCode === undefined ? String(r.message ?? '') : '' };
    })();
    return {
      done,
      kill: () => {
        try {
          sub.kill('SIGKILL');
        } catch {
          // already gone
        }
      },
      pause: () => {
        sub.stdout?.pause();
        sub.stderr?.pause();
      },
      resume: () => {
        sub.stdout?.resume();
        sub.stderr?.resume();
      },
    };
  }
}

/**
 * The useful part of the CLI's error output, on one line: without "docker: ", without
 * "Error response from daemon: " and without the "See 'docker run --help'." footer.
 */
export function cliErrorText(r: Pick<CliResult, 'stderr' | 'exitCode' | 'timedOut' | 'notFound'>, command = 'docker'): string {
  if (r.notFound) return `the ${command} command was not found`;
  if (r.timedOut) return 'the docker command did not answer in time';
  const lines = r.stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^See '.*--help'\.?$/.test(l) && !/^Run '.*--help' for more information/.test(l));
  const text = lines
    .map((l) => l.replace(/^docker: /, '').replace(/^Error response from daemon: /, '').replace(/^Error: /, ''))
    .join(' ')
    .trim();
  return text || `docker exited with code ${r.exitCode}`;
}

export interface EngineInfo {
  serverVersion: string;
  apiVersion: string;
  os: string;
}

export type EngineProblem = 'no-cli' | 'unreachable' | 'permission' | 'error';

export type EngineCheck = { ok: true; info: EngineInfo } | { ok: false; problem: EngineProblem; detail: string };

/** Asks the engine for its version: tells "no CLI", "no engine", "no permission" apart. */
export async function checkEngine(cli: DockerCli, timeoutMs = 15_000): Promise<EngineCheck> {
  const r = await cli.exec(['version', '--format', '{{.Server.Version}}|{{.Server.APIVersion}}|{{.Server.Os}}'], { timeoutMs });
  if (r.notFound) return { ok: false, problem: 'no-cli', detail: `the ${cli.command} command was not found on PATH` };
  const [serverVersion = '', apiVersion = '', os = ''] = r.stdout.trim().split('|');
  if (r.exitCode === 0 && serverVersion && apiVersion) return { ok: true, info: { serverVersion, apiVersion, os } };
  const detail = cliErrorText(r, cli.command);
  if (/permission denied/i.test(r.stderr)) return { ok: false, problem: 'permission', detail };
  if (r.timedOut || /cannot connect|is the docker daemon running|no such file or directory|connection refused|error during connect/i.test(r.stderr)) {
    return { ok: false, problem: 'unreachable', detail };
  }
  return { ok: false, problem: 'error', detail };
}

/** One sentence for a failed engine check, naming what needs the engine and the fix. */
export function engineProblemMessage(check: Extract<EngineCheck, { ok: false }>, what = 'this pipeline', plural = false): string {
  const needs = plural ? 'need' : 'needs';
  switch (check.problem) {
    case 'no-cli':
      return `${what} ${needs} a Docker engine, but ${check.detail}: install docker.io and start dockerd, or give it a command`;
    case 'permission':
      return (
        `${what} ${needs} a Docker engine, but this user may not use it (${check.detail}): ` +
        'add the user to the docker group (sudo usermod -aG docker $USER, then log in again), or give it a command'
      );
    case 'unreachable':
      return `${what} ${needs} a Docker engine, but none answers (${check.detail}): install docker.io and start dockerd, or give it a command`;
    default:
      return `${what} ${needs} a Docker engine, but asking it failed (${check.detail}): install docker.io and start dockerd, or give it a command`;
  }
}
