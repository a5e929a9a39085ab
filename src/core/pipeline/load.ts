// Reading a pipeline file: YAML (with positions) → Pipeline model → diagnostics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { Converter } from './convert';
import { DiagnosticBag, hasErrors, type Diagnostic } from './diagnostics';
import { SECTION_OF_ROLE, type ComponentSpec, type FieldLoc, type Pipeline, type Range, type Role } from './model';
import { COMPONENT_FIELDS, METADATA_FIELDS, SPEC_FIELDS, TOP_FIELDS } from './shape';
import { validatePipeline, type ValidateOptions } from './validate';

export interface ParseOptions extends ValidateOptions {}

export interface ParseResult {
  /** The model, whenever the file was a YAML mapping (also when it has errors). */
  pipeline?: Pipeline;
  diagnostics: Diagnostic[];
  /** No error diagnostics. */
  ok: boolean;
}

const ROLE_OF_SECTION: Record<string, Role> = {
  sources: 'source',
  processors: 'processor',
  sinks: 'sink',
  pipelines: 'pipeline',
};

const START: Range = { line: 1, column: 1, endLine: 1, endColumn: 1 };

/**
 * Parses and validates pipeline text. `file` names the file in diagnostics (kept as given); it is
 * also resolved (against opts.cwd) to find the pipeline's folder for relative commands.
 */
export function parsePipeline(text: string, file: string, opts: ParseOptions = {}): ParseResult {
  const bag = new DiagnosticBag(file);
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  const conv = (d: (typeof docs)[number]) => new Converter(text, lineCounter, d, bag);

  // Errors found at the very end (an unterminated quote or bracket) point at the last character
  // written rather than at an empty line past it.
  const lastChar = Math.max(0, text.trimEnd().length - 1);
  const errorSpan = (c: Converter, pos: [number, number]): Range => {
    const start = Math.min(pos[0], lastChar);
    return c.span(start, Math.max(pos[1], start + 1));
  };
  let syntaxErrors = 0;
  for (const d of docs) {
    const c = conv(d);
    for (const e of d.errors) {
      syntaxErrors++;
      bag.error({ code: 'yaml-syntax', message: `YAML syntax error: ${e.message}`, at: errorSpan(c, e.pos) });
    }
    for (const w of d.warnings) {
      bag.warning({ code: 'yaml-warning', message: `YAML: ${w.message}`, at: errorSpan(c, w.pos) });
    }
  }
  if (docs.length > 1) {
    const second = docs[1];
    bag.warning({
      code: 'multiple-documents',
      message: `the file holds ${docs.length} YAML documents; only the first is used`,
      at: conv(second).rangeOf(second.contents ?? second),
      hint: 'flowctl reads only the first document; remove the `---` separators or split the file',
    });
  }

  const doc = docs[0];
  const c = doc ? conv(doc) : undefined;
  if (!doc || !c || c.isNull(doc.contents)) {
    if (syntaxErrors === 0) {
      bag.error({
        code: 'empty-file',
        message: 'the pipeline file is empty',
        at: START,
        fix: 'start with `apiVersion: flowctl/v1`, `kind: Pipeline`, `metadata: {name: …}` and `spec: {sources: […]}`',
      });
    }
    return finish(bag);
  }
  const root = c.deref(doc.contents);
  if (!isMap(root)) {
    bag.error({
      code: 'not-a-mapping',
      message: `a pipeline file must be a YAML mapping (apiVersion, kind, metadata, spec), got ${c.describe(root)}`,
      at: c.rangeOf(doc.contents),
      fix: 'start with `apiVersion: flowctl/v1` and `kind: Pipeline` at the left margin',
    });
    return finish(bag);
  }

  const resolved = path.resolve(opts.cwd ?? process.cwd(), file);
  const pipeline = buildPipeline(c, root, resolved);
  if (syntaxErrors === 0) validatePipeline(pipeline, bag, opts);
  return finish(bag, pipeline);
}

function finish(bag: DiagnosticBag, pipeline?: Pipeline): ParseResult {
  // File order (stable: checks found at the same place keep the order they ran in).
  const diagnostics = [...bag.items].sort((a, b) => a.line - b.line || a.column - b.column);
  const result: ParseResult = { diagnostics, ok: !hasErrors(diagnostics) };
  if (pipeline) result.pipeline = pipeline;
  return result;
}

