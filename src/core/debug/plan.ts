// How to start one component under a debugger: the one-time override the runner starts it with, how
// the debugger says it is listening, and what the start needs on this machine. Pure.
import * as path from 'node:path';
import type { ComponentOverride } from '../runnerTypes';
import { detectLaunch, type Launch } from './detect';
import type { ProgramFacts } from './probe';
import { isDebugRuntime, PORT_PLACEHOLDER, type DebugRuntime, type DebugSpec } from './spec';

export const LOOPBACK = '127.0.0.1';

/** Something the debugger start needs, checked before the component is touched. */
export type DebugNeed =
  | { kind: 'program'; name: string; what: string; install: string }
  | { kind: 'python-module'; python: string; module: 'debugpy'; install: string };

export interface DebugPlan {
  id: string;
  runtime: DebugRuntime;
  /** Given to restartComponent for this one start. */
  override: ComponentOverride;
  /** The port flowctl told the debugger to use; undefined when Node picks one and reports it. */
  port?: number;
  /** How to know the debugger listens: Node's "Debugger listening on ws://…" line, or the port listening. */
  ready: 'inspector-line' | 'port';
  /** `node`, `debugpy` or `Delve`, for messages. */
  debugger: string;
  /** What the start runs, for messages (env overrides as NAME=value first). */
  commandLine: string;
  cwd: string;
  /** The component's main file, when known (its folder holds the JavaScript with source maps). */
  program?: string;
  needs: DebugNeed[];
  /** How long the debugger may take to listen (Delve compiles `go run` packages first). */
  listenTimeoutMs: number;
}

export interface PlanInput {
  id: string;
  /** The component's command and args as the runner starts it. */
  command: string[];
  args?: string[];
  debug?: DebugSpec;
  /** The folder the component runs in (relative programs resolve here). */
  cwd: string;
  /** What command[0] is (read from the file). */
  facts: ProgramFacts;
  /** command[0] resolved to a file, when it could be. */
  resolvedProgram?: string;
  /** A free loopback port for debuggers that are told their port. */
  freePort: number;
  /** NODE_OPTIONS the component would get anyway (kept when the inspector comes through NODE_OPTIONS). */
  nodeOptions?: string;
}

export class DebugError extends Error {
  constructor(
    readonly code: 'not-running' | 'read-only' | 'busy' | 'container' | 'unsupported' | 'tool-missing' | 'extension-missing' | 'no-listener' | 'exited' | 'attach-failed',
    message: string,
    /** What the user can do about it. */
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'DebugError';
  }
}

const INSTALL_DEBUGPY = '`python3 -m pip install debugpy` (Debian/Ubuntu: `apt install python3-debugpy`) into the interpreter the component uses';
const INSTALL_DLV = '`go install github.com/go-delve/delve/cmd/dlv@latest` (Debian/Ubuntu: `apt install delve`) and make sure `dlv` is on PATH';

