// Editing help for pipeline files, with no editor in sight (the VS Code adapter turns these into
// CompletionItems and Hovers): completion of component ids in inputs/depends_on (ids that exist,
// never the component itself or ids already listed), of keys and enum values from the schema at the
// cursor's place; hovers that explain a key or show the component an id names.
import { cursorContext, keyAt, valueAt, type CursorContext, type KeyPath } from './cursor';
import { yamlScalar } from './edits';
import { allComponents, type Pipeline, type Role } from './model';
import { nameProblem } from './names';
import { describeKey, schemaAt, typeSummary, valuesOf } from './schemaInfo';

export interface AssistItem {
  label: string;
  kind: 'component' | 'key' | 'value';
  /** Plain text to insert in place of `replace`. */
  insertText: string;
  /** The same as a snippet (`$1` marks where the cursor goes), when it helps. */
  snippet?: string;
  detail?: string;
  /** Markdown. */
  documentation?: string;
  sortText: string;
  preselect?: boolean;
}

export interface AssistList {
  items: AssistItem[];
  /** Offsets [start, end) of the text the items replace. */
  replace: { start: number; end: number };
}

export interface AssistHover {
  markdown: string;
  start: number;
  end: number;
}

const ID_LISTS = new Set(['inputs', 'depends_on']);
const SECTION_ROLE: Record<string, Role> = { sources: 'source', processors: 'processor', sinks: 'sink', pipelines: 'pipeline' };

interface KnownComponent {
  id: string;
  role: Role;
  line: number;
  command?: string[];
  inputs?: string[];
}

