// What the debug tests share: a run hosted in the test process with a ComponentDebugger, and reading
// what the record sinks wrote.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Runner } from '../../src/core/runner';
import { ComponentDebugger } from '../../src/core/debug';
import type { ComponentView } from '../../src/core/events';
import type { RunEnv } from './run-helpers';

export function host(t: { after(fn: () => void | Promise<void>): void }, env: RunEnv, file: string) {
  process.env.FLOWCTL_HOME = env.home;
  const runner = new Runner({ file, port: 0, noPersistence: true, stateDir: env.home, logDir: path.join(env.dir, 'logs'), shutdownGraceMs: 5000, env: { FLOWCTL_TEST_MARKER: env.marker } });
  const said: string[] = [];
  const notices: string[] = [];
  runner.onEvent((e) => {
    if (e.type === 'notice') notices.push(`${e.level}: ${e.message}`);
  });
  t.after(() => runner.forceStop('test over'));
  const debug = new ComponentDebugger(runner, (id, level, message) => said.push(`${level} [${id}] ${message}`));
  const view = (id: string): ComponentView => runner.snapshot().components.find((c) => c.id === id)!;
  return { runner, debug, said, notices, view };
}

export function seqs(file: string): number[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq);
}

/** Strictly increasing from 1 with nothing missing. */
export function assertComplete(list: number[], label: string): void {
  assert.ok(list.length > 0, `${label}: no events`);
  list.forEach((s, i) => assert.equal(s, i + 1, `${label}: position ${i} holds ${s}`));
}

export function cmdline(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

/** The 1-based line of a fixture marked `BREAKPOINT`. */
export function breakpointLine(script: string): number {
  const i = fs.readFileSync(script, 'utf8').split('\n').findIndex((l) => l.includes('BREAKPOINT:'));
  assert.ok(i >= 0, `${path.basename(script)} has its BREAKPOINT line`);
  return i + 1;
}
