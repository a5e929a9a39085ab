// Access to the core's pipeline loader/validator from editor documents. The loader module (yaml
// parser and the checks) is loaded on first use, not at activation. Results are cached per document
// version so CodeLens, diagnostics and "Run" share one parse.
import * as vscode from 'vscode';
import type { Pipeline } from '../core/pipeline/model';
import type { Diagnostic } from '../core/pipeline/diagnostics';

type LoadModule = typeof import('../core/pipeline/load');

let loadModule: Promise<LoadModule> | undefined;

/** The core's loader, required lazily. */
export function pipelineLoader(): Promise<LoadModule> {
  return (loadModule ??= import('../core/pipeline/load'));
}

export interface ParsedDocument {
  version: number;
  isPipeline: boolean;
  pipeline?: Pipeline;
  diagnostics: Diagnostic[];
  ok: boolean;
}

const cache = new Map<string, ParsedDocument>();

/** Cheap test: only YAML documents on disk (or untitled) can be pipelines. */
export function couldBePipeline(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'yaml' || /\.ya?ml$/i.test(doc.fileName);
}

/** Parses (and validates) a document, cached per version. */
export async function parseDocument(doc: vscode.TextDocument): Promise<ParsedDocument> {
  const key = doc.uri.toString();
  const hit = cache.get(key);
  if (hit && hit.version === doc.version) return hit;
  const notPipeline: ParsedDocument = { version: doc.version, isPipeline: false, diagnostics: [], ok: false };
  if (!couldBePipeline(doc)) return notPipeline;
  const loader = await pipelineLoader();
  const text = doc.getText();
  if (!loader.isPipelineDocument(text, doc.fileName)) {
    cache.set(key, notPipeline);
    return notPipeline;
  }
  const result = await loader.parsePipeline(text, doc.fileName);
  const parsed: ParsedDocument = {
    version: doc.version,
    isPipeline: true,
    pipeline: result.pipeline,
    diagnostics: result.diagnostics,
    ok: result.ok,
  };
  cache.set(key, parsed);
  return parsed;
}

export function forgetDocument(doc: vscode.TextDocument): void {
  cache.delete(doc.uri.toString());
}

/** Core (1-based, end exclusive) → VS Code (0-based) range. */
export function toRange(d: { line: number; column: number; endLine?: number; endColumn?: number }): vscode.Range {
  const startLine = Math.max(0, d.line - 1);
  const startCol = Math.max(0, d.column - 1);
  let endLine = Math.max(startLine, (d.endLine ?? d.line) - 1);
  let endCol = Math.max(0, (d.endColumn ?? d.column) - 1);
  if (endLine === startLine && endCol <= startCol) endCol = startCol + 1;
  return new vscode.Range(startLine, startCol, endLine, endCol);
}

/** The document for a pipeline file: an open one (maybe unsaved) or opened from disk. */
export async function openPipelineDocument(file: string): Promise<vscode.TextDocument> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  return open ?? vscode.workspace.openTextDocument(vscode.Uri.file(file));
}
