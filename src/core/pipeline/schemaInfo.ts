// schemas/flow.schema.json as the editor's source of truth for keys, their descriptions and allowed
// values: navigated by key path (spec → sinks → [] → restart_policy), with $ref and allOf resolved.
import schemaJson from '../../../schemas/flow.schema.json';
import type { KeyPath } from './cursor';

type Json = Record<string, unknown>;

export interface SchemaNode {
  description?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  examples?: unknown[];
  default?: unknown;
  properties?: Record<string, Json>;
  /** Property names in the order the schema lists them. */
  order?: string[];
  required?: string[];
  items?: Json;
  additionalProperties?: unknown;
  minimum?: number;
  maximum?: number;
}

const schema = schemaJson as unknown as Json;

function deref(node: Json): Json {
  let n = node;
  for (let i = 0; i < 10 && typeof n.$ref === 'string'; i++) {
    const m = /^#\/definitions\/(.+)$/.exec(n.$ref as string);
    const target = m ? ((schema.definitions as Record<string, Json>)[m[1]] as Json | undefined) : undefined;
    if (!target) break;
    // A $ref with siblings (description) keeps them over the target's.
    const { $ref: _ref, ...rest } = n;
    n = { ...target, ...rest };
  }
  return n;
}

/** A schema node with $ref followed and allOf merged (properties and required united). */
export function resolveNode(node: Json): SchemaNode {
  const n = deref(node);
  const out: SchemaNode = {};
  const parts = [n, ...((n.allOf as Json[] | undefined) ?? []).map((p) => resolveNode(p) as Json)];
  for (const part of parts) {
    for (const [k, v] of Object.entries(part)) {
      if (k === 'properties') {
        out.properties = { ...(out.properties ?? {}), ...(v as Record<string, Json>) };
        out.order = [...(out.order ?? []), ...Object.keys(v as object).filter((x) => !(out.order ?? []).includes(x))];
      } else if (k === 'required') out.required = [...new Set([...(out.required ?? []), ...(v as string[])])];
      else if (k === 'allOf' || k === '$ref' || k === 'anyOf') continue;
      else if ((out as Json)[k] === undefined || part === n) (out as Json)[k] = v;
    }
  }
  return out;
}

/** The schema of the value at a key path, or undefined when the path leaves the schema. */
export function schemaAt(path: KeyPath): SchemaNode | undefined {
  let node = resolveNode(schema);
  for (const seg of path) {
    if (seg === '[]') {
      if (!node.items) return undefined;
      node = resolveNode(node.items);
    } else {
      const next = node.properties?.[seg];
      if (!next) return undefined;
      node = resolveNode(next);
    }
  }
  return node;
}

const ID_LISTS = new Set(['inputs', 'depends_on']);

/** "list of strings", "integer 1–65535", "mapping"… */
export function typeSummary(node: SchemaNode, key?: string): string {
  if (key && ID_LISTS.has(key)) return 'list of component ids';
  if (node.const !== undefined) return JSON.stringify(node.const);
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  const t = types.filter((x) => x !== 'null')[0];
  if (t === 'array') {
    const item = node.items ? resolveNode(node.items) : undefined;
    const itemType = item?.properties ? 'mappings' : Array.isArray(item?.type) ? item?.type[0] : item?.type;
    return `list of ${itemType === 'string' ? 'strings' : itemType ?? 'values'}`;
  }
  if (t === 'object') return 'mapping';
  if (t === 'integer' && node.minimum !== undefined && node.maximum !== undefined) return `integer ${node.minimum}–${node.maximum}`;
  if (node.enum) return `one of ${node.enum.map((v) => String(v)).join(', ')}`;
  return types.join(' or ') || 'value';
}

/** The values a key accepts, when the schema names them (enum, const, examples, booleans). */
export function valuesOf(node: SchemaNode): string[] {
  if (node.enum) return node.enum.map(String);
  if (node.const !== undefined) return [String(node.const)];
  if (node.type === 'boolean') return ['true', 'false'];
  if (node.examples) return node.examples.map(String);
  return [];
}

/** Markdown explaining a key: name, type, description, allowed values. */
export function describeKey(key: string, node: SchemaNode): string {
  let md = `**${key}** · ${typeSummary(node, key)}`;
  if (node.description) md += `\n\n${node.description}`;
  const values = node.enum;
  if (values && values.length) md += `\n\nAllowed: ${values.map((v) => `\`${String(v)}\``).join(', ')}`;
  return md;
}
