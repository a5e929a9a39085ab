// In-host test of "flowctl: Deploy to Swarm" / "Remove from Swarm" (run by
// test/integration/vscode-swarm.test.ts, which builds the images, makes the swarm when there is none and
// writes the pipeline; skipped when FLOWCTL_SWARM_PIPELINE is not set): the command deploys the demo
// stack with progress shown while it waits, then the Services view is connected to the deployed hub
// under the pipeline's name with every component healthy; Remove from Swarm takes the stack down,
// disconnects the view, and nothing of the stack is left on the engine.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as vscode from 'vscode';
import type { FlowctlExtensionApi } from '../../../src/extension/extension';
import { componentItems, show, waitFor } from './helpers';

const EXTENSION_ID = 'flowctl.flowctl-vscode';

/** What the engine still holds for the stack (services, containers, networks, configs, secrets). */
function stackRemains(stack: string): string[] {
  const filter = ['--filter', `label=com.docker.stack.namespace=${stack}`];
  const out: string[] = [];
  for (const args of [
    ['service', 'ls', '--format', 'service {{.Name}}'],
    ['ps', '--all', '--format', 'container {{.Names}}'],
    ['network', 'ls', '--format', 'network {{.Name}}'],
    ['config', 'ls', '--format', 'config {{.Name}}'],
    ['secret', 'ls', '--format', 'secret {{.Name}}'],
  ]) {
    out.push(...spawnSync('docker', [...args, ...filter], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean));
  }
  return out;
}

describe('flowctl extension: Deploy to Swarm', function () {
  this.timeout(480_000);
  const file = process.env.FLOWCTL_SWARM_PIPELINE;
  const stack = process.env.FLOWCTL_SWARM_STACK ?? '';
  let api: FlowctlExtensionApi;

  before(async function () {
    if (!file || !stack) this.skip();
    const ext = vscode.extensions.getExtension<FlowctlExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
    api = await ext.activate();
  });

  it('deploys the pipeline with progress, shows the hub in the Services view with every component healthy, and Remove from Swarm leaves nothing', async () => {
    const doc = await vscode.workspace.openTextDocument(file!);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('flowctl.services.focus');
    const hubPort = vscode.workspace.getConfiguration('flowctl.deploy').get<number>('hubPort')!;

    // 1. Deploy: the progress notification says what it waits for while the stack comes up.
    const started = Date.now();
    const deploying = vscode.commands.executeCommand<{ stack: string; hubPort: number; ready: boolean } | undefined>('flowctl.deployToSwarm', doc.uri, { stack });
    const seen = new Set<string>();
    let done = false;
    const outcome = deploying.then(
      (v) => ((done = true), v),
      (err) => ((done = true), Promise.reject(err)),
    );
    while (!done) {
      const d = api.deploys().find((x) => x.stack === stack);
      for (const p of d?.progress ?? []) seen.add(p);
      await new Promise((r) => setTimeout(r, 200));
    }
    const result = await outcome;
    const record = api.deploys().find((x) => x.stack === stack)!;
    for (const p of record.progress) seen.add(p);
    console.log(`  deploy took ${((Date.now() - started) / 1000).toFixed(1)} s; progress: ${show([...seen])}`);
    assert.ok(result?.ready, `deployed and ready: ${show(result)}`);
    assert.equal(result.hubPort, hubPort);
    assert.equal(record.state, 'deployed', show(record));
    const progress = [...seen];
    assert.ok(progress.some((p) => /docker stack deploy -c .*stack\.yml/.test(p)), `progress names the stack deploy: ${show(progress)}`);
    assert.ok(progress.some((p) => /waiting for|components ready/.test(p)), `progress while the components come up: ${show(progress)}`);
    assert.ok(progress.some((p) => /3\/3 components ready|every component|3 components healthy/.test(p)), `progress ends with all 3 ready: ${show(progress)}`);
    const services = spawnSync('docker', ['service', 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '--format', '{{.Name}}'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .sort();
    assert.deepEqual(services, [`${stack}_counter`, `${stack}_enrich`, `${stack}_flowctl-hub`, `${stack}_ticker`]);
    assert.ok(
      api.notifications().some((n) => n.level === 'info' && n.message.includes(`${stack} is deployed`)),
      `a notification says it is deployed: ${show(api.notifications())}`,
    );

    // 2. The Services view is connected to the hub: the pipeline by its name, its components healthy,
    // events reaching the sink through the hub.
    assert.equal(api.context.connected?.target.address, `127.0.0.1:${hubPort}`, 'connected to the hub through its published port');
    const items = await waitFor('the deployed pipeline in the Services view, every component healthy and the sink receiving events', async () => {
      const all = await api.treeItems();
      const comps = componentItems(all);
      const ids = comps.map((c) => c.label).sort();
      if (ids.join() !== 'counter,enrich,ticker' || !comps.every((c) => c.icon === 'pass-filled')) return undefined;
      const sink = api.context.connected?.view('counter');
      return Number(sink?.metrics.processed_count ?? sink?.metrics.success_count ?? 0) > 0 ? all : undefined;
    }, 120_000);
    assert.ok(
      items.some((i) => i.label.includes('swarm-demo') || (i.description ?? '').includes('swarm-demo')),
      `the tree names the deployed pipeline: ${show(items.map((i) => [i.label, i.description]))}`,
    );
    // Pipeline order: source, processor, sink.
    assert.deepEqual(componentItems(items).map((c) => c.label), ['ticker', 'enrich', 'counter']);

    // 3. Remove from Swarm: the stack goes, the view is disconnected, nothing is left.
    const removed = await vscode.commands.executeCommand<string>('flowctl.undeployFromSwarm', stack);
    assert.equal(removed, stack);
    assert.equal(api.context.connected, undefined, 'the Services view is no longer connected to the removed hub');
    assert.deepEqual(componentItems(await api.treeItems()), []);
    assert.deepEqual(stackRemains(stack), [], 'nothing of the stack remains');
    assert.equal(api.deploys().find((x) => x.stack === stack)?.state, 'removed');
    assert.ok(api.notifications().some((n) => n.message.includes(`stack ${stack} removed`)), show(api.notifications()));

    // 4. Removing it again says there is no such stack (an error shown to the user, not a silent success).
    assert.equal(await vscode.commands.executeCommand('flowctl.undeployFromSwarm', stack), undefined);
    const again = api.deploys().find((x) => x.stack === stack)!;
    assert.equal(again.state, 'failed');
    assert.match(again.error ?? '', new RegExp(`no stack named ${stack} is deployed`));
  });
});
