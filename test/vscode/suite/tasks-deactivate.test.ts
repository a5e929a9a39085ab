// In-host tests (mocha inside a real extension host, see index.ts) of what the extension suite does
// not cover: the `flowctl` task type of tasks.json, terminals on demand for big pipelines, and
// deactivate(). Runs after extension.test.js (files load in name order): deactivate comes last.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlowctlExtensionApi } from '../../../src/extension/extension';
import { EAGER_TERMINAL_LIMIT } from '../../../src/extension/limits';
import { isAlive, portAccepts, repoRoot, sleep, waitFor } from './helpers';

const EXTENSION_ID = 'flowctl.flowctl-vscode';
function terminalNamed(id: string): vscode.Terminal | undefined {
  return vscode.window.terminals.find((t) => t.name === id);
}

/** Resolves with the exit code of the first process end of the task labelled `name`. */
function taskExit(name: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`task "${name}" did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.name !== name) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e.exitCode);
    });
  });
}

describe('flowctl extension: tasks, terminals on demand, deactivate', function () {
  this.timeout(180_000);
  const root = repoRoot();
  let api: FlowctlExtensionApi;
  let folder: vscode.WorkspaceFolder;
  let dir: string;
  let demoFile: string;

  before(async () => {
    const ext = vscode.extensions.getExtension<FlowctlExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
    api = await ext.activate();
    const f = vscode.workspace.workspaceFolders?.[0];
    assert.ok(f, 'a workspace folder is open');
    folder = f;
    // A pipeline inside the workspace (tasks.json names it relative to the folder): the demo with
    // its component paths made absolute.
    dir = fs.mkdtempSync(path.join(folder.uri.fsPath, 'flowctl-tasks-'));
    demoFile = path.join(dir, 'flow.yml');
    const demo = fs.readFileSync(path.join(root, 'examples', 'demo', 'flow.yml'), 'utf8');
    fs.writeFileSync(demoFile, demo.replaceAll('../../dist/', `${path.join(root, 'dist')}/`));
  });

  after(async () => {
    await api?.context.stopAll('test teardown');
    await vscode.workspace.getConfiguration('tasks', folder.uri).update('tasks', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('the flowctl task type', () => {
    it('a tasks.json task {type: flowctl, component, file} starts the pipeline and shows that component', async () => {
      const rel = path.relative(folder.uri.fsPath, demoFile);
      const tasks = vscode.workspace.getConfiguration('tasks', folder.uri);
      await tasks.update('version', '2.0.0', vscode.ConfigurationTarget.WorkspaceFolder);
      await tasks.update(
        'tasks',
        [
          { type: 'flowctl', component: 'enrich', file: rel, label: 'flowctl enrich' },
          { type: 'flowctl', component: 'no-such-component', file: rel, label: 'flowctl missing' },
        ],
        vscode.ConfigurationTarget.WorkspaceFolder,
      );
      const task = await waitFor('the flowctl task from tasks.json', async () =>
        (await vscode.tasks.fetchTasks({ type: 'flowctl' })).find((t) => t.name === 'flowctl enrich'),
      );
      assert.equal(task.definition.type, 'flowctl');
      assert.equal(task.definition.component, 'enrich');
      assert.equal(api.context.session(demoFile), undefined, 'nothing runs before the task');

      const exit = taskExit('flowctl enrich', 120_000);
      await vscode.tasks.executeTask(task);
      assert.equal(await exit, 0, 'the task ends with 0 once the pipeline runs and the terminal is shown');
      const session = api.context.session(demoFile);
      assert.ok(session, 'the task started the pipeline named in its definition');
      assert.equal(session.state, 'running');
      const ids = session.componentIds();
      assert.ok(ids.includes('enrich'));
      // A normal pipeline: one terminal per component, and the task's component is in front. (The
      // demo of the extension suite ran from another file: its terminals, kept for the session,
      // have the plain names; these are the ones of this file.)
      const mine = (id: string) => api.terminals().find((t) => t.file === demoFile && t.id === id)?.terminal;
      await waitFor('one terminal per component', () => ids.every((id) => mine(id)), 30_000);
      await waitFor('the enrich terminal is the active one', () => vscode.window.activeTerminal === mine('enrich'), 15_000);
    });

    it('a task naming an unknown component fails (exit 1) and leaves the run alone', async () => {
      const session = api.context.session(demoFile);
      assert.ok(session);
      const task = (await vscode.tasks.fetchTasks({ type: 'flowctl' })).find((t) => t.name === 'flowctl missing');
      assert.ok(task, 'the second tasks.json entry resolves too');
      const exit = taskExit('flowctl missing', 60_000);
      await vscode.tasks.executeTask(task);
      assert.equal(await exit, 1);
      assert.equal(api.context.session(demoFile), session, 'the same run, not a second one');
      assert.equal(session.state, 'running');
    });
  });

  describe(`more than ${EAGER_TERMINAL_LIMIT} components`, () => {
    it('starts without a terminal per component; Show Logs opens one with the log tail; closing it leaves the component running', async () => {
      const bigDir = path.join(dir, 'big');
      fs.mkdirSync(bigDir);
      const file = path.join(bigDir, 'flow.yml');
      const extras = Array.from({ length: EAGER_TERMINAL_LIMIT + 4 }, (_, i) => `svc-${i}`);
      const driver = path.join(root, 'dist', 'bench', 'components', 'ext-heartbeats.js');
      assert.ok(fs.existsSync(driver), `${driver} is built`);
      fs.writeFileSync(
        file,
        [
          'apiVersion: flowctl/v1',
          'kind: Pipeline',
          'metadata:',
          '  name: many-components',
          'spec:',
          '  sources:',
          '    - id: driver',
          `      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(driver)}]`,
          '      output_event_types: [bench.ext.v1]',
          '      env:',
          '        FLOWCTL_HEARTBEAT_INTERVAL_MS: "1000"',
          `        BENCH_EXTRA_IDS: ${JSON.stringify(extras.join(','))}`,
          ...extras.flatMap((id) => [`    - id: ${id}`, '      command: ["sleep", "600"]', '      output_event_types: [bench.ext.v1]', '      depends_on: [driver]']),
          '',
        ].join('\n'),
      );
      const terminalsBefore = vscode.window.terminals.length;
      // The demo from the task test still runs: start this one next to it (no "Run Both?" question).
      await api.context.startRun(file, { confirmSecond: true });
      const session = api.context.session(file);
      assert.ok(session, `the big pipeline started: ${api.context.model.lastFailure?.error ?? ''}`);
      try {
        assert.equal(session.state, 'running');
        assert.equal(session.componentIds().length, extras.length + 1);
        assert.equal(session.lazyTerminals, true);
        await sleep(1000);
        assert.equal(vscode.window.terminals.length, terminalsBefore, 'no terminal was opened for the run');
        for (const id of session.componentIds()) assert.equal(session.terminalFor(id), undefined, `no terminal for ${id}`);

        // Show Logs (what a click in the Services view does) opens the driver's terminal.
        await vscode.commands.executeCommand('flowctl.showComponentLogs', { key: file, id: 'driver' });
        const pty = session.terminalFor('driver');
        assert.ok(pty, 'a terminal for the driver');
        const term = await waitFor('the driver terminal in the panel', () => terminalNamed('driver'), 15_000);
        await waitFor('the terminal opened', () => pty.opened, 15_000);
        assert.ok(pty.stats.written + pty.stats.queued >= 2, `the notice and the log tail went to the terminal: ${JSON.stringify(pty.stats)}`);
        assert.equal(vscode.window.terminals.length, terminalsBefore + 1, 'exactly one terminal more');

        const pid = session.view('driver')?.pid;
        assert.ok(pid && isAlive(pid));
        term.dispose();
        await waitFor('the terminal closed', () => pty.isClosed, 15_000);
        await sleep(1000);
        assert.equal(session.view('driver')?.phase, 'running', 'closing an on-demand terminal does not stop the component');
        assert.ok(isAlive(pid));
      } finally {
        const pids = session.snapshot().components.map((c) => c.pid).filter((p): p is number => !!p);
        await vscode.commands.executeCommand('flowctl.stopPipeline', vscode.Uri.file(file));
        for (const p of pids) assert.ok(!isAlive(p), `pid ${p} is gone after stop`);
      }
    });
  });

  describe('deactivate', () => {
    it('stops every component process and closes the control-plane port', async () => {
      let session = api.context.session(demoFile);
      if (!session) {
        await vscode.commands.executeCommand('flowctl.runPipeline', vscode.Uri.file(demoFile));
        session = api.context.session(demoFile);
      }
      assert.ok(session && session.state === 'running', 'the demo runs');
      const snap = session.snapshot();
      const pids = snap.components.map((c) => c.pid).filter((p): p is number => !!p);
      assert.equal(pids.length, snap.components.length, 'every component has a pid');
      for (const pid of pids) assert.ok(isAlive(pid), `pid ${pid} runs before deactivate`);
      const port = Number(/:(\d+)$/.exec(snap.endpoint ?? '')?.[1]);
      assert.ok(port > 0 && (await portAccepts(port)), `the control plane listens on ${snap.endpoint}`);

      const t0 = Date.now();
      await api.deactivate();
      const took = Date.now() - t0;
      for (const pid of pids) assert.ok(!isAlive(pid), `pid ${pid} is gone after deactivate`);
      assert.equal(await portAccepts(port), false, `port ${port} is closed after deactivate`);
      assert.equal(api.context.session(demoFile), undefined, 'no run left');
      // VS Code waits only a few seconds for deactivate (generous bound: 2 s grace + process exits).
      assert.ok(took < 10_000, `deactivate took ${took} ms`);
    });
  });
});
