// Reading a pipeline file: YAML (with positions) → Pipeline model → diagnostics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { Converter } from './convert';
import { DiagnosticBag, hasErrors, type Diagnostic } from './diagnostics';
import { SECTION_OF_ROLE, type ComponentSpec, type FieldLoc, type Pipeline, type Range, type Role } from './model';
import { formatBytes, MAX_PIPELINE_FILE_BYTES, MAX_YAML_DEPTH } from './limits';
import { COMPONENT_FIELDS, METADATA_FIELDS, SPEC_FIELDS, TOP_FIELDS } from './shape';
import { SyntaxReporter } from './syntax';
import { scanYaml } from './yamlScan';
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
 *
 * Bounded: text over MAX_PIPELINE_FILE_BYTES is refused before parsing, nesting deeper than
 * MAX_YAML_DEPTH before it reaches the parser's recursion, alias expansion past MAX_ALIAS_EXPANSION
 * while converting. A YAML syntax error suppresses the type and semantic checks (their findings would
 * be consequences of it); the model is still built for the editor's completion.
 */
export function parsePipeline(text: string, file: string, opts: ParseOptions = {}): ParseResult {
  const bag = new DiagnosticBag(file);
  const bytes = text.length * 3 <= MAX_PIPELINE_FILE_BYTES ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PIPELINE_FILE_BYTES) {
    tooLarge(bag, file, bytes);
    return finish(bag);
  }
  const lineCounter = new LineCounter();
  const scan = scanYaml(text);
  const syntax = new SyntaxReporter(text, lineCounter, bag);
  if (scan.tooDeepAt !== undefined) {
    // Not parsed at all: the parser would spend seconds and a gigabyte on it. Count lines for the position.
    lineCounter.addNewLine(0);
    for (let i = text.indexOf('\n'); i !== -1 && i < scan.tooDeepAt; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    syntax.report(scan, []);
    return finish(bag);
  }
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  // Block nesting too deep for the parser's recursion shows up as a stack error somewhere inside;
  // the root cause is the first level past the limit.
  const tooDeep = docs[0] ? deepestNode(docs[0].contents, MAX_YAML_DEPTH) : undefined;
  if (tooDeep !== undefined) {
    syntax.report({ tooDeepAt: tooDeep, unclosed: [] }, []);
    return finish(bag);
  }
  const syntaxErrors = syntax.report(
    scan,
    docs.flatMap((d) => d.errors.map((e) => ({ code: e.code, message: e.message, pos: e.pos }))),
  );
  // Conversion (types, unknown keys) reports into the real bag only when the YAML is sound.
  const convBag = syntaxErrors > 0 ? new DiagnosticBag(file) : bag;
  const conv = (d: (typeof docs)[number]) => new Converter(text, lineCounter, d, convBag);
  for (const d of docs) {
    const c = conv(d);
    for (const w of d.warnings) {
      const start = Math.min(w.pos[0], Math.max(0, text.trimEnd().length - 1));
      bag.warning({ code: 'yaml-warning', message: `YAML: ${w.message}`, at: c.span(start, Math.max(w.pos[1], start + 1)) });
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
        fixes: [{ title: 'Insert a minimal pipeline', edits: [{ range: START, newText: SKELETON }], preferred: true }],
      });
    }
    return finish(bag);
  }
  const root = c.deref(doc.contents);
  if (!isMap(root)) {
    if (syntaxErrors === 0) {
      bag.error({
        code: 'not-a-mapping',
        message: `a pipeline file must be a YAML mapping (apiVersion, kind, metadata, spec), got ${c.describe(root)}`,
        at: c.rangeOf(doc.contents),
        fix: 'start with `apiVersion: flowctl/v1` and `kind: Pipeline` at the left margin',
      });
    }
    return finish(bag);
  }

  const resolved = path.resolve(opts.cwd ?? process.cwd(), file);
  const pipeline = buildPipeline(c, root, resolved);
  if (syntaxErrors === 0 && !c.aliasLimitHit) validatePipeline(pipeline, bag, opts, text);
  return finish(bag, pipeline);
}

/** What `flowctl init` would write, for an empty file. */
const SKELETON = [
  'apiVersion: flowctl/v1',
  'kind: Pipeline',
  'metadata:',
  '  name: my-pipeline',
  'spec:',
  '  sources:',
  '    - id: my-source',
  '      command: ["./my-source"]',
  '  sinks:',
  '    - id: my-sink',
  '      command: ["./my-sink"]',
  '      inputs: [my-source]',
  '',
].join('\n');

