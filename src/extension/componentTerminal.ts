// One Pseudoterminal per component: the component's stdout/stderr (ANSI colours kept), written in
// batches; state changes as dim notice lines. Ctrl+C stops the component; closing the terminal too.
import * as vscode from 'vscode';
import { OutputBatcher } from './outputBatcher';
import { sanitizeTerminalLine } from '../core/text/terminal';

export interface ComponentTerminalHooks {
  /** The user pressed Ctrl+C in the terminal. */
  onInterrupt(): void;
  /** The user closed the terminal while the run still lives. */
  onUserClose(): void;
}

const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const RESET = '\x1b[0m';

export class ComponentTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly batcher: OutputBatcher;
  private closedByUs = false;
  private closed = false;
  /** Exit code of a run that ended before VS Code opened the terminal (closed right after open). */
  private exitBeforeOpen: number | undefined;
  opened = false;

  constructor(
    readonly componentId: string,
    private readonly hooks: ComponentTerminalHooks,
  ) {
    // Paused until VS Code opens the terminal; lines queue meanwhile (bounded).
    this.batcher = new OutputBatcher((text) => this.writeEmitter.fire(text), { intervalMs: 25, maxBytesPerFlush: 64 * 1024, paused: true });
  }

  open(): void {
    this.opened = true;
    this.batcher.resume();
    if (this.exitBeforeOpen !== undefined) {
      // The run ended while the terminal was being created: show what was queued, then close.
      const code = this.exitBeforeOpen;
      this.batcher.drain();
      this.batcher.dispose();
      setTimeout(() => this.closeEmitter.fire(code), 0);
    }
  }

  close(): void {
    // VS Code calls this when the user closes the terminal (or the task is terminated).
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

  /**
   * A log line from the component: colours (SGR) kept, every other escape sequence and control character
   * removed (clear screen, title, clipboard…). stderr lines without colour get a red tint.
   */
  line(raw: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    if (this.closed) return;
    const text = sanitizeTerminalLine(raw);
    this.batcher.push(stream === 'stderr' && !text.includes('\x1b[') ? `${RED}${text}${RESET}` : text);
  }

  notice(text: string, level: 'info' | 'warning' | 'error' = 'info'): void {
    if (this.closed) return;
    const colour = level === 'error' ? RED : level === 'warning' ? YELLOW : DIM;
    this.batcher.push(`${colour}[flowctl] ${text}${RESET}`);
  }

  /** The run ended: write what is left and close with the component's exit code. */
  finish(exitCode: number): void {
    if (this.closed) return;
    this.closedByUs = true;
    if (!this.opened) {
      // VS Code has not opened the terminal yet: keep the queued lines for open(), take no more.
      this.closed = true;
      this.exitBeforeOpen = exitCode;
      return;
    }
    this.batcher.drain();
    this.closed = true;
    this.batcher.dispose();
    this.closeEmitter.fire(exitCode);
  }

  dispose(): void {
    this.finish(0);
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
