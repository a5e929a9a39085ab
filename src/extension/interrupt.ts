// Prompt, clean stops when the extension host itself is told to go. VS Code does not deactivate
// extensions in every case: Ctrl+C of a VS Code server (code-server, `code serve-web`) sends SIGINT
// to the whole process group, extension host included, which then dies at once; and an extension host
// whose parent vanished exits through process.exit. Components run in their own sessions (they never
// see that SIGINT), so they were left running for seconds and died without their shutdown lines.
// Here: on SIGINT/SIGTERM/SIGHUP every run is stopped with a short grace (components get SIGTERM and
// print their shutdown lines, which still reach the log files), then the signal's default action
// resumes; on a bare process exit every live component group gets SIGTERM synchronously.
import type * as vscode from 'vscode';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface InterruptHooks {
  /** Stops every run; resolves when their processes are gone. */
  stopAll(reason: string, graceMs: number): Promise<void>;
  /** Process groups of every live component (synchronous: used in the exit handler). */
  livePids(): number[];
  log(message: string): void;
}

export interface InterruptOptions {
  /** SIGTERM → SIGKILL grace for the components (default 1500 ms). */
  graceMs?: number;
  /** Longest wait before the signal takes its course anyway (default 4000 ms). */
  deadlineMs?: number;
}

export function installInterruptHandlers(hooks: InterruptHooks, options: InterruptOptions = {}): vscode.Disposable {
  const graceMs = options.graceMs ?? 1500;
  const deadlineMs = options.deadlineMs ?? 4000;
  let handling = false;
  const handlers = new Map<NodeJS.Signals, () => void>();

  const remove = () => {
    for (const [sig, h] of handlers) process.removeListener(sig, h);
    handlers.clear();
    process.removeListener('exit', onExit);
  };

  const onSignal = (sig: NodeJS.Signals) => {
    if (handling) return;
    handling = true;
    hooks.log(`${sig} received by the extension host: stopping every pipeline run first`);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    void Promise.race([hooks.stopAll(`the extension host received ${sig}`, graceMs).catch(() => undefined), deadline]).finally(() => {
      clearTimeout(timer);
      // Whatever is still alive gets SIGTERM now; then the signal does what it would have done.
      terminate(hooks.livePids());
      remove();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  };

  const onExit = () => terminate(hooks.livePids());

  for (const sig of SIGNALS) {
    const h = () => onSignal(sig);
    handlers.set(sig, h);
    process.on(sig, h);
  }
  process.on('exit', onExit);
  return { dispose: remove };
}

function terminate(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
}
