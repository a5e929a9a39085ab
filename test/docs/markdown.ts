// Reading the docs/ pages in tests: fenced code blocks with the `<!-- doc-test: … -->` marker that
// precedes them, headings and their anchors, table rows, and the messages quoted after a marker.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';

export function docPath(name: string): string {
  return path.join(repoRoot(), 'docs', name);
}

export function readDoc(name: string): string {
  return fs.readFileSync(docPath(name), 'utf8');
}

export interface CodeBlock {
  /** The info string after the opening fence, e.g. `ts`. */
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The words of the `<!-- doc-test: … -->` comment on the line before the fence (blank lines allowed), if any. */
  marker?: string[];
}

/** Every fenced code block (``` or ~~~) of a markdown text, in order. */
export function codeBlocks(text: string): CodeBlock[] {
  const lines = text.split('\n');
  const out: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[2];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      if (lines[j].trim().startsWith(fence) && lines[j].trim().replace(/[`~]/g, '') === '') break;
      body.push(lines[j]);
    }
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const m = k >= 0 ? /^<!--\s*doc-test:\s*(.*?)\s*-->$/.exec(lines[k].trim()) : null;
    out.push({ lang: open[3], code: body.join('\n') + '\n', line: i + 1, marker: m ? m[1].split(/\s+/) : undefined });
    i = j;
  }
  return out;
}

/** The text of a markdown file with its code blocks blanked out (so headings and tables inside them do not count). */
export function withoutCode(text: string): string {
  const lines = text.split('\n');
  let fence: string | null = null;
  return lines
    .map((l) => {
      const f = /^\s*(`{3,}|~{3,})/.exec(l);
      if (fence) {
        if (f && l.trim().startsWith(fence)) fence = null;
        return '';
      }
      if (f) {
        fence = f[1];
        return '';
      }
      return l;
    })
    .join('\n');
}

export interface Heading {
  level: number;
  text: string;
  /** 1-based line. */
  line: number;
  slug: string;
}

/**
 * The anchor VS Code's markdown preview (and GitHub) gives a heading: lower case, punctuation removed,
 * spaces as dashes. Good enough for the headings these pages use (letters, digits, `._-` and backticks).
 */
export function slugify(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/[\]\[!/'"#$%&()*+,.:;<=>?@\\^{|}~`]/g, '')
    .replace(/^-+|-+$/g, '');
}

export function headings(text: string): Heading[] {
  const out: Heading[] = [];
  withoutCode(text)
    .split('\n')
    .forEach((l, i) => {
      const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(l);
      if (m) out.push({ level: m[1].length, text: m[2], line: i + 1, slug: slugify(m[2]) });
    });
  return out;
}

/** Links `[text](target)` outside code blocks. */
export function links(text: string): Array<{ text: string; target: string; line: number }> {
  const out: Array<{ text: string; target: string; line: number }> = [];
  withoutCode(text)
    .split('\n')
    .forEach((l, i) => {
      for (const m of l.replace(/`[^`]*`/g, '').matchAll(/\[([^\]]*)\]\(([^)\s]+)\)/g)) out.push({ text: m[1], target: m[2], line: i + 1 });
    });
  return out;
}
