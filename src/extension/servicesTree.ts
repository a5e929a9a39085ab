// The Services view: maps the RunModel to tree items. Refreshes are driven by the model's change
// events, coalesced (debounce + max wait, ≤ 4 updates/s) and skipped while the view is hidden
// (one refresh when it becomes visible again). Item ids are stable: source key + component id.
// Cost: a change costs O(1) (a set insert); a refresh re-sends only the component items whose look
// changed (the whole tree when most did, or when sources/components came or went); every item is
// O(1) to render (views are looked up by id, never by scanning a snapshot).
import * as vscode from 'vscode';
import type { ComponentView, RunSnapshot } from '../core/events';
import { flowFigures } from '../core/present/component';
import { presentMetrics, type PresentedMetric } from '../core/present/metrics';
import { coalesce, type Coalescer } from './coalesce';
import {
  componentContextValue,
  componentDescription,
  componentIconWhile,
  componentTooltip,
  pausedInDebugger,
  PAUSED_LABEL,
  connectedDescription,
  summarizeRun,
  type IconSpec,
} from './presentation';
import type { ModelChange, ModelSource, RunModel } from './runModel';
import { historySparkline } from '../core/history/sparkline';

/**
 * The description: the rate sparkline of the last seconds (while there is history), then flowctl's
 * own rates when it counted them (local runs, connected runs with a runner service), else what the
 * component reports; then what is wrong with the data flow.
 */
function describe(view: ComponentView, source: ModelSource): string {
  const spark = view.phase === 'running' ? historySparkline(source.history, view.id) : '';
  const debugging = source.debugging?.(view.id) ?? false;
  if (pausedInDebugger(view, debugging)) return `debugging · ${PAUSED_LABEL} (no heartbeats while paused)`;
  const base = source.readonly && !source.hasRunnerCounts ? connectedDescription(view) : componentDescription(view);
  const text = debugging ? `debugging · ${base}` : base;
  return spark ? `${spark} ${text}` : text;
}

/** The item's contextValue: the component's tags, and `debugging` while Debug Component runs it. */
function contextOf(view: ComponentView, source: ModelSource): string {
  const value = componentContextValue(view, source.readonly, source.controllable);
  return source.debugging?.(view.id) ? `${value} debugging` : value;
}

export type Role = ComponentView['role'];

export type ServiceNode =
  | { kind: 'source'; key: string }
  | { kind: 'group'; key: string; role: Role }
  | { kind: 'component'; key: string; id: string }
  | { kind: 'metric'; key: string; id: string; name: string };

const ROLE_ORDER: readonly Role[] = ['source', 'processor', 'sink', 'pipeline'];
const GROUP_LABELS: Record<Role, string> = { source: 'Sources', processor: 'Processors', sink: 'Sinks', pipeline: 'Pipelines' };
const GROUP_ICONS: Record<Role, string> = { source: 'debug-start', processor: 'symbol-event', sink: 'database', pipeline: 'type-hierarchy' };

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

/**
 * When more than this share of the components changed since the last refresh, and more than
 * FULL_REFRESH_MIN rows, the whole tree is refreshed (one refresh is cheaper than hundreds of item
 * refreshes). Small trees always get item refreshes: a whole-tree refresh re-renders every row and
 * closes a tooltip that is about to open (VS Code asks for it only after its hover delay), so with
 * a run and a connected view side by side tooltips never appeared.
 */
const FULL_REFRESH_SHARE = 0.5;
const FULL_REFRESH_MIN = 64;
/**
 * A row whose tooltip was just asked for (VS Code resolves it on hover) is not re-rendered for this
 * long: re-rendering a row closes its tooltip, and the figures change every second.
 */
const HOVER_HOLD_MS = 10_000;

type ComponentNode = Extract<ServiceNode, { kind: 'component' }>;
type MetricNode = Extract<ServiceNode, { kind: 'metric' }>;
type SourceNode = Extract<ServiceNode, { kind: 'source' }>;

