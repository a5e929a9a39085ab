// Entry of the webview bundle (dist/webview/main.js): the pipeline graph or a component's metrics
// chart, depending on `data-view` of <body> (the host writes it). Talks to the extension host only
// through postMessage; remembers its viewport with the webview state API.
import type { GraphStructure, GraphToHost, GraphViewState } from '../protocol';
import { ChartView } from './chartView';
import { GraphView } from './graphView';
import { elkLayouter, type LayoutResult } from './layout';

declare function acquireVsCodeApi(): {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};

const vscode = acquireVsCodeApi();

/**
 * Lays out with ELK in a Web Worker: the worker script (a webview resource) is fetched and started
 * from a blob URL (webviews cannot start workers from their resource URLs; CSP `worker-src blob:`).
 */
function makeLayouter(workerUrl: string): (s: GraphStructure) => Promise<LayoutResult> {
  const layouter: Promise<(s: GraphStructure) => Promise<LayoutResult>> = fetch(workerUrl)
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((code) => {
      const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
      return elkLayouter(() => new Worker(url));
    });
  layouter.catch((err: unknown) => {
    vscode.postMessage({ type: 'error', message: `cannot start the layout worker: ${String((err as Error)?.message ?? err)}` } satisfies GraphToHost);
  });
  return async (structure) => (await layouter)(structure);
}

const body = document.body;
if (body.dataset.view === 'chart') {
  const view = new ChartView(vscode);
  window.addEventListener('message', (e) => view.onMessage(e.data));
  vscode.postMessage({ type: 'ready' });
} else {
  const view = new GraphView(vscode as never, makeLayouter(body.dataset.layout ?? ''));
  window.addEventListener('message', (e) => view.onMessage(e.data));
  vscode.postMessage({ type: 'ready', state: vscode.getState() as GraphViewState | undefined } satisfies GraphToHost);
}
