// `flowctl <command> [flags]`: a small dispatcher (dist/cli-main.js, which dist/cli.js loads: launcher.ts). Each command lives in commands/<name>.ts and
// exports `command` (see command.ts); register it below with one line. Failures print
// `Error: <message>` on stderr and exit 1, like flowctl.
//
// Start-up: this file loads only what every command needs. A command's module (and gRPC, the runner,
// LMDB, YAML…) is initialized when that command runs, so `flowctl --version` stays cheap.
import { UsageError, formatFlagHelp, parseArgs } from './args';
import type { Command } from './command';
import type { CommandName } from './commandNames';
import { sanitizeTerminalText } from '../core/text/terminal';

type Loader = () => Promise<{ command: Command<any> }>;

const COMMAND_LOADERS: Record<CommandName, Loader> = {
  run: () => import('./commands/run'),
  status: () => import('./commands/status'),
  validate: () => import('./commands/validate'),
  health: () => import('./commands/health'),
  list: () => import('./commands/list'),
  pipelines: () => import('./commands/pipelines'),
  restart: () => import('./commands/restart'),
  stop: () => import('./commands/stop'),
  start: () => import('./commands/start'),
  server: () => import('./commands/server'),
  translate: () => import('./commands/translate'),
  deploy: () => import('./commands/deploy'),
  undeploy: () => import('./commands/undeploy'),
  version: () => import('./commands/version'),
};
/** Every name of COMMAND_NAMES has its loader (the type says so); looked up by any string the user typed. */
const COMMANDS: Record<string, Loader> = COMMAND_LOADERS;

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

async function generalHelp(): Promise<string> {
  const rows: Array<[string, string]> = [];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { command } = await load();
    if (!command.hidden) rows.push([name, command.summary]);
  }
  const width = Math.max(...rows.map(([n]) => n.length));
  return [
    'flowctl runs flowctl/v1 data pipelines (flow.yml) with an embedded control plane.',
    '',
    'Usage:',
    '  flowctl <command> [flags]',
    '',
    'Commands:',
    ...rows.map(([n, s]) => `  ${n.padEnd(width)}   ${s}`),
    '',
    `Use "flowctl <command> --help" for more information about a command.`,
  ].join('\n');
}

function commandHelp(command: Command<any>): string {
  return [
    command.description ?? command.summary,
    '',
    'Usage:',
    `  ${command.usage}`,
    '',
    'Flags:',
    formatFlagHelp(command.flags),
  ].join('\n');
}

async function unknownSubcommand(name: string, sub: string, known: readonly string[]): Promise<string> {
  const { editDistance } = await import('../core/pipeline/suggest'); // only on this error path
  const [closest] = known.map((k) => ({ k, d: editDistance(sub.toLowerCase(), k) })).sort((a, b) => a.d - b.d);
  const hint = closest && closest.d <= 2 ? `\nDid you mean "${closest.k}"?` : '';
  return `unknown command "${sub}" for "flowctl ${name}"${hint}\nRun 'flowctl ${name} --help' for usage.`;
}

/** Commands that never speak gRPC: grpc-js is not even loaded for them. */
const WITHOUT_GRPC = new Set(['version', 'validate', 'translate']);

// grpc-js prints its own errors (e.g. "No address added out of total 1 resolved") next to ours, which
// already say what went wrong; GRPC_VERBOSITY / GRPC_TRACE still turn them on for debugging.
async function quietGrpc(): Promise<void> {
  if (process.env.GRPC_VERBOSITY !== undefined) return;
  const grpc = await import('@grpc/grpc-js');
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    write(await generalHelp());
    return 0;
  }
  if (name === 'help') {
    const target = rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
    write(target ? commandHelp((await target()).command) : await generalHelp());
    return 0;
  }
  if (name === '--version') return main(['version']);
  const load = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) throw new UsageError(`unknown command "${name}" for "flowctl"\nRun 'flowctl --help' for usage.`);
  const { command } = await load();
  const args = parseArgs(rest, command.flags);
  if (args.help) {
    write(commandHelp(command));
    return 0;
  }
  if (command.subcommands) {
    const sub = args.positionals[0];
    if (sub === undefined) {
      write(commandHelp(command));
      return 0;
    }
    if (!command.subcommands.includes(sub)) throw new UsageError(await unknownSubcommand(name, sub, command.subcommands));
  }
  if (!WITHOUT_GRPC.has(name)) await quietGrpc();
  return (await command.run(args)) ?? 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Messages may quote what a server or a file said: no escape sequence reaches the terminal.
    const message = sanitizeTerminalText(err instanceof Error ? err.message : String(err), { keepSgr: false });
    process.stderr.write(`Error: ${message}\n`);
    if (process.env.FLOWCTL_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
