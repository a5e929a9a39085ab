// What `flowctl run` shows: the start-up summary, progress while components start, then one merged,
// coloured log view (`[HH:MM:SS] <component>: <line>`) with control-plane events interleaved, and
// (with --show-status) a status line kept at the bottom of a TTY or printed every 10 s otherwise.
//
// Everything shown is made safe for the terminal first: component output keeps its colours (SGR) but
// loses every other escape sequence and control character (clear screen, title, clipboard…); ids,
// names and messages show control characters escaped, so an id with a newline cannot split a line.
// Output goes through a bounded queue (TerminalOutput): a stalled reader costs dropped lines, shown
// as `… N lines dropped …`, never unbounded memory.
import type { RunnerEvent, RunSnapshot, ComponentView } from '../../core/events';
import { HealthStatus } from '../../core/controlplane/model';
import { sanitizeField, sanitizeTerminalLine } from '../../core/text/terminal';
import { componentColor, type Palette } from './color';
import { clock, formatEvents } from './format';
import { TerminalOutput, type TerminalOutputOptions } from './output';

export interface RunViewOptions {
  out: NodeJS.WriteStream;
  palette: Palette;
  showStatus: boolean;
  /** Redraw a status footer in place (TTY) instead of printing periodic status lines. */
  interactive: boolean;
  /** Bounds of the queue for a slow reader (defaults: 10,000 lines, 4 Mi characters). */
  output?: Omit<TerminalOutputOptions, 'formatDropped'>;
}

/** Longest notice shown (characters). */
const MAX_NOTICE_CHARS = 8192;

const STATUS_PRINT_INTERVAL_MS = 10_000;
const FOOTER_REFRESH_MS = 500;

export class RunView {
  private footer = '';
  private footerTimer?: NodeJS.Timeout;
  private lastSnapshot?: RunSnapshot;
  private readonly colors = new Map<string, (s: string) => string>();
  private width = 30;
  /** Shown form of each component id (escaped once). */
  private readonly shownIds = new Map<string, string>();
  readonly output: TerminalOutput;

  constructor(private readonly opts: RunViewOptions) {
    const p = opts.palette;
    this.output = new TerminalOutput(opts.out, { ...opts.output, formatDropped: (t) => p.yellow(p.dim(t)) });
  }

  private shownId(id: string): string {
    let shown = this.shownIds.get(id);
    if (shown === undefined) {
      shown = sanitizeField(id, 253);
      if (this.shownIds.size < 10_000) this.shownIds.set(id, shown);
    }
    return shown;
  }

  /** Colours follow pipeline order: the runner announces every component before any log line. */
  private colorOf(id: string): (s: string) => string {
    let color = this.colors.get(id);
    if (!color) {
      color = componentColor(this.opts.palette, this.colors.size);
      this.colors.set(id, color);
      this.width = Math.max(this.width, Math.min(this.shownId(id).length, 80) + 13);
    }
    return color;
  }

  /** Writes a line above the footer. `keep`: never dropped for a slow reader (the runner's own notices). */
  line(text: string, keep = false): void {
    const interactive = this.footer && this.opts.interactive;
    if (interactive) this.output.raw('\r\x1b[2K');
    this.output.line(text, keep);
    if (interactive) this.output.raw(this.footer);
  }

