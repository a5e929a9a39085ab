// The Services view: maps the RunModel to tree items. Refreshes are driven by the model's change
// events, coalesced (debounce + max wait, ≤ 4 updates/s) and skipped while the view is hidden
// (one refresh when it becomes visible again). Item ids are stable: source key + component id.
// Cost: a change costs O(1) (a set insert); a refresh re-sends only the component items whose look
// changed (the whole tree when most did, or when sources/components came or went); every item is
// O(1) to render (views are looked up by id, never by scanning a snapshot).
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
import type { ModelChange, ModelSource, RunModel } from './runModel';
import { historySparkline } from '../core/history/sparkline';

/** The description: the rate sparkline of the last seconds (while there is history) before the state or figure. */
function describeComponent(view: ComponentView, source: ModelSource): string {
  const spark = view.phase === 'running' ? historySparkline(source.history, view.id) : '';
  const text = source.debugging?.(view.id) ? `debugging · ${componentDescription(view)}` : componentDescription(view);
  return spark ? `${spark} ${text}` : text;
}

/** The item's contextValue: the component's tags, and `debugging` while Debug Component runs it. */
function contextOf(view: ComponentView, source: ModelSource): string {
  const value = componentContextValue(view, source.readonly);
  return source.debugging?.(view.id) ? `${value} debugging` : value;
}

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

/** When more than this share of the components changed since the last refresh, the whole tree is refreshed. */
const FULL_REFRESH_SHARE = 0.5;

type ComponentNode = Extract<ServiceNode, { kind: 'component' }>;
type SourceNode = Extract<ServiceNode, { kind: 'source' }>;

/** What a component item looks like; an item is re-sent to VS Code only when this changes. */
function componentSignature(view: ComponentView, source: ModelSource): string {
  const icon = componentIcon(view);
  let sig = `${describeComponent(view, source)}|${icon.id}|${icon.color ?? ''}|${contextOf(view, source)}`;
  for (const name in view.metrics) sig += `|${name}=${view.metrics[name]}`;
  return sig;
}

