// The HTML shell of our webviews (graph and chart): a strict Content Security Policy with a fresh
// nonce for every load, only resources shipped in dist/webview (bundle, styles, codicons), nothing
// remote. Scripts run only with the nonce; the layout worker starts from a blob URL.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: [webviewRoot(extensionUri)], enableFindWidget: false };
}

function escapeAttr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, view: 'graph' | 'chart', bodyHtml: string): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const root = webviewRoot(extensionUri);
  const uri = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, file)).toString();
  const src = webview.cspSource;
  const csp = [
    "default-src 'none'",
    `img-src ${src} data:`,
    `style-src ${src}`,
    `font-src ${src}`,
    `script-src 'nonce-${nonce}'`,
    'worker-src blob:',
    `connect-src ${src}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(uri('codicon.css'))}">
<link rel="stylesheet" href="${escapeAttr(uri('main.css'))}">
</head>
<body data-view="${view}" data-layout="${escapeAttr(uri('layout.js'))}">
${bodyHtml}
<script nonce="${escapeAttr(nonce)}" src="${escapeAttr(uri('main.js'))}"></script>
</body>
</html>`;
}

export const GRAPH_BODY = `<div id="toolbar" role="toolbar" aria-label="Graph">
  <button id="fit" title="Fit to window (0)" aria-label="Fit to window"><span class="codicon codicon-screen-normal"></span></button>
  <button id="zoom-out" title="Zoom out (-)" aria-label="Zoom out"><span class="codicon codicon-zoom-out"></span></button>
  <button id="zoom-in" title="Zoom in (+)" aria-label="Zoom in"><span class="codicon codicon-zoom-in"></span></button>
  <span id="status" role="status">Loading the pipeline…</span>
</div>
<div id="problems" role="alert" hidden></div>
<svg id="canvas" role="application" aria-label="Pipeline graph. Tab moves between components, Enter shows one in the Services view and its terminal, the context-menu key opens its actions, plus and minus zoom, arrow keys pan, 0 fits."></svg>
<div id="details" hidden>
  <span id="details-title"></span>
  <span id="details-text"></span>
  <button data-action="logs" title="Show the component's terminal"><span class="codicon codicon-terminal"></span>Logs</button>
  <button data-action="restart" title="Restart the component"><span class="codicon codicon-debug-restart"></span>Restart</button>
  <button data-action="stop" title="Stop the component"><span class="codicon codicon-debug-stop"></span>Stop</button>
  <button data-action="debug" title="Restart it under a debugger and attach VS Code"><span class="codicon codicon-debug-alt"></span>Debug</button>
  <button data-action="chart" title="Chart of its metrics"><span class="codicon codicon-graph-line"></span>Chart</button>
  <button data-action="reveal" title="Show it in the pipeline file"><span class="codicon codicon-go-to-file"></span>Reveal</button>
</div>`;

export const CHART_BODY = `<h2 id="chart-title">Metrics</h2>
<div id="chart-subtitle"></div>
<div id="charts"></div>`;
