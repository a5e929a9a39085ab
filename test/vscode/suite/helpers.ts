// Small helpers shared by the in-host suites (processes and ports seen from the extension host).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { TreeItemData } from '../../../src/extension/servicesTree';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The repository (the folder whose package.json is flowctl-vscode) above this bundle. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'flowctl-vscode') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no flowctl-vscode package.json above ${__dirname}`);
  }
}

/** A value for a failure message. */
export function show(v: unknown): string {
  if (v instanceof Error) return v.message;
  try {
    return JSON.stringify(v)?.slice(0, 2000) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Polls `check` until it returns a truthy value; fails with `what` (and the last value) after timeoutMs. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 60_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${show(last)}`);
    await sleep(200);
  }
}

/** Every component item: at the root (one local run), under pipeline items, under role groups (connected runs). */
export function componentItems(items: TreeItemData[]): TreeItemData[] {
  return items.flatMap((i) => (i.contextValue?.startsWith('component') ? [i] : componentItems(i.children)));
}
