// The pipeline graph inside the webview: lays the structure out (ELK in a Web Worker), draws it as
// SVG (nodes, edges with arrowheads, `depends_on` dashed), then applies live updates by patching
// only what changed (classes, a few text nodes, edge widths). Zoom with the wheel or +/-, pan by
// dragging or with the arrow keys, 0 fits; Tab walks the nodes, Enter opens one (selects it in the
// Services view and shows its terminal), the context-menu key opens its menu.
import type { DomSummary, EdgeLive, GraphAction, GraphLive, GraphNodeData, GraphStructure, GraphToHost, GraphViewState, HostToGraph, NodeLive } from '../protocol';
import type { LayoutResult } from './elkGraph';
import { applyLivePatch, sameEdge, sameNode } from '../liveDiff';

const NODE_WIDTH = 220;
const NODE_HEIGHT = 70;
const SVG_NS = 'http://www.w3.org/2000/svg';
const MAX_ID_CHARS = 28;

interface VsCodeApi {
  postMessage(message: GraphToHost): void;
  getState(): GraphViewState | undefined;
  setState(state: GraphViewState): void;
}

type Layouter = (structure: GraphStructure) => Promise<LayoutResult>;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function fit(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function rate(n: number): string {
  if (!(n > 0)) return '0/s';
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k/s`;
  if (n >= 10) return `${Math.round(n)}/s`;
  return `${n.toFixed(1)}/s`;
}

/** A theme colour id (`testing.iconPassed`) as the CSS variable VS Code defines for it. */
function cssColor(id: string | undefined): string {
  return id ? `var(--vscode-${id.replace(/\./g, '-')})` : '';
}

interface NodeParts {
  g: SVGGElement;
  detail: SVGTextElement;
  spark: SVGTextElement;
  bar: SVGRectElement;
  last?: NodeLive;
}

interface EdgeParts {
  path: SVGPathElement;
  label: SVGTextElement;
  last?: EdgeLive;
  mid: { x: number; y: number };
}

export class GraphView {
  private structure: GraphStructure | undefined;
  private nodeData = new Map<string, GraphNodeData>();
  private key = '';
  private live: GraphLive | null = null;
  private nodes = new Map<string, NodeParts>();
  private edges = new Map<string, EdgeParts>();
  private laidOut = '';
  private layoutSeq = 0;
  private view: { x: number; y: number; k: number };
  private selected: string | undefined;
  private bounds = { width: 0, height: 0 };
  /** The panel remembered a viewport (a reload): keep it instead of fitting the first layout. */
  private readonly restoredView: boolean;
  /** Focus moved by the keyboard (then the focused node is scrolled into view) or by the pointer (not: it would move under the pointer). */
  private lastInput: 'pointer' | 'key' = 'pointer';
  private readonly svg: SVGSVGElement;
  private readonly viewport: SVGGElement;
  private readonly edgeLayer: SVGGElement;
  private readonly nodeLayer: SVGGElement;

  constructor(
    private readonly vscode: VsCodeApi,
    private readonly layout: Layouter,
  ) {
    const state = vscode.getState() ?? {};
    this.view = state.view ?? { x: 0, y: 0, k: 1 };
    this.restoredView = !!state.view;
    this.selected = state.selected;
    this.svg = document.getElementById('canvas') as unknown as SVGSVGElement;
    const defs = el('defs', {}, this.svg);
    for (const [id, cls] of [['arrow', 'arrow'], ['arrow-dep', 'arrow dep']] as const) {
      const m = el('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' }, defs);
      el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: cls }, m);
    }
    this.viewport = el('g', { id: 'viewport' }, this.svg);
    this.edgeLayer = el('g', { id: 'edges' }, this.viewport);
    this.nodeLayer = el('g', { id: 'nodes' }, this.viewport);
    this.wireInput();
    this.wireToolbar();
  }

  onMessage(msg: HostToGraph): void {
    switch (msg.type) {
      case 'structure':
        this.structure = msg.structure;
        this.nodeData = new Map(msg.structure.nodes.map((n) => [n.id, n]));
        this.key = msg.key;
        this.saveState();
        this.showProblems();
        if (msg.structure.signature !== this.laidOut) void this.relayout();
        else this.applyLive();
        return;
      case 'live':
        this.live = msg.live;
        this.applyLive();
        return;
      case 'livePatch':
        // A patch always follows a whole look (the host sends one first, and again after 'ready').
        if (!this.live) return;
        applyLivePatch(this.live, msg.patch);
        this.applyLive();
        return;
      case 'select':
        this.select(msg.id, true);
        return;
      case 'bench':
        void this.bench(msg.rounds, msg.reqId);
        return;
      case 'query':
        this.vscode.postMessage({ type: 'summary', reqId: msg.reqId, summary: this.summary() });
        return;
    }
  }

  // ------------------------------------------------------------------ layout and drawing

  private async relayout(): Promise<void> {
    const structure = this.structure;
    if (!structure) return;
    const seq = ++this.layoutSeq;
    document.body.classList.add('busy');
    try {
      const result = await this.layout(structure);
      if (seq !== this.layoutSeq) return; // a newer structure came meanwhile
      const renderStarted = performance.now();
      const first = this.laidOut === '' && !this.restoredView;
      this.draw(structure, result);
      this.laidOut = structure.signature;
      if (first) this.fitView();
      this.applyLive();
      const renderMs = performance.now() - renderStarted;
      this.vscode.postMessage({ type: 'rendered', signature: structure.signature, layoutMs: result.ms, renderMs, nodes: structure.nodes.length, edges: structure.edges.length });
    } catch (err) {
      this.vscode.postMessage({ type: 'error', message: `layout failed: ${String((err as Error)?.message ?? err)}` });
      this.setStatus(`Layout failed: ${String((err as Error)?.message ?? err)}`);
    } finally {
      if (seq === this.layoutSeq) document.body.classList.remove('busy');
    }
  }

  private draw(structure: GraphStructure, result: LayoutResult): void {
    this.nodeLayer.replaceChildren();
    this.edgeLayer.replaceChildren();
    this.nodes.clear();
    this.edges.clear();
    this.bounds = { width: result.width, height: result.height };
    const placed = new Map(result.nodes.map((n) => [n.id, n]));
    const routes = new Map(result.edges.map((e) => [e.id, e.points]));
    const edgeFrag = document.createDocumentFragment();
    for (const e of structure.edges) {
      const points = routes.get(e.id) ?? [];
      if (points.length < 2) continue;
      const g = el('g', { class: `edge ${e.kind}`, 'data-id': e.id, 'data-from': e.from, 'data-to': e.to, 'data-kind': e.kind });
      const d = points.map((p, i) => `${i ? 'L' : 'M'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
      const path = el('path', { d, 'marker-end': `url(#${e.kind === 'input' ? 'arrow' : 'arrow-dep'})` }, g);
      const title = el('title', {}, g);
      title.textContent = e.kind === 'input' ? `${e.from} → ${e.to} (inputs)` : `${e.to} depends on ${e.from} (depends_on)`;
      // The label sits on the longest segment.
      let best = 0;
      let mid = { x: points[0].x, y: points[0].y };
      for (let i = 1; i < points.length; i++) {
        const len = Math.abs(points[i].x - points[i - 1].x) + Math.abs(points[i].y - points[i - 1].y);
        if (len > best) {
          best = len;
          mid = { x: (points[i].x + points[i - 1].x) / 2, y: (points[i].y + points[i - 1].y) / 2 };
        }
      }
      const label = el('text', { class: 'edge-label', x: mid.x.toFixed(1), y: (mid.y - 4).toFixed(1), 'text-anchor': 'middle' }, g);
      edgeFrag.appendChild(g);
      this.edges.set(e.id, { path, label, mid });
    }
    this.edgeLayer.appendChild(edgeFrag);

    const nodeFrag = document.createDocumentFragment();
    for (const n of structure.nodes) {
      const p = placed.get(n.id);
      if (!p) continue;
      const context = nodeContext(n.role === 'missing' ? 'missing' : 'node', this.key, n.componentId, false);
      const g = el('g', {
        class: `node role-${n.role}${n.invalid ? ' invalid' : ''}`,
        'data-id': n.id,
        'data-state': 'none',
        'data-vscode-context': context,
        transform: `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`,
        tabindex: 0,
        role: 'button',
        'aria-label': `${n.componentId || n.id}, ${n.role}${n.invalid ? `, problem: ${n.invalid}` : ''}`,
      });
      el('rect', { class: 'box', width: NODE_WIDTH, height: NODE_HEIGHT, rx: 4 }, g);
      const bar = el('rect', { class: 'bar', width: 5, height: NODE_HEIGHT, rx: 2 }, g);
      const title = el('text', { class: 'title', x: 14, y: 19 }, g);
      title.textContent = fit(n.componentId || (n.role === 'missing' ? n.id.slice(1) : '(no id)'), MAX_ID_CHARS);
      const kind = el('text', { class: 'kind', x: 14, y: 35 }, g);
      kind.textContent = fit(`${n.role} · ${n.kind}`, 34);
      const detail = el('text', { class: 'detail', x: 14, y: 51 }, g);
      detail.textContent = n.invalid ? fit(n.invalid, 36) : '';
      const spark = el('text', { class: 'spark', x: 14, y: 64 }, g);
      const tip = el('title', {}, g);
      tip.textContent = `${n.componentId || n.id} (${n.role}, ${n.kind})${n.line ? `, line ${n.line}` : ''}${n.invalid ? `\n${n.invalid}` : ''}`;
      nodeFrag.appendChild(g);
      this.nodes.set(n.id, { g, detail, spark, bar });
    }
    this.nodeLayer.appendChild(nodeFrag);
    if (this.selected && this.nodes.has(this.selected)) this.nodes.get(this.selected)!.g.classList.add('selected');
    this.applyView();
    const s = structure;
    this.setStatus(`${s.name} — ${s.nodes.length} component${s.nodes.length === 1 ? '' : 's'}, ${s.edges.filter((e) => e.kind === 'input').length} input link(s)`);
  }

  /** Patches the live look onto the drawn graph: only nodes and edges whose figures changed are touched. */
  private applyLive(): void {
    const started = performance.now();
    const live = this.live;
    document.body.dataset.run = live ? live.runState : 'none';
    for (const [id, parts] of this.nodes) {
      const nl = live?.nodes[id];
      if (sameNode(parts.last, nl)) continue;
      parts.last = nl;
      const state = nl?.state ?? 'none';
      parts.g.dataset.state = state;
      const color = cssColor(nl?.color);
      parts.g.style.setProperty('--state-color', color || 'var(--vscode-disabledForeground)');
      const data = this.nodeData.get(id);
      const invalid = data?.invalid;
      // The context menu offers Debug or Stop Debugging (data-vscode-context keys are context keys).
      if (data && data.role !== 'missing') parts.g.setAttribute('data-vscode-context', nodeContext('node', this.key, data.componentId, !!nl?.debugging));
      if (nl) {
        const figures = `in ${rate(nl.inRate)} · out ${rate(nl.outRate)}`;
        const extra = [nl.dropped ? `${nl.dropped} dropped` : '', nl.queued ? `${nl.queued} queued` : ''].filter(Boolean).join(' · ');
        parts.detail.textContent = fit(nl.state === 'healthy' || nl.state === 'idle' || nl.state === 'waiting' ? `${nl.detail} · ${figures}` : nl.detail, 40);
        parts.spark.textContent = extra ? fit(`${nl.spark.trim()} ${extra}`, 36) : nl.spark;
      } else {
        parts.detail.textContent = invalid ? fit(invalid, 36) : '';
        parts.spark.textContent = '';
      }
    }
    for (const [id, parts] of this.edges) {
      const l = live?.edges[id];
      if (sameEdge(parts.last, l)) continue;
      parts.last = l;
      const width = l ? Math.min(7, 1.5 + Math.log10(1 + l.rate) * 1.6) : 1.5;
      parts.path.setAttribute('stroke-width', width.toFixed(2));
      const bits = l ? [l.rate > 0 ? rate(l.rate) : '', l.dropped ? `${l.dropped} dropped` : '', l.queued ? `${l.queued} queued` : '', l.held ? 'held' : ''].filter(Boolean) : [];
      parts.label.textContent = bits.join(' · ');
      parts.label.classList.toggle('warn', !!l && (l.dropped > 0 || l.queued > 0 || l.held));
    }
    if (live) this.vscode.postMessage({ type: 'applied', ms: performance.now() - started });
    this.updateDetails();
  }

  private showProblems(): void {
    const box = document.getElementById('problems')!;
    const s = this.structure;
    const lines = s ? [...s.problems] : [];
    if (s?.moreProblems) lines.push(`… and ${s.moreProblems} more (see the Problems panel)`);
    if (s?.stale) lines.unshift('The file cannot be read as a pipeline right now; the last graph that could is shown.');
    box.hidden = lines.length === 0;
    box.replaceChildren(...lines.map((l) => Object.assign(document.createElement('div'), { textContent: l })));
    document.body.classList.toggle('stale', !!s?.stale);
  }

  private setStatus(text: string): void {
    const s = document.getElementById('status');
    if (s) s.textContent = text;
  }

  // ------------------------------------------------------------------ selection and actions

  private select(id: string | undefined, reveal = false): void {
    if (this.selected) this.nodes.get(this.selected)?.g.classList.remove('selected');
    this.selected = id && this.nodes.has(id) ? id : undefined;
    const parts = this.selected ? this.nodes.get(this.selected) : undefined;
    parts?.g.classList.add('selected');
    if (parts && reveal) {
      const m = parts.g.transform.baseVal.consolidate()?.matrix;
      if (m) this.centerOn(m.e + NODE_WIDTH / 2, m.f + NODE_HEIGHT / 2);
      parts.g.focus({ preventScroll: true });
    }
    this.saveState();
    this.updateDetails();
  }

  private componentOf(id: string): string | undefined {
    return this.nodeData.get(id)?.componentId || undefined;
  }

  private open(id: string): void {
    this.select(id);
    const component = this.componentOf(id);
    if (component) this.vscode.postMessage({ type: 'open', id: component });
  }

  private updateDetails(): void {
    const box = document.getElementById('details')!;
    const id = this.selected;
    const node = id ? this.nodeData.get(id) : undefined;
    box.hidden = !node;
    if (!node) return;
    const nl = this.live?.nodes[node.id];
    document.getElementById('details-title')!.textContent = `${node.componentId || node.id} — ${node.role}, ${node.kind}`;
    document.getElementById('details-text')!.textContent = nl
      ? `${nl.detail}; in ${rate(nl.inRate)}, out ${rate(nl.outRate)}${nl.dropped ? `, ${nl.dropped} dropped` : ''}${nl.queued ? `, ${nl.queued} queued` : ''}`
      : node.invalid ?? (this.live ? 'not reported by the run' : 'no run');
    for (const b of box.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
      const needsRun = b.dataset.action !== 'reveal';
      b.disabled = !node.componentId || (needsRun && !this.live);
    }
    // Debug ⇄ Stop Debugging, as the component is under a debugger or not.
    const debug = box.querySelector<HTMLButtonElement>('button[data-action="debug"], button[data-action="stopDebug"]');
    if (debug) {
      const on = !!nl?.debugging;
      debug.dataset.action = on ? 'stopDebug' : 'debug';
      debug.title = on ? 'End its debug session: it is restarted without the debugger' : 'Restart it under a debugger and attach VS Code';
      debug.lastChild!.textContent = on ? 'Stop Debugging' : 'Debug';
      debug.firstElementChild!.className = `codicon codicon-${on ? 'debug-disconnect' : 'debug-alt'}`;
    }
  }

  private act(action: GraphAction): void {
    const component = this.selected ? this.componentOf(this.selected) : undefined;
    if (component) this.vscode.postMessage({ type: 'action', action, id: component });
  }

  // ------------------------------------------------------------------ view (zoom and pan)

  private applyView(): void {
    const { x, y, k } = this.view;
    this.viewport.setAttribute('transform', `translate(${x.toFixed(1)} ${y.toFixed(1)}) scale(${k.toFixed(4)})`);
    document.body.classList.toggle('far', k < 0.45);
  }

  private saveState(): void {
    this.vscode.setState({ file: this.structure?.file, view: this.view, selected: this.selected });
  }

  private fitView(): void {
    const r = this.svg.getBoundingClientRect();
    const { width, height } = this.bounds;
    if (!width || !height || !r.width || !r.height) return;
    const k = Math.max(0.05, Math.min(1.5, Math.min(r.width / width, r.height / height) * 0.95));
    this.view = { k, x: (r.width - width * k) / 2, y: (r.height - height * k) / 2 };
    this.applyView();
    this.saveState();
  }

  private zoomAt(factor: number, cx?: number, cy?: number): void {
    const r = this.svg.getBoundingClientRect();
    const px = cx ?? r.width / 2;
    const py = cy ?? r.height / 2;
    const k = Math.max(0.05, Math.min(4, this.view.k * factor));
    const f = k / this.view.k;
    this.view = { k, x: px - (px - this.view.x) * f, y: py - (py - this.view.y) * f };
    this.applyView();
    this.saveState();
  }

  private centerOn(gx: number, gy: number): void {
    const r = this.svg.getBoundingClientRect();
    this.view = { ...this.view, x: r.width / 2 - gx * this.view.k, y: r.height / 2 - gy * this.view.k };
    this.applyView();
  }

  private pan(dx: number, dy: number): void {
    this.view = { ...this.view, x: this.view.x + dx, y: this.view.y + dy };
    this.applyView();
    this.saveState();
  }

  private wireInput(): void {
    const svg = this.svg;
    svg.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      this.zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    let drag: { x: number; y: number; moved: boolean; node?: string } | undefined;
    svg.addEventListener('pointerdown', (e) => {
      this.lastInput = 'pointer';
      if (e.button !== 0) return;
      const node = (e.target as Element | null)?.closest?.('g.node') as SVGGElement | null;
      drag = { x: e.clientX, y: e.clientY, moved: false, node: node?.dataset.id };
    });
    window.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      drag.moved = true;
      svg.classList.add('panning');
      drag.x = e.clientX;
      drag.y = e.clientY;
      this.pan(dx, dy);
    });
    window.addEventListener('pointerup', (e) => {
      const was = drag;
      drag = undefined;
      svg.classList.remove('panning');
      // A click (no drag) on a node: the node it went down on.
      if (was && !was.moved && was.node && e.button === 0) this.open(was.node);
    });
    svg.addEventListener('contextmenu', (e) => {
      const node = (e.target as Element | null)?.closest?.('g.node') as SVGGElement | null;
      if (node) this.select(node.dataset.id);
      // Not prevented: VS Code shows the webview/context menu from data-vscode-context.
    });
    svg.addEventListener('focusin', (e) => {
      const node = (e.target as Element | null)?.closest?.('g.node') as SVGGElement | null;
      if (node && node.dataset.id !== this.selected) this.select(node.dataset.id, this.lastInput === 'key');
    });
    document.addEventListener('keydown', (e) => {
      this.lastInput = 'key';
      const target = e.target as Element | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'BUTTON')) return;
      const node = target?.closest?.('g.node') as SVGGElement | null;
      switch (e.key) {
        case 'Enter':
        case ' ':
          if (node) {
            e.preventDefault();
            this.open(node.dataset.id!);
          }
          return;
        case '+':
        case '=':
          this.zoomAt(1.25);
          return;
        case '-':
          this.zoomAt(0.8);
          return;
        case '0':
          this.fitView();
          return;
        case 'ArrowLeft':
          this.pan(60, 0);
          return;
        case 'ArrowRight':
          this.pan(-60, 0);
          return;
        case 'ArrowUp':
          this.pan(0, 60);
          return;
        case 'ArrowDown':
          this.pan(0, -60);
          return;
      }
    });
    window.addEventListener('resize', () => this.applyView());
  }

  private wireToolbar(): void {
    document.getElementById('fit')?.addEventListener('click', () => this.fitView());
    document.getElementById('zoom-in')?.addEventListener('click', () => this.zoomAt(1.25));
    document.getElementById('zoom-out')?.addEventListener('click', () => this.zoomAt(0.8));
    for (const b of document.querySelectorAll<HTMLButtonElement>('#details button[data-action]')) {
      b.addEventListener('click', () => this.act(b.dataset.action as GraphAction));
    }
  }

  // ------------------------------------------------------------------ tests and benchmark

  private summary(): DomSummary {
    const nodes = [...this.nodeLayer.querySelectorAll<SVGGElement>('g.node')].map((g) => ({
      id: g.dataset.id ?? '',
      state: g.dataset.state ?? '',
      text: [...g.querySelectorAll('text')].map((t) => t.textContent ?? '').join(' | '),
      color: getComputedStyle(g.querySelector('rect.bar')!).fill,
      invalid: g.classList.contains('invalid'),
    }));
    const edges = [...this.edgeLayer.querySelectorAll<SVGGElement>('g.edge')].map((g) => ({
      id: g.dataset.id ?? '',
      from: g.dataset.from ?? '',
      to: g.dataset.to ?? '',
      kind: g.dataset.kind ?? '',
      label: g.querySelector('text')?.textContent ?? '',
      width: Number(g.querySelector('path')?.getAttribute('stroke-width') ?? 0),
    }));
    return { nodes, edges, problems: [...document.querySelectorAll('#problems div')].map((d) => d.textContent ?? ''), stale: !!this.structure?.stale };
  }

  private async bench(rounds: number, reqId: number): Promise<void> {
    const structure = this.structure;
    const layoutMs: number[] = [];
    const renderMs: number[] = [];
    if (structure) {
      for (let i = 0; i < rounds; i++) {
        const result = await this.layout(structure);
        layoutMs.push(result.ms);
        const t = performance.now();
        this.draw(structure, result);
        this.applyLive();
        // Force style and layout of the drawn SVG, so the figure includes what the browser does.
        void this.svg.getBoundingClientRect();
        void (this.nodeLayer.lastElementChild as SVGGraphicsElement | null)?.getBBox();
        renderMs.push(performance.now() - t);
      }
      this.laidOut = structure.signature;
    }
    this.vscode.postMessage({ type: 'bench', reqId, layoutMs, renderMs });
  }
}

function nodeContext(section: string, key: string | undefined, id: string, debugging: boolean): string {
  return JSON.stringify({ webviewSection: section, key, id, preventDefaultContextMenuItems: true, ...(debugging ? { debugging: true } : {}) });
}


