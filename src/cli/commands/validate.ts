// `flowctl validate [pipeline-file]`: every problem in the file at once, in flowctl's format, each
// with the place it was found (`at flow.yml:12:7`). `--json` for scripts. Exit 1 when invalid.
import { loadPipelineFile } from '../../core/pipeline/load';
import { allComponents } from '../../core/pipeline/model';
import { formatLocation, sortDiagnostics, type Diagnostic } from '../../core/pipeline/diagnostics';

export const VALIDATE_USAGE = `Validate a pipeline file

Usage:
  flowctl validate [pipeline-file] [flags]

Checks the file (default flow.yml) and prints every error, warning and hint with its place.
Exits with 1 when the pipeline is invalid.

Flags:
      --json               print {ok, file, diagnostics} as JSON
      --no-check-commands  do not look up each command on PATH / in the pipeline folder
  -h, --help               help for validate
`;

interface ValidateArgs {
  file: string;
  json: boolean;
  checkCommands: boolean;
  help: boolean;
}

function parseValidateArgs(argv: readonly string[]): ValidateArgs | string {
  const out: ValidateArgs = { file: 'flow.yml', json: false, checkCommands: true, help: false };
  const positionals: string[] = [];
  const bool = (raw: string | undefined, name: string): boolean | string => {
    if (raw === undefined || /^(true|1|t|yes)$/i.test(raw)) return true;
    if (/^(false|0|f|no)$/i.test(raw)) return false;
    return `invalid argument "${raw}" for "--${name}" flag: expected true or false`;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const [key, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (key === '--json') {
      const v = bool(inline, 'json');
      if (typeof v === 'string') return v;
      out.json = v;
    } else if (key === '--check-commands') {
      const v = bool(inline, 'check-commands');
      if (typeof v === 'string') return v;
      out.checkCommands = v;
    } else if (key === '--no-check-commands' && inline === undefined) {
      out.checkCommands = false;
    } else {
      return `unknown ${key.startsWith('--') ? 'flag' : 'shorthand flag'}: ${key}`;
    }
  }
  if (positionals.length > 1) return `accepts at most 1 arg(s), received ${positionals.length}`;
  if (positionals[0]) out.file = positionals[0];
  return out;
}

/** Renders diagnostics in flowctl's `validate` format, with our `at file:line:column` lines. */
export function formatValidation(diagnostics: readonly Diagnostic[], componentCount: number): string {
  const sorted = sortDiagnostics(diagnostics);
  const errors = sorted.filter((d) => d.severity === 'error');
  const warnings = sorted.filter((d) => d.severity === 'warning');
  const hints = sorted.filter((d) => d.severity === 'hint');
  let s = '';
  if (errors.length === 0) s += `✓ Pipeline validation passed\n  ${componentCount} components total\n`;
  else s += `✗ Pipeline validation failed with ${errors.length} error(s)\n`;
  for (const d of errors) {
    s += `\nERROR: ${d.message}\n`;
    if (d.field) s += `  Field: ${d.field}\n`;
    if (d.fix) s += `  Fix: ${d.fix}\n`;
    s += `  at ${formatLocation(d)}\n`;
  }
  for (const d of warnings) {
    s += `\nWARNING: ${d.message}\n`;
    if (d.field) s += `  Field: ${d.field}\n`;
    if (d.hint) s += `  Hint: ${d.hint}\n`;
    s += `  at ${formatLocation(d)}\n`;
  }
  if (hints.length > 0) {
    s += '\n';
    for (const d of hints) s += `💡 ${d.message}${d.hint ? ` (${d.hint})` : ''}\n   at ${formatLocation(d)}\n`;
  }
  return s;
}

export async function validateCommand(argv: string[]): Promise<number> {
  const args = parseValidateArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`Error: ${args}\nRun 'flowctl validate --help' for usage.\n`);
    return 1;
  }
  if (args.help) {
    process.stdout.write(VALIDATE_USAGE);
    return 0;
  }
  const result = await loadPipelineFile(args.file, { checkCommands: args.checkCommands });
  const components = result.pipeline ? allComponents(result.pipeline).length : 0;
  if (args.json) {
    const out = {
      ok: result.ok,
      file: args.file,
      ...(result.pipeline ? { pipeline: result.pipeline.metadata.name, components } : {}),
      diagnostics: result.diagnostics,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return result.ok ? 0 : 1;
  }
  const fatal = result.diagnostics.find((d) => d.code === 'file-not-found' || d.code === 'file-read');
  if (fatal) {
    process.stderr.write(`Error: ${fatal.message}\n`);
    return 1;
  }
  process.stdout.write(formatValidation(result.diagnostics, components));
  return result.ok ? 0 : 1;
}
