// The metrics chart of one component: its event rates (in and out) and each numeric metric over the
// recorded window, as small SVG line charts drawn here (no charting library: a few polylines, axes
// and labels, coloured with the theme's chart colours).
import type { ChartData, ChartSeries, ChartToHost, HostToChart } from '../protocol';

const SVG_NS = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 150;
const PAD = { left: 52, right: 12, top: 12, bottom: 22 };
const COLORS = ['var(--vscode-charts-blue)', 'var(--vscode-charts-green)', 'var(--vscode-charts-orange)', 'var(--vscode-charts-purple)'];

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

function num(n: number): string {
  if (Math.abs(n) >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (Math.abs(n) >= 1000) return `${(n / 1000).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `-${s}s` : `-${Math.round(s / 60)}m`;
}

/** One chart: the given series share the y axis (0 … max). */
function chart(title: string, times: number[], series: ChartSeries[], parent: HTMLElement): number {
  const box = document.createElement('section');
  box.className = 'chart';
  const h = document.createElement('h3');
  h.textContent = title;
  box.appendChild(h);
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  box.appendChild(svg);
  parent.appendChild(box);
  let max = 0;
  let min = 0;
  for (const s of series) for (const v of s.values) if (v !== null) [max, min] = [Math.max(max, v), Math.min(min, v)];
  if (max === min) max = min + 1;
  const n = times.length;
  const x = (i: number) => PAD.left + (n <= 1 ? 0 : (i / (n - 1)) * (W - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + (1 - (v - min) / (max - min)) * (H - PAD.top - PAD.bottom);
  el('line', { class: 'axis', x1: PAD.left, y1: y(min), x2: W - PAD.right, y2: y(min) }, svg);
  el('line', { class: 'grid', x1: PAD.left, y1: y(max), x2: W - PAD.right, y2: y(max) }, svg);
  el('text', { class: 'tick', x: PAD.left - 6, y: y(max) + 4, 'text-anchor': 'end' }, svg).textContent = num(max);
  el('text', { class: 'tick', x: PAD.left - 6, y: y(min) + 4, 'text-anchor': 'end' }, svg).textContent = num(min);
  if (n > 1) {
    el('text', { class: 'tick', x: PAD.left, y: H - 6 }, svg).textContent = ago(times[n - 1] - times[0]);
    el('text', { class: 'tick', x: W - PAD.right, y: H - 6, 'text-anchor': 'end' }, svg).textContent = 'now';
  }
  let points = 0;
  series.forEach((s, si) => {
    // Gaps (null) split the line.
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)} `;
      pen = true;
      points++;
    });
    el('path', { class: 'line', d: d.trim() || 'M0 0', stroke: COLORS[si % COLORS.length], 'data-series': s.name }, svg);
  });
  const legend = document.createElement('div');
  legend.className = 'legend';
  series.forEach((s, si) => {
    const last = [...s.values].reverse().find((v) => v !== null);
    const item = document.createElement('span');
    item.style.setProperty('--swatch', COLORS[si % COLORS.length]);
    item.textContent = `${s.name}: ${last === undefined || last === null ? '–' : num(last)}${s.unit ?? ''}`;
    legend.appendChild(item);
  });
  box.appendChild(legend);
  return points;
}

export class ChartView {
  constructor(private readonly vscode: { postMessage(m: ChartToHost): void }) {}

  onMessage(msg: HostToChart): void {
    if (msg.type !== 'chart') return;
    this.render(msg.data, msg.message);
  }

  private render(data: ChartData | null, message?: string): void {
    const root = document.getElementById('charts')!;
    root.replaceChildren();
    document.getElementById('chart-title')!.textContent = data?.title ?? 'Metrics';
    document.getElementById('chart-subtitle')!.textContent = message ?? data?.subtitle ?? '';
    if (!data) {
      this.vscode.postMessage({ type: 'rendered', series: 0, points: 0 });
      return;
    }
    let points = 0;
    const rates = data.series.filter((s) => s.name === 'in' || s.name === 'out');
    if (rates.length) points += chart('Events per second', data.times, rates, root);
    for (const s of data.series) if (s.name !== 'in' && s.name !== 'out') points += chart(s.name, data.times, [s], root);
    this.vscode.postMessage({ type: 'rendered', series: data.series.length, points });
  }
}
