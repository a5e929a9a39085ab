// Wires the graph and the chart into the extension: commands flowctl.showGraph and
// flowctl.showComponentChart, and the panels behind them.
import * as vscode from 'vscode';
import type { FlowctlContext } from '../context';
import { parseDocument } from '../pipelineDocs';
import { registerReportingCommand } from '../reportingCommand';
import { ChartPanel } from './chartPanel';
import { GraphPanel } from './graphPanel';

export interface GraphFeature {
  graph: GraphPanel;
  chart: ChartPanel;
}

/** The pipeline file the graph command is about: the argument, the active pipeline editor, the running pipeline, or the workspace's one. */
async function graphFile(ctx: FlowctlContext, arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && typeof (arg as { key?: unknown }).key === 'string' && !(arg as { key: string }).key.startsWith('connect:')) {
    return (arg as { key: string }).key;
  }
  // A pipeline or run item of the Runs view.
  if (arg && typeof arg === 'object' && typeof (arg as { file?: unknown }).file === 'string' && ((arg as { kind?: unknown }).kind === 'run' || (arg as { kind?: unknown }).kind === 'pipeline')) {
    return (arg as { file: string }).file;
  }
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.scheme === 'file' && (await parseDocument(editor.document)).isPipeline) return editor.document.fileName;
  const running = ctx.session();
  if (running) return running.file;
  const found = await vscode.workspace.findFiles('**/flow.{yml,yaml}', '**/node_modules/**', 50);
  if (found.length === 1) return found[0].fsPath;
  if (found.length === 0) {
    void vscode.window.showInformationMessage('flowctl: open a pipeline file (flow.yml) to show its graph.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), file: u.fsPath })),
    { placeHolder: 'Graph of which pipeline file?' },
  );
  return pick?.file;
}

export function registerGraph(ctx: FlowctlContext, hooks: { revealInTree(ref: { key: string; id: string }): Promise<void> }): GraphFeature {
  const graph = new GraphPanel(ctx, hooks);
  const chart = new ChartPanel(ctx);
  const register = (id: string, fn: (arg?: unknown) => unknown) => registerReportingCommand(ctx, id, fn);
  ctx.pushExtCleanup(
    graph,
    chart,
    register('flowctl.showGraph', async (arg) => {
      const file = await graphFile(ctx, arg);
      if (file) graph.show(file);
      return file;
    }),
    register('flowctl.showComponentChart', async (arg) => {
      const ref = arg as { key?: unknown; id?: unknown } | undefined;
      if (ref && typeof ref.key === 'string' && typeof ref.id === 'string') {
        chart.show({ key: ref.key, id: ref.id });
        return;
      }
      const session = ctx.session();
      if (!session) {
        void vscode.window.showInformationMessage('flowctl: no pipeline is running; metrics are recorded while a pipeline runs.');
        return;
      }
      const id = typeof arg === 'string' ? arg : await vscode.window.showQuickPick([...session.componentIds()], { placeHolder: 'Chart of which component?' });
      if (id) chart.show({ key: session.file, id });
    }),
  );
  return { graph, chart };
}
