// Which VS Code extension attaches to each runtime's debugger, and the errors the Debug Component
// command shows (with a button where there is something to click).
import * as vscode from 'vscode';
import type { DebugError } from '../../core/debug';
import type { DebugRuntime } from '../../core/debug/spec';

export class DebugUserError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
    readonly action?: { title: string; run(): Thenable<unknown> },
  ) {
    super(message);
    this.name = 'DebugUserError';
  }
}

export function isDebugError(e: unknown): e is DebugError {
  return e instanceof Error && e.name === 'DebugError';
}

interface DebuggerExtension {
  /** Extension ids that provide it, preferred first, with the debug type each registers. */
  ids: Array<{ id: string; debugType: string }>;
  label: string;
  /** Marketplace id to show when none is installed. */
  suggest: string;
}

const EXTENSIONS: Record<DebugRuntime, DebuggerExtension> = {
  // Built into VS Code (and code-server); the nightly build replaces it when installed.
  node: { ids: [{ id: 'ms-vscode.js-debug', debugType: 'node' }, { id: 'ms-vscode.js-debug-nightly', debugType: 'node' }], label: 'JavaScript Debugger', suggest: 'ms-vscode.js-debug' },
  // The Python Debugger extension registers `debugpy`; older Python extensions registered `python`.
  python: { ids: [{ id: 'ms-python.debugpy', debugType: 'debugpy' }, { id: 'ms-python.python', debugType: 'python' }], label: 'Python Debugger', suggest: 'ms-python.debugpy' },
  go: { ids: [{ id: 'golang.go', debugType: 'go' }], label: 'Go', suggest: 'golang.go' },
};

/** The installed extension that attaches to this runtime; throws a DebugUserError naming the one to install. */
export function debuggerExtensionFor(runtime: DebugRuntime): { label: string; debugType: string } {
  const e = EXTENSIONS[runtime];
  for (const { id, debugType } of e.ids) if (vscode.extensions.getExtension(id)) return { label: e.label, debugType };
  throw new DebugUserError(
    `debugging ${runtime === 'node' ? 'Node.js' : runtime === 'python' ? 'Python' : 'Go'} components needs the ${e.label} extension (${e.suggest}), which is not installed or enabled here`,
    runtime === 'node' ? 'it is built into VS Code: enable it in the Extensions view' : 'install it from the Extensions view, then try again',
    { title: 'Show Extension', run: () => vscode.commands.executeCommand('workbench.extensions.search', `@id:${e.suggest}`) },
  );
}
