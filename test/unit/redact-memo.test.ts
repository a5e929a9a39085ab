// redactPipelineConfig remembers texts that hold nothing to redact (a persisted registry re-checks every
// stored run's config when it opens): asking again gives the same answer, and a text with secrets is
// redacted every time, never answered from what was remembered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, redactPipelineConfig } from '../../src/core/controlplane/redact';

const RAW = `apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: memo
spec:
  sources:
    - id: src
      command: ["node", "src.js"]
      env:
        API_TOKEN: "sk-live-memo-secret"
`;

test('a redacted config is answered as is, again and again; the raw one is redacted every time', () => {
  const first = redactPipelineConfig(RAW);
  assert.ok(!first.includes('sk-live-memo-secret'));
  assert.ok(first.includes(REDACTED));
  for (let i = 0; i < 3; i++) {
    assert.equal(redactPipelineConfig(first), first, 'idempotent on the stored (redacted) text');
    const again = redactPipelineConfig(RAW);
    assert.equal(again, first, 'the raw text is redacted again, the same way');
    assert.ok(!again.includes('sk-live-memo-secret'));
  }
  const clean = 'apiVersion: flowctl/v1\nkind: Pipeline\nmetadata:\n  name: clean\n';
  assert.equal(redactPipelineConfig(clean), clean);
  assert.equal(redactPipelineConfig(clean), clean);
  assert.match(redactPipelineConfig('a: [unclosed'), /withheld/, 'invalid YAML is still withheld');
});
