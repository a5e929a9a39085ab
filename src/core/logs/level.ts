// The level of a component's log line, read from the line itself: JSON logs ({"level":"error"}),
// logfmt (level=warn), the usual upper-case words (ERROR, WARN, INFO, DEBUG; as our SDK, Go's
// zap/logrus text and Python's logging print them), exception headers and stack frames. Components
// that print no level are `info`. Pure and cheap (a few regexes over the first 200 characters).

export type LogLevel = 'trace' | 'debug' | 'info' | 'warning' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warning', 'error'];

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warning: 3, error: 4 };

/** True when `level` is at least `min` (warning ≥ info, …). */
export function atLeast(level: LogLevel, min: LogLevel): boolean {
  return RANK[level] >= RANK[min];
}

/** A level word in any spelling → LogLevel (undefined for words that are not levels). */
export function normaliseLevel(word: string): LogLevel | undefined {
  switch (word.toLowerCase()) {
    case 'trace':
    case 'trc':
    case 'verbose':
      return 'trace';
    case 'debug':
    case 'dbg':
      return 'debug';
    case 'info':
    case 'inf':
    case 'notice':
    case 'information':
      return 'info';
    case 'warn':
    case 'warning':
    case 'wrn':
      return 'warning';
    case 'error':
    case 'err':
    case 'fatal':
    case 'panic':
    case 'crit':
    case 'critical':
    case 'alert':
    case 'emerg':
    case 'severe':
      return 'error';
    default:
      return undefined;
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const JSON_LEVEL = /"(?:level|severity|lvl|log\.level)"\s*:\s*"([A-Za-z]+)"/;
const LOGFMT_LEVEL = /(?:^|\s)(?:level|lvl|severity)=("?)([A-Za-z]+)\1(?:\s|$)/;
/** Upper-case level words (or bracketed any-case ones) near the start of the line. */
const WORD_LEVEL = /\[(trace|debug|info|warn|warning|error|fatal)\]|(?:^|[\s[(|:])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|PANIC|CRIT|CRITICAL)(?=[\s\]):|]|$)/gi;
const EXCEPTION = /^\s*(?:Uncaught\s+)?(?:[A-Z]\w*(?:Error|Exception)|Traceback \(most recent call last\)|panic:)(?::|\s|$)/;
const STACK_FRAME = /^\s+at\s+\S.*(?::\d+:\d+\)?|\(native\)|<anonymous>\)?)$|^\s+File ".+", line \d+|^goroutine \d+ \[/;

/** The level a line announces; `fallback` when it names none (default `info`). */
export function detectLevel(line: string, fallback: LogLevel = 'info'): LogLevel {
  let text = line.length > 200 ? line.slice(0, 200) : line;
  if (text.includes('\x1b[')) text = text.replace(ANSI, '');
  let m: RegExpExecArray | null;
  if (text.includes('{') && (m = JSON_LEVEL.exec(text))) {
    const l = normaliseLevel(m[1]);
    if (l) return l;
  }
  if (text.includes('=') && (m = LOGFMT_LEVEL.exec(text))) {
    const l = normaliseLevel(m[2]);
    if (l) return l;
  }
  for (const w of text.matchAll(WORD_LEVEL)) {
    const word = w[1] ?? w[2];
    // Bracketed words count in any case; bare ones only in upper case ("no error" is not an error line).
    if (w[1] !== undefined || word === word.toUpperCase()) {
      const l = normaliseLevel(word);
      if (l) return l;
    }
  }
  if (EXCEPTION.test(text) || STACK_FRAME.test(text)) return 'error';
  return fallback;
}
