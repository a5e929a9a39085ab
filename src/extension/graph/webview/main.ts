// Entry of the webview bundle (dist/webview/main.js): the pipeline graph or a component's metrics
// chart, depending on `data-view` of <body> (the host writes it). Talks to the extension host only
// through postMessage; remembers its viewport with the webview state API.
import type { GraphStructure, GraphToHost, GraphViewState } from '../protocol';
import { ChartView } from './chartView';
import { GraphView } from './graphView';
import type { LayoutResult } from './layout';
import type { LayoutRequest } from './layoutWorker';

declare function acquireVsCodeApi(): {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};

const vscode = acquireVsCodeApi();

/** Lays out in a Web Worker started from the layout bundle (fetched, then run from a blob URL); in this thread if that fails. */
function makeLayouter(workerUrl: string, nonce: string): (s: GraphStructure) => Promise<LayoutResult> {
  let seq = 0;
  const pending = new Map<number, { resolve(r: LayoutResult): void; reject(e: Error): void }>();
  let inThread: Promise<(s: GraphStructure) => Promise<LayoutResult>> | undefined;
  const loadInThread = () =>
    (inThread ??= new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.nonce = nonce;
      script.src = workerUrl;
      script.onload = () => resolve((globalThis as unknown as { flowctlLayout: (s: GraphStructure) => Promise<LayoutResult> }).flowctlLayout);
      script.onerror = () => reject(new Error(`could not load ${workerUrl}`));
      document.head.appendChild(script);
    }));
  const worker: Promise<Worker | undefined> = fetch(workerUrl)
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((code) => {
      const w = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
      w.onmessage = (e: MessageEvent<{ reqId: number; result?: LayoutResult; error?: string }>) => {
        const p = pending.get(e.data.reqId);
        pending.delete(e.data.reqId);
        if (e.data.result) p?.resolve(e.data.result);
        else p?.reject(new Error(e.data.error ?? 'layout failed'));
      };
      return w;
    })
    .catch((err: unknown) => {
      vscode.postMessage({ type: 'error', message: `layout worker unavailable (${String((err as Error)?.message ?? err)}); laying out in the panel` } satisfies GraphToHost);
      return undefined;
    });
  return async (structure) => {
    const w = await worker;
    if (!w) return (await loadInThread())(structure);
    const reqId = ++seq;
    return new Promise<LayoutResult>((resolve, reject) => {
      pending.set(reqId, { resolve, reject });
      w.postMessage({ reqId, structure } satisfies LayoutRequest);
    });
  };
}

const body = document.body;
if (body.dataset.view === 'chart') {
  const view = new ChartView(vscode);
  window.addEventListener('message', (e) => view.onMessage(e.data));
  vscode.postMessage({ type: 'ready' });
} else {
  const view = new GraphView(vscode as never, makeLayouter(body.dataset.layout ?? '', body.dataset.nonce ?? ''));
  window.addEventListener('message', (e) => view.onMessage(e.data));
  vscode.postMessage({ type: 'ready', state: vscode.getState() as GraphViewState | undefined } satisfies GraphToHost);
}
