// One Pseudoterminal per component, for the whole editor session: every run, restart and re-run of
// the component writes into it (a separator line with the time marks each), whether or not it is on
// screen. Lines are the component's stdout/stderr (ANSI colours kept) with a dim time stamp (setting
// flowctl.terminal.timestamps), written in batches; flowctl's own notices are dim lines. Ctrl+C stops
// the component; closing the terminal only closes this view (Show Logs opens a new one).
import * as vscode from 'vscode';
import { clockTime, clockTimeMs } from '../core/present/format';
import { OutputBatcher } from './outputBatcher';
import { sanitizeTerminalLine } from '../core/text/terminal';

export interface ComponentTerminalHooks {
  /** The user pressed Ctrl+C in the terminal. */
  onInterrupt(): void;
  /** The user closed the terminal. */
  onUserClose(): void;
}

const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const CYAN = '\x1b[36m';
const RESET = '\x1b[0m';

/** Lines kept (as pushed) for the test API's view of what a terminal received. */
const RECENT_LINES = 400;

export class ComponentTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly batcher: OutputBatcher;
  private closedByUs = false;
  private closed = false;
  private columns = 80;
  private readonly recentRing: string[] = [];
  private recentStart = 0;
  /** The last time stamp made (a flood writes many lines in the same millisecond). */
  private stampTime = -1;
  private stampText = '';
  opened = false;

  constructor(
    readonly componentId: string,
    private readonly hooks: ComponentTerminalHooks,
    private readonly timestamps: () => boolean = () => true,
  ) {
    // Paused until VS Code opens the terminal; lines queue meanwhile (bounded).
    this.batcher = new OutputBatcher((text) => this.writeEmitter.fire(text), { intervalMs: 25, maxBytesPerFlush: 64 * 1024, paused: true });
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.opened = true;
    if (dimensions?.columns) this.columns = dimensions.columns;
    this.batcher.resume();
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    if (dimensions.columns) this.columns = dimensions.columns;
  }

  close(): void {
    // VS Code calls this when the user closes the terminal (or the window goes).
    if (this.closed) return;
    this.closed = true;
    this.batcher.dispose();
    if (!this.closedByUs) this.hooks.onUserClose();
  }

  handleInput(data: string): void {
    if (data.includes('\x03')) {
      this.notice(`^C — stopping ${this.componentId}…`);
      this.hooks.onInterrupt();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Lines dropped because the component wrote faster than the terminal could take. */
  get droppedLines(): number {
    return this.batcher.totalDropped;
  }

  /** Output figures (read-only, for the bench): lines written, dropped, drop notices, still queued. */
  get stats(): { written: number; dropped: number; dropNotices: number; queued: number } {
    const b = this.batcher;
    return { written: b.totalWritten, dropped: b.totalDropped, dropNotices: b.dropNotices, queued: b.queued };
  }

  /** The last lines handed to this terminal (ANSI removed), oldest first; for the test API. */
  recent(): string[] {
    const ring = this.recentRing;
    // eslint-disable-next-line no-control-regex
    return [...ring.slice(this.recentStart), ...ring.slice(0, this.recentStart)].map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
  }

  /**
   * A log line from the component: colours (SGR) kept, every other escape sequence and control character
   * removed (clear screen, title, clipboard…). stderr lines without colour get a red tint.
   */
  line(raw: string, stream: 'stdout' | 'stderr' = 'stdout', time = Date.now()): void {
    if (this.closed) return;
    const text = sanitizeTerminalLine(raw);
    const body = stream === 'stderr' && !text.includes('\x1b[') ? `${RED}${text}${RESET}` : text;
    this.push(this.timestamps() ? `${this.stamp(time)} ${body}` : body);
  }

  private stamp(time: number): string {
    if (time !== this.stampTime) {
      this.stampTime = time;
      this.stampText = `${DIM}${clockTimeMs(time)}${RESET}`;
    }
    return this.stampText;
  }

  notice(text: string, level: 'info' | 'warning' | 'error' = 'info', time = Date.now()): void {
    if (this.closed) return;
    const colour = level === 'error' ? RED : level === 'warning' ? YELLOW : DIM;
    const stamp = this.timestamps() ? `${clockTimeMs(time)} ` : '';
    this.push(`${colour}${stamp}[flowctl] ${text}${RESET}`);
  }

  /** A full-width rule with the time and what starts here: `── 12:03:04 · demo-trades · run 2 ──────`. */
  separator(text: string, time = Date.now()): void {
    if (this.closed) return;
    const head = `── ${clockTime(time)} · ${text} `;
    const width = Math.max(head.length + 4, Math.min(this.columns, 120));
    this.push(`${CYAN}${head}${'─'.repeat(Math.max(4, width - head.length))}${RESET}`);
  }

  private push(line: string): void {
    if (this.recentRing.length < RECENT_LINES) this.recentRing.push(line);
    else {
      this.recentRing[this.recentStart] = line;
      this.recentStart = (this.recentStart + 1) % RECENT_LINES;
    }
    this.batcher.push(line);
  }

  /** Writes what is queued and closes the terminal (the extension is going away). */
  dispose(): void {
    if (!this.closed) {
      this.closedByUs = true;
      if (this.opened) this.batcher.drain();
      this.closed = true;
      this.batcher.dispose();
      this.closeEmitter.fire(0);
    }
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
