// In-host tests of the pipeline graph, the metric history in the tree and the chart view (mocha
// inside a real VS Code extension host). The graph's DOM is read back from the webview through the
// panel's `query` message (the Playwright UI test reads the same DOM through the iframes).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlowctlExtensionApi } from '../../../src/extension/extension';
import type { TreeItemData } from '../../../src/extension/servicesTree';
import { isAlive, repoRoot, show, sleep, waitFor } from './helpers';

const EXTENSION_ID = 'flowctl.flowctl-vscode';

function componentItems(items: TreeItemData[]): TreeItemData[] {
  return items.flatMap((i) => (i.contextValue?.startsWith('pipeline') ? i.children : [i])).filter((i) => i.contextValue?.startsWith('component'));
}

describe('flowctl pipeline graph', function () {
  this.timeout(180_000);
  let api: FlowctlExtensionApi;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-graph-'));

  before(async () => {
    const ext = vscode.extensions.getExtension<FlowctlExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
  });

  after(async () => {
    await api?.context.stopAll('test teardown');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws the file without a run: a node per component, an edge per input, depends_on dashed, invalid parts marked; follows unsaved edits', async () => {
    const file = path.join(dir, 'flow.yml');
    fs.writeFileSync(
      file,
      [
        'apiVersion: flowctl/v1',
        'kind: Pipeline',
        'metadata:',
        '  name: shapes',
        'spec:',
        '  sources:',
        '    - id: a',
        '      command: ["node", "a.js"]',
        '    - id: b',
        '      command: ["node", "b.js"]',
        '  processors:',
        '    - id: p',
        '      command: ["node", "p.js"]',
        '      inputs: [a, b]',
        '  sinks:',
        '    - id: s',
        '      command: ["node", "s.js"]',
        '      inputs: [p, ghost]',
        '      depends_on: [b]',
        '',
      ].join('\n'),
    );
    const doc = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('flowctl.showGraph', doc.uri);
    const graph = api.graph.graph;
    // The first layout loads the layout worker (ELK, 1.6 MB) into the webview: slow on a loaded machine.
    const rendered = await graph.rendered(undefined, 180_000);
    assert.ok(rendered.layoutMs >= 0 && rendered.renderMs >= 0, show(rendered));

    const dom = await waitFor('the drawn graph', async () => {
      const d = await graph.query();
      return d.nodes.length >= 5 ? d : undefined;
    }, 120_000);
    assert.deepEqual(dom.nodes.map((n) => n.id).sort(), ['?ghost', 'a', 'b', 'p', 's'], `nodes: ${show(dom.nodes)}`);
    const inputs = dom.edges.filter((e) => e.kind === 'input').map((e) => `${e.from}->${e.to}`).sort();
    assert.deepEqual(inputs, ['?ghost->s', 'a->p', 'b->p', 'p->s'], 'one edge per inputs link (the unknown one to a marked node)');
    assert.deepEqual(dom.edges.filter((e) => e.kind === 'depends').map((e) => `${e.from}->${e.to}`), ['b->s'], 'depends_on drawn as its own (dashed) edge');
    assert.ok(dom.nodes.find((n) => n.id === '?ghost')?.invalid, 'the unknown input is drawn as a marked node');
    assert.ok(dom.problems.some((p) => /ghost/.test(p)), `the error is listed: ${show(dom.problems)}`);
    assert.ok(dom.nodes.every((n) => n.state === 'none'), 'no run: no health');

    // Type a new sink (unsaved): the graph follows.
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    await editor.edit((e) => e.insert(end, '    - id: extra\n      command: ["node", "x.js"]\n      inputs: [a]\n'));
    const after = await waitFor('the new component drawn', async () => {
      const d = await graph.query();
      return d.nodes.some((n) => n.id === 'extra') ? d : undefined;
    }, 30_000);
    assert.ok(after.edges.some((e) => e.from === 'a' && e.to === 'extra'), 'its input edge too');

    // Broken YAML: the last graph stays, marked stale, with the error shown (not a blank panel).
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), ': : :\n  - [\n'));
    const broken = await waitFor('a stale graph with the error', async () => {
      const d = await graph.query();
      return d.stale && d.problems.length > 0 ? d : undefined;
    }, 30_000);
    assert.ok(broken.nodes.length >= 6, 'nodes still drawn');
    assert.equal(broken.stale, true, 'marked as the last good drawing');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('while the demo runs: health colours, rates and sparklines in the graph and the tree; a killed component turns red; the chart draws its rates', async () => {
    const demo = path.join(repoRoot(), 'examples', 'demo', 'flow.yml');
    await vscode.commands.executeCommand('flowctl.services.focus');
    await vscode.commands.executeCommand('flowctl.runPipeline', vscode.Uri.file(demo));
    const runner = api.runner();
    assert.ok(runner && runner.snapshot().state === 'running', `run: ${show(runner?.snapshot().state)}`);
    const ids = runner.snapshot().components.map((c) => c.id);
    await vscode.commands.executeCommand('flowctl.showGraph', vscode.Uri.file(demo));
    const graph = api.graph.graph;

    const healthy = await waitFor('every node healthy in the graph', async () => {
      const d = await graph.query();
      return d.nodes.length === ids.length && d.nodes.every((n) => n.state === 'healthy') ? d : undefined;
    }, 60_000);
    assert.equal(healthy.edges.filter((e) => e.kind === 'input').length, 3, `the demo's three inputs links: ${show(healthy.edges)}`);
    const healthyColor = healthy.nodes[0].color;
    assert.ok(healthyColor && healthyColor !== 'none', `a health colour: ${healthyColor}`);

    // Events flow: the edges get rates, and the tree's sparkline text changes.
    const flowing = await waitFor('rates on the edges', async () => {
      const d = await graph.query();
      return d.edges.some((e) => /\/s/.test(e.label) && e.width > 1.5) ? d : undefined;
    }, 60_000);
    assert.ok(flowing.nodes.some((n) => /[▁▂▃▄▅▆▇█]/.test(n.text)), `sparklines in the nodes: ${show(flowing.nodes.map((n) => n.text))}`);
    const sparkOf = async (id: string) => componentItems(await api.treeItems()).find((i) => i.label === id)?.description ?? '';
    const first = await waitFor('a sparkline in the tree', async () => {
      const d = await sparkOf('ticker');
      return /[▁▂▃▄▅▆▇█]/.test(d) ? d : undefined;
    }, 30_000);
    const changed = await waitFor('the sparkline text changes while events flow', async () => {
      const d = await sparkOf('ticker');
      return d !== first ? d : undefined;
    }, 30_000);
    console.log(`[figures] tree sparkline: "${first}" → "${changed}"`);

    // The chart view of a component draws its recorded rates.
    await vscode.commands.executeCommand('flowctl.showComponentChart', { key: demo, id: 'enrich' });
    await waitFor('the chart drawn with points', () => (api.graph.chart.lastRender?.points ?? 0) > 2, 30_000);

    // Kill one component from outside: its node turns to the failed state and colour, like the tree's icon.
    const victim = runner.snapshot().components.find((c) => c.id === 'counter-sink')!;
    assert.ok(victim.pid && isAlive(victim.pid));
    process.kill(victim.pid, 'SIGKILL');
    const dead = await waitFor('the killed node red', async () => {
      const d = await graph.query();
      const n = d.nodes.find((x) => x.id === 'counter-sink');
      return n && n.state === 'failed' ? n : undefined;
    }, 30_000);
    assert.notEqual(dead.color, healthyColor, 'its colour changed');
    const item = componentItems(await api.treeItems()).find((i) => i.label === 'counter-sink');
    assert.equal(item?.iconColor, 'list.errorForeground', 'the tree shows the same state');
    const stats = graph.stats;
    console.log(`[figures] graph: ${stats.renders} render(s), last layout ${stats.rendered?.layoutMs.toFixed(0)} ms, render ${stats.rendered?.renderMs.toFixed(1)} ms; ${stats.livePosts} live updates, host ${stats.liveHostMs.toFixed(1)} ms, webview ${stats.appliedMs.toFixed(1)} ms`);
    assert.deepEqual(stats.errors.filter((e) => !/worker unavailable/.test(e)), [], 'no webview errors');

    // While it runs, the Runs view shows it as running (from the session; its store is locked).
    await vscode.commands.executeCommand('flowctl.runs.focus');
    await api.runs.provider.reload();
    const liveRuns = api.runs.provider.runsOf(demo);
    assert.equal(liveRuns[0]?.status, 2, `the live run first: ${show(liveRuns.map((r) => [r.runId, r.status]))}`);

    const runId = runner.snapshot().runId;
    // The live run's item offers Stop and Show Graph (contextValue `run live`); Stop from that item.
    const top = api.runs.provider.getChildren();
    const runNodes = top.flatMap((n) => (n.kind === 'pipeline' ? api.runs.provider.getChildren(n) : [n]));
    const liveNode = runNodes.find((n) => n.kind === 'run' && n.live && n.file === demo);
    assert.ok(liveNode, `the live run's item: ${show(runNodes.map((n) => n.kind))}`);
    assert.equal(api.runs.provider.getTreeItem(liveNode).contextValue, 'run live');
    const pipelineNode = top.find((n) => n.kind === 'pipeline' && n.file === demo);
    if (pipelineNode) assert.equal(api.runs.provider.getTreeItem(pipelineNode).contextValue, 'runsPipeline live');
    await vscode.commands.executeCommand('flowctl.stopPipeline', liveNode);
    await waitFor('graph back to no run', async () => (await graph.query()).nodes.every((n) => n.state === 'none'), 30_000);

    // After Stop: the run is listed from the run store with its status, events and the killed component.
    const listed = await waitFor('the stopped run in the Runs view', async () => {
      await api.runs.provider.reload();
      const items = api.runs.provider.itemsData();
      const all = items.flatMap((i) => (i.contextValue?.startsWith('runsPipeline') ? i.children : [i]));
      return all.find((i) => i.id === `run:${runId}` && /^stopped · /.test(i.description)) ?? undefined;
    }, 30_000);
    console.log(`[figures] Runs view: ${listed.label} ${listed.description}`);
    const events = Number(/([\d,]+) events/.exec(listed.description)?.[1].replace(/,/g, ''));
    assert.ok(events > 0, `events counted: ${listed.description}`);
    assert.ok(listed.children.some((c) => c.label === 'counter-sink' && /SIGKILL/.test(c.description)), `the killed component and why: ${show(listed.children)}`);

    // Open Logs opens that run's log files; Open Config shows the file as the run stored it.
    const opened = await vscode.commands.executeCommand<string[]>('flowctl.openRunLogs', runId);
    assert.ok(opened && opened.some((f) => f.endsWith('ticker.log')), `log files opened: ${show(opened)}`);
    const record = api.runs.provider.find(runId!)!;
    assert.ok(opened.every((f) => f.startsWith(record.run.logDir!)), `from the run's log folder ${record.run.logDir}`);
    assert.ok(vscode.workspace.textDocuments.some((d) => d.uri.fsPath.endsWith('ticker.log')), 'the log is open in an editor');
    // The failed component's item opens its own log file from that run's folder, at the end.
    const failure = api.runs.provider.getChildren({ kind: 'run', file: record.file, run: record.run, live: false }).find((n) => n.kind === 'failure' && n.id === 'counter-sink');
    assert.ok(failure, 'the failure item of counter-sink');
    assert.equal(api.runs.provider.getTreeItem(failure).command?.command, 'flowctl.openRunComponentLog');
    const componentLog = await vscode.commands.executeCommand<string>('flowctl.openRunComponentLog', failure);
    assert.equal(componentLog, path.join(record.run.logDir!, 'counter-sink.log'));
    const logEditor = vscode.window.activeTextEditor;
    assert.equal(logEditor?.document.uri.fsPath, componentLog, 'its log is the active editor');
    assert.equal(logEditor.selection.active.line, logEditor.document.lineCount - 1, 'at its last line');
    const configUri = await vscode.commands.executeCommand<vscode.Uri>('flowctl.openRunConfig', runId);
    const configDoc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === configUri?.toString());
    assert.match(configDoc?.getText() ?? '', /id: ticker/, 'the stored pipeline file');
    await sleep(100);
  });
});
