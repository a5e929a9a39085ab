// In-host tests of the extension (mocha inside a real VS Code extension host: code-server, see
// test/vscode/host.ts). They run the demo pipeline through the command, watch the Services tree,
// status bar and terminals, restart and stop components, stop the run and check that every
// component process is gone and the control-plane port is closed; and check diagnostics.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as grpc from '@grpc/grpc-js';
import { protos } from '../../../src/core/proto';
import type { FlowctlExtensionApi } from '../../../src/extension/extension';
import { componentItems, isAlive, portAccepts, repoRoot, show, sleep, waitFor } from './helpers';

const EXTENSION_ID = 'flowctl.flowctl-vscode';

function terminalFor(id: string): vscode.Terminal | undefined {
  return vscode.window.terminals.find((t) => t.name === id);
}

describe('flowctl extension', () => {
  let api: FlowctlExtensionApi;
  const root = repoRoot();
  /** The demo pipeline; FLOWCTL_DEMO_FILE points the suite at another pipeline file. */
  const demoFile = process.env.FLOWCTL_DEMO_FILE ?? path.join(root, 'examples', 'demo', 'flow.yml');

  before(async function () {
    this.timeout(30_000);
    const ext = vscode.extensions.getExtension<FlowctlExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
    api = await ext.activate();
    assert.ok(api && typeof api.treeItems === 'function', 'activate() returns the test API');
  });

  describe('flowctl extension: activation', () => {
    it('activates fast and contributes its commands', async () => {
      assert.ok(api.activationMs < 2000, `activation took ${api.activationMs} ms`);
      const commands = await vscode.commands.getCommands(true);
      for (const c of ['flowctl.runPipeline', 'flowctl.stopPipeline', 'flowctl.restartComponent', 'flowctl.validatePipeline', 'flowctl.connect', 'flowctl.deployToSwarm', 'flowctl.undeployFromSwarm']) {
        assert.ok(commands.includes(c), `${c} is registered`);
      }
      assert.equal(api.runner(), undefined, 'nothing runs before the user asks');
      assert.equal(api.statusBarText(), '', 'no status bar item while nothing runs');
    });
  });

  describe('flowctl extension: running the demo pipeline', function () {
    this.timeout(180_000);
    let pids = new Map<string, number>();
    let controlPlanePort = 0;

    after(async () => {
      // Whatever happened above, leave nothing running.
      await api?.context.stopAll('test teardown');
    });

    it('Run Pipeline starts every component; tree, status bar, terminals and CodeLens show it', async () => {
      assert.ok(fs.existsSync(demoFile), `${demoFile} exists`);
      const doc = await vscode.workspace.openTextDocument(demoFile);
      await vscode.window.showTextDocument(doc);

      const idleLenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10);
      assert.ok(
        idleLenses.some((l) => l.command?.command === 'flowctl.runPipeline'),
        `a Run Pipeline lens when idle: ${show(idleLenses.map((l) => l.command?.title))}`,
      );

      // Show the Services view so its refreshes are live (they are skipped while it is hidden).
      await vscode.commands.executeCommand('flowctl.services.focus');
      const statsBefore = api.treeStats();
      const runStarted = Date.now();
      await vscode.commands.executeCommand('flowctl.runPipeline', doc.uri);
      const runner = api.runner();
      assert.ok(runner, 'a runner exists after Run Pipeline');
      const snap = runner.snapshot();
      assert.equal(snap.state, 'running', `run state: ${snap.state} ${snap.error ?? ''}`);
      const ids = snap.components.map((c) => c.id);
      assert.ok(ids.length >= 2, `the demo has components: ${ids}`);

      // Every component healthy in the tree data (the tree renders what the runner reports).
      const items = await waitFor('every component healthy in the Services tree', async () => {
        const comps = componentItems(await api.treeItems());
        return comps.length === ids.length && comps.every((c) => c.icon === 'pass-filled') ? comps : undefined;
      });
      assert.deepEqual(items.map((i) => i.label).sort(), [...ids].sort());
      for (const item of items) {
        assert.match(item.tooltip ?? '', /PID: \d+/, `tooltip of ${item.label} shows its pid`);
        assert.ok(item.id.endsWith(`#${item.label}`), `stable id for ${item.label}: ${item.id}`);
      }

      const name = runner.snapshot().pipelineName;
      const text = await waitFor('status bar shows all healthy', () => {
        const t = api.statusBarText();
        return t === `$(pulse) ${name} ${ids.length}/${ids.length}` ? t : undefined;
      });
      assert.ok(text);

      // One terminal per component, named after it.
      await waitFor(`one terminal per component (have: ${vscode.window.terminals.map((t) => t.name).join(', ')})`, () =>
        ids.every((id) => terminalFor(id)),
      );
      const componentTerminals = vscode.window.terminals.filter((t) => ids.some((id) => terminalFor(id) === t));
      assert.equal(componentTerminals.length, ids.length);

      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 50);
      const titles = lenses.map((l) => l.command?.title ?? '');
      assert.ok(titles.some((t) => t.includes('Stop')), `Stop lens while running: ${titles}`);
      assert.ok(titles.some((t) => t === `${ids.length}/${ids.length} healthy`), `state lens: ${titles}`);
      assert.equal(titles.filter((t) => t === 'Show Logs').length, ids.length, 'a Show Logs lens above each component');

      // Refreshes are coalesced: far fewer than the model changes, at most ~4 per second.
      const stats = api.treeStats();
      const seconds = (Date.now() - runStarted) / 1000;
      const refreshes = stats.refreshes - statsBefore.refreshes;
      const changes = stats.modelChanges - statsBefore.modelChanges;
      console.log(`[figures] activation ${api.activationMs.toFixed(1)} ms; run healthy after ${seconds.toFixed(1)} s; ${changes} model changes → ${refreshes} tree refreshes`);
      console.log(`[figures] terminals: ${vscode.window.terminals.map((t) => t.name).join(', ')}`);
      assert.ok(refreshes >= 1, 'the visible tree was refreshed');
      assert.ok(refreshes <= Math.ceil(seconds * 4) + 2, `${refreshes} refreshes in ${seconds.toFixed(1)} s`);
      assert.ok(refreshes < changes, `coalesced: ${refreshes} refreshes for ${changes} changes`);

      const finalSnap = runner.snapshot();
      pids = new Map(finalSnap.components.map((c) => [c.id, c.pid!]));
      for (const [id, pid] of pids) assert.ok(pid && isAlive(pid), `${id} runs as pid ${pid}`);
      controlPlanePort = Number(/:(\d+)$/.exec(finalSnap.endpoint ?? '')?.[1]);
      assert.ok(controlPlanePort > 0, `endpoint ${finalSnap.endpoint}`);
      assert.ok(await portAccepts(controlPlanePort), 'the control plane listens');
    });

    it('Connect to Control Plane lists the running services read-only', async () => {
      const snap = await vscode.commands.executeCommand<{ components: { id: string }[]; error?: string }>('flowctl.connect', `127.0.0.1:${controlPlanePort}`);
      assert.ok(snap && !snap.error, `connected: ${show(snap)}`);
      assert.ok(snap.components.length >= pids.size, `ListComponents returned ${snap.components.length} services`);
      const all = await api.treeItems();
      const connected = componentItems(all).filter((c) => / remote|readonly/.test(c.contextValue ?? ''));
      assert.ok(connected.length >= pids.size, `connected items in the tree: ${show(all.map((i) => i.label))}`);
      await vscode.commands.executeCommand('flowctl.disconnect');
      assert.equal(componentItems(await api.treeItems()).filter((c) => / remote|readonly/.test(c.contextValue ?? '')).length, 0);
    });

    it('Restart Component restarts exactly that component', async () => {
      const [id, oldPid] = [...pids.entries()].at(-1)!;
      const file = api.runner()!.snapshot().file;
      await vscode.commands.executeCommand('flowctl.restartComponent', { key: file, id });
      const view = await waitFor(`${id} running again with a new pid`, () => {
        const v = api.snapshot()?.components.find((c) => c.id === id);
        return v && v.pid && v.pid !== oldPid && v.phase === 'running' ? v : undefined;
      });
      await waitFor(`old pid ${oldPid} gone`, () => !isAlive(oldPid), 15_000);
      pids.set(id, view.pid!);
      for (const [other, pid] of pids) if (other !== id) assert.ok(isAlive(pid), `${other} (pid ${pid}) was left alone`);
      await waitFor('every component healthy again', async () => componentItems(await api.treeItems()).every((c) => c.icon === 'pass-filled'));
    });

    it('Ctrl+C in a component terminal stops that component', async () => {
      const [id, pid] = [...pids.entries()].at(-1)!;
      const term = terminalFor(id);
      assert.ok(term, `terminal of ${id}`);
      term.sendText('\x03', false);
      await waitFor(`${id} stopped after Ctrl+C`, () => api.snapshot()?.components.find((c) => c.id === id)?.phase === 'stopped', 30_000);
      await waitFor(`pid ${pid} gone`, () => !isAlive(pid), 15_000);
      // Bring it back for the stop test.
      await vscode.commands.executeCommand('flowctl.restartComponent', { key: api.snapshot()!.file, id });
      const v = await waitFor(`${id} running again`, () => {
        const c = api.snapshot()?.components.find((x) => x.id === id);
        return c?.phase === 'running' && c.pid ? c : undefined;
      });
      pids.set(id, v.pid!);
    });

    it('closing a component terminal only closes the view; Show Logs opens a new one with the last lines', async () => {
      const [id, pid] = [...pids.entries()].at(-1)!;
      const term = terminalFor(id);
      assert.ok(term, `terminal of ${id}`);
      term.dispose();
      await waitFor(`the terminal of ${id} gone`, () => !terminalFor(id), 10_000);
      await sleep(1000);
      const view = api.snapshot()?.components.find((c) => c.id === id);
      assert.equal(view?.phase, 'running', `${id} keeps running`);
      assert.ok(isAlive(pid), `pid ${pid} still runs`);
      await vscode.commands.executeCommand('flowctl.showComponentLogs', { key: api.snapshot()!.file, id });
      const again = await waitFor(`a new terminal for ${id}`, () => terminalFor(id), 10_000);
      assert.notEqual(again, term);
      const entry = api.terminals().find((t) => t.id === id);
      assert.ok(entry && entry.terminal === again, 'the session knows the new terminal');
      await waitFor('the log tail in the new terminal', () => entry.pty.recent().some((l) => /\[flowctl\] last \d+ lines? of/.test(l)), 10_000);
    });

    it('Let This Component Join When Started by Hand: a process outside the run may then register that id', async () => {
      const [id] = [...pids.entries()].at(-1)!;
      const file = api.runner()!.snapshot().file;
      await vscode.commands.executeCommand('flowctl.stopComponent', { key: file, id });
      await waitFor(`${id} stopped`, () => api.snapshot()?.components.find((c) => c.id === id)?.phase === 'stopped', 30_000);
      // This extension host is not a process of the run: refused until the owner allows the id.
      const client = new (protos().v1.ControlPlaneService)(`127.0.0.1:${controlPlanePort}`, grpc.credentials.createInsecure());
      const register = () =>
        new Promise<grpc.status>((resolve) =>
          client.RegisterComponent({ component: { id, name: id, component_type: 3, endpoint: '127.0.0.1:1' } }, (err: grpc.ServiceError | null) => resolve(err ? err.code : grpc.status.OK)),
        );
      const unregister = () =>
        new Promise<grpc.status>((resolve) => client.UnregisterComponent({ service_id: id }, (err: grpc.ServiceError | null) => resolve(err ? err.code : grpc.status.OK)));
      try {
        assert.equal(grpc.status[await register()], 'PERMISSION_DENIED', 'refused before the owner allows it');
        const allowed = await vscode.commands.executeCommand<string[]>('flowctl.allowExternalComponent', { key: file, id });
        assert.deepEqual(allowed, [id]);
        assert.equal(grpc.status[await register()], 'OK', 'registered once allowed');
        assert.equal(grpc.status[await unregister()], 'OK');
      } finally {
        client.close();
        api.runner()!.allowExternal(id, false);
      }
      await vscode.commands.executeCommand('flowctl.restartComponent', { key: file, id });
      const v = await waitFor(`${id} running again`, () => {
        const c = api.snapshot()?.components.find((x) => x.id === id);
        return c?.phase === 'running' && c.pid ? c : undefined;
      });
      pids.set(id, v.pid!);
      await waitFor('every component healthy again', async () => componentItems(await api.treeItems()).every((c) => c.icon === 'pass-filled'), 30_000);
    });

    it('tree refreshes are skipped while the Services view is hidden, and done once when it shows', async () => {
      await vscode.commands.executeCommand('workbench.view.explorer');
      await sleep(500);
      const hidden = api.treeStats().refreshes;
      for (let i = 0; i < 20; i++) api.context.model.notify();
      await sleep(600);
      assert.equal(api.treeStats().refreshes, hidden, 'no refresh while hidden');
      await vscode.commands.executeCommand('flowctl.services.focus');
      await waitFor('one refresh when the view shows again', () => api.treeStats().refreshes > hidden, 5_000);
      await sleep(600);
      const afterShow = api.treeStats().refreshes - hidden;
      // The running pipeline also refreshes the tree by itself (its metrics change every second): measure that
      // rate over a window as long as the one above, visible and without notifications, and allow it on top.
      const visibleStart = api.treeStats().refreshes;
      await sleep(1000);
      const background = api.treeStats().refreshes - visibleStart;
      assert.ok(afterShow <= 2 + background, `refreshes after showing: ${afterShow} (the pipeline's own: ${background} per second)`);
    });

    it('Stop Pipeline ends every component process and closes the control-plane port', async () => {
      await vscode.commands.executeCommand('flowctl.stopPipeline', vscode.Uri.file(demoFile));
      for (const [id, pid] of pids) assert.ok(!isAlive(pid), `${id} (pid ${pid}) is gone after stop`);
      assert.equal(await portAccepts(controlPlanePort), false, `port ${controlPlanePort} is closed`);
      assert.equal(api.runner(), undefined, 'no run left');
      await waitFor('tree emptied', async () => (await api.treeItems()).length === 0, 5_000);
      assert.equal(api.statusBarText(), '');
      await waitFor('component terminals closed or finished', () => true, 1_000);
    });
  });

  describe('flowctl extension: a run that fails to start', function () {
    this.timeout(90_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-fail-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('reports the reason, leaves nothing running and shows the failure in the status bar', async () => {
      const file = path.join(dir, 'flow.yml');
      fs.writeFileSync(
        file,
        [
          'apiVersion: flowctl/v1',
          'kind: Pipeline',
          'metadata:',
          '  name: crashes',
          'spec:',
          '  sources:',
          '    - id: boom',
          '      command: ["node", "-e", "console.error(\'no config\'); process.exit(3)"]',
          '  sinks:',
          '    - id: out',
          '      command: ["node", "-e", "setInterval(() => {}, 1000)"]',
          '      inputs: ["boom"]',
          '',
        ].join('\n'),
      );
      const doc = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(doc);
      const result = await vscode.commands.executeCommand('flowctl.runPipeline', doc.uri);
      assert.equal(result, undefined, 'Run resolves without a session when the start fails');
      assert.equal(api.context.session(file), undefined, 'no session left');
      const failure = api.context.model.lastFailure;
      assert.ok(failure, 'the failure is remembered for the welcome view');
      assert.match(failure.error, /boom/, `the reason names the component: ${failure.error}`);
      assert.match(api.statusBarText(), /\$\(error\) crashes failed/);
      assert.equal((await api.treeItems()).length, 0, 'no services in the tree');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
  });

  describe('flowctl extension: diagnostics', function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-diag-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const valid = (inputsLine: string) =>
      [
        'apiVersion: flowctl/v1', // 1
        'kind: Pipeline', // 2
        'metadata:', // 3
        '  name: broken', // 4
        'spec:', // 5
        '  sources:', // 6
        '    - id: src', // 7
        '      command: ["node", "-e", "setInterval(() => {}, 1000)"]', // 8
        '  processors:', // 9
        '    - id: proc', // 10
        '      command: ["node", "-e", "setInterval(() => {}, 1000)"]', // 11
        inputsLine, // 12
        '  sinks:', // 13
        '    - id: out', // 14
        '      command: ["node", "-e", "setInterval(() => {}, 1000)"]', // 15
        '      inputs: ["proc"]', // 16
        '',
      ].join('\n');

    it('an unknown input is reported at its line, and Run shows problems instead of starting', async () => {
      const file = path.join(dir, 'unknown-input', 'flow.yml');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, valid('      inputs: ["nope"]'));
      const doc = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(doc);
      const diags = await waitFor('diagnostics for the unknown input', () => {
        // The code carries a link to the flow.yml reference: `{ value, target }`.
        const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => (typeof x.code === 'object' ? x.code.value : x.code) === 'unknown-input');
        return d.length ? d : undefined;
      }, 15_000);
      assert.equal(diags[0].severity, vscode.DiagnosticSeverity.Error);
      assert.equal(diags[0].range.start.line, 11, 'line 12 in the file is line 11 for VS Code');
      assert.equal(doc.getText(diags[0].range).replace(/["']/g, ''), 'nope', `range covers the input: ${show(diags[0].range)}`);

      const result = await vscode.commands.executeCommand('flowctl.runPipeline', doc.uri);
      assert.equal(result, undefined, 'no run for an invalid pipeline');
      assert.equal(api.context.session(file), undefined);
    });

    it('a YAML syntax error is reported at its line and updates as you type', async () => {
      const file = path.join(dir, 'syntax', 'flow.yml');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, valid('      inputs: a: b'));
      const doc = await vscode.workspace.openTextDocument(file);
      const editor = await vscode.window.showTextDocument(doc);
      const diags = await waitFor('a syntax diagnostic', () => {
        const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error);
        return d.length ? d : undefined;
      }, 15_000);
      assert.ok(diags.some((d) => d.range.start.line === 11), `an error on line 12: ${show(diags.map((d) => [d.code, d.range.start.line, d.message]))}`);

      // Fix the line in the editor (unsaved): the diagnostics follow the text (debounced).
      await editor.edit((e) => e.replace(doc.lineAt(11).range, '      inputs: ["src"]'));
      await waitFor('errors cleared after the fix', () => vscode.languages.getDiagnostics(doc.uri).every((d) => d.severity !== vscode.DiagnosticSeverity.Error), 15_000);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });
  });
});
