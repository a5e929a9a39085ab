// The layout worker: the panel fetches this bundle (a webview resource), starts it as a Web Worker
// from a blob URL (CSP `worker-src blob:`) and sends it structures to lay out. Loaded as a plain
// <script> instead (when a Worker cannot be started), it offers the same function on globalThis.
import type { GraphStructure } from '../protocol';
import { initLayout, layoutGraph } from './layout';

export interface LayoutRequest {
  reqId: number;
  structure: GraphStructure;
}

const isWorker = typeof (globalThis as { document?: unknown }).document === 'undefined' && typeof (globalThis as { importScripts?: unknown }).importScripts === 'function';

if (isWorker) {
  // ELK's bundled worker emulation sets `onmessage` when it first loads inside a worker: load it
  // first, then replace that handler with ours.
  initLayout();
  (globalThis as unknown as { onmessage: (e: MessageEvent<LayoutRequest>) => void }).onmessage = (e) => {
    const { reqId, structure } = e.data;
    layoutGraph(structure).then(
      (result) => (globalThis as unknown as { postMessage(m: unknown): void }).postMessage({ reqId, result }),
      (err: unknown) => (globalThis as unknown as { postMessage(m: unknown): void }).postMessage({ reqId, error: String((err as Error)?.message ?? err) }),
    );
  };
} else {
  (globalThis as unknown as { flowctlLayout: typeof layoutGraph }).flowctlLayout = layoutGraph;
}
