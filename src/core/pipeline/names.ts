// What a component id or a pipeline name may be. flowctl itself only requires them to be non-empty
// (and ids unique); they become file names (logs/<id>.log, the per-pipeline registry folder), process
// environment values and terminal text, so here they are limited to letters, digits, `.`, `_` and `-`,
// starting with a letter or digit, at most 253 characters (a DNS subdomain's length).
import { MAX_NAME_LENGTH } from './limits';

const ALLOWED = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The rule, as shown to users. */
export const NAME_RULE = `letters, digits, '.', '_' and '-', starting with a letter or digit, at most ${MAX_NAME_LENGTH} characters`;

/** A value as it may be shown in a message: quoted, control characters escaped, long ones cut. */
export function showValue(value: string, max = 60): string {
  const cut = value.length > max ? value.slice(0, max - 1) + '…' : value;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Why `value` is not a valid id/name (a phrase), or undefined when it is. Empty values are the caller's business. */
export function nameProblem(value: string): string | undefined {
  if (value === '' || ALLOWED.test(value)) return value.length > MAX_NAME_LENGTH ? `it is ${value.length} characters long` : undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return 'it contains a control character (a newline, tab, escape…)';
  if (/^\s|\s$/.test(value)) return 'it starts or ends with a space';
  if (value.includes('/') || value.includes('\\')) return 'it contains a path separator';
  if (!/^[A-Za-z0-9]/.test(value)) return `it starts with ${showValue(value[0])}`;
  const bad = [...new Set(value.replace(/[A-Za-z0-9._-]/g, ''))].slice(0, 5);
  return `it contains ${bad.map((c) => showValue(c)).join(', ')}`;
}

/** The closest valid name (for a quick fix), or undefined when nothing usable is left. */
export function suggestName(value: string): string | undefined {
  const s = value
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, MAX_NAME_LENGTH);
  return s && ALLOWED.test(s) ? s : undefined;
}
