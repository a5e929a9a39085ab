// One-line text that came over the wire (ids, names, messages), made safe to print or to echo back:
// every control character (C0, DEL, C1 — so ESC sequences and newlines too) becomes `?`, and long text
// is cut. (The hygiene work's src/core/text/terminal.ts does the same for every CLI field; this is the
// runner service's and the control commands' own small copy.)
export function printable(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
