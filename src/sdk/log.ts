// Readable, line-oriented logs on stdout/stderr: "12:00:01.234 INFO  message".
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

function stamp(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function createLogger(): Logger {
  return {
    info: (msg) => process.stdout.write(`${stamp()} INFO  ${msg}\n`),
    warn: (msg) => process.stderr.write(`${stamp()} WARN  ${msg}\n`),
    error: (msg) => process.stderr.write(`${stamp()} ERROR ${msg}\n`),
  };
}
