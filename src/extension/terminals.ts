// The component terminals of the editor session (extension lifetime, not run lifetime): ONE terminal
// per component of a pipeline file, created when a run needs it and kept across runs, restarts and
// re-runs, so every run writes into the same place whether or not it is on screen. They are plain
// extension terminals (window.createTerminal with a Pseudoterminal), not tasks: nothing is left in
// VS Code's task list, and there is no task-terminal reuse to go wrong. A terminal the user closed is
// created again on demand (Show Logs, a click in the Services view, a new run).
import * as vscode from 'vscode';
import { ComponentTerminal } from './componentTerminal';

/** Terminal tab colours, by the component's index in its pipeline (the merged log view uses the same). */
export const COMPONENT_COLORS = [
  'terminal.ansiCyan',
  'terminal.ansiGreen',
  'terminal.ansiMagenta',
  'terminal.ansiYellow',
  'terminal.ansiBlue',
  'terminal.ansiBrightCyan',
  'terminal.ansiBrightGreen',
  'terminal.ansiBrightMagenta',
] as const;

export interface TerminalEntry {
  readonly file: string;
  readonly id: string;
  readonly pty: ComponentTerminal;
  readonly terminal: vscode.Terminal;
}

export interface EnsureOptions {
  pipeline: string;
  /** Index of the component in its pipeline (colour). */
  index: number;
  role?: string;
  /** Lines written first when the terminal is (re)created (e.g. the log tail). */
  tail?: () => string[];
}

export interface TerminalCallbacks {
  /** Ctrl+C in a component terminal. */
  interrupt(file: string, id: string): void;
  closed(file: string, id: string): void;
}

const ROLE_ICONS: Record<string, string> = { source: 'debug-start', processor: 'symbol-event', sink: 'database', pipeline: 'type-hierarchy' };

export class ComponentTerminals implements vscode.Disposable {
  /** Per pipeline file: component id → its open terminal. Sessions read these maps directly (O(1) per log line). */
  private readonly byFile = new Map<string, Map<string, TerminalEntry>>();
  private readonly byTerminal = new Map<vscode.Terminal, TerminalEntry>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly callbacks: TerminalCallbacks,
    private readonly timestamps: () => boolean,
  ) {
    this.subscription = vscode.window.onDidCloseTerminal((t) => {
      const entry = this.byTerminal.get(t);
      if (entry) this.forget(entry);
    });
  }

  /** The live map of a file's open terminals (the same object for the file's whole session). */
  forFile(file: string): Map<string, TerminalEntry> {
    let map = this.byFile.get(file);
    if (!map) this.byFile.set(file, (map = new Map()));
    return map;
  }

  get(file: string, id: string): TerminalEntry | undefined {
    const e = this.byFile.get(file)?.get(id);
    return e && !e.pty.isClosed ? e : undefined;
  }

  /** What a VS Code terminal shows, if it is one of ours. */
  entryOf(terminal: vscode.Terminal): TerminalEntry | undefined {
    return this.byTerminal.get(terminal);
  }

  all(): TerminalEntry[] {
    return [...this.byTerminal.values()];
  }

  /** The component's terminal, created (with the tail) if it is not open. Does not show it. */
  ensure(file: string, id: string, opts: EnsureOptions): TerminalEntry {
    const existing = this.get(file, id);
    if (existing) return existing;
    const pty = new ComponentTerminal(
      id,
      {
        onInterrupt: () => this.callbacks.interrupt(file, id),
        onUserClose: () => {
          const e = this.byFile.get(file)?.get(id);
          if (e?.pty === pty) this.forget(e);
          this.callbacks.closed(file, id);
        },
      },
      this.timestamps,
    );
    const tail = opts.tail?.() ?? [];
    if (tail.length) {
      pty.notice(`last ${tail.length} line${tail.length === 1 ? '' : 's'} of ${id}:`);
      for (const line of tail) pty.line(line);
    }
    const terminal = vscode.window.createTerminal({
      name: this.nameFor(file, id, opts.pipeline),
      pty,
      iconPath: new vscode.ThemeIcon(ROLE_ICONS[opts.role ?? ''] ?? 'symbol-event'),
      color: new vscode.ThemeColor(COMPONENT_COLORS[opts.index % COMPONENT_COLORS.length]),
      // Not restored after a window reload: the pty lives in this extension host.
      isTransient: true,
    });
    const entry: TerminalEntry = { file, id, pty, terminal };
    this.forFile(file).set(id, entry);
    this.byTerminal.set(terminal, entry);
    return entry;
  }

  /** Shows the component's terminal; preserveFocus keeps the keyboard where it is (the tree). */
  reveal(file: string, id: string, preserveFocus: boolean): boolean {
    const e = this.get(file, id);
    if (!e) return false;
    e.terminal.show(preserveFocus);
    return true;
  }

  /** `ticker`, or `ticker (other-pipeline)` when another pipeline file already has a `ticker` terminal. */
  private nameFor(file: string, id: string, pipeline: string): string {
    const clash = [...this.byTerminal.values()].some((e) => e.id === id && e.file !== file);
    return clash ? `${id} (${pipeline})` : id;
  }

  private forget(entry: TerminalEntry): void {
    const map = this.byFile.get(entry.file);
    if (map?.get(entry.id) === entry) map.delete(entry.id);
    this.byTerminal.delete(entry.terminal);
  }

  dispose(): void {
    this.subscription.dispose();
    for (const e of this.byTerminal.values()) {
      e.pty.dispose();
      e.terminal.dispose();
    }
    this.byTerminal.clear();
    this.byFile.clear();
  }
}