/**
 * The offset of the first collection nested deeper than `max` (aliases not followed: they point at
 * nodes counted where they are defined), or undefined. Iterative: the depth is what is being bounded.
 */
function deepestNode(contents: unknown, max: number): number | undefined {
  const stack: [unknown, number][] = [[contents, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (isMap(node) || isSeq(node)) {
      if (depth + 1 > max) return (node as { range?: [number, number, number] }).range?.[0] ?? 0;
      for (const item of node.items as unknown[]) {
        if (isPair(item)) {
          stack.push([item.key, depth + 1], [item.value, depth + 1]);
        } else stack.push([item, depth + 1]);
      }
    }
  }
  return undefined;
}

function tooLarge(bag: DiagnosticBag, file: string, bytes: number): void {
  bag.error({
    code: 'file-too-large',
    message: `pipeline file is too large: ${formatBytes(bytes)} (the limit is ${formatBytes(MAX_PIPELINE_FILE_BYTES)}): ${file}`,
    at: START,
    fix: 'a pipeline file is a few KB; check that this is the right file',
  });
}

function finish(bag: DiagnosticBag, pipeline?: Pipeline): ParseResult {
  // File order (stable: checks found at the same place keep the order they ran in).
  const diagnostics = [...bag.items].sort((a, b) => a.line - b.line || a.column - b.column);
  const summary = bag.summary(diagnostics[diagnostics.length - 1] ?? START);
  if (summary) diagnostics.push(summary);
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
  const e = err as NodeJS.ErrnoException & { bytes?: number };
  const bag = new DiagnosticBag(file);
  if (e.code === 'EFBIG' && e.bytes !== undefined) {
    tooLarge(bag, file, e.bytes);
    return finish(bag);
  }
  bag.error({
    code: e.code === 'ENOENT' ? 'file-not-found' : 'file-read',
    message: e.code === 'ENOENT' ? `pipeline file not found: ${file}` : `failed to read pipeline file: ${e.message}`,
    at: START,
  });
  return finish(bag);
}

// Opened without blocking (a FIFO given as the pipeline file must not hang the reader), checked with
// fstat before reading, and read with a bound (a file that grows while it is read is cut at the limit).
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

function refuseStat(st: fs.Stats, full: string): void {
  if (st.isDirectory()) throw Object.assign(new Error(`${full} is a directory`), { code: 'EISDIR' });
  if (!st.isFile()) throw Object.assign(new Error(`${full} is not a regular file`), { code: 'EINVAL' });
  if (st.size > MAX_PIPELINE_FILE_BYTES) throw Object.assign(new Error('too large'), { code: 'EFBIG', bytes: st.size });
}

function tooLargeRead(total: number): never {
  throw Object.assign(new Error('too large'), { code: 'EFBIG', bytes: total });
}

/** Reads a pipeline file as UTF-8 text within the size limit (throws ENOENT, EISDIR, EFBIG…). */
export function readPipelineTextSync(full: string): string {
  const fd = fs.openSync(full, OPEN_FLAGS);
  try {
    refuseStat(fs.fstatSync(fd), full);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(64 * 1024);
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_PIPELINE_FILE_BYTES) tooLargeRead(total);
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Async twin of readPipelineTextSync. */
export async function readPipelineText(full: string): Promise<string> {
  const handle = await fs.promises.open(full, OPEN_FLAGS);
  try {
    refuseStat(await handle.stat(), full);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(64 * 1024), 0, 64 * 1024, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_PIPELINE_FILE_BYTES) tooLargeRead(total);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Reads and parses a pipeline file. A missing file gives `pipeline file not found: <path>`. */
export async function loadPipelineFile(file: string, opts: ParseOptions = {}): Promise<ParseResult> {
  let text: string;
  try {
    text = await readPipelineText(path.resolve(opts.cwd ?? process.cwd(), file));
  } catch (err) {
    return unreadable(file, err);
  }
  return parsePipeline(text, file, opts);
}

/** Synchronous twin of loadPipelineFile. */
export function loadPipelineFileSync(file: string, opts: ParseOptions = {}): ParseResult {
  let text: string;
  try {
    text = readPipelineTextSync(path.resolve(opts.cwd ?? process.cwd(), file));
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