export class ServicesTreeProvider implements vscode.TreeDataProvider<ServiceNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ServiceNode | ServiceNode[] | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly coalescer: Coalescer;
  private readonly subscription: vscode.Disposable;
  private visible = false;
  private dirty = false;
  /** A change that needs the whole tree (sources, set of components, state) is pending. */
  private fullPending = false;
  /** Components changed since the last refresh, per source key (bounded by the component count). */
  private readonly changedComponents = new Map<string, Set<string>>();
  /** Stable node objects (VS Code matches refreshed elements by identity), per source key and id. */
  private readonly componentNodes = new Map<string, Map<string, ComponentNode>>();
  private readonly sourceNodes = new Map<string, SourceNode>();
  /** The node list last returned per source, reused while its component ids stay the same array. */
  private readonly childLists = new Map<string, { ids: readonly string[]; nodes: ComponentNode[] }>();
  /** Signature of each component item as last handed to VS Code. */
  private readonly rendered = new Map<string, Map<string, string>>();
  /** Refreshes actually delivered to VS Code (for tests and figures): all, whole-tree, and items re-sent by partial ones. */
  refreshCount = 0;
  fullRefreshCount = 0;
  itemsRefreshed = 0;

  constructor(
    private readonly model: RunModel,
    options: { debounceMs?: number; maxWaitMs?: number } = {},
  ) {
    this.coalescer = coalesce(() => this.fire(), options.debounceMs ?? 100, options.maxWaitMs ?? 250);
    this.subscription = model.onDidChangeDetail((change) => this.onModelChange(change));
  }

  /** Called by the TreeView's visibility events. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible && this.dirty) {
      // Whatever piled up while hidden: one refresh of the whole tree.
      this.fullPending = true;
      this.fire();
    }
  }

  /** Manual refresh: not debounced, the whole tree. */
  refresh(): void {
    this.fullPending = true;
    if (this.coalescer.pending) this.coalescer.flush();
    else this.fire();
  }

  /** O(1) per change: note what changed, let the coalescer deliver it. */
  private onModelChange(change: ModelChange): void {
    this.dirty = true;
    if (change.componentId === undefined || change.key === undefined) this.fullPending = true;
    else if (!this.fullPending) {
      let ids = this.changedComponents.get(change.key);
      if (!ids) this.changedComponents.set(change.key, (ids = new Set()));
      ids.add(change.componentId);
    }
    if (this.visible) this.coalescer.trigger();
  }

  private fire(): void {
    this.dirty = false;
    if (this.fullPending) {
      this.fullPending = false;
      this.changedComponents.clear();
      this.forgetRemovedSources();
      this.refreshCount++;
      this.fullRefreshCount++;
      this.changed.fire();
      return;
    }
    // Only the items whose look changed; the whole tree when most of it did.
    const nodes: ServiceNode[] = [];
    let total = 0;
    const multi = this.model.sources().length > 1;
    for (const [key, ids] of this.changedComponents) {
      const source = this.model.get(key);
      const rendered = this.rendered.get(key);
      if (!source || !rendered) continue;
      total += source.componentIds().length;
      let sourceChanged = false;
      for (const id of ids) {
        const view = source.view(id);
        const before = rendered.get(id);
        if (!view || before === undefined || before === componentSignature(view, source)) continue;
        sourceChanged = true;
        nodes.push(this.nodeFor(key, id));
      }
      // Several sources: the pipeline item's healthy count may have changed too.
      if (multi && sourceChanged) nodes.push(this.sourceNode(key));
    }
    this.changedComponents.clear();
    if (nodes.length === 0) return;
    this.refreshCount++;
    if (nodes.length > total * FULL_REFRESH_SHARE) {
      this.fullRefreshCount++;
      this.changed.fire();
    } else {
      this.itemsRefreshed += nodes.length;
      this.changed.fire(nodes);
    }
  }

  private forgetRemovedSources(): void {
    for (const key of [...this.componentNodes.keys()]) {
      if (this.model.get(key)) continue;
      this.componentNodes.delete(key);
      this.childLists.delete(key);
      this.rendered.delete(key);
      this.sourceNodes.delete(key);
    }
  }

  /** The tree's node object for a component (the same object every time, as VS Code needs). */
  nodeFor(key: string, id: string): ComponentNode {
    let byId = this.componentNodes.get(key);
    if (!byId) this.componentNodes.set(key, (byId = new Map()));
    let node = byId.get(id);
    if (!node) byId.set(id, (node = { kind: 'component', key, id }));
    return node;
  }

  private sourceNode(key: string): SourceNode {
    let node = this.sourceNodes.get(key);
    if (!node) this.sourceNodes.set(key, (node = { kind: 'source', key }));
    return node;
  }

  private sourceOf(key: string): ModelSource | undefined {
    return this.model.get(key);
  }

  /** O(1): the component's current view from its source. */
  private viewOf(node: { key: string; id: string }): ComponentView | undefined {
    return this.sourceOf(node.key)?.view(node.id);
  }

  getChildren(element?: ServiceNode): ServiceNode[] {
    if (!element) {
      const sources = this.model.sources();
      if (sources.length === 1) return this.childrenOf(sources[0]);
      return sources.map((s) => this.sourceNode(s.key));
    }
    if (element.kind === 'source') {
      const s = this.sourceOf(element.key);
      return s ? this.childrenOf(s) : [];
    }
    if (element.kind === 'component') {
      const view = this.viewOf(element);
      return view ? Object.keys(view.metrics).map((name) => ({ kind: 'metric', key: element.key, id: element.id, name })) : [];
    }
    return [];
  }

  getParent(element: ServiceNode): ServiceNode | undefined {
    if (element.kind === 'metric') return this.nodeFor(element.key, element.id);
    if (element.kind === 'component' && this.model.sources().length > 1) return this.sourceNode(element.key);
    return undefined;
  }

  private childrenOf(source: ModelSource): ComponentNode[] {
    const ids = source.componentIds();
    const cached = this.childLists.get(source.key);
    if (cached && cached.ids === ids) return cached.nodes;
    const nodes = ids.map((id) => this.nodeFor(source.key, id));
    this.childLists.set(source.key, { ids, nodes });
    return nodes;
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

  /** Tooltips are built on hover (they show times relative to now, and cost a Markdown string per item). */
  resolveTreeItem(item: vscode.TreeItem, element: ServiceNode): vscode.TreeItem {
    if (element.kind === 'component' && item.tooltip === undefined) {
      const view = this.viewOf(element);
      if (view) item.tooltip = this.tooltipOf(view);
    }
    return item;
  }

  private tooltipOf(view: ComponentView): vscode.MarkdownString {
    const md = new vscode.MarkdownString(componentTooltip(view));
    md.supportThemeIcons = true;
    return md;
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
    if (!view || !source) return item;
    let rendered = this.rendered.get(node.key);
    if (!rendered) this.rendered.set(node.key, (rendered = new Map()));
    rendered.set(node.id, componentSignature(view, source));
    item.description = describeComponent(view, source);
    item.iconPath = themeIcon(componentIcon(view));
    item.contextValue = contextOf(view, source);
    if (!source.readonly) {
      item.command = { command: 'flowctl.showComponentLogs', title: 'Show Logs', arguments: [{ key: node.key, id: node.id }] };
    }
    return item;
  }

  /** Every item rendered to plain data (children included). */
  async itemsData(element?: ServiceNode): Promise<TreeItemData[]> {
    return this.itemsDataNow(element);
  }

  private itemsDataNow(element?: ServiceNode): TreeItemData[] {
    const out: TreeItemData[] = [];
    for (const node of this.getChildren(element)) {
      const item = this.resolveTreeItem(this.getTreeItem(node), node);
      const icon = item.iconPath instanceof vscode.ThemeIcon ? item.iconPath : undefined;
      out.push({
        id: item.id ?? '',
        label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
        description: typeof item.description === 'string' ? item.description : undefined,
        tooltip: item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : item.tooltip,
        contextValue: item.contextValue,
        icon: icon?.id,
        iconColor: icon?.color?.id,
        children: this.itemsDataNow(node),
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
