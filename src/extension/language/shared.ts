// What the language features share: the core's assist module (loaded on first use, like the
// validator) and whether the YAML extension already serves the schema for a document.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Pipeline } from '../../core/pipeline/model';
import { LIVE_VALIDATION_MAX_CHARS } from '../limits';
import { couldBePipeline, parseDocument, pipelineLoader } from '../pipelineDocs';

type AssistModule = typeof import('../../core/pipeline/assist');
let assist: Promise<AssistModule> | undefined;

export function assistModule(): Promise<AssistModule> {
  return (assist ??= import('../../core/pipeline/assist'));
}

/**
 * True when redhat.vscode-yaml is installed and our `yamlValidation` contribution (flow.yml,
 * flow.yaml) gives it the schema for this file: it then completes keys and enum values and shows
 * their descriptions itself, and ours would be listed twice. Component ids are always ours.
 */
export function schemaHandledElsewhere(doc: vscode.TextDocument): boolean {
  return /^flow\.ya?ml$/i.test(path.basename(doc.fileName)) && !!vscode.extensions.getExtension('redhat.vscode-yaml');
}

/**
 * Is the document a pipeline, and its model: from the cached parse, or, for documents too large to
 * parse on every keystroke, from a cheap check only (completion then reads the text alone).
 */
export async function documentModel(doc: vscode.TextDocument): Promise<{ isPipeline: boolean; pipeline?: Pipeline }> {
  const text = doc.getText();
  if (text.length <= LIVE_VALIDATION_MAX_CHARS) return parseDocument(doc);
  if (!couldBePipeline(doc)) return { isPipeline: false };
  return { isPipeline: (await pipelineLoader()).isPipelineDocument(text, doc.fileName) };
}
