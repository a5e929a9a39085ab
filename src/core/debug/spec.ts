// The `debug:` key of a component in flow.yml: how to start it under a debugger when its command does
// not tell (a wrapper script, an unusual interpreter), and the checks the validator runs on it.
//
//   debug: { runtime: node, args: [--enable-source-maps] }         # flags for the debugger start
//   debug: { runtime: python, command: [python3, -m, debugpy, --listen, "127.0.0.1:${port}", app.py] }
//   debug: { runtime: go, command: [./debug.sh], attach: { port: 2345 } }

export const DEBUG_RUNTIMES = ['node', 'python', 'go'] as const;
export type DebugRuntime = (typeof DEBUG_RUNTIMES)[number];

/** Written in `debug.command` (and `debug.args`), replaced by the loopback port picked for the debugger. */
export const PORT_PLACEHOLDER = '${port}';

/** What a component's `debug:` key holds (as loaded; unchecked). */
export interface DebugSpec {
  /** node | python | go. */
  runtime?: string;
  /** Extra arguments for the debugger start: node flags, debugpy options or dlv flags. */
  args?: string[];
  /** The whole command that starts the component under a debugger (replaces command and args for that start). */
  command?: string[];
  /** Extra environment for the debugger start. */
  env?: Record<string, string>;
  /** Where the debugger listens (always 127.0.0.1). Default: a free port, or for Node the one it reports. */
  attach?: { port?: number };
}

/** Names people use for a runtime. */
export const RUNTIME_SYNONYMS: Record<string, DebugRuntime> = {
  nodejs: 'node',
  js: 'node',
  javascript: 'node',
  typescript: 'node',
  ts: 'node',
  tsx: 'node',
  inspector: 'node',
  py: 'python',
  python3: 'python',
  debugpy: 'python',
  golang: 'go',
  dlv: 'go',
  delve: 'go',
};

export function isDebugRuntime(v: string | undefined): v is DebugRuntime {
  return !!v && (DEBUG_RUNTIMES as readonly string[]).includes(v);
}

/** One problem of a `debug:` key; `path` is below the key (e.g. ['runtime'], ['args', 2]). */
export interface DebugKeyProblem {
  severity: 'error' | 'warning';
  code: string;
  path: (string | number)[];
  message: string;
  fix?: string;
  /** For `runtime`: the values it was probably meant to be. */
  candidates?: string[];
}

const LOOPBACK_HOSTS = new Set(['localhost', 'ip6-localhost', '::1', '[::1]']);

function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (LOOPBACK_HOSTS.has(h)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The address in one argument (or `flag value` pair) that would make a debugger listen beyond this
 * machine, or undefined. A debugger port runs any code it is sent, so it must stay on loopback.
 * Looks at the listen flags of node (`--inspect*=host:port`), debugpy (`--listen host:port`) and Delve
 * (`--listen=host:port`, where `:port` means every interface), and at any IP literal written anywhere.
 */
export function nonLoopbackListen(args: readonly string[]): { index: number; address: string } | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let value: string | undefined;
    let at = i;
    const m = /^--(?:inspect(?:-brk|-wait)?|listen|host)=(.*)$/.exec(a);
    if (m) value = m[1];
    else if (/^--(?:listen|host)$/.test(a) && i + 1 < args.length) value = args[(at = i + 1)];
    if (value !== undefined) {
      // host:port, [v6]:port, :port (Delve: every interface), a bare port or a bare host.
      const hp = /^(\[[^\]]*\]|[^:]*):([^:]*)$/.exec(value);
      const host = hp ? hp[1] : /^(\d+|\$\{port\})$/.test(value) ? '127.0.0.1' : value;
      if (host === '' || !isLoopbackHost(host)) return { index: at, address: value || '(empty)' };
    }
    for (const ip of a.match(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g) ?? []) {
      if (!isLoopbackHost(ip)) return { index: i, address: ip };
    }
    for (const v6 of a.match(/\[[0-9a-fA-F:]*\]/g) ?? []) {
      if (!isLoopbackHost(v6)) return { index: i, address: v6 };
    }
  }
  return undefined;
}

const LOOPBACK_FIX = 'let the debugger listen on 127.0.0.1 (a debugger port runs any code it is sent; VS Code attaches on this machine)';

/** Everything wrong with one `debug:` key. The converter already reported wrong types and unknown keys. */
export function debugKeyProblems(d: DebugSpec, closest: (typed: string, options: readonly string[], synonyms: Record<string, string>) => string[]): DebugKeyProblem[] {
  const out: DebugKeyProblem[] = [];
  const runtime = d.runtime;
  if (runtime !== undefined && !isDebugRuntime(runtime)) {
    out.push({
      severity: 'error',
      code: 'debug-runtime',
      path: ['runtime'],
      message: `debug.runtime "${runtime}" is not a runtime flowctl can debug`,
      fix: `use one of: ${DEBUG_RUNTIMES.join(', ')} (Node.js inspector, debugpy, Delve)`,
      candidates: closest(runtime, DEBUG_RUNTIMES, RUNTIME_SYNONYMS),
    });
  }
  if (d.command !== undefined) {
    if (d.command.length === 0 || d.command[0] === '') {
      out.push({ severity: 'error', code: 'debug-command-empty', path: ['command'], message: 'debug.command is empty', fix: 'give the program and its arguments, e.g. command: [python3, -m, debugpy, --listen, "127.0.0.1:${port}", app.py]' });
    } else if (runtime === undefined) {
      out.push({
        severity: 'error',
        code: 'debug-command-runtime',
        path: ['command'],
        message: 'debug.command needs debug.runtime: it tells VS Code which debugger attaches (node, python or go)',
        fix: 'add `runtime: node` (or python, go) next to `command`',
      });
    } else if (isDebugRuntime(runtime) && runtime !== 'node' && d.attach?.port === undefined && !d.command.some((a) => a.includes(PORT_PLACEHOLDER))) {
      out.push({
        severity: 'error',
        code: 'debug-command-port',
        path: ['command'],
        message: `debug.command of a ${runtime} component must say where its debugger listens`,
        fix: `write ${PORT_PLACEHOLDER} where the port goes (flowctl picks a free loopback port), or set attach: { port: N }`,
      });
    }
  }
  const port = d.attach?.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    out.push({ severity: 'error', code: 'debug-port', path: ['attach', 'port'], message: `debug.attach.port ${port} is not a port`, fix: 'use a port from 1 to 65535, or leave it out to use a free one' });
  }
  for (const key of ['args', 'command'] as const) {
    const list = d[key];
    if (!list) continue;
    const bad = nonLoopbackListen(list);
    if (bad) {
      out.push({ severity: 'error', code: 'debug-not-loopback', path: [key, bad.index], message: `the debugger would listen on ${bad.address}, beyond this machine`, fix: LOOPBACK_FIX });
    }
  }
  for (const [k, v] of Object.entries(d.env ?? {})) {
    const bad = nonLoopbackListen(v.split(/\s+/));
    if (bad) out.push({ severity: 'error', code: 'debug-not-loopback', path: ['env', k], message: `debug.env.${k}: the debugger would listen on ${bad.address}, beyond this machine`, fix: LOOPBACK_FIX });
  }
  return out;
}
