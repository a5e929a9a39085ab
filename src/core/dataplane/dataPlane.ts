// A data plane over a fixed graph whose components are all up already (tests, tools): every node is
// connected at start() and stop() ends the run the graceful way (sources cancelled, processors flush,
// sinks answer). The runner drives the DataPlaneManager directly, one component at a time.
import { Emitter } from '../typedEmitter';
import { DataPlaneManager } from './manager';
import type { ConsumeResult, DataPlaneEvent, DataPlaneOptions, NodeCounts } from './types';

export class DataPlane {
  readonly events = new Emitter<DataPlaneEvent>();
  private readonly mgr: DataPlaneManager;
  private startPromise?: Promise<void>;
  private stopPromise?: Promise<void>;

  constructor(private readonly opts: DataPlaneOptions) {
    if (!opts || !Array.isArray(opts.nodes)) throw new Error('DataPlane: "nodes" must be an array');
    if (typeof opts.endpointOf !== 'function') throw new Error('DataPlane: "endpointOf" must be a function');
    this.mgr = new DataPlaneManager({
      nodes: [],
      params: opts.params,
      maxMessageBytes: opts.maxMessageBytes,
      connectTimeoutMs: opts.connectTimeoutMs,
    });
    this.mgr.events.on((e) => this.events.emit(e));
  }

  /** Connects to every component on the graph and starts pumping. Resolves once every stream is open. */
  start(): Promise<void> {
    this.startPromise ??= (async () => {
      for (const p of this.mgr.setGraph(this.opts.nodes)) this.events.emit({ type: 'error', id: p.id, message: p.message });
      const ids = [...new Set(this.opts.nodes.map((n) => n.id))];
      await Promise.all(ids.map((id) => this.mgr.up(id, this.opts.endpointOf(id))));
    })();
    return this.startPromise;
  }

  /** Ends the run cleanly: cancels the sources, lets processors flush, half-closes sinks and awaits their ConsumeResponse. */
  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.mgr.beginDrain();
      this.mgr.cancelSources();
      await this.startPromise?.catch(() => undefined);
      await this.mgr.whenDrained(this.opts.stopTimeoutMs ?? 10_000);
      this.mgr.close();
    })();
    return this.stopPromise;
  }

  counts(): Record<string, NodeCounts> {
    return this.mgr.counts();
  }

  consumeResults(): Record<string, ConsumeResult> {
    return this.mgr.consumeResults();
  }

  totals(): { eventsProcessed: number; eventsPerSecond: number } {
    return this.mgr.totals();
  }
}
