// Readable log lines on stderr: `2026-11-28T10:00:00.000Z INFO registered source-1 (COMPONENT_TYPE_SOURCE) endpoint=…`.
import type { LogFn, LogLevel } from '../core/controlplane/registry';
import { UsageError } from './args';

export type { LogFn, LogLevel };

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const LABEL: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

export function parseLogLevel(text: string): LogLevel {
  const v = text.trim().toLowerCase();
  if (v === 'warning') return 'warn';
  if (v in ORDER) return v as LogLevel;
  throw new UsageError(`invalid log level "${text}": use debug, info, warn or error`);
}

export interface Logger {
  readonly level: LogLevel;
  log: LogFn;
  /** Prints whatever the level (e.g. the listening address, which scripts and tests read). */
  always: LogFn;
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function createLogger(
  level: LogLevel = 'info',
  out: { write(chunk: string): unknown } = process.stderr,
  clock: () => Date = () => new Date(),
): Logger {
  const min = ORDER[level];
  const always: LogFn = (lvl, msg) => {
    out.write(`${clock().toISOString()} ${LABEL[lvl]} ${msg}\n`);
  };
  const log: LogFn = (lvl, msg) => {
    if (ORDER[lvl] >= min) always(lvl, msg);
  };
  return {
    level,
    log,
    always,
    debug: (m) => log('debug', m),
    info: (m) => log('info', m),
    warn: (m) => log('warn', m),
    error: (m) => log('error', m),
  };
}
