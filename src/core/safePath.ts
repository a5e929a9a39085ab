// File names built from pipeline input (component ids, metadata.name) must stay inside their folder.
// Validation already refuses ids and names outside [A-Za-z0-9._-]; this is the second lock, used at
// every place that turns such a value into a path, so a bug or a caller that skipped validation
// cannot write outside the folder (`id: ../../escaped`, an absolute id, a NUL byte).
import * as path from 'node:path';

/** Longest file name most file systems accept (bytes; ext4, xfs, apfs, ntfs in UTF-16 units). */
export const MAX_FILE_NAME_BYTES = 255;

export class UnsafePathError extends Error {
  constructor(
    readonly folder: string,
    readonly fileName: string,
    reason: string,
  ) {
    super(`refusing to build a path from ${JSON.stringify(fileName)} in ${folder}: ${reason}`);
    this.name = 'UnsafePathError';
  }
}

/** Why `name` cannot be one file name (one path segment), or undefined when it can. */
export function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name === '.' || name === '..') return 'it names a folder, not a file';
  if (name.includes('/') || name.includes('\\')) return 'it contains a path separator';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it contains a control character';
  if (Buffer.byteLength(name, 'utf8') > MAX_FILE_NAME_BYTES) return `it is longer than ${MAX_FILE_NAME_BYTES} bytes`;
  return undefined;
}

/**
 * `folder/fileName`, refusing anything that is not a single, plain file name or that would resolve
 * outside `folder` (throws UnsafePathError). `folder` itself is trusted (it comes from flags or settings).
 */
export function safeJoin(folder: string, fileName: string): string {
  const problem = fileNameProblem(fileName);
  if (problem) throw new UnsafePathError(folder, fileName, problem);
  const base = path.resolve(folder);
  const full = path.resolve(base, fileName);
  if (path.dirname(full) !== base) throw new UnsafePathError(folder, fileName, 'it resolves outside the folder');
  return full;
}

/**
 * A file-name-safe rendering of free text (for names that are only labels, e.g. a folder per pipeline):
 * runs of anything but letters, digits, `.`, `_`, `-` become `-`, leading dots are dropped, at most
 * `max` characters; `fallback` when nothing is left.
 */
export function fileNameFrom(text: string, fallback: string, max = 40): string {
  const safe = text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, max);
  return safe || fallback;
}
