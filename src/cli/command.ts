// What a `flowctl <command>` module exports: `export const command = defineCommand({...})`.
import type { FlagSpecs, ParsedArgs } from './args';

export interface Command<S extends FlagSpecs = FlagSpecs> {
  /** One line for `flowctl --help`. */
  summary: string;
  /** e.g. `flowctl run [pipeline-file] [flags]`. */
  usage: string;
  /** Longer text for `flowctl <command> --help`. */
  description?: string;
  /** Left out of `flowctl --help` (like flowctl's hidden `server`). */
  hidden?: boolean;
  flags: S;
  /**
   * Its subcommands (the first argument). None given prints the command's help and exits 0, as flowctl's
   * cobra does for a command group; an unknown one is a usage error that names the closest.
   */
  subcommands?: readonly string[];
  /** Returns the exit code (default 0). Throw to print `Error: <message>` and exit 1. */
  run(args: ParsedArgs<S>): Promise<number | void>;
}

/** Keeps the flag specs' literal types so `args.flags` is typed. */
export function defineCommand<S extends FlagSpecs>(command: Command<S>): Command<S> {
  return command;
}
