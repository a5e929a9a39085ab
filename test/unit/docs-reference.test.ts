// The links from diagnostics to the flow.yml reference: a diagnostic's field maps to the entry of its
// key, and every problem the validator reports for a field lands on an existing entry of docs/flow-yml.md.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DOC_PAGES, referenceAnchors, referenceKeysForField, referenceLineFor } from '../../src/core/docs/reference';
import { parsePipeline } from '../../src/core/pipeline/load';
import { repoRoot } from '../helpers/paths';

test('a field maps to its reference keys, most specific first', () => {
  assert.deepEqual(referenceKeysForField('spec.sinks[0].inputs[1]'), ['inputs', 'spec.sinks', 'spec']);
  assert.deepEqual(referenceKeysForField('spec.sources[2].volumes[1].host_path'), ['volumes[].host_path', 'volumes', 'spec.sources', 'spec']);
  assert.deepEqual(referenceKeysForField('spec.processors[0].resources.limits.cpu'), ['resources.limits.cpu', 'resources.limits', 'resources', 'spec.processors', 'spec']);
  assert.deepEqual(referenceKeysForField('spec.sources[0]'), ['spec.sources', 'spec']);
  assert.deepEqual(referenceKeysForField('spec.driver'), ['spec.driver', 'spec']);
  assert.deepEqual(referenceKeysForField('metadata.labels.team'), ['metadata.labels.team', 'metadata.labels', 'metadata']);
  assert.deepEqual(referenceKeysForField('apiVersion'), ['apiVersion']);
  assert.deepEqual(referenceKeysForField(undefined), []);
});

test('referenceAnchors reads `### `key`` headings outside code blocks', () => {
  const md = '# T\n\n### `a`\n\ntext\n\n```yaml\n### `b`\n```\n\n### `spec.driver`\n';
  const anchors = referenceAnchors(md);
  assert.deepEqual([...anchors], [['a', 3], ['spec.driver', 11]]);
  assert.deepEqual(referenceLineFor('spec.driver', anchors), { key: 'spec.driver', line: 11 });
  assert.equal(referenceLineFor('kind', anchors), undefined);
});

test('every field the validator reports on has an entry in docs/flow-yml.md', () => {
  const docs = path.join(repoRoot(), 'docs');
  for (const p of DOC_PAGES) assert.ok(fs.existsSync(path.join(docs, p.file)), `docs/${p.file} (Open Documentation lists it)`);
  const anchors = referenceAnchors(fs.readFileSync(path.join(docs, 'flow-yml.md'), 'utf8'));
  const bad = [
    'apiVersion: v9',
    'kind: Pipe',
    'metadata:',
    '  name: "bad name"',
    'spec:',
    '  driver: dockr',
    '  sources:',
    '    - id: src',
    '      command: node src.js',
    '      inputs: [x]',
    '      restart_policy: sometimes',
    '      health_check: /health',
    '      volumes:',
    '        - container_path: data',
    '      secrets:',
    '        - name: tok',
    '          type: env',
    '      ports:',
    '        - containerPort: 70000',
    '          protocol: QUIC',
    '      replicas: -1',
    '      depends_on: [nobody]',
    '  processors:',
    '    - id: p',
    '      command: ["node", "p.js"]',
    '  sinks:',
    '    - id: k',
    '      command: ["node", "k.js"]',
    '      inputs: [missing]',
    '      inpts: [p]',
    '',
  ].join('\n');
  const parsed = parsePipeline(bad, path.join(docs, 'bad.yml'), { checkCommands: false });
  const withField = parsed.diagnostics.filter((d) => d.field);
  assert.ok(withField.length >= 10, withField.map((d) => d.code).join(', '));
  const unlinked = withField.filter((d) => !referenceLineFor(d.field, anchors)).map((d) => `${d.code} at ${d.field}`);
  assert.deepEqual(unlinked, []);
  // The link goes to the key itself where the page documents it.
  const input = withField.find((d) => d.code === 'unknown-input');
  assert.equal(referenceLineFor(input?.field, anchors)?.key, 'inputs');
});
