// file:line references in log lines, so front ends can make them clickable: `src/app.ts:12`,
// `./x.js:3:7`, `/abs/path/f.go:42`, Node stack frames `at f (/abs/x.js:1:2)`, `file:///x.js:1:2`,
// Python's `File "x.py", line 12`. Candidates only: the caller checks the file exists (relative paths
// are relative to the component's working directory, the pipeline's folder). Pure.

export interface FileLink {
  /** Offset and length of the clickable text in the line. */
  start: number;
  length: number;
  path: string;
  /** 1-based. */
  line: number;
  column?: number;
}

/** A path with an extension that starts with a letter (so `127.0.0.1:80` and `12:03:04` are not paths), then :line[:col]. */
const PATH_LINE = /(?:file:\/\/)?((?:[A-Za-z]:[\\/]|~\/|\/|\.{1,2}[\\/])?(?:[\w@.+\-]+[\\/])*[\w@+\-][\w@.+\-]*\.[A-Za-z][\w]{0,9}):(\d{1,7})(?::(\d{1,5}))?/g;
const PYTHON = /File "([^"]{1,500})", line (\d{1,7})/g;
const MAX_LINKS = 20;

export function findFileLinks(text: string): FileLink[] {
  if (text.length > 4000) text = text.slice(0, 4000);
  const links: FileLink[] = [];
  for (const m of text.matchAll(PYTHON)) {
    if (links.length >= MAX_LINKS) break;
    const start = m.index! + m[0].indexOf('"') + 1;
    links.push({ start, length: m[0].length - (start - m.index!), path: m[1], line: Number(m[2]) });
  }
  for (const m of text.matchAll(PATH_LINE)) {
    if (links.length >= MAX_LINKS) break;
    const start = m.index!;
    // Not inside a URL (http://host/x.js:1 is a web address, not a local file).
    const tokenStart = Math.max(text.lastIndexOf(' ', start), text.lastIndexOf('\t', start), text.lastIndexOf('(', start)) + 1;
    const token = text.slice(tokenStart, start) + m[0];
    if (!token.startsWith('file://') && /^[a-z][\w+.-]*:\/\//i.test(token)) continue;
    if (links.some((l) => start < l.start + l.length && l.start < start + m[0].length)) continue;
    const line = Number(m[2]);
    if (line < 1) continue;
    links.push({ start, length: m[0].length, path: m[1], line, ...(m[3] ? { column: Number(m[3]) } : {}) });
  }
  return links.sort((a, b) => a.start - b.start);
}
