// YAML nodes → plain values, with a FieldLoc for every value and a diagnostic for every wrong type
// or unknown key. Lenient like flowctl's non-strict yaml.v3 decoding (unknown keys are ignored,
// scalars become strings where strings are expected) but every leniency is reported.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { DiagnosticBag } from './diagnostics';
import { replaceWith, yamlScalar } from './edits';
import { MAX_ALIAS_EXPANSION, MAX_YAML_DEPTH } from './limits';
import type { FieldLoc, Range } from './model';
import type { Shape } from './shape';
import { suggestKey } from './suggest';

export class Converter {
  /** Values still allowed to be reached through aliases (the billion-laughs bound). */
  private aliasBudget = MAX_ALIAS_EXPANSION;
  private readonly sizes = new WeakMap<object, number>();
  /** Set once the alias bound was hit (reported once; later aliases read as empty). */
  aliasLimitHit = false;

  constructor(
    readonly text: string,
    readonly lineCounter: LineCounter,
    readonly doc: Document,
    readonly bag: DiagnosticBag,
  ) {}

  /** The span of [start, end) offsets, with trailing blanks and newlines trimmed off the end. */
  span(start: number, end: number): Range {
    let e = Math.min(end, this.text.length);
    while (e > start + 1 && /\s/.test(this.text[e - 1])) e--;
    const a = this.lineCounter.linePos(start);
    const b = this.lineCounter.linePos(e);
    return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
  }

  rangeOf(node: unknown): Range {
    const r = (node as { range?: [number, number, number] | null } | null)?.range;
    if (r) return this.span(r[0], r[1]);
    return { line: 1, column: 1, endLine: 1, endColumn: 1 };
  }

  /**
   * Alias → the node it names: the last node before it (in document order) with that anchor, as YAML
   * says. Built once per document by one iterative walk; the `yaml` package's own Alias.resolve walks
   * the whole document on every call, which is quadratic in the number of aliases.
   */
  private targets?: Map<object, unknown>;

  private resolveAlias(alias: object): unknown {
    if (!this.targets) {
      this.targets = new Map();
      const current = new Map<string, unknown>();
      const stack: unknown[] = [this.doc.contents];
      while (stack.length > 0) {
        const n = stack.pop();
        if (!n || typeof n !== 'object') continue;
        if (isAlias(n)) {
          this.targets.set(n, current.get(n.source));
          continue;
        }
        const anchor = (n as { anchor?: string }).anchor;
        if (anchor) current.set(anchor, n);
        if (isMap(n)) {
          for (let i = n.items.length - 1; i >= 0; i--) stack.push(n.items[i].value, n.items[i].key);
        } else if (isSeq(n)) {
          for (let i = n.items.length - 1; i >= 0; i--) stack.push(n.items[i]);
        }
      }
    }
    return this.targets.get(alias);
  }

  /** Follows aliases (`*anchor`) to the node they name, charging the alias budget for its size. */
  deref(node: unknown): unknown {
    let n = node;
    for (let i = 0; i < 10 && isAlias(n); i++) {
      const alias = n;
      n = this.resolveAlias(alias);
      if (n && typeof n === 'object') this.aliasBudget -= this.sizeOf(n);
      if (this.aliasBudget < 0) {
        this.aliasLimit(alias, `too many aliases: expanding them would create more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} values`);
        return null;
      }
    }
    return n;
  }

  private aliasLimit(at: unknown, message: string): void {
    if (this.aliasLimitHit) return;
    this.aliasLimitHit = true;
    this.bag.error({
      code: 'yaml-aliases',
      message,
      at: this.rangeOf(at),
      fix: 'aliases (*name) that repeat large or nested anchors multiply; write the values out or share fewer',
    });
  }

  /** Number of nodes in a subtree (aliases count 1), computed once per node. Iterative. */
  private sizeOf(root: object): number {
    const known = this.sizes.get(root);
    if (known !== undefined) return known;
    let count = 0;
    const stack: unknown[] = [root];
    while (stack.length > 0 && count <= MAX_ALIAS_EXPANSION) {
      const n = stack.pop();
      count++;
      if (isMap(n)) for (const p of n.items) stack.push(p.key, p.value);
      else if (isSeq(n)) for (const it of n.items) stack.push(it);
    }
    this.sizes.set(root, count);
    return count;
  }

