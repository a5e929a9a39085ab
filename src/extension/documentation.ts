// The documentation shipped in the .vsix (docs/*.md): the command `flowctl: Open Documentation`
// (a page picker, or a page / a flow.yml key given as argument) and the links that diagnostics carry
// to the reference entry of the key they are about (Diagnostic.code.target → docs/flow-yml.md#L<line>).
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { DOC_PAGES, referenceAnchors, referenceLineFor } from '../core/docs/reference';

export const OPEN_DOCUMENTATION_COMMAND = 'flowctl.openDocumentation';

let docsRoot: vscode.Uri | undefined;
let anchors: Map<string, number> | undefined;

/** Where docs/ is (the extension's folder). Set at activation; until then diagnostics carry no link. */
export function setDocumentationRoot(extensionUri: vscode.Uri): void {
  docsRoot = vscode.Uri.joinPath(extensionUri, 'docs');
  anchors = undefined;
}

function referenceAnchorLines(): Map<string, number> {
  if (anchors) return anchors;
  try {
    anchors = docsRoot ? referenceAnchors(fs.readFileSync(vscode.Uri.joinPath(docsRoot, 'flow-yml.md').fsPath, 'utf8')) : new Map();
  } catch {
    anchors = new Map(); // not packaged (a development host without docs/): no links
  }
  return anchors;
}

/** The reference entry documenting a diagnostic's field: docs/flow-yml.md, at the line of its heading. */
export function referenceLink(field: string | undefined): vscode.Uri | undefined {
  if (!docsRoot || !field) return undefined;
  const found = referenceLineFor(field, referenceAnchorLines());
  return found ? vscode.Uri.joinPath(docsRoot, 'flow-yml.md').with({ fragment: `L${found.line}` }) : undefined;
}

type DocArgument = string | { page?: string; key?: string } | undefined;

async function openDocumentation(arg: DocArgument): Promise<void> {
  if (!docsRoot) return;
  const request = typeof arg === 'string' ? { page: arg } : (arg ?? {});
  if (request.key) {
    const line = referenceAnchorLines().get(request.key);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(docsRoot, 'flow-yml.md'));
    const at = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
    await vscode.window.showTextDocument(doc, { preview: true, selection: new vscode.Range(at, at) });
    return;
  }
  let page = request.page ? DOC_PAGES.find((p) => p.file === request.page || p.file === `${request.page}.md`) : undefined;
  if (!page) {
    const picked = await vscode.window.showQuickPick(
      DOC_PAGES.map((p) => ({ label: p.title, detail: p.detail, page: p })),
      { title: 'flowctl documentation', placeHolder: 'Which page?' },
    );
    if (!picked) return;
    page = picked.page;
  }
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(docsRoot, page.file));
}

export function registerDocumentation(extensionUri: vscode.Uri): vscode.Disposable {
  setDocumentationRoot(extensionUri);
  return vscode.commands.registerCommand(OPEN_DOCUMENTATION_COMMAND, (arg?: DocArgument) => openDocumentation(arg));
}
