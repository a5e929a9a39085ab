// The partition key of an event, read off its wire bytes (no decode): what the hub spreads events of a
// replicated component by when the component declares a key. `id`, `type` and `source_component_id`
// name Event fields; any other name is looked up in the event's metadata map.
//
// flowctl.v1.Event: 1 id, 2 type, 3 payload, 4 metadata (map<string,string>), 5 timestamp,
// 6 source_component_id, 7 content_type, 8 stellar_cursor.

const FIELD_OF: Record<string, number> = { id: 1, type: 2, source_component_id: 6 };
const METADATA = 4;

interface Cursor {
  pos: number;
}

function varint(buf: Uint8Array, c: Cursor, end: number): number {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10 && c.pos < end; i++) {
    const b = buf[c.pos++];
    value += (b & 0x7f) * mul;
    if (b < 0x80) return value;
    mul *= 128;
  }
  c.pos = -1;
  return 0;
}

/** Calls `each(field, start, end)` for every length-delimited field of buf[start, end); stops at damage. */
function scan(buf: Uint8Array, start: number, end: number, each: (field: number, s: number, e: number) => boolean | void): void {
  const c: Cursor = { pos: start };
  while (c.pos >= 0 && c.pos < end) {
    const tag = varint(buf, c, end);
    if (c.pos < 0) return;
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint(buf, c, end);
      if (c.pos < 0 || c.pos + len > end) return;
      if (each(Math.floor(tag / 8), c.pos, c.pos + len) === true) return;
      c.pos += len;
    } else if (wire === 0) {
      varint(buf, c, end);
    } else if (wire === 1) {
      c.pos += 8;
    } else if (wire === 5) {
      c.pos += 4;
    } else {
      return;
    }
  }
}

const decoder = new TextDecoder();

/** The event's value for `key` (undefined when the event has none). buf[start, end) is one serialized Event. */
export function eventKeyOf(buf: Uint8Array, start: number, end: number, key: string): string | undefined {
  const field = FIELD_OF[key];
  let found: string | undefined;
  if (field !== undefined) {
    scan(buf, start, end, (f, s, e) => {
      if (f === field) found = decoder.decode(buf.subarray(s, e));
    });
    return found;
  }
  const want = Buffer.from(key, 'utf8');
  scan(buf, start, end, (f, s, e) => {
    if (f !== METADATA) return;
    let k: Uint8Array | undefined;
    let v: Uint8Array | undefined;
    scan(buf, s, e, (ef, es, ee) => {
      if (ef === 1) k = buf.subarray(es, ee);
      else if (ef === 2) v = buf.subarray(es, ee);
    });
    if (k && Buffer.compare(Buffer.from(k.buffer, k.byteOffset, k.length), want) === 0) found = v ? decoder.decode(v) : '';
  });
  return found;
}

/** FNV-1a over the key's characters: a stable spread of keys over replicas. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
