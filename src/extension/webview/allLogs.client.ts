// The merged "All components" log view, inside its webview (browser code, bundled by esbuild into
// dist/webview/allLogs.js). It mirrors the extension's bounded merged log and shows it with a colour
// per component, a filter (components, lowest level, text or /regex/), find with next/previous,
// follow mode, and clickable file:line links. Log text only ever goes into the DOM as text.
import { compileFilter, EMPTY_FILTER, type CompiledFilter, type LogEntry, type LogFilter } from '../../core/logs/filter';
import { findFileLinks } from '../../core/logs/links';
import { LOG_LEVELS, type LogLevel } from '../../core/logs/level';

interface ComponentInfo {
  id: string;
  pipeline: string;
  /** CSS colour, e.g. `var(--vscode-terminal-ansiCyan)`. */
  color: string;
}

type ToView =
  | { type: 'reset'; entries: LogEntry[]; dropped: number; capacity: number; components: ComponentInfo[] }
  | { type: 'append'; entries: LogEntry[]; dropped: number }
  | { type: 'components'; components: ComponentInfo[] }
  | { type: 'setFilter'; filter: Partial<LogFilter> };

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const rowsEl = $<HTMLDivElement>('rows');
const componentsEl = $<HTMLDivElement>('components');
const levelEl = $<HTMLSelectElement>('level');
const filterEl = $<HTMLInputElement>('filter');
const findEl = $<HTMLInputElement>('find');
const findCountEl = $<HTMLSpanElement>('findCount');
const noticeEl = $<HTMLDivElement>('notice');
const statusEl = $<HTMLDivElement>('status');
const followEl = $<HTMLInputElement>('follow');

let entries: LogEntry[] = [];
let dropped = 0;
let capacity = 10_000;
let components: ComponentInfo[] = [];
const saved = (vscode.getState() as { filter?: LogFilter; find?: string } | undefined) ?? {};
let filter: LogFilter = { ...EMPTY_FILTER, ...saved.filter };
let compiled: CompiledFilter = compileFilter(filter);
let findRegex: RegExp | undefined;
let findIndex = -1;
/** Where the current find match is (row seq, n-th match in that row), so a re-render keeps it. */
let currentMatch: { seq: string; nth: number } | undefined;
let shown = 0;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function colorOf(id: string): string {
  return components.find((c) => c.id === id)?.color ?? 'var(--vscode-descriptionForeground)';
}

function multiPipeline(): boolean {
  return new Set(components.filter((c) => c.id !== 'flowctl').map((c) => c.pipeline)).size > 1;
}

/** Text with file links and find highlights, built from DOM nodes (never innerHTML). */
function fillText(el: HTMLElement, text: string): void {
  const marks: Array<{ start: number; end: number; kind: 'link' | 'find'; link?: ReturnType<typeof findFileLinks>[number] }> = [];
  for (const l of findFileLinks(text)) marks.push({ start: l.start, end: l.start + l.length, kind: 'link', link: l });
  if (findRegex) {
    const re = new RegExp(findRegex.source, findRegex.flags.includes('g') ? findRegex.flags : findRegex.flags + 'g');
    for (const m of text.matchAll(re)) {
      if (m[0].length === 0) break;
      const start = m.index!;
      if (!marks.some((x) => start < x.end && x.start < start + m[0].length)) marks.push({ start, end: start + m[0].length, kind: 'find' });
      if (marks.length > 200) break;
    }
  }
  marks.sort((a, b) => a.start - b.start);
  let at = 0;
  for (const m of marks) {
    if (m.start < at) continue;
    if (m.start > at) el.append(text.slice(at, m.start));
    if (m.kind === 'link') {
      const a = document.createElement('a');
      a.className = 'link';
      a.textContent = text.slice(m.start, m.end);
      a.title = `Open ${m.link!.path} at line ${m.link!.line}`;
      a.dataset.path = m.link!.path;
      a.dataset.line = String(m.link!.line);
      if (m.link!.column) a.dataset.column = String(m.link!.column);
      el.append(a);
    } else {
      const mark = document.createElement('mark');
      mark.textContent = text.slice(m.start, m.end);
      el.append(mark);
    }
    at = m.end;
  }
  if (at < text.length) el.append(text.slice(at));
}

