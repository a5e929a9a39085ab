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

/**
 * Thrown by start() when something a component needs is missing before anything starts (no Docker
 * engine, an image that is not here and cannot be pulled, a volume source that does not exist). Each
 * problem is placed at its component in the pipeline file (the `image` value, or its `volumes`).
 */
export class PipelinePreflightError extends Error {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {
    super(diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join('\n'));
    this.name = 'PipelinePreflightError';
  }
}
