// `flowctl validate [pipeline-file]`: every problem in the file at once, in flowctl's format, each
// with the place it was found (`at flow.yml:12:7`). `--json` for scripts. Exit 1 when invalid.
import { loadPipelineFile } from '../../core/pipeline/load';
import { allComponents } from '../../core/pipeline/model';
import { formatLocation, sortDiagnostics, type Diagnostic } from '../../core/pipeline/diagnostics';
import { formatFlagHelp, parseArgs, UsageError, type FlagSpecs } from '../args';
import { defineCommand } from '../command';
import { DEFAULT_PIPELINE_FILE, pipelineFileArg } from '../pipelineFile';
import { orchestratorFlagProblem } from '../../core/drivers/select';

/** The structured fixes as suggestion lines (the editor offers the same ones as quick fixes). */
function quickFixes(d: Diagnostic): string {
  const fixes = [...(d.fixes ?? [])].sort((a, b) => Number(!!b.preferred) - Number(!!a.preferred)).slice(0, 3);
  return fixes.map((f) => `  Quick fix: ${f.title}\n`).join('');
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
    s += quickFixes(d);
    s += `  at ${formatLocation(d)}\n`;
  }
  for (const d of warnings) {
    s += `\nWARNING: ${d.message}\n`;
    if (d.field) s += `  Field: ${d.field}\n`;
    if (d.hint) s += `  Hint: ${d.hint}\n`;
    s += quickFixes(d);
    s += `  at ${formatLocation(d)}\n`;
  }
  if (hints.length > 0) {
    s += '\n';
    for (const d of hints) s += `💡 ${d.message}${d.hint ? ` (${d.hint})` : ''}\n   at ${formatLocation(d)}\n`;
  }
  return s;
}

export const validateFlags = {
  json: { type: 'boolean', default: false, description: 'print {ok, file, diagnostics} as JSON' },
  'check-commands': {
    type: 'boolean',
    default: true,
    description: 'look up each command on PATH / in the pipeline folder (--no-check-commands to skip)',
  },
  orchestrator: {
    type: 'string',
    valueName: 'type',
    description: 'validate as `flowctl run --orchestrator <type>` would run it: process, or docker/container (default: spec.driver)',
  },
} satisfies FlagSpecs;

export const command = defineCommand({
  summary: 'Validate a pipeline file',
  usage: 'flowctl validate [pipeline-file] [flags]',
  description:
    'Check a pipeline file (default flow.yml) and print every error, warning and hint with its place (file:line:column).\nExits with 1 when the pipeline is invalid.',
  flags: validateFlags,
  async run(args) {
    if (args.positionals.length > 1) throw new UsageError(`accepts at most 1 arg(s), received ${args.positionals.length}`);
    const orchestrator = args.flags.orchestrator?.trim() || undefined;
    const problem = orchestrator === undefined ? undefined : orchestratorFlagProblem(orchestrator);
    if (problem) throw new UsageError(problem);
    // --json keeps its {ok, file, diagnostics} shape for a missing file: the look around is for people.
    const file = args.flags.json ? (args.positionals[0] ?? DEFAULT_PIPELINE_FILE) : pipelineFileArg('validate', args.positionals[0]);
    return validateFile(file, { json: args.flags.json, checkCommands: args.flags['check-commands'], orchestrator });
  },
});

/** `flowctl validate` from raw argv (without the command name); returns the exit code. */
export async function validateCommand(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, validateFlags);
    if (args.help) {
      process.stdout.write(`${command.description}\n\nUsage:\n  ${command.usage}\n\nFlags:\n${formatFlagHelp(validateFlags)}\n`);
      return 0;
    }
    return (await command.run(args)) ?? 0;
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 1;
  }
}

/** Validates one file and prints the result; returns the exit code (1 when invalid or missing). */
export async function validateFile(file: string, opts: { json?: boolean; checkCommands?: boolean; orchestrator?: string } = {}): Promise<number> {
  const result = await loadPipelineFile(file, { checkCommands: opts.checkCommands ?? true, orchestrator: opts.orchestrator });
  const components = result.pipeline ? allComponents(result.pipeline).length : 0;
  if (opts.json) {
    const out = {
      ok: result.ok,
      file,
      ...(result.pipeline ? { pipeline: result.pipeline.metadata.name, components } : {}),
      diagnostics: result.diagnostics,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return result.ok ? 0 : 1;
  }
  const fatal = result.diagnostics.find((d) => d.code === 'file-not-found' || d.code === 'file-read' || d.code === 'file-too-large');
  if (fatal) {
    process.stderr.write(`Error: ${fatal.message}\n`);
    return 1;
  }
  process.stdout.write(formatValidation(result.diagnostics, components));
  return result.ok ? 0 : 1;
}