function rowFor(e: LogEntry): HTMLDivElement {
  const row = document.createElement('div');
  row.className = `row lvl-${e.level}${e.stream === 'flowctl' ? ' flowctl' : ''}${e.stream === 'stderr' ? ' stderr' : ''}`;
  row.dataset.seq = String(e.seq);
  row.dataset.component = e.component;
  row.dataset.level = e.level;
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = clock(e.time);
  const comp = document.createElement('span');
  comp.className = 'comp';
  comp.textContent = multiPipeline() && e.component !== 'flowctl' ? `${e.pipeline}/${e.component}` : e.component;
  comp.style.color = colorOf(e.component);
  comp.title = e.component;
  const text = document.createElement('span');
  text.className = 'text';
  fillText(text, e.text);
  row.append(time, comp, text);
  return row;
}

function atBottom(): boolean {
  return rowsEl.scrollHeight - rowsEl.scrollTop - rowsEl.clientHeight < 30;
}

function scrollToEnd(): void {
  if (followEl.checked) rowsEl.scrollTop = rowsEl.scrollHeight;
}

function updateStatus(): void {
  const err = compiled.error;
  const notes: string[] = [];
  if (dropped > 0) notes.push(`${dropped.toLocaleString()} older line${dropped === 1 ? '' : 's'} dropped (the view keeps the last ${capacity.toLocaleString()}; setting flowctl.logs.maxLines)`);
  if (err) notes.push(`Filter: ${err}`);
  noticeEl.textContent = notes.join(' · ');
  noticeEl.hidden = notes.length === 0;
  statusEl.textContent = `${shown.toLocaleString()} of ${entries.length.toLocaleString()} lines shown`;
}

function render(): void {
  const frag = document.createDocumentFragment();
  shown = 0;
  for (const e of entries) {
    if (!compiled.test(e)) continue;
    frag.append(rowFor(e));
    shown++;
  }
  rowsEl.replaceChildren(frag);
  findIndex = -1;
  // A re-render (a filter change, the filter box's debounce) keeps the current match when its row is still shown.
  if (currentMatch) {
    const row = rowsEl.querySelector<HTMLElement>(`.row[data-seq="${currentMatch.seq}"]`);
    const mark = row?.querySelectorAll<HTMLElement>('mark')[currentMatch.nth];
    if (mark) {
      mark.classList.add('current');
      findIndex = findMarks().indexOf(mark);
    } else currentMatch = undefined;
  }
  updateFindCount();
  updateStatus();
  scrollToEnd();
}

function append(list: LogEntry[]): void {
  const follow = followEl.checked && atBottom();
  const frag = document.createDocumentFragment();
  for (const e of list) {
    entries.push(e);
    if (!compiled.test(e)) continue;
    frag.append(rowFor(e));
    shown++;
  }
  rowsEl.append(frag);
  // Bounded like the extension's log: the oldest go, rows included.
  const over = entries.length - capacity;
  if (over > 0) {
    const gone = entries.splice(0, over);
    const first = gone[gone.length - 1].seq;
    while (rowsEl.firstElementChild && Number((rowsEl.firstElementChild as HTMLElement).dataset.seq) <= first) {
      rowsEl.firstElementChild.remove();
      shown--;
    }
  }
  updateFindCount();
  updateStatus();
  if (follow) scrollToEnd();
}

function renderComponents(): void {
  const ids = [...new Set([...components.map((c) => c.id), ...entries.map((e) => e.component)])];
  componentsEl.replaceChildren(
    ...ids.map((id) => {
      const label = document.createElement('label');
      label.className = 'chip';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = !filter.hidden.includes(id);
      box.dataset.component = id;
      box.addEventListener('change', () => {
        const hidden = new Set(filter.hidden);
        if (box.checked) hidden.delete(id);
        else hidden.add(id);
        setFilter({ hidden: [...hidden] });
      });
      const dot = document.createElement('span');
      dot.className = 'dot';
      dot.style.background = colorOf(id);
      const name = document.createElement('span');
      name.textContent = id;
      label.append(box, dot, name);
      return label;
    }),
  );
}

function setFilter(change: Partial<LogFilter>): void {
  filter = { ...filter, ...change };
  compiled = compileFilter(filter);
  filterEl.value = filter.text;
  levelEl.value = filter.minLevel;
  for (const box of componentsEl.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) box.checked = !filter.hidden.includes(box.dataset.component ?? '');
  filterEl.classList.toggle('invalid', !!compiled.error);
  vscode.setState({ filter, find: findEl.value });
  render();
}

function findMarks(): HTMLElement[] {
  return [...rowsEl.querySelectorAll<HTMLElement>('mark')];
}

function updateFindCount(): void {
  const n = findRegex ? findMarks().length : 0;
  findCountEl.textContent = findRegex ? (n ? `${Math.max(0, findIndex) + (findIndex >= 0 ? 1 : 0)}/${n}` : 'no results') : '';
}

