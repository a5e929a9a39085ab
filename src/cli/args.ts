// A tiny argument parser for the CLI (no framework): `--flag value`, `--flag=value`, booleans
// (`--x`, `--x=false`, `--no-x`), short aliases (`-e value`), repeated flags, `--` to end flags,
// and Go-style durations (`30s`, `500ms`, `1m30s`) parsed to milliseconds. Errors read like cobra's.
import { parseGoDuration } from '../core/duration';

export type FlagType = 'string' | 'boolean' | 'number' | 'duration' | 'strings';

export interface FlagSpec {
  type: FlagType;
  /** Value when the flag is not given (durations in ms). */
  default?: string | boolean | number | string[];
  /** One-letter alias, without the dash. */
  short?: string;
  description?: string;
  /** Shown in help as the value's name (e.g. "file"). */
  valueName?: string;
  hidden?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<T extends FlagType> = T extends 'boolean' ? boolean : T extends 'number' | 'duration' ? number : T extends 'strings' ? string[] : string;

/** Parsed values: flags with a default are always set; others may be undefined. */
export type FlagValues<S extends FlagSpecs> = {
  -readonly [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]['type']> : ValueOf<S[K]['type']> | undefined;
};

export interface ParsedArgs<S extends FlagSpecs> {
  flags: FlagValues<S>;
  positionals: string[];
  /** Names of the flags given on the command line (not defaulted). */
  given: Set<keyof S & string>;
  /** -h / --help was given. */
  help: boolean;
}

/** A mistake on the command line (printed as `Error: <message>`, exit 1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const TRUE = new Set(['true', '1', 't', 'yes']);
const FALSE = new Set(['false', '0', 'f', 'no']);

function convert(name: string, spec: FlagSpec, raw: string): string | number | boolean {
  switch (spec.type) {
    case 'boolean': {
      const v = raw.toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      throw new UsageError(`invalid argument "${raw}" for "--${name}" flag: expected true or false`);
    }
    case 'number': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`invalid argument "${raw}" for "--${name}" flag: not a number`);
      return n;
    }
    case 'duration':
      try {
        return parseGoDuration(raw);
      } catch (err) {
        throw new UsageError(`invalid argument "${raw}" for "--${name}" flag: ${(err as Error).message}`);
      }
    default:
      return raw;
  }
}

export function parseArgs<S extends FlagSpecs>(argv: readonly string[], specs: S): ParsedArgs<S> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.default !== undefined) values[name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    else if (spec.type === 'strings') values[name] = [];
  }
  const shorts = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) shorts.set(spec.short, name);

  const positionals: string[] = [];
  const given = new Set<string>();
  let help = false;

  const set = (name: string, spec: FlagSpec, raw: string) => {
    const value = convert(name, spec, raw);
    if (spec.type === 'strings') {
      if (!given.has(name)) values[name] = [];
      (values[name] as string[]).push(value as string);
    } else {
      values[name] = value;
    }
    given.add(name);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;

    let name: string | undefined;
    let negated = false;
    if (long) {
      if (key in specs) name = key;
      else if (key.startsWith('no-') && specs[key.slice(3)]?.type === 'boolean') {
        name = key.slice(3);
        negated = true;
      }
    } else {
      name = shorts.get(key);
    }
    if (name === undefined) throw new UsageError(`unknown ${long ? 'flag' : 'shorthand flag'}: ${long ? '--' : '-'}${key}`);
    const spec = specs[name];

    if (spec.type === 'boolean') {
      if (negated) {
        if (inline !== undefined) throw new UsageError(`flag --no-${name} takes no value`);
        values[name] = false;
        given.add(name);
      } else {
        set(name, spec, inline ?? 'true');
      }
      continue;
    }
    if (inline !== undefined) {
      set(name, spec, inline);
      continue;
    }
    if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${long ? '--' : '-'}${key}`);
    set(name, spec, argv[++i]);
  }
  return { flags: values as FlagValues<S>, positionals, given: given as Set<keyof S & string>, help };
}

function formatDefault(spec: FlagSpec): string {
  const d = spec.default;
  if (d === undefined || d === '' || d === false || (Array.isArray(d) && d.length === 0)) return '';
  if (spec.type === 'duration' && typeof d === 'number') {
    return ` (default ${d % 60_000 === 0 ? `${d / 60_000}m` : d % 1000 === 0 ? `${d / 1000}s` : `${d}ms`})`;
  }
  return typeof d === 'string' ? ` (default "${d}")` : ` (default ${String(d)})`;
}

/** Help lines for a command's flags, aligned like cobra's. */
export function formatFlagHelp(specs: FlagSpecs): string {
  const rows: Array<[string, string]> = [];
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.hidden) continue;
    const value = spec.type === 'boolean' ? '' : ` ${spec.valueName ?? (spec.type === 'strings' ? 'string' : spec.type)}`;
    const left = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${value}`;
    rows.push([left, `${spec.description ?? ''}${formatDefault(spec)}`]);
  }
  rows.push(['-h, --help', 'help for this command']);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}   ${r}`.trimEnd()).join('\n');
}
