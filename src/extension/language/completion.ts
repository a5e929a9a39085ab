// Completion in pipeline files, from the core's model (src/core/pipeline/assist.ts): component ids in
// inputs/depends_on, keys and enum values from schemas/flow.schema.json at the cursor's place.
import * as vscode from 'vscode';
import type { AssistItem } from '../../core/pipeline/assist';
import { assistModule, documentModel, schemaHandledElsewhere } from './shared';

const KIND: Record<AssistItem['kind'], vscode.CompletionItemKind> = {
  component: vscode.CompletionItemKind.Reference,
  key: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.EnumMember,
};

/** Typing these opens the list where it can help (`inputs: [`, `, `, `- `). */
export const TRIGGER_CHARACTERS = ['[', ',', ' ', '-', '"'];

export class PipelineCompletions implements vscode.CompletionItemProvider {
  async provideCompletionItems(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionList | undefined> {
    const parsed = await documentModel(doc);
    if (!parsed.isPipeline) return undefined;
    const { completeAt } = await assistModule();
    const text = doc.getText();
    const result = completeAt(text, doc.offsetAt(position), parsed.pipeline);
    // With the YAML extension installed, it already offers the schema's keys and values for flow.yml.
    const items = schemaHandledElsewhere(doc) ? result.items.filter((i) => i.kind === 'component') : result.items;
    if (items.length === 0) return undefined;
    const range = new vscode.Range(doc.positionAt(result.replace.start), doc.positionAt(result.replace.end));
    return new vscode.CompletionList(
      items.map((i) => {
        const item = new vscode.CompletionItem(i.label, KIND[i.kind]);
        item.insertText = i.snippet ? new vscode.SnippetString(i.snippet) : i.insertText;
        item.range = range;
        item.sortText = i.sortText;
        item.filterText = i.label;
        if (i.detail) item.detail = i.detail;
        if (i.documentation) item.documentation = new vscode.MarkdownString(i.documentation);
        if (i.preselect) item.preselect = true;
        return item;
      }),
      false,
    );
  }
}
