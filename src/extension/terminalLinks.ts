// Clickable file:line links in the component terminals. Components run in the pipeline's folder,
// so relative paths resolve there (VS Code's own link detection does not know a Pseudoterminal's
// working directory); only files that exist become links.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findFileLinks } from '../core/logs/links';
import type { ComponentTerminals } from './terminals';

export interface FileTerminalLink extends vscode.TerminalLink {
  file: string;
  line: number;
  column?: number;
}

/** Existence checks are cached briefly: the provider runs for every line the user hovers. */
const EXISTS_TTL_MS = 5000;
const EXISTS_MAX = 500;

export class ComponentTerminalLinks implements vscode.TerminalLinkProvider<FileTerminalLink> {
  private readonly exists = new Map<string, { at: number; ok: boolean }>();

  constructor(private readonly terminals: ComponentTerminals) {}

  provideTerminalLinks(context: vscode.TerminalLinkContext): FileTerminalLink[] {
    const entry = this.terminals.entryOf(context.terminal);
    if (!entry) return [];
    const base = path.dirname(entry.file);
    const out: FileTerminalLink[] = [];
    for (const l of findFileLinks(context.line)) {
      const raw = l.path.startsWith('~/') ? path.join(process.env.HOME ?? '', l.path.slice(2)) : l.path;
      const file = path.isAbsolute(raw) ? raw : path.resolve(base, raw);
      if (!this.isFile(file)) continue;
      out.push({ startIndex: l.start, length: l.length, tooltip: `Open ${path.basename(file)} at line ${l.line}`, file, line: l.line, column: l.column });
    }
    return out;
  }

  async handleTerminalLink(link: FileTerminalLink): Promise<void> {
    const pos = new vscode.Position(Math.max(0, link.line - 1), Math.max(0, (link.column ?? 1) - 1));
    await vscode.window.showTextDocument(vscode.Uri.file(link.file), { selection: new vscode.Range(pos, pos), preview: true });
  }

  private isFile(file: string): boolean {
    const now = Date.now();
    const hit = this.exists.get(file);
    if (hit && now - hit.at < EXISTS_TTL_MS) return hit.ok;
    let ok = false;
    try {
      ok = fs.statSync(file).isFile();
    } catch {
      ok = false;
    }
    if (this.exists.size >= EXISTS_MAX) this.exists.delete(this.exists.keys().next().value!);
    this.exists.set(file, { at: now, ok });
    return ok;
  }
}
