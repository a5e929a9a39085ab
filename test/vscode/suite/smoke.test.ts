// Runs inside a real VS Code extension host (see suite/index.ts).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = process.env.FLOWCTL_VSCODE_EXTENSION_ID ?? 'flowctl.flowctl-vscode';

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri.fsPath;
}

describe('extension host smoke', () => {
  it('is VS Code 1.100', () => {
    assert.match(vscode.version, /^1\.100\./);
  });

  it(`has ${EXTENSION_ID} installed`, () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is present (installed: ${vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.')).join(', ')})`);
  });

  it('activates when a flow.yml is opened', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const file = path.join(workspaceRoot(), 'flow.yml');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    const deadline = Date.now() + 20_000;
    while (!ext.isActive && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(ext.isActive, true, `${EXTENSION_ID} became active after opening ${file}`);
  });
});