function isInspectFlag(a: string): boolean {
  return /^--(inspect|inspect-brk|inspect-wait|inspect-port|debug-port)(=|$)/.test(a);
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function commandLine(override: ComponentOverride, base: string[]): string {
  const env = Object.entries(override.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
  return [...env, ...(override.command ?? base).map(quote), ...(override.args ?? []).map(quote)].join(' ');
}

function sub(list: readonly string[], port: number): string[] {
  return list.map((a) => a.split(PORT_PLACEHOLDER).join(String(port)));
}

/**
 * The debugger start of one component, or why there is none. `debug:` in flow.yml wins over what the
 * command looks like: its `command` replaces the whole start, its `runtime` decides when the command does
 * not tell, its `args` go to the debugger, its `env` is added.
 */
export function planDebug(input: PlanInput): { ok: true; plan: DebugPlan } | { ok: false; error: DebugError } {
  const { id, debug, cwd } = input;
  const full = [...input.command, ...(input.args ?? [])];
  const extraArgs = debug?.args ?? [];
  const fixedPort = debug?.attach?.port;
  const port = fixedPort ?? input.freePort;
  const env = debug?.env ? sub(Object.values(debug.env), port) : [];
  const debugEnv = debug?.env ? Object.fromEntries(Object.keys(debug.env).map((k, i) => [k, env[i]])) : undefined;
  const forced = debug?.runtime;
  if (forced !== undefined && !isDebugRuntime(forced)) {
    return { ok: false, error: new DebugError('unsupported', `${id}: debug.runtime "${forced}" is not one of node, python, go`, 'fix `debug.runtime` in the pipeline file') };
  }

  // 1. debug.command: the whole start, as written (${port} filled in).
  if (debug?.command?.length) {
    if (!forced) return { ok: false, error: new DebugError('unsupported', `${id}: debug.command needs debug.runtime (node, python or go)`, 'add `runtime:` next to `command:` under `debug:`') };
    const usesPort = [...debug.command, ...extraArgs].some((a) => a.includes(PORT_PLACEHOLDER)) || Object.values(debug.env ?? {}).some((v) => v.includes(PORT_PLACEHOLDER));
    if (forced !== 'node' && fixedPort === undefined && !usesPort) {
      return { ok: false, error: new DebugError('unsupported', `${id}: debug.command does not say where the debugger listens`, `write ${PORT_PLACEHOLDER} in it or set debug.attach.port`) };
    }
    const override: ComponentOverride = { command: sub([...debug.command, ...extraArgs], port), args: [], ...(debugEnv ? { env: debugEnv } : {}) };
    const nodeReports = forced === 'node' && fixedPort === undefined && !usesPort;
    return {
      ok: true,
      plan: {
        id,
        runtime: forced,
        override,
        port: nodeReports ? undefined : port,
        ready: forced === 'node' ? 'inspector-line' : 'port',
        debugger: DEBUGGER_NAME[forced],
        commandLine: commandLine(override, full),
        cwd,
        needs: [],
        listenTimeoutMs: 60_000,
      },
    };
  }

  // 2. From the command (or debug.runtime).
  const detected = detectLaunch(full, input.facts, forced);
  if (!detected.ok) {
    return {
      ok: false,
      error: new DebugError(
        'unsupported',
        `cannot tell how to debug ${id}: ${detected.reason}`,
        'set `debug:` on the component in flow.yml, e.g. `debug: { runtime: node }` (the inspector through NODE_OPTIONS), or `debug: { runtime: python, command: [python3, -m, debugpy, --listen, "127.0.0.1:${port}", --wait-for-client, app.py] }`',
      ),
    };
  }
  return { ok: true, plan: planFor(detected.launch, input, port, fixedPort, extraArgs, debugEnv, full) };
}

const DEBUGGER_NAME: Record<DebugRuntime, string> = { node: 'the Node.js inspector', python: 'debugpy', go: 'Delve' };

function planFor(
  launch: Launch,
  input: PlanInput,
  port: number,
  fixedPort: number | undefined,
  extraArgs: string[],
  debugEnv: Record<string, string> | undefined,
  full: string[],
): DebugPlan {
  const { id, cwd } = input;
  const base = { id, runtime: launch.runtime, debugger: DEBUGGER_NAME[launch.runtime], cwd, listenTimeoutMs: 60_000 };
  const args = sub(extraArgs, port);
  let override: ComponentOverride;
  let program: string | undefined;
  const needs: DebugNeed[] = [];
  let ready: DebugPlan['ready'] = 'port';
  let planPort: number | undefined = port;
  switch (launch.runtime) {
    case 'node': {
      ready = 'inspector-line';
      planPort = fixedPort;
      const inspect = `--inspect=${LOOPBACK}:${fixedPort ?? 0}`;
      if (launch.how === 'node') {
        override = { command: [launch.program, inspect, ...args, ...launch.options.filter((o) => !isInspectFlag(o)), ...launch.rest], args: [] };
        program = launch.rest[0];
      } else if (launch.how === 'script') {
        override = { command: ['node', inspect, ...args, launch.script, ...launch.rest], args: [] };
        program = launch.script;
        needs.push({ kind: 'program', name: 'node', what: 'Node.js (node)', install: 'install Node.js and make sure `node` is on PATH' });
      } else {
        // The command starts Node.js somewhere inside: the inspector comes through NODE_OPTIONS.
        const kept = (debugEnv?.NODE_OPTIONS ?? input.nodeOptions ?? '').split(/\s+/).filter((o) => o && !isInspectFlag(o));
        override = { env: { NODE_OPTIONS: [...kept, inspect, ...args].join(' ') } };
      }
      break;
    }
    case 'python': {
      const debugpy = ['-m', 'debugpy', '--listen', `${LOOPBACK}:${port}`, '--wait-for-client', ...args];
      let python: string;
      if (launch.how === 'python') {
        python = launch.program;
        override = { command: [launch.program, ...launch.options, ...debugpy, ...launch.rest], args: [] };
        program = launch.rest[0] === '-m' || launch.rest[0] === '-c' ? undefined : launch.rest[0];
      } else {
        python = launch.interpreter[0];
        override = { command: [...launch.interpreter, ...debugpy, launch.script, ...launch.rest], args: [] };
        program = launch.script;
      }
      needs.push({ kind: 'python-module', python, module: 'debugpy', install: INSTALL_DEBUGPY });
      break;
    }
    case 'go': {
      const delve = ['--headless', `--listen=${LOOPBACK}:${port}`, '--api-version=2', '--accept-multiclient', '--continue', ...args];
      if (launch.how === 'exec') {
        const binary = input.resolvedProgram ?? launch.binary;
        override = { command: ['dlv', 'exec', binary, ...delve, ...(launch.rest.length ? ['--', ...launch.rest] : [])], args: [] };
        program = binary;
      } else {
        const build = launch.buildFlags.length ? [`--build-flags=${launch.buildFlags.join(' ')}`] : [];
        override = { command: ['dlv', 'debug', ...launch.targets, ...delve, ...build, ...(launch.rest.length ? ['--', ...launch.rest] : [])], args: [] };
        base.listenTimeoutMs = 300_000; // it compiles first
      }
      needs.push({ kind: 'program', name: 'dlv', what: 'Delve (dlv)', install: INSTALL_DLV });
      break;
    }
  }
  if (debugEnv) override.env = { ...debugEnv, ...override.env };
  return {
    ...base,
    override,
    port: planPort,
    ready,
    commandLine: commandLine(override, full),
    program: program && !program.startsWith('-') ? path.resolve(cwd, program) : undefined,
    needs,
  };
}
