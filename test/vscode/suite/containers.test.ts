// In-host test of container components (run by test/integration/vscode-docker.test.ts, which builds the
// test images and writes the pipeline; skipped when FLOWCTL_DOCKER_PIPELINE is not set): Run Pipeline
// starts a container next to a process, the Services tree shows the container's image and short id,
// Restart Component replaces the container, Stop Pipeline removes it.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as vscode from 'vscode';
import type { FlowctlExtensionApi } from '../../../src/extension/extension';
import type { TreeItemData } from '../../../src/extension/servicesTree';
import { show, waitFor } from './helpers';

const EXTENSION_ID = 'flowctl.flowctl-vscode';

function componentItems(items: TreeItemData[]): TreeItemData[] {
  return items.flatMap((i) => (i.contextValue?.startsWith('pipeline') ? i.children : [i])).filter((i) => i.contextValue?.startsWith('component'));
}

function containerExists(id: string): boolean {
  return spawnSync('docker', ['inspect', '--type', 'container', id], { stdio: 'ignore' }).status === 0;
}

describe('flowctl extension: container components', function () {
  this.timeout(300_000);
  const file = process.env.FLOWCTL_DOCKER_PIPELINE;
  let api: FlowctlExtensionApi;

  before(async function () {
    if (!file) this.skip();
    const ext = vscode.extensions.getExtension<FlowctlExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
    api = await ext.activate();
  });

  after(async () => {
    await api?.context.stopAll('test teardown');
  });

  it('the tree shows a container component with its image and short container id; Restart Component replaces the container; Stop Pipeline removes it', async () => {
    const doc = await vscode.workspace.openTextDocument(file!);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('flowctl.services.focus');
    await vscode.commands.executeCommand('flowctl.runPipeline', doc.uri);
    const runner = api.runner();
    assert.ok(runner, `a runner exists after Run Pipeline (last run: ${show(api.snapshot()?.state)} ${show(api.snapshot()?.error)})`);
    const snap = runner.snapshot();
    assert.equal(snap.state, 'running', `run state: ${snap.state} ${snap.error ?? ''}`);
    const ticker = snap.components.find((c) => c.id === 'ticker')!;
    assert.equal(ticker.driver, 'docker');
    assert.match(ticker.containerId ?? '', /^[0-9a-f]{64}$/);
    const image = ticker.image!;
    const shortImage = image.slice(image.lastIndexOf('/') + 1);

    const items = await waitFor('both components healthy in the Services tree', async () => {
      const comps = componentItems(await api.treeItems());
      return comps.length === 2 && comps.every((c) => c.icon === 'pass-filled') ? comps : undefined;
    }, 180_000);
    const item = items.find((i) => i.label === 'ticker')!;
    assert.ok(item.description?.endsWith(`· ${shortImage} ${ticker.containerId!.slice(0, 12)}`), `description: ${item.description}`);
    assert.ok(item.tooltip?.includes('`' + image + '`'), `tooltip names the image: ${item.tooltip}`);
    assert.ok(item.tooltip?.includes('`' + ticker.containerId!.slice(0, 12) + '`'), `tooltip names the container: ${item.tooltip}`);
    const proc = items.find((i) => i.label === 'counter-sink')!;
    assert.doesNotMatch(proc.description ?? '', /[0-9a-f]{12}$/, 'a process shows no container');
    assert.match(proc.tooltip ?? '', /PID: \d+/);
    // The container's output goes to a terminal named after it, as a process's does.
    await waitFor(`a terminal for each component (have: ${show(vscode.window.terminals.map((t) => t.name))})`, () =>
      ['ticker', 'counter-sink'].every((id) => vscode.window.terminals.some((t) => [id, `Task - ${id}`, `flowctl: ${id}`].includes(t.name))),
    );

    const old = ticker.containerId!;
    await vscode.commands.executeCommand('flowctl.restartComponent', { key: snap.file, id: 'ticker' });
    const next = await waitFor('ticker running in a new container', () => {
      const v = api.snapshot()?.components.find((c) => c.id === 'ticker');
      return v?.phase === 'running' && v.containerId && v.containerId !== old ? v : undefined;
    }, 180_000);
    await waitFor('the tree shows the new container', async () =>
      componentItems(await api.treeItems()).some((i) => i.label === 'ticker' && i.description?.endsWith(next.containerId!.slice(0, 12))),
    );
    await waitFor('the old container removed', () => !containerExists(old), 60_000);

    await vscode.commands.executeCommand('flowctl.stopPipeline', doc.uri);
    assert.equal(api.runner(), undefined, 'no run left');
    assert.equal(containerExists(next.containerId!), false, 'Stop Pipeline removed the container');
  });
});
