// What a component's program file is, read from the file itself (bounded reads): a script's shebang
// line, and whether a binary was built by Go (Delve can debug it).
import * as fs from 'node:fs';

export interface ProgramFacts {
  /** `#!…` line without the `#!`, when the file starts with one. */
  shebang?: string;
  /** Built by the Go toolchain (has Go build information). */
  goBinary?: boolean;
}

/** At most this much of a binary is searched for Go's build-info marker when its sections do not tell. */
const GO_SCAN_LIMIT = 32 * 1024 * 1024;
const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const GO_SECTIONS = new Set(['.go.buildinfo', '.gopclntab', '.note.go.buildid', '__go_buildinfo', '__gopclntab']);

function readAt(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

/** Section names of an ELF file (undefined when it is not one or its headers are out of bounds). */
export function elfSectionNames(fd: number, size: number): string[] | undefined {
  const h = readAt(fd, 64, 0);
  if (h.length < 52 || h.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = h[4] === 2;
  const le = h[5] === 1;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const uN = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
  if (is64 && h.length < 64) return undefined;
  const shoff = uN(h, is64 ? 0x28 : 0x20);
  const shentsize = u16(h, is64 ? 0x3a : 0x2e);
  const shnum = u16(h, is64 ? 0x3c : 0x30);
  const shstrndx = u16(h, is64 ? 0x3e : 0x32);
  if (!shoff || !shnum || shnum > 8192 || shentsize < (is64 ? 64 : 40) || shstrndx >= shnum || shoff + shnum * shentsize > size) return undefined;
  const table = readAt(fd, shnum * shentsize, shoff);
  if (table.length < shnum * shentsize) return undefined;
  const sec = (i: number) => {
    const o = i * shentsize;
    return { name: u32(table, o), offset: uN(table, o + (is64 ? 0x18 : 0x10)), size: uN(table, o + (is64 ? 0x20 : 0x14)) };
  };
  const strs = sec(shstrndx);
  if (strs.size > 1024 * 1024 || strs.offset + strs.size > size) return undefined;
  const names = readAt(fd, strs.size, strs.offset);
  const out: string[] = [];
  for (let i = 0; i < shnum; i++) {
    const start = sec(i).name;
    if (start >= names.length) continue;
    const end = names.indexOf(0, start);
    out.push(names.toString('latin1', start, end < 0 ? names.length : end));
  }
  return out;
}

function scanForGoMarker(fd: number, size: number): boolean {
  const chunk = 1024 * 1024;
  const overlap = GO_BUILDINFO_MAGIC.length - 1;
  for (let pos = 0; pos < Math.min(size, GO_SCAN_LIMIT); pos += chunk - overlap) {
    if (readAt(fd, chunk, pos).includes(GO_BUILDINFO_MAGIC)) return true;
  }
  return false;
}

/** Reads what the program file says about itself; an unreadable file says nothing. */
export function programFacts(file: string): ProgramFacts {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return {};
    const head = readAt(fd, 256, 0);
    if (head[0] === 0x23 && head[1] === 0x21) {
      const line = head.toString('utf8', 2).split('\n')[0].trim();
      return { shebang: line };
    }
    const sections = elfSectionNames(fd, st.size);
    if (sections) return sections.some((s) => GO_SECTIONS.has(s)) ? { goBinary: true } : {};
    // Other formats (Mach-O, PE) or stripped section tables: Go's build-info marker is in the data.
    const binary = head.includes(0);
    return binary && scanForGoMarker(fd, st.size) ? { goBinary: true } : {};
  } catch {
    return {};
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