function setFind(text: string): void {
  const t = text.trim();
  if (!t) findRegex = undefined;
  else {
    const re = /^\/(.+)\/([a-z]*)$/.exec(t);
    try {
      findRegex = re ? new RegExp(re[1], re[2].replace(/[gy]/g, '')) : new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      findEl.classList.remove('invalid');
    } catch {
      findRegex = undefined;
      findEl.classList.add('invalid');
    }
  }
  vscode.setState({ filter, find: text });
  currentMatch = undefined;
  render();
}

function step(dir: 1 | -1): void {
  const marks = findMarks();
  if (marks.length === 0) return;
  for (const m of marks) m.classList.remove('current');
  findIndex = (findIndex + dir + marks.length) % marks.length;
  const m = marks[findIndex];
  m.classList.add('current');
  const row = m.closest<HTMLElement>('.row');
  currentMatch = row?.dataset.seq ? { seq: row.dataset.seq, nth: [...row.querySelectorAll('mark')].indexOf(m) } : undefined;
  followEl.checked = false;
  m.scrollIntoView({ block: 'center' });
  findCountEl.textContent = `${findIndex + 1}/${marks.length}`;
}

// Controls.
levelEl.replaceChildren(
  ...LOG_LEVELS.map((l) => {
    const o = document.createElement('option');
    o.value = l;
    o.textContent = l === 'trace' ? 'All levels' : l === 'error' ? 'Errors' : `${l[0].toUpperCase()}${l.slice(1)} and above`;
    return o;
  }),
);
levelEl.value = filter.minLevel;
filterEl.value = filter.text;
findEl.value = saved.find ?? '';
if (findEl.value) setFind(findEl.value);
levelEl.addEventListener('change', () => setFilter({ minLevel: levelEl.value as LogLevel }));
let filterTimer: ReturnType<typeof setTimeout> | undefined;
filterEl.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => setFilter({ text: filterEl.value }), 150);
});
let findTimer: ReturnType<typeof setTimeout> | undefined;
findEl.addEventListener('input', () => {
  clearTimeout(findTimer);
  findTimer = setTimeout(() => setFind(findEl.value), 150);
});
findEl.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') {
    // A filter still waiting for its debounce applies first: the match is looked for in what will be shown.
    if (filterEl.value !== filter.text) {
      clearTimeout(filterTimer);
      setFilter({ text: filterEl.value });
    }
    clearTimeout(findTimer);
    if (!findRegex && findEl.value.trim()) setFind(findEl.value);
    step(ev.shiftKey ? -1 : 1);
    ev.preventDefault();
  }
});
$<HTMLButtonElement>('findNext').addEventListener('click', () => step(1));
$<HTMLButtonElement>('findPrev').addEventListener('click', () => step(-1));
$<HTMLButtonElement>('clear').addEventListener('click', () => vscode.postMessage({ type: 'clear' }));
$<HTMLButtonElement>('reset').addEventListener('click', () => {
  findEl.value = '';
  findRegex = undefined;
  setFilter({ ...EMPTY_FILTER });
});
followEl.addEventListener('change', () => scrollToEnd());
rowsEl.addEventListener('scroll', () => {
  // Scrolling up pauses following; back at the end resumes it.
  if (atBottom()) followEl.checked = true;
});
rowsEl.addEventListener('wheel', (ev) => {
  if (ev.deltaY < 0) followEl.checked = false;
});
rowsEl.addEventListener('click', (ev) => {
  const a = (ev.target as HTMLElement).closest<HTMLAnchorElement>('a.link');
  if (!a) return;
  ev.preventDefault();
  const row = a.closest<HTMLElement>('.row');
  vscode.postMessage({ type: 'open', path: a.dataset.path, line: Number(a.dataset.line), column: a.dataset.column ? Number(a.dataset.column) : undefined, component: row?.dataset.component });
});

window.addEventListener('message', (ev: MessageEvent<ToView>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'reset':
      entries = msg.entries;
      dropped = msg.dropped;
      capacity = msg.capacity;
      components = msg.components;
      renderComponents();
      render();
      break;
    case 'append': {
      dropped = msg.dropped;
      const known = new Set(entries.map((e) => e.component));
      append(msg.entries);
      if (msg.entries.some((e) => !known.has(e.component))) renderComponents();
      break;
    }
    case 'components':
      components = msg.components;
      renderComponents();
      break;
    case 'setFilter':
      setFilter(msg.filter);
      break;
  }
});

vscode.postMessage({ type: 'ready' });