  /** Text the front end wrote itself (summary, results): kept, in order with the log lines. */
  write(text: string): void {
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const l of lines) this.output.line(l, true);
  }

  /** Waits (at most timeoutMs) until a slow reader has taken everything queued. */
  flush(timeoutMs: number): Promise<boolean> {
    return this.output.flush(timeoutMs);
  }

  handle(event: RunnerEvent, snapshot: () => RunSnapshot): void {
    const p = this.opts.palette;
    switch (event.type) {
      case 'log': {
        const color = this.colorOf(event.componentId);
        const prefix = `[${clock(event.time)}] ${this.shownId(event.componentId)}:`;
        this.line(`${color(prefix.padEnd(this.width))} ${sanitizeTerminalLine(event.line)}`);
        break;
      }
      case 'notice': {
        const mark = event.level === 'error' ? p.red('✗') : event.level === 'warning' ? p.yellow('!') : p.dim('•');
        const prefix = `[${clock(event.time)}] flowctl:`;
        // Notices are one line each; one that quotes an id with a newline must not become two.
        const message = sanitizeField(event.message, MAX_NOTICE_CHARS);
        this.line(`${p.bold(prefix.padEnd(this.width))} ${mark} ${message}`, true);
        break;
      }
      case 'controlPlane':
        this.line(`${p.green('✓')} Control plane ready at ${sanitizeField(event.endpoint)}`, true);
        this.line('→ Launching components...', true);
        break;
      case 'component':
        this.colorOf(event.view.id);
        if (event.view.phase === 'waiting' && event.view.waitingFor.length) {
          this.line(p.dim(`  … ${this.shownId(event.view.id)} waits for ${event.view.waitingFor.map((w) => this.shownId(w)).join(', ')}`), true);
        }
        break;
      case 'metrics':
        this.lastSnapshot = event.snapshot;
        if (this.opts.showStatus && this.opts.interactive) this.setFooter(statusLine(event.snapshot, p));
        break;
      case 'state':
        if (event.state === 'running') this.startStatus(snapshot);
        if (event.state === 'stopping' || event.state === 'stopped' || event.state === 'failed') this.clearFooter();
        break;
    }
  }

  private startStatus(snapshot: () => RunSnapshot): void {
    if (!this.opts.showStatus) return;
    if (this.opts.interactive) {
      this.setFooter(statusLine(snapshot(), this.opts.palette));
      this.footerTimer = setInterval(() => this.setFooter(statusLine(this.lastSnapshot ?? snapshot(), this.opts.palette)), FOOTER_REFRESH_MS);
    } else {
      this.footerTimer = setInterval(() => this.line(statusLine(snapshot(), this.opts.palette)), STATUS_PRINT_INTERVAL_MS);
    }
    this.footerTimer.unref();
  }

  private setFooter(text: string): void {
    const cols = this.opts.out.columns || 120;
    const clipped = clip(text, cols - 1);
    if (clipped === this.footer) return;
    // Cosmetic: skipped while the reader is behind (the next refresh draws it).
    if (this.output.raw('\r\x1b[2K' + clipped)) this.footer = clipped;
  }

  clearFooter(): void {
    clearInterval(this.footerTimer);
    if (this.footer && this.opts.interactive) this.output.raw('\r\x1b[2K');
    this.footer = '';
  }
}

function healthMark(v: ComponentView, p: Palette): string {
  if (v.phase === 'exited') return p.red('✗');
  if (v.phase === 'restarting') return p.yellow('↻');
  if (v.phase === 'waiting' || v.phase === 'starting' || v.phase === 'pending') return p.cyan('…');
  if (v.health === HealthStatus.HEALTHY) return p.green('✓');
  if (v.health === HealthStatus.UNHEALTHY) return p.red('✗');
  return p.yellow('?');
}

/** One compact line: state, healthy/total, each component with its mark and figure, run totals. */
export function statusLine(s: RunSnapshot, p: Palette): string {
  const healthy = s.components.filter((c) => c.health === HealthStatus.HEALTHY).length;
  const parts = s.components.map((c) => {
    const figure = c.role === 'sink' ? formatEvents(c.eventsIn) : c.eventsPerSecond ? `${c.eventsPerSecond}/s` : formatEvents(c.eventsOut);
    const restarts = c.restarts ? p.yellow(` ↻${c.restarts}`) : '';
    return `${sanitizeField(c.id, 253)} ${healthMark(c, p)}${restarts} ${p.dim(figure)}`;
  });
  return `${p.bold('●')} ${sanitizeField(s.pipelineName, 253)} ${s.state} ${healthy}/${s.components.length} healthy | ${parts.join(' · ')} | events ${formatEvents(s.eventsProcessed)} (${Math.round(s.eventsPerSecond)}/s)`;
}

function clip(text: string, width: number): string {
  // Count visible characters only; keep escape sequences intact.
  let visible = 0;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\x1b') {
      const end = text.indexOf('m', i);
      if (end > 0) {
        out += text.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= width) break;
    out += text[i];
    visible++;
  }
  return out + (text.includes('\x1b') ? '\x1b[0m' : '');
}
