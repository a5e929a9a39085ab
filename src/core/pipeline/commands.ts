// Where a component's command[0] would be found when it is started.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type CommandLookup =
  | { kind: 'ok'; path: string }
  /** A bare name not on PATH, but a file of that name sits in the pipeline folder. */
  | { kind: 'in-folder'; path: string }
  | { kind: 'not-executable'; path: string }
  | { kind: 'missing'; path: string };

const isWindows = process.platform === 'win32';

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isExecutable(p: string): boolean {
  if (isWindows) return true;
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves a command the way the supervisor starts it: a name with a path separator is relative to
 * the pipeline's folder (absolute paths stay), a bare name is looked up on PATH.
 */
export function resolveCommandPath(command: string, pipelineDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const r = findCommand(command, pipelineDir, env);
  return r.kind === 'ok' ? r.path : undefined;
}

export function findCommand(command: string, pipelineDir: string, env: NodeJS.ProcessEnv = process.env): CommandLookup {
  const hasSep = command.includes('/') || (isWindows && command.includes('\\'));
  const exts = isWindows ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  if (hasSep) {
    const full = path.resolve(pipelineDir, command);
    for (const ext of exts) {
      if (isFile(full + ext)) return isExecutable(full + ext) ? { kind: 'ok', path: full + ext } : { kind: 'not-executable', path: full + ext };
    }
    return { kind: 'missing', path: full };
  }
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, command + ext);
      if (isFile(candidate) && isExecutable(candidate)) return { kind: 'ok', path: candidate };
    }
  }
  const local = path.join(pipelineDir, command);
  if (isFile(local)) return { kind: 'in-folder', path: local };
  return { kind: 'missing', path: command };
}