function buildPipeline(c: Converter, root: unknown, file: string): Pipeline {
  const topFields = Object.fromEntries(TOP_FIELDS.map((k) => [k, { kind: 'string' } as const]));
  // metadata and spec are handled below; convert only the scalars here.
  const top = c.object(
    root,
    { ...topFields, metadata: 'components', spec: 'components' },
    '',
    { label: 'the file', prefix: '' },
    (key, valueNode, keyRange, loc) => {
      if (key === 'metadata') {
        const v = c.deref(valueNode);
        if (!c.isNull(v) && !isMap(v)) {
          typeError(c, valueNode, 'metadata', 'a mapping (name, namespace, labels, annotations)');
          loc.entries!.metadata = { key: keyRange, value: c.rangeOf(valueNode) };
          return undefined;
        }
        const r = c.object(valueNode, METADATA_FIELDS, 'metadata', { label: 'metadata', prefix: 'metadata.' });
        r.loc.key = keyRange;
        loc.entries!.metadata = r.loc;
        return r.value;
      }
      const v = c.deref(valueNode);
      if (!c.isNull(v) && !isMap(v)) {
        typeError(c, valueNode, 'spec', 'a mapping (driver, sources, processors, sinks, pipelines)');
        loc.entries!.spec = { key: keyRange, value: c.rangeOf(valueNode) };
        return undefined;
      }
      const sections: Record<string, ComponentSpec[]> = {};
      const r = c.object(valueNode, SPEC_FIELDS, 'spec', { label: 'spec', prefix: 'spec.' }, (section, secNode, secKey, specLoc) => {
        const role = ROLE_OF_SECTION[section];
        const secLoc: FieldLoc = { key: secKey, value: c.rangeOf(secNode ?? null), items: [] };
        specLoc.entries![section] = secLoc;
        sections[section] = buildSection(c, secNode, role, secLoc);
        return undefined;
      });
      r.loc.key = keyRange;
      loc.entries!.spec = r.loc;
      return { ...r.value, ...sections };
    },
  );
  const t = top.value;
  const meta = (t.metadata ?? {}) as Record<string, unknown>;
  const spec = (t.spec ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const pipeline: Pipeline = {
    apiVersion: str(t.apiVersion) ?? '',
    kind: str(t.kind) ?? '',
    metadata: { ...(meta as object), name: str(meta.name) ?? '' },
    spec: {
      ...(spec as object),
      sources: (spec.sources as ComponentSpec[]) ?? [],
      processors: (spec.processors as ComponentSpec[]) ?? [],
      sinks: (spec.sinks as ComponentSpec[]) ?? [],
      pipelines: (spec.pipelines as ComponentSpec[]) ?? [],
    },
    file,
    dir: path.dirname(file),
    loc: top.loc,
  };
  return pipeline;
}

function typeError(c: Converter, node: unknown, field: string, expected: string): void {
  c.bag.error({ code: 'type', message: `${field} must be ${expected}, got ${c.describe(node)}`, at: c.rangeOf(node), field });
}

function buildSection(c: Converter, node: unknown, role: Role, secLoc: FieldLoc): ComponentSpec[] {
  const section = SECTION_OF_ROLE[role];
  const n = c.deref(node);
  if (c.isNull(n)) return [];
  if (!isSeq(n)) {
    c.bag.error({
      code: 'type',
      message: `spec.${section} must be a list of components, got ${c.describe(n)}`,
      at: c.rangeOf(node),
      field: `spec.${section}`,
      fix: `write each ${role} as a list item: \`- id: my-${role}\``,
    });
    return [];
  }
  const out: ComponentSpec[] = [];
  n.items.forEach((item, index) => {
    const field = `spec.${section}[${index}]`;
    const it = c.deref(item);
    if (!isMap(it)) {
      const at = c.rangeOf(item);
      secLoc.items!.push({ value: at });
      c.bag.error({
        code: 'type',
        message: `each ${role} must be a mapping with an id, got ${c.describe(it)}`,
        at,
        field,
        fix: `write \`- id: my-${role}\` followed by its command, inputs, …`,
      });
      return;
    }
    // Name the component in messages by its id when it has a usable one.
    const idPair = it.items.find((p) => isScalar(p.key) && p.key.value === 'id');
    const idText = idPair && isScalar(c.deref(idPair.value)) ? c.scalarText(idPair.value) : '';
    const label = idText ? `${role} "${idText}"` : `${role} #${index + 1}`;
    const r = c.object(item, COMPONENT_FIELDS, field, { label, prefix: `${label}: ` });
    const range = c.rangeOf(item);
    secLoc.items!.push(r.loc);
    const comp: ComponentSpec = {
      ...(r.value as Partial<ComponentSpec>),
      id: typeof r.value.id === 'string' ? r.value.id : '',
      role,
      position: { line: range.line, column: range.column },
      range,
      index,
      loc: r.loc,
    };
    out.push(comp);
  });
  return out;
}

/** What a file that cannot be read gives: `pipeline file not found: <path>` or the read error. */
function unreadable(file: string, err: unknown): ParseResult {
  const e = err as NodeJS.ErrnoException;
  const bag = new DiagnosticBag(file);
  bag.error({
    code: e.code === 'ENOENT' ? 'file-not-found' : 'file-read',
    message: e.code === 'ENOENT' ? `pipeline file not found: ${file}` : `failed to read pipeline file: ${e.message}`,
    at: START,
  });
  return finish(bag);
}

/** Reads and parses a pipeline file. A missing file gives `pipeline file not found: <path>`. */
export async function loadPipelineFile(file: string, opts: ParseOptions = {}): Promise<ParseResult> {
  let text: string;
  try {
    text = await fs.promises.readFile(path.resolve(opts.cwd ?? process.cwd(), file), 'utf8');
  } catch (err) {
    return unreadable(file, err);
  }
  return parsePipeline(text, file, opts);
}

/** Synchronous twin of loadPipelineFile. */
export function loadPipelineFileSync(file: string, opts: ParseOptions = {}): ParseResult {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(opts.cwd ?? process.cwd(), file), 'utf8');
  } catch (err) {
    return unreadable(file, err);
  }
  return parsePipeline(text, file, opts);
}

/**
 * True when the text looks like a flowctl pipeline: the file is named flow.yml / flow.yaml, or it
 * declares `apiVersion: flowctl/…` and `kind: Pipeline` at the top level. Cheap (no YAML parse).
 */
export function isPipelineDocument(text: string, fileName: string): boolean {
  const base = path.basename(fileName).toLowerCase();
  if (base === 'flow.yml' || base === 'flow.yaml') return true;
  // Another file type (README.md, data.json) is never a pipeline; untitled buffers are judged by content.
  if (/\.[^.]+$/.test(base) && !/\.ya?ml$/i.test(base)) return false;
  return /^apiVersion:\s*["']?flowctl\/[^\s"']*["']?\s*(#.*)?$/m.test(text) && /^kind:\s*["']?Pipeline["']?\s*(#.*)?$/m.test(text);
}
