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

/** Under `flowctl run` (FLOWCTL_COMPONENT_ID set) the runner timestamps every line itself, so we don't. */
export function createLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const prefix = env.FLOWCTL_COMPONENT_ID ? () => '' : () => `${stamp()} `;
  return {
    info: (msg) => process.stdout.write(`${prefix()}INFO  ${msg}\n`),
    warn: (msg) => process.stderr.write(`${prefix()}WARN  ${msg}\n`),
    error: (msg) => process.stderr.write(`${prefix()}ERROR ${msg}\n`),
  };
}
