// The graph layout in the webview: ELK runs in a Web Worker (its own worker script,
// dist/webview/layout.js), driven through elk-api, so a 1,000-node layout never blocks the panel.
// What the layout asks for is in elkGraph.ts.
import ELK from 'elkjs/lib/elk-api.js';
import type { GraphStructure } from '../protocol';
import { fromElkGraph, toElkGraph, type LayoutResult } from './elkGraph';

export type { LayoutResult } from './elkGraph';

/** A layout function backed by ELK running in the worker `makeWorker` starts (timed from request to answer). */
export function elkLayouter(makeWorker: () => Worker): (structure: GraphStructure) => Promise<LayoutResult> {
  const elk = new ELK({ workerFactory: makeWorker });
  return async (structure) => {
    const started = performance.now();
    const out = await elk.layout(toElkGraph(structure));
    return fromElkGraph(out, performance.now() - started);
  };
}