/**
 * What a component's row looks like; the row is re-sent to VS Code only when this changes (a
 * re-sent row closes its open tooltip, so the figures under it are refreshed on their own).
 */
function componentSignature(view: ComponentView, source: ModelSource): string {
  return signatureOf(view, describe(view, source), iconOf(view, source), contextOf(view, source));
}

function iconOf(view: ComponentView, source: ModelSource): IconSpec {
  return componentIconWhile(view, source.debugging?.(view.id) ?? false);
}

function signatureOf(view: ComponentView, description: string, icon: IconSpec, context: string): string {
  return `${description}|${icon.id}|${icon.color ?? ''}|${context}|${hasFigures(view)}`;
}

function hasFigures(view: ComponentView): boolean {
  return view.phase === 'running' || Object.keys(view.metrics).length > 0 || view.eventsIn > 0 || view.eventsOut > 0;
}

const rowCache = new WeakMap<ComponentView, { at: number; rows: PresentedMetric[] }>();

/**
 * A component's rows under it: the runner's own figures (every second), then what the component
 * reports (humanised). Each row item asks for them, so they are kept per view for half a second
 * (long enough for one render, short enough for "N s ago" to stay right).
 */
export function metricRows(view: ComponentView, rates?: ReadonlyMap<string, number>): PresentedMetric[] {
  const now = performance.now();
  const hit = rowCache.get(view);
  if (hit && now - hit.at < 500) return hit.rows;
  const rows = [...flowFigures(view), ...presentMetrics(view.metrics, { rates })];
  rowCache.set(view, { at: now, rows });
  return rows;
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
  private readonly groupNodes = new Map<string, Extract<ServiceNode, { kind: 'group' }>>();
  /** The node list last returned per source, reused while its component ids stay the same array. */
  private readonly childLists = new Map<string, { ids: readonly string[]; nodes: ComponentNode[] }>();
  /** Signature of each component item as last handed to VS Code. */
  private readonly rendered = new Map<string, Map<string, string>>();
  /** Description of each pipeline item as last handed to VS Code. */
  private readonly renderedSources = new Map<string, string>();
  /** Components whose figures are on screen (expanded), with what their figure rows said. */
  private readonly expanded = new Map<ComponentNode, string>();
  private readonly metricNodes = new Map<string, MetricNode>();
  /** Rows whose tooltip is (probably) open, until when (performance.now()). */
  private readonly holds = new Map<ServiceNode, number>();
  private holdTimer: NodeJS.Timeout | undefined;
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

  /** O(1) per changed component: note what changed, let the coalescer deliver it. */
  private onModelChange(change: ModelChange): void {
    this.dirty = true;
    if (change.key === undefined || (change.componentId === undefined && change.componentIds === undefined)) this.fullPending = true;
    else if (!this.fullPending) {
      if (change.componentId !== undefined) this.noteChanged(change.key, change.componentId);
      for (const id of change.componentIds ?? []) this.noteChanged(change.key, id);
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
    // Only the items whose look changed; the whole tree when most of it did (unless a tooltip is open).
    const now = performance.now();
    for (const [node, until] of this.holds) if (until <= now) this.holds.delete(node);
    const nodes: ServiceNode[] = [];
    const held: Array<[string, string]> = [];
    let total = 0;
    const multi = this.model.sources().length > 1;
    for (const [key, ids] of this.changedComponents) {
      const source = this.model.get(key);
      const rendered = this.rendered.get(key);
      if (!source || !rendered) continue;
      total += source.componentIds().length;
      for (const id of ids) {
        const view = source.view(id);
        const before = rendered.get(id);
        if (!view || before === undefined) continue;
        const node = this.nodeFor(key, id);
        if (before === componentSignature(view, source)) {
          // The row reads the same: only its figures, if they are open.
          this.figureChanges(source, node, view, nodes);
          continue;
        }
        if (this.holds.has(node)) held.push([key, id]);
        else nodes.push(node);
      }
      // A pipeline item is shown (several sources, or a read-only one): its healthy count may have changed too.
      if ((multi || source.readonly) && this.renderedSources.has(key) && this.renderedSources.get(key) !== this.sourceDescription(source)) {
        const node = this.sourceNode(key);
        if (!this.holds.has(node)) nodes.push(node);
      }
    }
    this.changedComponents.clear();
    for (const [key, id] of held) this.noteChanged(key, id);
    if (held.length) this.retryAfterHolds();
    if (nodes.length === 0) return;
    this.refreshCount++;
    if (nodes.length > Math.max(FULL_REFRESH_MIN, total * FULL_REFRESH_SHARE) && this.holds.size === 0) {
      this.fullRefreshCount++;
      this.changed.fire();
    } else {
      this.itemsRefreshed += nodes.length;
      this.changed.fire(nodes);
    }
  }

  /** Figure rows of an expanded component whose text changed (all of the component when the set of rows did). */
  private figureChanges(source: ModelSource, node: ComponentNode, view: ComponentView, out: ServiceNode[]): void {
    const before = this.expanded.get(node);
    if (before === undefined) return;
    const rows = metricRows(view, source.metricRates?.(node.id));
    const now = rows.map((r) => `${r.key}=${r.value}${r.rate ?? ''}`).join('\n');
    if (now === before) return;
    this.expanded.set(node, now);
    const keysBefore = before.split('\n').map((l) => l.slice(0, l.indexOf('=')));
    if (keysBefore.length !== rows.length || rows.some((r, i) => r.key !== keysBefore[i])) {
      if (!this.holds.has(node)) out.push(node);
      return;
    }
    const lines = before.split('\n');
    rows.forEach((r, i) => {
      if (lines[i] !== `${r.key}=${r.value}${r.rate ?? ''}`) out.push(this.metricNode(node.key, node.id, r.key));
    });
  }

  /** Called by the TreeView's expand/collapse events. */
  setExpanded(element: ServiceNode, expanded: boolean): void {
    if (element.kind !== 'component') return;
    if (!expanded) this.expanded.delete(element);
    else {
      const source = this.sourceOf(element.key);
      const view = source?.view(element.id);
      this.expanded.set(element, view ? metricRows(view, source?.metricRates?.(element.id)).map((r) => `${r.key}=${r.value}${r.rate ?? ''}`).join('\n') : '');
    }
  }

  private metricNode(key: string, id: string, name: string): MetricNode {
    const k = `${key}#${id}/${name}`;
    let node = this.metricNodes.get(k);
    if (!node) {
      if (this.metricNodes.size > 10_000) this.metricNodes.clear();
      this.metricNodes.set(k, (node = { kind: 'metric', key, id, name }));
    }
    return node;
  }

  private noteChanged(key: string, id: string): void {
    let ids = this.changedComponents.get(key);
    if (!ids) this.changedComponents.set(key, (ids = new Set()));
    ids.add(id);
    this.dirty = true;
  }

  /** Rows held for an open tooltip get their refresh when the hold ends. */
  private retryAfterHolds(): void {
    if (this.holdTimer) return;
    const next = Math.min(...this.holds.values());
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      if (this.visible) this.coalescer.trigger();
    }, Math.max(50, next - performance.now() + 10));
  }

  private forgetRemovedSources(): void {
    for (const key of [...this.componentNodes.keys()]) {
      if (this.model.get(key)) continue;
      this.componentNodes.delete(key);
      this.childLists.delete(key);
      this.rendered.delete(key);
      this.renderedSources.delete(key);
      this.sourceNodes.delete(key);
      for (const node of [...this.expanded.keys()]) if (node.key === key) this.expanded.delete(node);
      for (const [k, node] of [...this.metricNodes]) if (node.key === key) this.metricNodes.delete(k);
      for (const role of ROLE_ORDER) this.groupNodes.delete(`${key}|${role}`);
    }
  }

  private groupNode(key: string, role: Role): Extract<ServiceNode, { kind: 'group' }> {
    let node = this.groupNodes.get(`${key}|${role}`);
    if (!node) this.groupNodes.set(`${key}|${role}`, (node = { kind: 'group', key, role }));
    return node;
  }

  /** Read-only (connected) runs are grouped by role: sources → processors → sinks. */
  private grouped(source: ModelSource): boolean {
    return source.readonly;
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
      // One local run: its components at the root. A connected (read-only) run always shows its
      // pipeline item, which carries the name and the read-only marker.
      if (sources.length === 1 && !sources[0].readonly) return this.childrenOf(sources[0]);
      return sources.map((s) => this.sourceNode(s.key));
    }
    if (element.kind === 'source') {
      const s = this.sourceOf(element.key);
      if (!s) return [];
      if (!this.grouped(s)) return this.childrenOf(s);
      const roles = new Set(s.componentIds().map((id) => s.view(id)?.role));
      return ROLE_ORDER.filter((r) => roles.has(r)).map((r) => this.groupNode(s.key, r));
    }
    if (element.kind === 'group') {
      const s = this.sourceOf(element.key);
      return s ? this.childrenOf(s).filter((n) => s.view(n.id)?.role === element.role) : [];
    }
    if (element.kind === 'component') {
      const view = this.viewOf(element);
      const rates = this.sourceOf(element.key)?.metricRates?.(element.id);
      const rows = view ? metricRows(view, rates) : [];
      if (this.expanded.has(element)) this.expanded.set(element, rows.map((r) => `${r.key}=${r.value}${r.rate ?? ''}`).join('\n'));
      return rows.map((m) => this.metricNode(element.key, element.id, m.key));
    }
    return [];
  }

  getParent(element: ServiceNode): ServiceNode | undefined {
    if (element.kind === 'metric') return this.nodeFor(element.key, element.id);
    if (element.kind === 'group') return this.sourceNode(element.key);
    if (element.kind === 'component') {
      const s = this.sourceOf(element.key);
      if (s && this.grouped(s)) {
        const role = s.view(element.id)?.role;
        if (role) return this.groupNode(element.key, role);
      }
      if (this.model.sources().length > 1 || s?.readonly) return this.sourceNode(element.key);
    }
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
      case 'group': {
        const s = this.sourceOf(element.key);
        const n = s ? s.componentIds().filter((id) => s.view(id)?.role === element.role).length : 0;
        const item = new vscode.TreeItem(GROUP_LABELS[element.role], vscode.TreeItemCollapsibleState.Expanded);
        item.id = `group:${element.key}|${element.role}`;
        item.description = String(n);
        item.iconPath = new vscode.ThemeIcon(GROUP_ICONS[element.role]);
        item.contextValue = 'group';
        item.tooltip = `${n} ${GROUP_LABELS[element.role].toLowerCase()}${s?.pipelineKnown ? ', in the order of the pipeline file' : ''}`;
        return item;
      }
      case 'component':
        return this.componentItem(element);
      case 'metric': {
        const view = this.viewOf(element);
        const rates = this.sourceOf(element.key)?.metricRates?.(element.id);
        const row = view ? metricRows(view, rates).find((m) => m.key === element.name) : undefined;
        const item = new vscode.TreeItem(row?.label ?? element.name, vscode.TreeItemCollapsibleState.None);
        item.id = `${element.key}#${element.id}/metric/${element.name}`;
        item.description = row ? `${row.value}${row.rate ? `  ${row.rate}` : ''}` : '';
        item.tooltip = element.name.startsWith('flowctl:') ? `${row?.label ?? ''}: counted by flowctl (updated every second)` : `${element.name} = ${row?.raw ?? ''} (reported by ${element.id})`;
        item.iconPath = new vscode.ThemeIcon(element.name.startsWith('flowctl:') ? 'pulse' : 'graph-line');
        item.contextValue = 'metric';
        return item;
      }
    }
  }

  /** Tooltips are built on hover (they show times relative to now, and cost a Markdown string per item). */
  resolveTreeItem(item: vscode.TreeItem, element: ServiceNode): vscode.TreeItem {
    if (element.kind === 'component' || element.kind === 'source') this.holds.set(element, performance.now() + HOVER_HOLD_MS);
    return this.withTooltip(item, element);
  }

  private withTooltip(item: vscode.TreeItem, element: ServiceNode): vscode.TreeItem {
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

  /** What the pipeline item says (its description); it is re-sent only when this changes. */
  private sourceDescription(source: ModelSource): string {
    const snap = source.snapshot();
    const summary = summarizeRun(snap);
    const parts = source.readonly ? [source.controllable ? 'connected' : 'read-only', summary.count + ' healthy'] : [snap.state, summary.text.replace(/^\w+… /, '')];
    if (snap.endpoint) parts.push(snap.endpoint);
    if (snap.error) parts.push(`error: ${snap.error.split('\n')[0]}`);
    return parts.join(' · ');
  }

  private sourceItem(key: string): vscode.TreeItem {
    const source = this.sourceOf(key);
    const snap: RunSnapshot | undefined = source?.snapshot();
    const item = new vscode.TreeItem(snap?.pipelineName || key, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `source:${key}`;
    if (snap && source) {
      const summary = summarizeRun(snap);
      item.description = this.sourceDescription(source);
      this.renderedSources.set(key, item.description);
      const md = new vscode.MarkdownString(undefined, true);
      md.appendMarkdown(`**${snap.pipelineName || key}**${source?.readonly ? (source.controllable ? ' — connected' : ' — read-only') : ''}\n\n`);
      if (snap.file) md.appendMarkdown(`- Pipeline file: \`${snap.file}\`\n`);
      if (snap.endpoint) md.appendMarkdown(`- Control plane: \`${snap.endpoint}\`\n`);
      md.appendMarkdown(`- ${summary.text}\n`);
      if (summary.waiting.length) md.appendMarkdown(`- $(warning) ${summary.waiting.map((w) => `${w.id} waiting for ${w.on.join(', ') || 'input'}`).join('; ')}\n`);
      if (source?.readonly && source.controllable) md.appendMarkdown(`\nThis run is yours but runs in another process: its components can be restarted, stopped and started from here (through its runner service); refreshed every few seconds.\n`);
      else if (source?.readonly) md.appendMarkdown(`\nThis run belongs to another process: shown read-only (refreshed every few seconds).${source.pipelineKnown ? '' : ' Its pipeline file is not readable here, so components are grouped by their role only.'}\n`);
      if (snap.error) md.appendMarkdown(`\n$(error) ${snap.error.split('\n')[0]}\n`);
      item.tooltip = md;
    }
    item.iconPath = new vscode.ThemeIcon(source?.readonly ? (source.controllable ? 'plug' : 'lock') : 'server-process');
    item.contextValue = source?.readonly ? (source.controllable ? 'pipeline remote' : 'pipeline readonly') : 'pipeline';
    return item;
  }

  private componentItem(node: { key: string; id: string }): vscode.TreeItem {
    const source = this.sourceOf(node.key);
    const view = this.viewOf(node);
    const hasMetrics = !!view && hasFigures(view);
    const item = new vscode.TreeItem(node.id, hasMetrics ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `${node.key}#${node.id}`;
    if (!view || !source) return item;
    let rendered = this.rendered.get(node.key);
    if (!rendered) this.rendered.set(node.key, (rendered = new Map()));
    // Each part once (the signature is made of what the row shows).
    const description = describe(view, source);
    const icon = iconOf(view, source);
    const context = contextOf(view, source);
    rendered.set(node.id, signatureOf(view, description, icon, context));
    item.description = description;
    item.iconPath = themeIcon(icon);
    item.contextValue = context;
    if (!source.readonly) {
      // A click shows the component's terminal and leaves the keyboard in the tree (Show Logs takes it).
      item.command = { command: 'flowctl.revealComponentTerminal', title: 'Show Terminal', arguments: [{ key: node.key, id: node.id }] };
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
      const item = this.withTooltip(this.getTreeItem(node), node);
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
    clearTimeout(this.holdTimer);
    this.coalescer.dispose();
    this.subscription.dispose();
    this.changed.dispose();
  }
}
