// The core, the SDK and the CLI must run without VS Code: none of their files may import 'vscode'
// (directly, or through src/extension).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;

function tsFiles(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) tsFiles(full, out);
    else if (/\.(ts|tsx|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function vscodeImports(root: string, dirs: string[]): string[] {
  const extensionDir = path.join(root, 'src', 'extension') + path.sep;
  const problems: string[] = [];
  for (const d of dirs) {
    for (const file of tsFiles(path.join(root, d))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(SPECIFIER)) {
        const spec = m[2];
        const line = text.slice(0, m.index).split('\n').length;
        const where = `${path.relative(root, file)}:${line}`;
        if (spec === 'vscode' || spec.startsWith('vscode/')) problems.push(`${where} imports '${spec}'`);
        else if (spec.startsWith('.') && (path.resolve(path.dirname(file), spec) + path.sep).startsWith(extensionDir)) {
          problems.push(`${where} imports the extension ('${spec}')`);
        }
      }
    }
  }
  return problems;
}

test('src/core, src/sdk and src/cli never import vscode', () => {
  const root = repoRoot();
  assert.ok(fs.existsSync(path.join(root, 'src', 'core')), 'src/core exists');
  assert.deepEqual(vscodeImports(root, ['src/core', 'src/sdk', 'src/cli']), []);
});

test('the check itself finds each import form', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'novscode-'));
  try {
    fs.mkdirSync(path.join(tmp, 'src', 'core'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'src', 'extension'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'src', 'core', 'a.ts'), "import * as vscode from 'vscode';\n");
    fs.writeFileSync(path.join(tmp, 'src', 'core', 'b.ts'), "const v = require(\"vscode\");\n");
    fs.writeFileSync(path.join(tmp, 'src', 'core', 'c.ts'), "export async function f() { return import('vscode'); }\n");
    fs.writeFileSync(path.join(tmp, 'src', 'core', 'd.ts'), "import { x } from '../extension/thing';\n");
    fs.writeFileSync(path.join(tmp, 'src', 'core', 'ok.ts'), "import * as fs from 'node:fs';\n// mentions vscode in a comment only\n");
    const found = vscodeImports(tmp, ['src/core']);
    assert.equal(found.length, 4, found.join('\n'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