  /**
   * A node's value as plain data (free-form `config`), following aliases within the alias budget and
   * a depth bound (aliases of aliases can nest deeper than the text does).
   */
  private toPlain(node: unknown, depth = 0): unknown {
    if (depth > 2 * MAX_YAML_DEPTH) {
      this.aliasLimit(node, `this value nests deeper than ${2 * MAX_YAML_DEPTH} levels through aliases`);
      return null;
    }
    const n = this.deref(node);
    if (this.aliasLimitHit) return null;
    if (isScalar(n)) return n.value ?? null;
    if (isSeq(n)) return n.items.map((it) => this.toPlain(it, depth + 1));
    if (isMap(n)) {
      const out: Record<string, unknown> = {};
      for (const p of n.items) {
        const k = this.deref(p.key);
        const key = isScalar(k) ? this.scalarText(k) : JSON.stringify(this.toPlain(k, depth + 1));
        out[key] = this.toPlain(p.value, depth + 1);
      }
      return out;
    }
    return null;
  }

  /** The quote a scalar was written with, if any. */
  quoteOf(node: unknown): '"' | "'" | undefined {
    const n = this.deref(node);
    if (!isScalar(n)) return undefined;
    return n.type === 'QUOTE_DOUBLE' ? '"' : n.type === 'QUOTE_SINGLE' ? "'" : undefined;
  }

  isNull(node: unknown): boolean {
    const n = this.deref(node);
    return n === null || n === undefined || (isScalar(n) && n.value === null);
  }

  /** A scalar as the text the user wrote (yaml.v3 decodes any scalar into a string that way). */
  scalarText(node: unknown): string {
    const n = this.deref(node);
    if (!isScalar(n)) return '';
    if (typeof n.value === 'string') return n.value;
    return n.source ?? String(n.value);
  }

