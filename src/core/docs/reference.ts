// Where the documentation of a pipeline key is: docs/flow-yml.md has one `### `key`` heading per key of
// the schema (test/docs/reference.test.ts keeps it so), and a diagnostic names the field it is about
// (`spec.sinks[0].inputs[1]`). These pure helpers map one to the other; the extension turns the result
// into a link on the diagnostic and `flowctl: Open Documentation` opens the pages.

/** The pages of docs/, in the order a reader meets them. */
export const DOC_PAGES: ReadonlyArray<{ file: string; title: string; detail: string }> = [
  { file: 'sdk.md', title: 'Writing components in TypeScript', detail: 'the component SDK: sources, processors, sinks, metrics, shutdown, testing' },
  { file: 'flow-yml.md', title: 'flow.yml reference', detail: 'every key of a pipeline file, its default and what it does' },
  { file: 'cli.md', title: 'CLI reference', detail: 'every flowctl command and flag, exit codes, --json shapes' },
  { file: 'extension.md', title: 'The VS Code extension', detail: 'lenses, terminals, views, graph, settings' },
  { file: 'from-flowctl.md', title: 'Moving from the Go flowctl', detail: 'what is the same, what differs and why' },
  { file: 'troubleshooting.md', title: 'Troubleshooting', detail: 'error messages and their fixes' },
  { file: 'performance.md', title: 'Measured figures', detail: 'what the bench scripts measure: min / median / max against a same-run baseline' },
];

const COMPONENT_LISTS = new Set(['sources', 'processors', 'sinks', 'pipelines']);
const ITEM_LISTS = new Set(['volumes', 'ports', 'secrets']);

/**
 * Reference keys for a diagnostic's field, most specific first, e.g.
 * `spec.sinks[0].volumes[1].host_path` → [`volumes[].host_path`, `volumes`, `spec.sinks`];
 * `spec.driver` → [`spec.driver`, `spec`]; `metadata.labels.team` → [`metadata.labels`, `metadata`].
 */
export function referenceKeysForField(field: string | undefined): string[] {
  if (!field) return [];
  const parts = field.split('.').map((p) => {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(p);
    return m ? { name: m[1], indexed: m[2] !== '' } : { name: p, indexed: false };
  });
  const out: string[] = [];
  const add = (k: string) => {
    if (k && !out.includes(k)) out.push(k);
  };
  if (parts[0]?.name === 'spec' && parts[1] && COMPONENT_LISTS.has(parts[1].name) && parts[1].indexed && parts.length > 2) {
    const [key, sub, subsub] = parts.slice(2);
    if (ITEM_LISTS.has(key.name) && sub) add(`${key.name}[].${sub.name}`);
    if (key.name === 'resources') {
      if (sub && subsub) add(`resources.${sub.name}.${subsub.name}`);
      if (sub) add(`resources.${sub.name}`);
    }
    add(key.name);
    add(`spec.${parts[1].name}`);
    add('spec');
    return out;
  }
  for (let n = parts.length; n > 0; n--) add(parts.slice(0, n).map((p) => p.name).join('.'));
  return out;
}

/** `### `key`` headings of a reference page: key → 1-based line. */
export function referenceAnchors(markdown: string): Map<string, number> {
  const out = new Map<string, number>();
  let fence: string | null = null;
  markdown.split('\n').forEach((line, i) => {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (f && line.trim().startsWith(fence)) fence = null;
      return;
    }
    if (f) {
      fence = f[1];
      return;
    }
    const m = /^###\s+`([^`]+)`\s*$/.exec(line);
    if (m && !out.has(m[1])) out.set(m[1], i + 1);
  });
  return out;
}

/** The line of the reference entry that documents `field`, if the page has one. */
export function referenceLineFor(field: string | undefined, anchors: Map<string, number>): { key: string; line: number } | undefined {
  for (const key of referenceKeysForField(field)) {
    const line = anchors.get(key);
    if (line !== undefined) return { key, line };
  }
  return undefined;
}
