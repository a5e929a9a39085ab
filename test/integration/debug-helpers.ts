// What the debug tests share: a run hosted in the test process with a ComponentDebugger, reading what
// the record sinks wrote, and the pause / continue / finish checks of a sink debugged in another language.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Runner } from '../../src/core/runner';
import { ComponentDebugger } from '../../src/core/debug';
import type { ComponentView } from '../../src/core/events';
import type { RunEnv } from './run-helpers';
import { waitFor } from '../helpers/net';
import type { DapClient } from '../helpers/dap';

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

/** A count source (50 events/s) feeding the sink under test and, beside it, a record sink `direct`. */
export function sinkBesideRecorder(name: string, sink: { id: string; command: string; out: string }, source: string, recorder: string): string {
  return `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: ${name} }
spec:
  sources:
    - id: src
      command: ${source}
      env: { RATE: "50" }
  sinks:
    - id: ${sink.id}
      command: ${sink.command}
      inputs: [src]
      env: { OUTPUT_FILE: ${sink.out}, FLOWCTL_HEARTBEAT_INTERVAL_MS: "1000" }
    - id: direct
      command: ${recorder}
      inputs: [src]
      env: { OUTPUT_FILE: direct.jsonl }
`;
}

/**
 * Stopped at the breakpoint: the top frame is `source:line`; while paused the sink writes nothing and
 * `direct` keeps receiving; with the breakpoint cleared and `continue`, the sink receives again; then the
 * client detaches (the debuggee keeps running).
 */
export async function pausedAndResumed(
  dap: DapClient,
  o: { threadId: number; source: string; line: number; sinkOut: string; directOut: string; sink: string },
): Promise<void> {
  const trace = await dap.request('stackTrace', { threadId: o.threadId, levels: 1 });
  const top = (trace.body?.stackFrames as { line: number; name: string; source?: { path?: string } }[])[0]!;
  assert.equal(top.line, o.line, `stopped in ${top.name}`);
  assert.equal(fs.realpathSync(top.source!.path!), fs.realpathSync(o.source));

  const pausedAt = seqs(o.sinkOut).length;
  const directAt = seqs(o.directOut).length;
  await waitFor(() => seqs(o.directOut).length > directAt + 50, 30_000, `the other sink receives while ${o.sink} is paused`);
  assert.equal(seqs(o.sinkOut).length, pausedAt, 'nothing written while paused at the breakpoint');

  await dap.request('setBreakpoints', { source: { path: o.source }, breakpoints: [] });
  await dap.request('continue', { threadId: o.threadId });
  await waitFor(() => seqs(o.sinkOut).length > pausedAt + 50, 30_000, `events at ${o.sink} after continue`);
  await dap.send('disconnect', { terminateDebuggee: false });
  dap.close();
}

/**
 * Ends the debug session: the sink is restarted without the debugger (`plain` says so of its command
 * line) and receives again; then the run stops. `direct` got every event once; the debugged sink never
 * a duplicate or a step back, and a gap only for events the run counted as dropped. Returns a summary.
 */
export async function finishedAndComplete(
  h: ReturnType<typeof host>,
  o: { sink: string; debuggedPid: number | undefined; sinkOut: string; directOut: string; plain: (cmdline: string[]) => boolean },
): Promise<string> {
  const { runner, debug, view } = h;
  assert.equal(await debug.finish(o.sink, 'test'), 'restarted');
  await waitFor(() => view(o.sink).phase === 'running' && view(o.sink).pid !== o.debuggedPid, 30_000, `${o.sink} back without the debugger`);
  const args = cmdline(view(o.sink).pid!);
  assert.ok(o.plain(args), args.join(' '));
  const m = seqs(o.sinkOut).length;
  await waitFor(() => seqs(o.sinkOut).length > m + 50, 30_000, 'events after the debug session');

  await runner.stop();
  const dropped = runner.snapshot().dropped ?? 0;
  assertComplete(seqs(o.directOut), 'direct');
  const got = seqs(o.sinkOut);
  got.slice(1).forEach((s, i) => assert.ok(s > got[i]!, `${path.basename(o.sinkOut)}: ${s} after ${got[i]}`));
  const missing = got[got.length - 1]! - got.length;
  assert.ok(missing <= dropped, `${path.basename(o.sinkOut)} misses ${missing} event(s); the run counted ${dropped} dropped`);
  return `${o.sink} wrote ${got.length} events (last seq ${got[got.length - 1]}), ${missing} missing, run counted ${dropped} dropped; direct ${seqs(o.directOut).length}`;
}
