// Which runtime a component's command starts, and where in the command a debugger goes. Pure: what
// the program file says about itself (shebang, Go binary) comes in as ProgramFacts.
import * as path from 'node:path';
import type { ProgramFacts } from './probe';
import type { DebugRuntime } from './spec';

/** How the command starts its runtime, split where the debugger's own arguments go. */
export type Launch =
  /** `node [node options] script args…`. */
  | { runtime: 'node'; how: 'node'; program: string; options: string[]; rest: string[] }
  /** A JavaScript file run directly (its extension or a node shebang). */
  | { runtime: 'node'; how: 'script'; script: string; rest: string[] }
  /** Something that starts Node.js itself (a wrapper, npm, tsx): the inspector comes through NODE_OPTIONS. */
  | { runtime: 'node'; how: 'env'; command: string[] }
  /** `python [interpreter options] script|-m module|-c code args…`. */
  | { runtime: 'python'; how: 'python'; program: string; options: string[]; rest: string[] }
  /** A Python file run directly (its extension or a python shebang): run through `interpreter`. */
  | { runtime: 'python'; how: 'script'; interpreter: string[]; script: string; rest: string[] }
  /** A program built by Go. */
  | { runtime: 'go'; how: 'exec'; binary: string; rest: string[] }
  /** `go run [build flags] package|files… args…`. */
  | { runtime: 'go'; how: 'go-run'; buildFlags: string[]; targets: string[]; rest: string[] };

export type Detection = { ok: true; launch: Launch } | { ok: false; reason: string };

const NODE_PROGRAM = /^(node|nodejs)(\d+(\.\d+)*)?(\.exe)?$/i;
const PYTHON_PROGRAM = /^(python|pypy)(\d+(\.\d+)*)?[mwu]?(\.exe)?$/i;
const GO_PROGRAM = /^go(\.exe)?$/i;
const JS_FILE = /\.(js|mjs|cjs)$/i;
const PY_FILE = /\.py$/i;

/** Node options that take the next argument as their value. */
const NODE_VALUE_OPTIONS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--title', '--env-file', '--input-type', '--stack-trace-limit']);
/** Node options after which no script follows (the code is the argument). */
const NODE_CODE_OPTIONS = new Set(['-e', '--eval', '-p', '--print']);
/** Python interpreter options that take the next argument as their value. */
const PYTHON_VALUE_OPTIONS = new Set(['-W', '-X', '--check-hash-based-pycs']);
/** `go run` flags that take the next argument as their value. */
const GO_VALUE_FLAGS = new Set(['-C', '-o', '-p', '-tags', '-ldflags', '-gcflags', '-asmflags', '-gccgoflags', '-mod', '-modfile', '-overlay', '-pgo', '-pkgdir', '-toolexec', '-exec', '-compiler', '-buildmode', '-installsuffix', '-coverpkg', '-covermode']);

/** Splits `[options…] rest…` where options start with '-' and some take the next argument. */
function splitOptions(args: string[], takesValue: Set<string>): { options: string[]; rest: string[] } {
  let i = 0;
  while (i < args.length && args[i].startsWith('-') && args[i] !== '-' && args[i] !== '--') {
    const a = args[i];
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    i += takesValue.has(name) && !a.includes('=') ? 2 : 1;
  }
  if (args[i] === '--') i++;
  return { options: args.slice(0, Math.min(i, args.length)), rest: args.slice(Math.min(i, args.length)) };
}

/** The interpreter a shebang names: `/usr/bin/env python3 -u` → ['python3', '-u']. */
export function shebangCommand(shebang: string): string[] {
  const words = shebang.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  if (path.basename(words[0]) === 'env') {
    const rest = words.slice(1);
    while (rest[0]?.startsWith('-')) rest.shift(); // env -S …
    return rest;
  }
  return words;
}

function runtimeOfProgram(program: string): DebugRuntime | undefined {
  const base = path.basename(program);
  if (NODE_PROGRAM.test(base)) return 'node';
  if (PYTHON_PROGRAM.test(base)) return 'python';
  return undefined;
}

/**
 * Detects how to debug a command (program and arguments, as the runner starts it). `facts` describes
 * command[0] (resolved). `forced` is `debug.runtime` from flow.yml: it decides when the command alone
 * does not tell (a wrapper script, a binary that does not look like Go).
 */
