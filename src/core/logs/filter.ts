// The merged log view's filter: which components, the lowest level, and a text (plain, case-
// insensitive; or /regex/flags). Pure and DOM-free: the extension's webview script and the tests use
// the same code. A bad regex is reported, never thrown.
import { atLeast, type LogLevel } from './level';

export interface LogEntry {
  /** Increasing sequence number (entries keep it when older ones are dropped). */
  seq: number;
  /** Epoch ms. */
  time: number;
  /** Component id, or `flowctl` for the run's own notices. */
  component: string;
  /** Pipeline name (several pipelines may run in one window). */
  pipeline: string;
  level: LogLevel;
  stream: 'stdout' | 'stderr' | 'flowctl';
  /** The line without ANSI escapes. */
  text: string;
}

export interface LogFilter {
  /** Components hidden (an exclusion list, so new components show up by default). */
  hidden: string[];
  /** Lowest level shown. */
  minLevel: LogLevel;
  /** Plain text (case-insensitive substring) or `/regex/flags`. Empty: everything. */
  text: string;
}

export const EMPTY_FILTER: LogFilter = { hidden: [], minLevel: 'trace', text: '' };

export interface CompiledFilter {
  test(entry: LogEntry): boolean;
  /** Set when the text looked like a regex but did not compile. */
  error?: string;
  /** The text matcher alone (for highlighting): undefined when there is no text. */
  matcher?: RegExp;
}

/** `/abc/i` → RegExp; plain text → an escaped, case-insensitive RegExp. */
export function textMatcher(text: string): { regex?: RegExp; error?: string } {
  const t = text.trim();
  if (!t) return {};
  const re = /^\/(.+)\/([a-z]*)$/.exec(t);
  if (re) {
    try {
      const flags = re[2].replace(/[gy]/g, '');
      return { regex: new RegExp(re[1], flags) };
    } catch (err) {
      return { error: `invalid regular expression: ${(err as Error).message}` };
    }
  }
  return { regex: new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i') };
}

export function compileFilter(filter: LogFilter): CompiledFilter {
  const hidden = new Set(filter.hidden);
  const { regex, error } = textMatcher(filter.text);
  const min = filter.minLevel;
  return {
    test(e) {
      if (hidden.has(e.component)) return false;
      if (!atLeast(e.level, min)) return false;
      if (regex && !regex.test(e.text) && !regex.test(e.component)) return false;
      return true;
    },
    ...(error ? { error } : {}),
    ...(regex ? { matcher: regex } : {}),
  };
}
