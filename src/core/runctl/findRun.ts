// Which live endpoint a command means when several are in the endpoint file: the run of `-f/--file FILE`
// (or of the flow.yml in the current folder), else the only one, else none — and when that is not
// decidable, an error that lists them (pipeline, file, pid, address).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dialAddress, runnerDialAddress, type EndpointEntry } from '../endpointFile';
import { sanitizeField } from '../text/terminal';

export class RunSelectionError extends Error {
  constructor(
    message: string,
    readonly reason: 'ambiguous' | 'no-run-of-file',
    readonly entries: EndpointEntry[],
  ) {
    super(message);
    this.name = 'RunSelectionError';
  }
}

export interface ChooseOptions {
  /** The pipeline file asked for (-f/--file, or a command's file argument). */
  file?: string;
  /** With `file`: fail when no run of it is live (restart/stop/start) instead of choosing as if no file was given (status). */
  strictFile?: boolean;
  /** Folder whose flow.yml / flow.yaml is preferred (default: the current folder). */
  cwd?: string;
  /** Which entries qualify (default both). */
  kinds?: Array<EndpointEntry['kind']>;
}

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** One table of entries for messages: PIPELINE  FILE  PID  ADDRESS. */
export function describeEntries(entries: EndpointEntry[]): string {
  const rows = [
    ['PIPELINE', 'FILE', 'PID', 'ADDRESS'],
    ...entries.map((e) => [e.kind === 'server' ? '(flowctl server)' : sanitizeField(e.pipeline ?? '?', 253), sanitizeField(e.file ?? '-'), String(e.pid), e.kind === 'run' ? runnerDialAddress(e) : dialAddress(e)]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}`).join('\n');
}

function runsOf(entries: EndpointEntry[], file: string): EndpointEntry[] {
  const want = real(file);
  return entries.filter((e) => e.kind === 'run' && e.file !== undefined && real(e.file) === want);
}

/** The entry meant, undefined when there is none; throws RunSelectionError when it cannot tell. */
export function chooseEntry(all: EndpointEntry[], opts: ChooseOptions = {}): EndpointEntry | undefined {
  const entries = all.filter((e) => !opts.kinds || opts.kinds.includes(e.kind));
  const newest = (list: EndpointEntry[]) => list[list.length - 1];
  if (opts.file) {
    const mine = runsOf(entries, opts.file);
    if (mine.length) return newest(mine);
    if (opts.strictFile) {
      const others = entries.filter((e) => e.kind === 'run');
      throw new RunSelectionError(
        `no flowctl run of ${path.resolve(opts.file)} is running` +
          (others.length ? `; the live runs are:\n${describeEntries(others)}` : `\nstart one with: flowctl run ${opts.file}`),
        'no-run-of-file',
        others,
      );
    }
  }
  const cwd = opts.cwd ?? process.cwd();
  for (const name of ['flow.yml', 'flow.yaml']) {
    const here = path.join(cwd, name);
    if (!fs.existsSync(here)) continue;
    const mine = runsOf(entries, here);
    if (mine.length) return newest(mine);
  }
  if (entries.length <= 1) return entries[0];
  // Several entries that all reach one control plane (a flowctl server and the runs that use it) are one choice.
  const targets = new Set(entries.map((e) => (opts.kinds?.length === 1 && opts.kinds[0] === 'run' ? runnerDialAddress(e) : dialAddress(e))));
  if (targets.size === 1) return newest(entries.filter((e) => e.kind === 'run')) ?? newest(entries);
  throw new RunSelectionError(
    `${entries.length} flowctl ${entries.every((e) => e.kind === 'run') ? 'runs' : 'control planes'} are live; say which with -f/--file <pipeline file> (or --control-plane-address/--control-plane-port):\n${describeEntries(entries)}`,
    'ambiguous',
    entries,
  );
}

/** The entries serving host:port (their control plane, or their runner service), oldest first. */
export function entriesAt(entries: EndpointEntry[], target: string): EndpointEntry[] {
  const norm = (t: string) => t.replace(/^localhost:/, '127.0.0.1:');
  const want = norm(target);
  return entries.filter((e) => norm(dialAddress(e)) === want || (e.runner && norm(dialAddress(e.runner)) === want));
}

/** The newest entry serving host:port. */
export function entryAt(entries: EndpointEntry[], target: string): EndpointEntry | undefined {
  const found = entriesAt(entries, target);
  return found[found.length - 1];
}
