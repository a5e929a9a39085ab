// Shared by the extension's webviews (the merged log view; the graph and runs views use it too):
// the HTML shell with a strict Content-Security-Policy — nothing remote, scripts and styles only from
// the extension's own files or inline with a per-load nonce — and the theme's CSS variables.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

/** A fresh nonce for one load of a webview (128 random bits, base64). */
export function makeNonce(): string {
  return crypto.randomBytes(16).toString('base64');
}

/**
 * Options for a webview that loads only the extension's `dist/webview` and `media` folders and may
 * run scripts (enableScripts). No command URIs, no forms.
 */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** The Content-Security-Policy of every flowctl webview (exported so tests can check it). */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface ShellOptions {
  webview: vscode.Webview;
  extensionUri: vscode.Uri;
  title: string;
  /** Script under dist/webview (e.g. `allLogs.js`). */
  script: string;
  /** Stylesheet under media (e.g. `allLogs.css`). */
  style?: string;
  /** Trusted markup of the page body (built by the extension, never from log text). */
  body: string;
  /** JSON handed to the script as `window.__FLOWCTL_INIT__`-free data: a `<script type="application/json" id="init">`. */
  init?: unknown;
}

/** The whole document: CSP meta first, the theme's variables come from VS Code itself. */
export function webviewHtml(o: ShellOptions): string {
  const nonce = makeNonce();
  const csp = contentSecurityPolicy(o.webview.cspSource, nonce);
  const scriptUri = o.webview.asWebviewUri(vscode.Uri.joinPath(o.extensionUri, 'dist', 'webview', o.script));
  const styleUri = o.style ? o.webview.asWebviewUri(vscode.Uri.joinPath(o.extensionUri, 'media', o.style)) : undefined;
  // JSON inside a script element: `<` escaped so no text can close the element.
  const init = o.init === undefined ? '' : `<script type="application/json" id="init" nonce="${nonce}">${JSON.stringify(o.init).replace(/</g, '\\u003c')}</script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(o.title)}</title>
${styleUri ? `<link rel="stylesheet" href="${styleUri}" nonce="${nonce}">` : ''}
</head>
<body>
${o.body}
${init}
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
