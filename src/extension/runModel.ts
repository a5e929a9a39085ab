// The data repository behind the Services view, status bar and CodeLens (Aspire's
// AppHostDataRepository pattern): it holds the sources of component data (runs started in this
// window, or a control plane connected read-only) and says when something changed. Views only
// map its data to UI; they never talk to the runner themselves.
import * as vscode from 'vscode';
import type { RunSnapshot } from '../core/events';

export interface ModelSource {
  /** Stable key: the pipeline file, or `connect:<endpoint>`. */
  readonly key: string;
  readonly readonly: boolean;
  /** Current picture (cheap). */
  snapshot(): RunSnapshot;
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
  private failure: RunFailure | undefined;
  /** Fires on every change (un-coalesced; consumers coalesce). The argument is the source key. */
  readonly onDidChange = this.changed.event;
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

  notify(key?: string): void {
    this.changeCount++;
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
  }
}
