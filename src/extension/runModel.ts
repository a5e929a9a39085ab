// The data repository behind the Services view, status bar and CodeLens (Aspire's
// AppHostDataRepository pattern): it holds the sources of component data (runs started in this
// window, or a control plane connected read-only) and says when something changed. Views only
// map its data to UI; they never talk to the runner themselves.
//
// Per-event cost is O(1): component changes (heartbeats, ~1,000/s with a thousand components) are
// batched by their run (ComponentBatch) and fire two events per batch without copying anything; views read single components through
// `ModelSource.view(id)` and take a snapshot (which copies every component) at most once per
// coalesced update.
import * as vscode from 'vscode';
import type { ComponentView, RunSnapshot } from '../core/events';
import type { MetricHistory } from '../core/history/metricHistory';

export interface ModelSource {
  /** Stable key: the pipeline file, or `connect:<endpoint>`. */
  readonly key: string;
  readonly readonly: boolean;
  /** Current picture. O(components): call it once per update, not per item or per event. */
  snapshot(): RunSnapshot;
  /** Component ids in pipeline order (O(1): the same array until the set of components changes). */
  componentIds(): readonly string[];
  /** One component's current view (O(1)); do not modify it. */
  view(id: string): ComponentView | undefined;
  /** Per-second rates of the component's counter metrics between its last two heartbeats, if known. */
  metricRates?(id: string): ReadonlyMap<string, number> | undefined;
  /** A connected run's file: whether its component order and roles come from the pipeline file. */
  readonly pipelineKnown?: boolean;
  /** A connected run that this user owns (runner service + owner token): its components can be controlled. */
  readonly controllable?: boolean;
  /** A connected run whose figures come from its runner (its own counts and rates). */
  readonly hasRunnerCounts?: boolean;
  /** Recent rates and metrics per component (runs of this window; undefined for connections). */
  readonly history?: MetricHistory;
  /** True while the component runs under a debugger started by Debug Component (runs of this window). */
  debugging?(id: string): boolean;
}

/** What changed: a whole source (or everything, without key), or one component of a source. */
export interface ModelChange {
  key: string | undefined;
  /** Set when only this component of `key` changed (its view; not the set of components). */
  componentId?: string;
  /** Set when only these components of `key` changed (a batch of component changes; see notifyComponents). */
  componentIds?: readonly string[];
}

export interface RunFailure {
  file: string;
  pipelineName: string;
  error: string;
  time: number;
}

export class RunModel implements vscode.Disposable {
  private readonly sourcesByKey = new Map<string, ModelSource>();
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  private readonly detailed = new vscode.EventEmitter<ModelChange>();
  private failure: RunFailure | undefined;
  /** Fires on every change (un-coalesced; consumers coalesce). The argument is the source key. */
  readonly onDidChange = this.changed.event;
  /** Fires on every change too (just before onDidChange), saying whether only one component changed. */
  readonly onDidChangeDetail = this.detailed.event;
  /** How many change notifications came in (for tests and the coalescing figures). */
  changeCount = 0;

  add(source: ModelSource): void {
    this.sourcesByKey.set(source.key, source);
    this.notify(source.key);
  }

  remove(key: string): void {
    if (this.sourcesByKey.delete(key)) this.notify(key);
  }

  get(key: string): ModelSource | undefined {
    return this.sourcesByKey.get(key);
  }

  sources(): ModelSource[] {
    return [...this.sourcesByKey.values()];
  }

  /** Runs started in this window (not read-only connections). */
  runs(): ModelSource[] {
    return this.sources().filter((s) => !s.readonly);
  }

  /** A source changed as a whole (state, endpoint, its set of components), or everything (no key). */
  notify(key?: string): void {
    this.changeCount++;
    this.detailed.fire({ key });
    this.changed.fire(key);
  }

  /** Only one component of a source changed (its phase, health, heartbeat, metrics…). */
  notifyComponent(key: string, componentId: string): void {
    this.changeCount++;
    this.detailed.fire({ key, componentId });
    this.changed.fire(key);
  }

  /**
   * Only these components of a source changed: ONE notification for the whole batch (a run with a
   * thousand components delivers its heartbeats this way, a few times a second, not one by one).
   * `changeCount` still counts every component.
   */
  notifyComponents(key: string, componentIds: readonly string[]): void {
    if (componentIds.length === 0) return;
    if (componentIds.length === 1) return this.notifyComponent(key, componentIds[0]);
    this.changeCount += componentIds.length;
    this.detailed.fire({ key, componentIds });
    this.changed.fire(key);
  }

  get lastFailure(): RunFailure | undefined {
    return this.failure;
  }

  setFailure(failure: RunFailure | undefined): void {
    this.failure = failure;
    this.notify(failure?.file);
  }

  dispose(): void {
    this.sourcesByKey.clear();
    this.changed.dispose();
    this.detailed.dispose();
  }
}