  describe(node: unknown): string {
    const n = this.deref(node);
    if (isMap(n)) return 'a mapping';
    if (isSeq(n)) return 'a list';
    if (isScalar(n)) {
      const v = n.value;
      if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`;
      if (typeof v === 'number' || typeof v === 'bigint') return `the number ${n.source ?? String(v)}`;
      if (typeof v === 'boolean') return `${v}`;
      if (v === null) return 'nothing';
    }
    return 'something else';
  }

  /** Converts one value. `what` names it in messages (e.g. `processor "p1": inputs`). */
  value(node: unknown, shape: Shape, field: string, what: string, keyRange?: Range): { value: unknown; loc: FieldLoc } {
    const n = this.deref(node);
    const loc: FieldLoc = { value: this.rangeOf(node) };
    if (keyRange) loc.key = keyRange;
    const quote = this.quoteOf(node);
    if (quote) loc.quote = quote;
    if (this.isNull(n)) return { value: undefined, loc };
    const wrong = (expected: string, fix?: string): { value: unknown; loc: FieldLoc } => {
      this.bag.error({
        code: 'type',
        message: `${what} must be ${expected}, got ${this.describe(n)}`,
        at: loc.value,
        field,
        ...(fix ? { fix } : {}),
      });
      return { value: undefined, loc };
    };
    const key = field.replace(/^.*\./, '').replace(/\[\d+\]$/, '');
    switch (shape.kind) {
      case 'string':
        if (!isScalar(n)) return wrong('a string');
        return { value: this.scalarText(n), loc };
      case 'int': {
        if (isScalar(n) && typeof n.value === 'number' && Number.isInteger(n.value)) return { value: n.value, loc };
        if (isScalar(n) && typeof n.value === 'string' && /^\s*-?\d+\s*$/.test(n.value)) {
          // yaml.v3 refuses a quoted number for an int field; keep the number so other checks still run.
          this.bag.error({
            code: 'type',
            message: `${what} must be an integer, got ${this.describe(n)}`,
            at: loc.value,
            field,
            fix: `write it without quotes: ${key}: ${n.value.trim()}`,
            fixes: [replaceWith(loc.value, n.value.trim(), `Remove the quotes: ${n.value.trim()}`, true)],
          });
          return { value: Number(n.value), loc };
        }
        return wrong('an integer');
      }
      case 'bool':
        if (isScalar(n) && typeof n.value === 'boolean') return { value: n.value, loc };
        return wrong('true or false');
      case 'stringList': {
        if (isScalar(n)) {
          const text = this.scalarText(n);
          const list = `[${yamlScalar(text, quote)}]`;
          this.bag.error({
            code: 'type',
            message: `${what} must be a list of strings, got ${this.describe(n)}`,
            at: loc.value,
            field,
            fix: `write ${key}: [${JSON.stringify(text)}]`,
            ...(isScalar(n) && !text.includes('\n') ? { fixes: [replaceWith(loc.value, list, `Make it a list: ${list}`, true)] } : {}),
          });
          return { value: [text], loc };
        }
        if (!isSeq(n)) return wrong('a list of strings');
        const out: string[] = [];
        loc.items = [];
        n.items.forEach((item, i) => {
          const r = this.value(item, { kind: 'string' }, `${field}[${i}]`, `${what}[${i}]`);
          loc.items!.push(r.loc);
          if (typeof r.value === 'string') out.push(r.value);
          else if (this.isNull(item)) out.push('');
        });
        return { value: out, loc };
      }
      case 'stringMap':
      case 'anyMap': {
        if (!isMap(n)) return wrong(shape.kind === 'stringMap' ? 'a mapping of names to strings' : 'a mapping');
        const out: Record<string, unknown> = {};
        loc.entries = {};
        for (const pair of n.items) {
          if (!isPair(pair)) continue;
          const k = this.keyText(pair.key, field);
          if (k === undefined) continue;
          const keyR = this.rangeOf(pair.key);
          if (shape.kind === 'anyMap') {
            out[k] = this.toPlain(pair.value);
            loc.entries[k] = { key: keyR, value: this.rangeOf(pair.value ?? pair.key) };
            continue;
          }
          const v = this.deref(pair.value);
          const entryLoc: FieldLoc = { key: keyR, value: pair.value ? this.rangeOf(pair.value) : keyR };
          loc.entries[k] = entryLoc;
          if (this.isNull(v)) out[k] = '';
          else if (isScalar(v)) out[k] = this.scalarText(v);
          else
            this.bag.error({
              code: 'type',
              message: `${what}.${k} must be a string, got ${this.describe(v)}`,
              at: entryLoc.value,
              field: `${field}.${k}`,
              fix: `quote the value: ${k}: "…"`,
            });
        }
        return { value: out, loc };
      }
      case 'list': {
        if (!isSeq(n)) return wrong('a list');
        const out: unknown[] = [];
        loc.items = [];
        n.items.forEach((item, i) => {
          const r = this.value(item, shape.item, `${field}[${i}]`, `${what}[${i}]`);
          loc.items!.push(r.loc);
          if (r.value !== undefined) out.push(r.value);
        });
        return { value: out, loc };
      }
      case 'object': {
        if (!isMap(n)) return wrong(`a mapping (${shape.what})`);
        const r = this.object(n, shape.fields, field, { label: what, prefix: `${what}.` });
        r.loc.key = keyRange;
        if (!keyRange) delete r.loc.key;
        return r;
      }
    }
  }

  keyText(key: unknown, field: string): string | undefined {
    const k = this.deref(key);
    if (isScalar(k) && k.value !== null) return this.scalarText(k);
    this.bag.error({
      code: 'type',
      message: `keys must be plain names, got ${this.describe(k)}`,
      at: this.rangeOf(key),
      field,
    });
    return undefined;
  }

  /**
   * Converts a mapping with known fields. Unknown keys are reported (warning) and skipped; `custom`
   * handles keys the caller converts itself (it receives the pair's value node and key range).
   */
  object(
    map: unknown,
    fields: Record<string, Shape | 'components'>,
    field: string,
    names: { label: string; prefix: string },
    custom?: (key: string, valueNode: unknown, keyRange: Range, loc: FieldLoc) => unknown,
  ): { value: Record<string, unknown>; loc: FieldLoc } {
    const n = this.deref(map);
    const loc: FieldLoc = { value: this.rangeOf(map), entries: {} };
    const out: Record<string, unknown> = {};
    if (!isMap(n)) return { value: out, loc };
    const known = Object.keys(fields);
    for (const pair of n.items) {
      if (!isPair(pair)) continue;
      const k = this.keyText(pair.key, field);
      if (k === undefined) continue;
      const keyRange = this.rangeOf(pair.key);
      const path = field ? `${field}.${k}` : k;
      const shape = Object.prototype.hasOwnProperty.call(fields, k) ? fields[k] : undefined;
      if (!shape) {
        const guess = suggestKey(k, known);
        this.bag.warning({
          code: 'unknown-key',
          message: guess
            ? `unknown key \`${k}\` in ${names.label} (ignored); did you mean \`${guess}\`?`
            : `unknown key \`${k}\` in ${names.label} (ignored)`,
          at: keyRange,
          field: path,
          hint: guess
            ? `rename it to \`${guess}\``
            : `known keys: ${known.join(', ')}`,
          ...(guess ? { fixes: [replaceWith(keyRange, guess, `Rename to \`${guess}\``, true)] } : {}),
        });
        continue;
      }
      if (shape === 'components') {
        if (custom) out[k] = custom(k, pair.value, keyRange, loc);
        continue;
      }
      const r = this.value(pair.value, shape, path, `${names.prefix}${k}`, keyRange);
      loc.entries![k] = r.loc;
      if (r.value !== undefined) out[k] = r.value;
    }
    return { value: out, loc };
  }
}