/** Components named in the text: from the model when there is one, plus a scan of `id:` lines. */
function componentsOf(text: string, pipeline?: Pipeline): KnownComponent[] {
  const out = new Map<string, KnownComponent>();
  for (const c of pipeline ? allComponents(pipeline) : []) {
    if (c.id && !out.has(c.id)) out.set(c.id, { id: c.id, role: c.role, line: c.position.line, command: c.command, inputs: c.inputs });
  }
  // One forward pass: inside spec.<section>, an `id:` at the items' key column names a component.
  let section: { role: Role; indent: number; itemKey?: number } | undefined;
  const lines = text.split('\n');
  lines.forEach((line, n) => {
    const m = /^( *)(- +)?([A-Za-z_]+):(?:\s+["']?([^"'\s#,}\]]*))?/.exec(line);
    if (!m) return;
    const indent = m[1].length;
    const keyCol = indent + (m[2]?.length ?? 0);
    if (section && indent <= section.indent && !(m[2] && indent === section.indent)) section = undefined;
    if (!section && !m[2] && SECTION_ROLE[m[3]] && indent > 0) {
      section = { role: SECTION_ROLE[m[3]], indent };
      return;
    }
    if (!section) return;
    if (m[2] && section.itemKey === undefined) section.itemKey = keyCol;
    if (m[3] === 'id' && keyCol === section.itemKey && m[4] && !out.has(m[4])) out.set(m[4], { id: m[4], role: section.role, line: n + 1 });
  });
  return [...out.values()];
}

/** The id of the component the cursor is in (to leave it out of its own inputs). */
function ownId(text: string, offset: number, ctx: CursorContext): string | undefined {
  const own = ctx.siblings.get('id');
  if (own) return own.replace(/^["']|["']$/g, '');
  const lines = text.slice(0, offset).split('\n');
  const here = lines[lines.length - 1];
  const flow = /\bid:\s*["']?([A-Za-z0-9._-]+)/.exec(here);
  if (flow && here.includes('{')) return flow[1];
  // Walk up to the `- ` that starts the component's item, then find its id among the item's keys.
  const indent = /^ */.exec(here)![0].length;
  for (let j = lines.length - 2; j >= 0; j--) {
    const m = /^( *)- +(?:(id):\s*["']?([A-Za-z0-9._-]+)|\S)/.exec(lines[j]);
    if (!m || m[1].length >= indent) continue;
    if (m[2]) return m[3];
    const all = text.split('\n');
    const keyCol = m[1].length + 2;
    for (let k = j + 1; k < all.length; k++) {
      const ind = /^ */.exec(all[k])![0].length;
      if (all[k].trim() && ind < keyCol) break;
      const id = new RegExp(`^ {${keyCol}}id:\\s*["']?([A-Za-z0-9._-]+)`).exec(all[k]);
      if (id) return id[1];
    }
    return undefined;
  }
  return undefined;
}

function inComponent(path: KeyPath): boolean {
  return path.length >= 3 && path[0] === 'spec' && !!SECTION_ROLE[path[1]] && path[2] === '[]';
}

/** Which roles feed a component best, for ordering suggestions. */
const UPSTREAM_RANK: Record<Role, Record<Role, number>> = {
  sink: { processor: 0, source: 1, sink: 2, pipeline: 3 },
  processor: { source: 0, processor: 1, sink: 2, pipeline: 3 },
  source: { source: 0, processor: 1, sink: 2, pipeline: 3 },
  pipeline: { pipeline: 0, source: 1, processor: 2, sink: 3 },
};

function idItems(text: string, offset: number, ctx: CursorContext, pipeline: Pipeline | undefined, asList: boolean): AssistItem[] {
  const mine = ownId(text, offset, ctx);
  const myRole = SECTION_ROLE[ctx.path[1]] ?? 'sink';
  const listed = new Set(ctx.listed);
  return componentsOf(text, pipeline)
    .filter((c) => c.id !== mine && !listed.has(c.id) && !nameProblem(c.id))
    .map((c, i) => {
      const value = ctx.quote ? c.id : yamlScalar(c.id);
      const rank = UPSTREAM_RANK[myRole][c.role];
      const item: AssistItem = {
        label: c.id,
        kind: 'component',
        insertText: asList ? `[${value}]` : value,
        detail: `${c.role} (line ${c.line})`,
        sortText: `${rank}${String(i).padStart(5, '0')}`,
      };
      if (c.command?.length) item.documentation = `\`${c.command.join(' ')}\``;
      return item;
    });
}

function keyItems(ctx: CursorContext): AssistItem[] {
  const node = schemaAt(ctx.path);
  if (!node?.properties) return [];
  const order = node.order ?? Object.keys(node.properties);
  const required = new Set(node.required ?? []);
  return order
    .filter((k) => !ctx.siblings.has(k))
    .map((k, i) => {
      const child = schemaAt([...ctx.path, k])!;
      const types = Array.isArray(child.type) ? child.type : [child.type];
      const item: AssistItem = {
        label: k,
        kind: 'key',
        insertText: `${k}: `,
        detail: typeSummary(child, k),
        documentation: describeKey(k, child),
        sortText: `${required.has(k) ? 0 : 1}${String(i).padStart(3, '0')}`,
      };
      if (types.includes('array')) {
        const items = child.items ? schemaAt([...ctx.path, k, '[]']) : undefined;
        item.snippet = items?.properties ? `${k}:\n  - $1` : `${k}: [$1]`;
      } else if (types.includes('object')) item.snippet = `${k}:\n  $1`;
      if (k === 'id' && inComponent([...ctx.path])) item.preselect = true;
      return item;
    });
}

function valueItems(ctx: CursorContext): AssistItem[] {
  const node = schemaAt(ctx.path);
  if (!node) return [];
  return valuesOf(node).map((v, i) => ({
    label: v,
    kind: 'value',
    insertText: ctx.quote ? v : node.type === 'boolean' ? v : yamlScalar(v),
    detail: typeSummary(node, ctx.path[ctx.path.length - 1]),
    ...(node.description ? { documentation: node.description } : {}),
    sortText: String(i).padStart(3, '0'),
    ...(node.default !== undefined && String(node.default) === v ? { preselect: true } : {}),
  }));
}

/** Completions at `offset` in `text` (the model, when given, names the components). */
export function completeAt(text: string, offset: number, pipeline?: Pipeline): AssistList {
  const ctx = cursorContext(text, offset);
  const list = (items: AssistItem[]): AssistList => ({ items, replace: ctx.replace });
  const last = ctx.path[ctx.path.length - 1];
  const component = inComponent(ctx.path) || ctx.path.length === 1; // a flow list on a `{…}` line has only its key
  switch (ctx.kind) {
    case 'item':
      if (ID_LISTS.has(last) && component) return list(idItems(text, offset, ctx, pipeline, false));
      // `- |` in a list of mappings (a new component, volume…): the item's keys.
      return list(keyItems({ ...ctx, path: [...ctx.path, '[]'] }));
    case 'value':
      if (ID_LISTS.has(last) && component) return list(idItems(text, offset, ctx, pipeline, true));
      return list(valueItems(ctx));
    case 'key':
      return list(keyItems(ctx));
    default:
      return list([]);
  }
}

/** What to show when hovering at `offset`: a key's explanation, or the component an id names. */
export function hoverAt(text: string, offset: number, pipeline?: Pipeline): AssistHover | undefined {
  const key = keyAt(text, offset);
  if (key) {
    const node = schemaAt(key.path);
    if (!node) return undefined;
    return { markdown: describeKey(key.key, node), start: key.start, end: key.end };
  }
  const v = valueAt(text, offset);
  if (!v) return undefined;
  const last = v.context.path[v.context.path.length - 1];
  if (!ID_LISTS.has(last) && !(last === 'id' && v.context.kind === 'value')) return undefined;
  const c = componentsOf(text, pipeline).find((x) => x.id === v.word);
  if (!c) return undefined;
  let md = `**${c.role} \`${c.id}\`** · line ${c.line}`;
  if (c.command?.length) md += `\n\ncommand: \`${c.command.join(' ')}\``;
  if (c.inputs?.length) md += `\n\ninputs: ${c.inputs.map((i) => `\`${i}\``).join(', ')}`;
  return { markdown: md, start: v.start, end: v.end };
}

/** True when the hover at `offset` is over a key (not over an id). */
export function isKeyHover(text: string, offset: number): boolean {
  return keyAt(text, offset) !== undefined;
}
