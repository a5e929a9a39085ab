// What `flowctl run` shows: the start-up summary, progress while components start, then one merged,
// coloured log view (`[HH:MM:SS] <component>: <line>`) with control-plane events interleaved, and
// (with --show-status) a status line kept at the bottom of a TTY or printed every 10 s otherwise.
import type { RunnerEvent, RunSnapshot, ComponentView } from '../../core/events';
import { HealthStatus } from '../../core/controlplane/model';
import { componentColor, type Palette } from './color';
import { clock, formatEvents } from './format';

export interface RunViewOptions {
  out: NodeJS.WriteStream;
  palette: Palette;
  showStatus: boolean;
  /** Redraw a status footer in place (TTY) instead of printing periodic status lines. */
  interactive: boolean;
}

const STATUS_PRINT_INTERVAL_MS = 10_000;
const FOOTER_REFRESH_MS = 500;

export class RunView {
  private footer = '';
  private footerTimer?: NodeJS.Timeout;
  private lastSnapshot?: RunSnapshot;
  private readonly colors = new Map<string, (s: string) => string>();
  private width = 30;

  constructor(private readonly opts: RunViewOptions) {}

  /** Colours follow pipeline order: the runner announces every component before any log line. */
  private colorOf(id: string): (s: string) => string {
    let color = this.colors.get(id);
    if (!color) {
      color = componentColor(this.opts.palette, this.colors.size);
      this.colors.set(id, color);
      this.width = Math.max(this.width, id.length + 13);
    }
    return color;
  }

  /** Writes a line above the footer. */
  line(text: string): void {
    const out = this.opts.out;
    if (this.footer && this.opts.interactive) out.write('\r\x1b[2K');
    out.write(text + '\n');
    if (this.footer && this.opts.interactive) out.write(this.footer);
  }

  handle(event: RunnerEvent, snapshot: () => RunSnapshot): void {
    const p = this.opts.palette;
    switch (event.type) {
      case 'log': {
        const color = this.colorOf(event.componentId);
        const prefix = `[${clock(event.time)}] ${event.componentId}:`;
        this.line(`${color(prefix.padEnd(this.width))} ${event.line}`);
        break;
      }
      case 'notice': {
        const mark = event.level === 'error' ? p.red('✗') : event.level === 'warning' ? p.yellow('!') : p.dim('•');
        const prefix = `[${clock(event.time)}] flowctl:`;
        this.line(`${p.bold(prefix.padEnd(this.width))} ${mark} ${event.message}`);
        break;
      }
      case 'controlPlane':
        this.line(`${p.green('✓')} Control plane ready at ${event.endpoint}`);
        this.line('→ Launching components...');
        break;
      case 'component':
        this.colorOf(event.view.id);
        if (event.view.phase === 'waiting' && event.view.waitingFor.length) {
          this.line(p.dim(`  … ${event.view.id} waits for ${event.view.waitingFor.join(', ')}`));
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
    const out = this.opts.out;
    const cols = out.columns || 120;
    const clipped = clip(text, cols - 1);
    if (clipped === this.footer) return;
    out.write('\r\x1b[2K' + clipped);
    this.footer = clipped;
  }

  clearFooter(): void {
    clearInterval(this.footerTimer);
    if (this.footer && this.opts.interactive) this.opts.out.write('\r\x1b[2K');
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
    return `${c.id} ${healthMark(c, p)}${restarts} ${p.dim(figure)}`;
  });
  return `${p.bold('●')} ${s.pipelineName} ${s.state} ${healthy}/${s.components.length} healthy | ${parts.join(' · ')} | events ${formatEvents(s.eventsProcessed)} (${Math.round(s.eventsPerSecond)}/s)`;
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
