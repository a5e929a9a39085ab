// Debug a Go component, the core part (no editor): a sink written in Go on grpc-go
// (test/fixtures/interop/go_sink, built here with Debian's Go and golang-google-grpc-dev) runs in a
// live pipeline; Debug Component restarts it under Delve (`dlv exec … --headless --accept-multiclient
// --continue`, what the planner gives a Go binary); a Debug Adapter Protocol client attaches to Delve
// as the Go extension's remote attach does, the breakpoint in the sink's per-event function hits while
// the other sink keeps receiving, and finishing the session restarts the sink without Delve.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from '../helpers/net';
import { DapClient } from '../helpers/dap';
import { repoRoot } from '../helpers/paths';
import { markedProcesses, node, runEnv, writePipeline } from './run-helpers';
import { assertComplete, breakpointLine, cmdline, host, seqs } from './debug-helpers';

const SOURCE_DIR = path.join(repoRoot(), 'test', 'fixtures', 'interop', 'go_sink');
const SOURCE = path.join(SOURCE_DIR, 'main.go');
/** Debian's packaged Go libraries (golang-google-grpc-dev, golang-google-protobuf-dev), in GOPATH mode. */
const GOPATH = '/usr/share/gocode';

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const missing = [
  !which('go') && 'go (apt install golang-go)',
  !which('dlv') && 'dlv (apt install delve)',
  !fs.existsSync(path.join(GOPATH, 'src', 'google.golang.org', 'grpc')) && 'grpc-go (apt install golang-google-grpc-dev golang-google-protobuf-dev)',
].filter(Boolean);
// The CI installs all three (scripts/install-test-deps.sh): there the test must run.
const skip = missing.length ? (process.env.CI ? false : `missing ${missing.join(', ')}`) : false;

