// The attach configuration an editor's debugger needs for a component started under a debugger (VS
// Code's launch.json shape; plain data so it can be tested and printed without an editor).
import * as path from 'node:path';
import type { DebugRuntime } from './spec';

/** Where the started debugger listens. */
export interface DebugTarget {
  runtime: DebugRuntime;
  host: string;
  port: number;
  /** Node: the inspector's WebSocket address. */
  websocketUrl?: string;
  /** Pid of the process started under the debugger. */
  pid?: number;
  cwd: string;
  program?: string;
}

export interface AttachOptions {
  /** Display name of the debug session. */
  name: string;
  /** The debug type the installed Python extension registers (`debugpy`, older: `python`). */
  pythonType?: string;
  /** Extra properties (the front end's own marker). */
  extra?: Record<string, unknown>;
}

/** Folders whose JavaScript (and source maps) belong to the component: its folder and its program's. */
function jsFolders(t: DebugTarget): string[] {
  const dirs = new Set<string>([t.cwd]);
  if (t.program) dirs.add(path.dirname(t.program));
  return [...dirs];
}

export function attachConfiguration(t: DebugTarget, o: AttachOptions): Record<string, unknown> {
  const common = { name: o.name, request: 'attach', ...o.extra };
  switch (t.runtime) {
    case 'node':
      return {
        ...common,
        type: 'node',
        address: t.host,
        port: t.port,
        ...(t.websocketUrl ? { websocketAddress: t.websocketUrl } : {}),
        cwd: t.cwd,
        // Bundled components (esbuild, tsc) ship linked source maps: breakpoints in the .ts sources bind.
        sourceMaps: true,
        outFiles: [...jsFolders(t).map((d) => path.join(d, '**', '*.(m|c|)js')), '!**/node_modules/**'],
        resolveSourceMapLocations: ['**', '!**/node_modules/**'],
        skipFiles: ['<node_internals>/**'],
        // The process keeps running when the session ends; flowctl then restarts it without the inspector.
        restart: false,
      };
    case 'python':
      return {
        ...common,
        type: o.pythonType ?? 'debugpy',
        connect: { host: t.host, port: t.port },
        cwd: t.cwd,
        justMyCode: true,
      };
    case 'go':
      return {
        ...common,
        type: 'go',
        mode: 'remote',
        host: t.host,
        port: t.port,
        cwd: t.cwd,
        ...(t.program ? { program: t.program } : {}),
      };
  }
}
