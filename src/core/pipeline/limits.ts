// Every bound on what a pipeline file may cost to read, in one place. A real flow.yml is a few KB;
// these limits are far above that and far below what hurts (time, memory, stack).

/**
 * Largest pipeline file read (bytes). Checked with stat() before reading, and on editor buffers
 * before parsing. The YAML parser needs ~1-2 s and ~30 MB per MB on this kind of machine, so 10 MB
 * is the most a user can wait for; a real pipeline of 1,000 components is ~100 KB.
 */
export const MAX_PIPELINE_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Deepest nesting of YAML collections (block or flow). A pipeline needs 6 (spec → sinks → item →
 * resources → limits → cpu) plus whatever `config` holds. Deeper input is refused before it reaches
 * the parser's recursion (1 MB of `[` takes the parser seconds and ~1 GB).
 */
export const MAX_YAML_DEPTH = 64;

/**
 * Most values reached through aliases (`*anchor`) in one file, counting every value inside each
 * aliased node once per use: the "billion laughs" bound. Sharing an env block among a few dozen
 * components stays far below it.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

/** Most diagnostics reported for one file; the rest are counted in one summary line. */
export const MAX_DIAGNOSTICS = 1_000;

/** Longest component id or pipeline name (a DNS subdomain's limit). */
export const MAX_NAME_LENGTH = 253;

/** Most ids listed in one message (e.g. the valid inputs after an unknown one). */
export const MAX_LISTED_IDS = 12;

/** `10.0 MB` */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
