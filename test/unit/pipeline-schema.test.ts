// schemas/flow.schema.json: well-formed draft-07, in step with the loader's keys, accepts every
// reference pipeline and rejects obviously wrong ones. A small structural validator below covers
// the keywords the schema uses (no JSON-schema library needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { COMPONENT_FIELDS, METADATA_FIELDS, PORT_FIELDS, RESOURCES_FIELDS, SECRET_FIELDS, SPEC_FIELDS, TOP_FIELDS, VOLUME_FIELDS } from '../../src/core/pipeline/shape';
import { DRIVERS, RESTART_POLICIES } from '../../src/core/pipeline/index';

const ROOT = path.resolve(__dirname, '../../..');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/flow.schema.json'), 'utf8'));
const FIXTURES = path.join(ROOT, 'test/fixtures/pipelines');

type S = Record<string, any>;
const KEYWORDS = new Set([
  '$schema', '$id', '$ref', 'title', 'description', 'type', 'properties', 'additionalProperties', 'required', 'items',
  'enum', 'const', 'minimum', 'maximum', 'minItems', 'minLength', 'maxLength', 'pattern', 'anyOf', 'allOf', 'definitions', 'examples', 'default',
]);

function resolve(s: S): S {
  if (!s.$ref) return s;
  const m = /^#\/definitions\/(.+)$/.exec(s.$ref);
  assert.ok(m && schema.definitions[m[1]], `unresolvable $ref ${s.$ref}`);
  return schema.definitions[m[1]];
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Returns the list of problems (empty = valid). */
function validate(value: unknown, s0: S, at = '$'): string[] {
  const s = resolve(s0);
  const out: string[] = [];
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${at}: expected ${types.join('|')}, got ${t}`];
  }
  if (s.const !== undefined && value !== s.const) out.push(`${at}: must be ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.includes(value)) out.push(`${at}: must be one of ${s.enum.join(', ')}`);
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) out.push(`${at}: below ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) out.push(`${at}: above ${s.maximum}`);
  }
  if (typeof value === 'string' && s.minLength !== undefined && value.length < s.minLength) out.push(`${at}: too short`);
  if (typeof value === 'string' && s.maxLength !== undefined && value.length > s.maxLength) out.push(`${at}: too long`);
  if (typeof value === 'string' && s.pattern !== undefined && !new RegExp(s.pattern).test(value)) out.push(`${at}: does not match ${s.pattern}`);
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) out.push(`${at}: fewer than ${s.minItems} items`);
    if (s.items) value.forEach((v, i) => out.push(...validate(v, s.items, `${at}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in obj)) out.push(`${at}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      if (s.properties?.[k]) out.push(...validate(v, s.properties[k], `${at}.${k}`));
      else if (s.additionalProperties === false) out.push(`${at}: unknown key ${k}`);
      else if (typeof s.additionalProperties === 'object') out.push(...validate(v, s.additionalProperties, `${at}.${k}`));
    }
  }
  for (const sub of s.allOf ?? []) out.push(...validate(value, sub, at));
  if (s.anyOf && !s.anyOf.some((sub: S) => validate(value, sub, at).length === 0)) out.push(`${at}: matches none of anyOf`);
  return out;
}

function walkSchema(s: S, at: string, visit: (s: S, at: string) => void): void {
  visit(s, at);
  for (const [k, v] of Object.entries(s.properties ?? {})) walkSchema(v as S, `${at}.properties.${k}`, visit);
  for (const [k, v] of Object.entries(s.definitions ?? {})) walkSchema(v as S, `${at}.definitions.${k}`, visit);
  if (s.items) walkSchema(s.items, `${at}.items`, visit);
  if (typeof s.additionalProperties === 'object') walkSchema(s.additionalProperties, `${at}.additionalProperties`, visit);
  for (const k of ['allOf', 'anyOf'] as const) (s[k] ?? []).forEach((v: S, i: number) => walkSchema(v, `${at}.${k}[${i}]`, visit));
}

test('schema is draft-07, uses only known keywords, and documents every property', () => {
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  walkSchema(schema, '#', (s, at) => {
    for (const k of Object.keys(s)) assert.ok(KEYWORDS.has(k), `${at}: unexpected keyword ${k}`);
    if (s.$ref) resolve(s);
    for (const [k, v] of Object.entries(s.properties ?? {})) assert.ok((v as S).description || (v as S).$ref, `${at}.${k} has no description`);
    if (s.type === 'object' && s.properties) assert.equal(s.additionalProperties, false, `${at} should be strict`);
  });
});

test("schema keys match the loader's keys exactly (unknown-key warnings agree with the schema)", () => {
  const keys = (s: S) => Object.keys(resolve(s).properties).sort();
  const sorted = (o: object) => Object.keys(o).sort();
  assert.deepEqual(keys(schema), [...TOP_FIELDS].sort());
  assert.deepEqual(keys(schema.properties.metadata), sorted(METADATA_FIELDS));
  assert.deepEqual(keys(schema.properties.spec), sorted(SPEC_FIELDS));
  assert.deepEqual(keys(schema.definitions.component), sorted(COMPONENT_FIELDS));
  assert.deepEqual(keys(schema.definitions.volume), sorted(VOLUME_FIELDS));
  assert.deepEqual(keys(schema.definitions.port), sorted(PORT_FIELDS));
  assert.deepEqual(keys(schema.definitions.secret), sorted(SECRET_FIELDS));
  assert.deepEqual(keys(schema.definitions.component.properties.resources), sorted(RESOURCES_FIELDS));
  assert.deepEqual(schema.definitions.component.properties.restart_policy.enum, [...RESTART_POLICIES]);
  assert.deepEqual(schema.properties.spec.properties.driver.enum, [...DRIVERS]);
});

test('schema accepts every reference pipeline (flowctl §4.7 examples, TTP files, e2e shape)', () => {
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yml'));
  assert.ok(files.length >= 8, files.join(','));
  for (const f of files) {
    const doc = parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8'));
    assert.deepEqual(validate(doc, schema), [], f);
  }
});

test('schema rejects obviously wrong pipelines', () => {
  const good = () => ({
    apiVersion: 'flowctl/v1',
    kind: 'Pipeline',
    metadata: { name: 'x' },
    spec: { sources: [{ id: 's', command: ['sh'] }], sinks: [{ id: 'k', command: ['sh'], inputs: ['s'] }] },
  });
  assert.deepEqual(validate(good(), schema), []);
  const bad: [string, (p: any) => void, RegExp][] = [
    ['wrong kind', (p) => (p.kind = 'Deployment'), /kind: must be "Pipeline"/],
    ['no metadata.name', (p) => delete p.metadata.name, /metadata: missing name/],
    ['inputs as a string', (p) => (p.spec.sinks[0].inputs = 's'), /inputs: expected array/],
    ['unknown component key', (p) => (p.spec.sinks[0].inptus = ['s']), /unknown key inptus/],
    ['unknown spec key', (p) => (p.spec.consumers = []), /unknown key consumers/],
    ['bad restart_policy', (p) => (p.spec.sources[0].restart_policy = 'never'), /restart_policy: must be one of/],
    ['bad driver', (p) => (p.spec.driver = 'fast'), /driver: must be one of/],
    ['env value as a map', (p) => (p.spec.sources[0].env = { A: { b: 1 } }), /env\.A: expected/],
    ['health_port out of range', (p) => (p.spec.sources[0].health_port = 70000), /health_port: above 65535/],
    ['source with nothing to run', (p) => delete p.spec.sources[0].command, /anyOf/],
    ['component without id', (p) => delete p.spec.sinks[0].id, /missing id/],
    ['an id that is a path', (p) => (p.spec.sources[0].id = '../../x'), /id: does not match/],
    ['a pipeline name with spaces', (p) => (p.metadata.name = 'my pipeline'), /name: does not match/],
    ['a sink without inputs', (p) => delete p.spec.sinks[0].inputs, /missing inputs/],
    ['a list instead of a mapping', (p) => Object.assign(p, { spec: [] }), /spec: expected object/],
  ];
  for (const [name, mutate, want] of bad) {
    const p = good();
    mutate(p);
    const problems = validate(p, schema);
    assert.ok(problems.some((x) => want.test(x)), `${name}: ${JSON.stringify(problems)}`);
  }
});