export function detectLaunch(command: readonly string[], facts: ProgramFacts, forced?: DebugRuntime): Detection {
  const [program, ...args] = command;
  if (!program) return { ok: false, reason: 'it has no command' };
  const base = path.basename(program);

  const byName = runtimeOfProgram(program);
  if (forced && byName && forced !== byName) return { ok: false, reason: `debug.runtime is ${forced}, but \`${base}\` starts ${byName}` };
  if (byName === 'node' && (!forced || forced === 'node')) {
    const { options, rest } = splitOptions(args, NODE_VALUE_OPTIONS);
    if (options.some((o) => NODE_CODE_OPTIONS.has(o.split('=')[0]))) return { ok: true, launch: { runtime: 'node', how: 'node', program, options, rest } };
    if (rest.length === 0) return { ok: false, reason: `\`${base}\` is started without a script` };
    return { ok: true, launch: { runtime: 'node', how: 'node', program, options, rest } };
  }
  if (byName === 'python' && (!forced || forced === 'python')) {
    const { options, rest } = splitOptions(args, PYTHON_VALUE_OPTIONS);
    // -m module / -c code end the interpreter's options; debugpy takes them the same way.
    const mOrC = options.findIndex((o) => o === '-m' || o === '-c');
    if (mOrC >= 0) return { ok: true, launch: { runtime: 'python', how: 'python', program, options: options.slice(0, mOrC), rest: [...options.slice(mOrC), ...rest] } };
    const glued = options.findIndex((o) => /^-[mc]./.test(o));
    if (glued >= 0) return { ok: true, launch: { runtime: 'python', how: 'python', program, options: options.slice(0, glued), rest: [options[glued].slice(0, 2), options[glued].slice(2), ...options.slice(glued + 1), ...rest] } };
    if (rest.length === 0) return { ok: false, reason: `\`${base}\` is started without a script or module` };
    return { ok: true, launch: { runtime: 'python', how: 'python', program, options, rest } };
  }
  if (GO_PROGRAM.test(base) && args[0] === 'run' && (!forced || forced === 'go')) {
    const { options, rest } = splitOptions(args.slice(1), GO_VALUE_FLAGS);
    if (rest.length === 0) return { ok: false, reason: '`go run` names no package' };
    const files = rest[0].endsWith('.go') ? rest.findIndex((a) => !a.endsWith('.go')) : 1;
    const n = files < 0 ? rest.length : files;
    return { ok: true, launch: { runtime: 'go', how: 'go-run', buildFlags: options, targets: rest.slice(0, n), rest: rest.slice(n) } };
  }

  // The program file itself: its extension, shebang or format.
  const interp = facts.shebang ? shebangCommand(facts.shebang) : [];
  const interpRuntime = interp[0] ? runtimeOfProgram(interp[0]) : undefined;
  const scriptRuntime: DebugRuntime | undefined = JS_FILE.test(program) ? 'node' : PY_FILE.test(program) ? 'python' : interpRuntime;
  const runtime = forced ?? (facts.goBinary ? 'go' : scriptRuntime);
  if (runtime === 'node' && scriptRuntime === 'node') return { ok: true, launch: { runtime: 'node', how: 'script', script: program, rest: args } };
  if (runtime === 'node') return { ok: true, launch: { runtime: 'node', how: 'env', command: [...command] } };
  if (runtime === 'python' && (scriptRuntime === 'python' || forced === 'python')) {
    const interpreter = interpRuntime === 'python' ? interp : ['python3'];
    return { ok: true, launch: { runtime: 'python', how: 'script', interpreter, script: program, rest: args } };
  }
  if (runtime === 'go') {
    if (!facts.goBinary && forced !== 'go') return { ok: false, reason: `\`${base}\` is not a Go program` };
    return { ok: true, launch: { runtime: 'go', how: 'exec', binary: program, rest: args } };
  }
  if (facts.shebang) return { ok: false, reason: `\`${base}\` is a script run by \`${interp[0] ?? facts.shebang}\`, not by node or python` };
  return { ok: false, reason: `\`${base}\` is not node, python, a Node.js or Python script, or a Go program` };
}