/** Builds the Go sink without optimisations (what one debugs), once per test process. */
function buildGoSink(dir: string): string {
  const binary = path.join(dir, 'go_sink');
  const r = spawnSync('go', ['build', '-gcflags=all=-N -l', '-o', binary, '.'], {
    cwd: SOURCE_DIR,
    env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOCACHE: process.env.GOCACHE ?? path.join(os.homedir(), '.cache', 'go-build') },
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.equal(r.status, 0, `go build of the Go sink failed: ${r.stderr || r.error}`);
  return binary;
}

test('a Go sink debugged under Delve: a DAP client attaches, the breakpoint hits while the other sink keeps receiving, and back', { skip, timeout: 900_000 }, async (t) => {
  const env = runEnv(t, 'flowctl-debug-go-');
  const binary = buildGoSink(env.dir);
  const line = breakpointLine(SOURCE);
  const file = writePipeline(
    env.dir,
    `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: debug-go }
spec:
  sources:
    - id: src
      command: ${node('components/count-source.js')}
      env: { RATE: "50" }
  sinks:
    - id: gosink
      command: [${JSON.stringify(binary)}]
      inputs: [src]
      env: { OUTPUT_FILE: go.jsonl, FLOWCTL_HEARTBEAT_INTERVAL_MS: "1000" }
    - id: direct
      command: ${node('components/record-sink.js')}
      inputs: [src]
      env: { OUTPUT_FILE: direct.jsonl }
`,
  );
  const { runner, debug, said, view } = host(t, env, file);
  const out = (n: string) => path.join(env.dir, n);
  await runner.start();
  await waitFor(() => seqs(out('go.jsonl')).length > 20, 30_000, 'events at the Go sink');
  const before = view('gosink').pid!;

  const plan = await debug.prepare('gosink');
  assert.equal(plan.runtime, 'go', 'a Go binary is recognised as Go');
  const cmd = plan.override.command ?? [];
  assert.deepEqual(cmd.slice(0, 4), ['dlv', 'exec', binary, '--headless']);
  assert.match(cmd[4] ?? '', /^--listen=127\.0\.0\.1:\d+$/);
  assert.ok(cmd.includes('--accept-multiclient') && cmd.includes('--continue'), cmd.join(' '));
  const target = await debug.start(plan);
  assert.equal(target.host, '127.0.0.1');
  assert.notEqual(target.pid, before);

  // What the Go extension does for a remote attach to a headless Delve (dlv-dap): initialize, attach,
  // breakpoints, configurationDone. The sink is already running (--continue).
  const dap = await DapClient.connect(target.port, target.host);
  t.after(() => dap.close());
  await dap.request('initialize', { clientID: 'flowctl-test', adapterID: 'go', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const attached = dap.send('attach', { request: 'attach', mode: 'remote', stopOnEntry: false });
  await dap.waitEvent('initialized', 30_000);
  assert.equal((await attached).success, true, 'attach answered');
  const bp = await dap.request('setBreakpoints', { source: { path: SOURCE }, breakpoints: [{ line }] });
  assert.equal((bp.body?.breakpoints as { verified: boolean }[])[0]?.verified, true, `breakpoint: ${JSON.stringify(bp.body)}`);
  await dap.request('configurationDone');

  // The sink registered under Delve, the runner resumed its edge: the next event stops it.
  const stopped = await dap.waitEvent('stopped', 60_000, (e) => e.body?.reason === 'breakpoint');
  const threadId = stopped.body?.threadId as number;
  const trace = await dap.request('stackTrace', { threadId, levels: 1 });
  const top = (trace.body?.stackFrames as { line: number; name: string; source?: { path?: string } }[])[0]!;
  assert.equal(top.line, line, `stopped in ${top.name}`);
  assert.equal(fs.realpathSync(top.source!.path!), fs.realpathSync(SOURCE));
  await waitFor(() => view('gosink').phase === 'running', 30_000, 'gosink registered under Delve');

  // Paused: the Go sink writes nothing more, the other sink keeps receiving.
  const pausedAt = seqs(out('go.jsonl')).length;
  const directAt = seqs(out('direct.jsonl')).length;
  await waitFor(() => seqs(out('direct.jsonl')).length > directAt + 50, 30_000, 'the other sink receives while gosink is paused');
  assert.equal(seqs(out('go.jsonl')).length, pausedAt, 'nothing written while paused at the breakpoint');

  // Breakpoint removed, continue: events reach the Go sink again.
  await dap.request('setBreakpoints', { source: { path: SOURCE }, breakpoints: [] });
  await dap.request('continue', { threadId });
  await waitFor(() => seqs(out('go.jsonl')).length > pausedAt + 50, 30_000, 'events at the Go sink after continue');
  await dap.send('disconnect', { terminateDebuggee: false });
  dap.close();

  // The debug session ends: the sink runs without Delve again.
  assert.equal(await debug.finish('gosink', 'test'), 'restarted');
  await waitFor(() => view('gosink').phase === 'running' && view('gosink').pid !== target.pid, 30_000, 'gosink back without Delve');
  assert.equal(cmdline(view('gosink').pid!)[0], binary, cmdline(view('gosink').pid!).join(' '));
  const m = seqs(out('go.jsonl')).length;
  await waitFor(() => seqs(out('go.jsonl')).length > m + 50, 30_000, 'events after the debug session');

  await runner.stop();
  const snap = runner.snapshot();
  assertComplete(seqs(out('direct.jsonl')), 'direct');
  // The Go sink: never a duplicate or a step back; a gap only for events counted as dropped.
  const got = seqs(out('go.jsonl'));
  got.slice(1).forEach((s, i) => assert.ok(s > got[i]!, `go.jsonl: ${s} after ${got[i]}`));
  const lost = got[got.length - 1]! - got.length;
  assert.ok(lost <= (snap.dropped ?? 0), `go.jsonl misses ${lost} event(s); the run counted ${snap.dropped} dropped`);
  t.diagnostic(`gosink wrote ${got.length} events (last seq ${got[got.length - 1]}), ${lost} missing, run counted ${snap.dropped ?? 0} dropped; direct ${seqs(out('direct.jsonl')).length}`);
  assert.match(said.join('\n'), /debug: restarting gosink under Delve/);
  assert.deepEqual(markedProcesses(env.marker), [], 'no process left (Delve and its debuggee included)');
});
