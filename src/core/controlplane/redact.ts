// Pipeline configs are kept (in memory, in the database) and served (GetPipelineRun, ListPipelineRuns)
// only with their secrets taken out: every `env` value, everything under `secrets` except the names,
// and the value of any key that looks like a credential (…password, …secret, …token, api_key, …).
// Keys, structure and comments stay, so the config still reads as the file it came from. Aliases into
// a redacted place are followed and their anchors redacted too. A config that is not valid YAML cannot
// be redacted reliably, so it is withheld.
import { Alias, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, visit, type Document, type Node } from 'yaml';

export const REDACTED = '[redacted]';

const SECRET_KEY = /(^|[^a-z])(pass(word|wd|phrase)?|secrets?|tokens?|credentials?|api[_-]?keys?|private[_-]?keys?|access[_-]?keys?)($|[^a-z])/i;
/** Keys whose value names a secret (kept) rather than holding it. */
const NAME_KEYS = new Set(['name', 'key', 'id']);

function keyOf(pairKey: unknown): string | undefined {
  if (isScalar(pairKey)) return typeof pairKey.value === 'string' ? pairKey.value : String(pairKey.value);
  return typeof pairKey === 'string' ? pairKey : undefined;
}

class Redactor {
  private readonly seen = new Set<unknown>();
  /** True once anything was replaced. */
  changed = false;
  constructor(private readonly doc: Document) {}

  private resolve(node: unknown): unknown {
    let n = node;
    for (let i = 0; i < 64 && isAlias(n); i++) n = (n as Alias).resolve(this.doc);
    return n;
  }

  /** Every scalar below node becomes REDACTED. */
  all(node: unknown): void {
    const n = this.resolve(node);
    if (!n || this.seen.has(n)) return;
    this.seen.add(n);
    if (isScalar(n)) {
      if (n.value !== null && n.value !== '' && n.value !== REDACTED) {
        n.value = REDACTED;
        this.changed = true;
      }
    } else if (isMap(n)) {
      for (const pair of n.items) this.all(pair.value);
    } else if (isSeq(n)) {
      for (const item of n.items) this.all(item);
    }
  }

  /** An `env` value: a map (all values), or a list of `K=V` strings / `{name, value}` entries. */
  env(node: unknown): void {
    const n = this.resolve(node);
    if (isSeq(n)) {
      for (const item of n.items) {
        const it = this.resolve(item);
        if (isScalar(it) && typeof it.value === 'string') {
          const eq = it.value.indexOf('=');
          if (eq >= 0 && it.value.slice(eq + 1) !== REDACTED) {
            it.value = `${it.value.slice(0, eq + 1)}${REDACTED}`;
            this.changed = true;
          }
        } else {
          this.keepNames(it);
        }
      }
    } else {
      this.all(n);
    }
  }

  /** A `secrets` value: a list of names or of mounts (`name` kept), or a map name → spec. */
  secrets(node: unknown): void {
    const n = this.resolve(node);
    if (isSeq(n)) {
      for (const item of n.items) {
        const it = this.resolve(item);
        if (!isScalar(it)) this.keepNames(it);
      }
    } else if (isMap(n)) {
      for (const pair of n.items) this.all(pair.value);
    } else {
      this.all(n);
    }
  }

  private keepNames(node: unknown): void {
    const n = this.resolve(node);
    if (!isMap(n)) return this.all(n);
    if (this.seen.has(n)) return;
    this.seen.add(n);
    for (const pair of n.items) {
      const k = keyOf(pair.key);
      if (k !== undefined && NAME_KEYS.has(k) && isScalar(this.resolve(pair.value))) continue;
      this.all(pair.value);
    }
  }
}

/**
 * Recent answers of redactPipelineConfig (a pure function of its text). A persisted registry re-checks every
 * stored run's config when it opens (up to 100 per pipeline, mostly the same file's text): each distinct text
 * is parsed once per process instead of once per run. Only texts that hold nothing to redact are kept (the
 * answer is the text itself), so no secret stays in memory through it. Bounded by entries and characters.
 */
const memo = new Set<string>();
let memoChars = 0;
const MEMO_MAX_ENTRIES = 64;
const MEMO_MAX_CHARS = 4 * 1024 * 1024;

function remember(text: string, result: string): string {
  if (result !== text) return result;
  const size = text.length;
  if (size > MEMO_MAX_CHARS / 4) return result;
  while (memo.size >= MEMO_MAX_ENTRIES || (memo.size > 0 && memoChars + size > MEMO_MAX_CHARS)) {
    const oldest = memo.keys().next().value as string;
    memo.delete(oldest);
    memoChars -= oldest.length;
  }
  memo.add(text);
  memoChars += size;
  return result;
}

/** The config with its secrets replaced by REDACTED (see the header). Idempotent. */
export function redactPipelineConfig(text: string): string {
  if (text === '') return text;
  if (memo.has(text)) return text;
  return remember(text, redact(text));
}

function redact(text: string): string {
  let docs: Document[];
  try {
    docs = parseAllDocuments(text, { prettyErrors: false }) as Document[];
  } catch {
    return withheld(text, 'it could not be parsed');
  }
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return withheld(text, 'it is not valid YAML');
  let changed = false;
  for (const doc of docs) {
    const r = new Redactor(doc);
    visit(doc, {
      Pair(_, pair) {
        if (!isPair(pair)) return;
        const k = keyOf(pair.key);
        if (k === undefined) return;
        if (k === 'env') {
          r.env(pair.value);
          return visit.SKIP;
        }
        if (k === 'secrets') {
          r.secrets(pair.value);
          return visit.SKIP;
        }
        if (SECRET_KEY.test(k) && (isScalar(pair.value) || isAlias(pair.value))) r.all(pair.value as Node);
        return undefined;
      },
    });
    changed ||= r.changed;
  }
  // Nothing secret: the text as it came, byte for byte.
  return changed ? docs.map((d) => d.toString({ lineWidth: 0 })).join('') : text;
}

function withheld(text: string, why: string): string {
  return `# config_yaml withheld by flowctl: ${why}, so secrets in it could not be redacted (${text.length} characters)\n`;
}
