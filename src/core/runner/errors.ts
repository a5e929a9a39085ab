// Errors the runner throws that front ends tell apart.
import type { Diagnostic } from '../pipeline/diagnostics';

/** Thrown by start() and applyPipeline() when the pipeline file has errors; carries every diagnostic. */
export class PipelineInvalidError extends Error {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(
      `pipeline ${file} is invalid (${errors.length} error(s)):\n` +
        errors.map((d) => `  ${d.file}:${d.line}:${d.column}: ${d.message}`).join('\n'),
    );
    this.name = 'PipelineInvalidError';
  }
}
