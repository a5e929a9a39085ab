// The Services view: maps the RunModel to tree items. Refreshes are driven by the model's change
// events, coalesced (debounce + max wait, ≤ 4 updates/s) and skipped while the view is hidden
// (one refresh when it becomes visible again). Item ids are stable: source key + component id.
import * as vscode from 'vscode';
import type { ComponentView, RunSnapshot } from '../core/events';
import { coalesce, type Coalescer } from './coalesce';
import {
  componentContextValue,
  componentDescription,
  componentIcon,
  componentTooltip,
  healthCount,
  type IconSpec,
} from './presentation';
import type { ModelSource, RunModel } from './runModel';

export type ServiceNode =
  | { kind: 'source'; key: string }
  | { kind: 'component'; key: string; id: string }
  | { kind: 'metric'; key: string; id: string; name: string };

/** Plain data of one rendered item (what the in-host tests read). */
export interface TreeItemData {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  contextValue?: string;
  icon?: string;
  iconColor?: string;
  children: TreeItemData[];
}

function themeIcon(spec: IconSpec): vscode.ThemeIcon {
  return new vscode.ThemeIcon(spec.id, spec.color ? new vscode.ThemeColor(spec.color) : undefined);
}

export class ServicesTreeProvider implements vscode.TreeDataProvider<ServiceNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ServiceNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly coalescer: Coalescer;
  private readonly subscription: vscode.Disposable;
  private visible = false;
  private dirty = false;
  /** Refreshes actually delivered to VS Code (for tests and figures). */
  refreshCount = 0;

  constructor(
    private readonly model: RunModel,
    options: { debounceMs?: number; maxWaitMs?: number } = {},
  ) {
    this.coalescer = coalesce(() => this.fire(), options.debounceMs ?? 100, options.maxWaitMs ?? 250);
    this.subscription = model.onDidChange(() => this.onModelChange());
  }

  /** Called by the TreeView's visibility events. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible && this.dirty) this.fire();
  }

  /** Manual refresh: not debounced. */
  refresh(): void {
    if (this.coalescer.pending) this.coalescer.flush();
    else this.fire();
  }

  private onModelChange(): void {
    this.dirty = true;
    if (this.visible) this.coalescer.trigger();
  }

  private fire(): void {
    this.dirty = false;
    this.refreshCount++;
    this.changed.fire();
  }

  private sourceOf(key: string): ModelSource | undefined {
    return this.model.get(key);
  }

  private viewOf(node: { key: string; id: string }): ComponentView | undefined {
    return this.sourceOf(node.key)
      ?.snapshot()
      .components.find((c) => c.id === node.id);
  }

  getChildren(element?: ServiceNode): ServiceNode[] {
    if (!element) {
      const sources = this.model.sources();
      if (sources.length === 1) return this.componentNodes(sources[0]);
      return sources.map((s) => ({ kind: 'source', key: s.key }));
    }
    if (element.kind === 'source') {
      const s = this.sourceOf(element.key);
      return s ? this.componentNodes(s) : [];
    }
    if (element.kind === 'component') {
      const view = this.viewOf(element);
      return view ? Object.keys(view.metrics).map((name) => ({ kind: 'metric', key: element.key, id: element.id, name })) : [];
    }
    return [];
  }

  getParent(element: ServiceNode): ServiceNode | undefined {
    if (element.kind === 'metric') return { kind: 'component', key: element.key, id: element.id };
    if (element.kind === 'component' && this.model.sources().length > 1) return { kind: 'source', key: element.key };
    return undefined;
  }

  private componentNodes(source: ModelSource): ServiceNode[] {
    return source.snapshot().components.map((c) => ({ kind: 'component', key: source.key, id: c.id }));
  }

  getTreeItem(element: ServiceNode): vscode.TreeItem {
    switch (element.kind) {
      case 'source':
        return this.sourceItem(element.key);
      case 'component':
        return this.componentItem(element);
      case 'metric': {
        const view = this.viewOf(element);
        const item = new vscode.TreeItem(element.name, vscode.TreeItemCollapsibleState.None);
        item.id = `${element.key}#${element.id}/metric/${element.name}`;
        item.description = view?.metrics[element.name] ?? '';
        item.iconPath = new vscode.ThemeIcon('graph-line');
        item.contextValue = 'metric';
        return item;
      }
    }
  }

  private sourceItem(key: string): vscode.TreeItem {
    const source = this.sourceOf(key);
    const snap: RunSnapshot | undefined = source?.snapshot();
    const item = new vscode.TreeItem(snap?.pipelineName || key, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `source:${key}`;
    if (snap) {
      const { healthy, total } = healthCount(snap);
      item.description = `${snap.state} · ${healthy}/${total} healthy${snap.endpoint ? ` · ${snap.endpoint}` : ''}`;
      item.tooltip = snap.error ? `${snap.file}\n${snap.error}` : snap.file || snap.endpoint;
    }
    item.iconPath = new vscode.ThemeIcon(source?.readonly ? 'plug' : 'server-process');
    item.contextValue = source?.readonly ? 'pipeline readonly' : 'pipeline';
    return item;
  }

  private componentItem(node: { key: string; id: string }): vscode.TreeItem {
    const source = this.sourceOf(node.key);
    const view = this.viewOf(node);
    const hasMetrics = !!view && Object.keys(view.metrics).length > 0;
    const item = new vscode.TreeItem(node.id, hasMetrics ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `${node.key}#${node.id}`;
    if (!view) return item;
    item.description = componentDescription(view);
    const md = new vscode.MarkdownString(componentTooltip(view));
    md.supportThemeIcons = true;
    item.tooltip = md;
    item.iconPath = themeIcon(componentIcon(view));
    item.contextValue = componentContextValue(view, !!source?.readonly);
    if (!source?.readonly) {
      item.command = { command: 'flowctl.showComponentLogs', title: 'Show Logs', arguments: [{ key: node.key, id: node.id }] };
    }
    return item;
  }

  /** Every item rendered to plain data (children included). */
  async itemsData(element?: ServiceNode): Promise<TreeItemData[]> {
    const out: TreeItemData[] = [];
    for (const node of this.getChildren(element)) {
      const item = this.getTreeItem(node);
      const icon = item.iconPath instanceof vscode.ThemeIcon ? item.iconPath : undefined;
      out.push({
        id: item.id ?? '',
        label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
        description: typeof item.description === 'string' ? item.description : undefined,
        tooltip: item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : item.tooltip,
        contextValue: item.contextValue,
        icon: icon?.id,
        iconColor: icon?.color?.id,
        children: await this.itemsData(node),
      });
    }
    return out;
  }

  dispose(): void {
    this.coalescer.dispose();
    this.subscription.dispose();
    this.changed.dispose();
  }
}
