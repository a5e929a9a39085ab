// What a debugger start needs on this machine (Delve on PATH, debugpy in the component's Python, a
// free loopback port), checked before the component is touched.
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import { findCommand } from '../pipeline/commands';
import { DebugError, LOOPBACK, type DebugNeed } from './plan';

/** A loopback port nobody listens on right now (the OS picks it; released for the debugger to take). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs `python -c "import module"`; resolves with undefined when it works, else with what it said. */
function pythonImports(python: string, module: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, ['-c', `import ${module}`], { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      const last = String(stderr).trim().split('\n').pop() ?? '';
      resolve(last || (err as Error).message);
    });
  });
}

/** Throws a DebugError naming the first thing that is missing and how to get it. */
export async function checkNeeds(needs: readonly DebugNeed[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<void> {
  for (const need of needs) {
    if (need.kind === 'program') {
      const found = findCommand(need.name, cwd, env);
      if (found.kind !== 'ok') throw new DebugError('tool-missing', `${need.what} is not on PATH`, need.install);
      continue;
    }
    const found = findCommand(need.python, cwd, env);
    if (found.kind !== 'ok') throw new DebugError('tool-missing', `${need.python} (the component's Python) is not on PATH`, 'install Python or fix the component\'s command');
    const problem = await pythonImports(found.path, need.module, cwd, env, timeoutMs);
    if (problem) throw new DebugError('tool-missing', `${need.module} is not installed for ${found.path} (${problem})`, `install it: ${need.install}`);
  }
}
