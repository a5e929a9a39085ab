// Events as component authors see them, and their flowctl.v1.Event wire form (proto-loader, keepCase).

/** What a handler returns/yields. Everything is optional; sensible defaults are filled in. */
export interface EventInit {
  /** Event type, e.g. "demo.trade.v1". Default: the component's first output event type. */
  type?: string;
  /** Default: "<component id>-<sequence>" (processors keep the input event's id). */
  id?: string;
  /** Bytes, a string (UTF-8), or any other value (JSON-encoded, content type application/json). */
  payload?: Uint8Array | string | unknown;
  metadata?: Record<string, string>;
  /** Default: application/json for JSON-encoded values, text/plain for strings, else application/octet-stream. */
  contentType?: string;
  /** Default: now. */
  timestamp?: Date | number;
  stellarCursor?: { ledgerSequence: number; indexInLedger?: number };
}

/** An event a processor or consumer receives. */
export interface FlowEvent {
  id: string;
  type: string;
  payload: Buffer;
  metadata: Record<string, string>;
  timestamp?: Date;
  sourceComponentId: string;
  contentType: string;
  stellarCursor?: { ledgerSequence: number; indexInLedger: number };
  /** The payload as UTF-8 text. */
  text(): string;
  /** The payload parsed as JSON (throws on invalid JSON). */
  json<T = unknown>(): T;
}

/** flowctl.v1.Event as @grpc/proto-loader hands it over (LOADER_OPTIONS: keepCase, longs as Number). */
export interface WireEvent {
  id: string;
  type: string;
  payload: Buffer | Uint8Array;
  metadata: Record<string, string>;
  timestamp?: { seconds: number; nanos: number } | null;
  source_component_id: string;
  content_type: string;
  stellar_cursor?: { ledger_sequence: number; index_in_ledger: number } | null;
}

export function toTimestamp(t: Date | number): { seconds: number; nanos: number } {
  const ms = typeof t === 'number' ? t : t.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export interface EventDefaults {
  id: string;
  type: string;
  sourceComponentId: string;
  metadata?: Record<string, string>;
}

export function toWireEvent(init: EventInit, defaults: EventDefaults): WireEvent {
  if (init === null || typeof init !== 'object') throw new TypeError(`an event must be an object, got ${init === null ? 'null' : typeof init}`);
  let payload: Buffer;
  let contentType = init.contentType;
  const p = init.payload;
  if (p === undefined) {
    payload = Buffer.alloc(0);
  } else if (p instanceof Uint8Array) {
    payload = Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    contentType ??= 'application/octet-stream';
  } else if (typeof p === 'string') {
    payload = Buffer.from(p, 'utf8');
    contentType ??= 'text/plain';
  } else {
    payload = Buffer.from(JSON.stringify(p), 'utf8');
    contentType ??= 'application/json';
  }
  const type = init.type || defaults.type;
  if (!type) throw new Error('event has no type and the component declares no output event types');
  const wire: WireEvent = {
    id: init.id || defaults.id,
    type,
    payload,
    metadata: { ...(defaults.metadata ?? {}), ...(init.metadata ?? {}) },
    timestamp: toTimestamp(init.timestamp ?? Date.now()),
    source_component_id: defaults.sourceComponentId,
    content_type: contentType ?? '',
  };
  if (init.stellarCursor) {
    wire.stellar_cursor = {
      ledger_sequence: init.stellarCursor.ledgerSequence,
      index_in_ledger: init.stellarCursor.indexInLedger ?? 0,
    };
  }
  return wire;
}

export function fromWireEvent(w: WireEvent): FlowEvent {
  const payload = Buffer.isBuffer(w.payload) ? w.payload : Buffer.from(w.payload ?? []);
  const ts = w.timestamp ? new Date(Number(w.timestamp.seconds) * 1000 + Math.floor((w.timestamp.nanos ?? 0) / 1e6)) : undefined;
  return {
    id: w.id ?? '',
    type: w.type ?? '',
    payload,
    metadata: w.metadata ?? {},
    timestamp: ts,
    sourceComponentId: w.source_component_id ?? '',
    contentType: w.content_type ?? '',
    stellarCursor: w.stellar_cursor
      ? { ledgerSequence: Number(w.stellar_cursor.ledger_sequence), indexInLedger: Number(w.stellar_cursor.index_in_ledger) }
      : undefined,
    text: () => payload.toString('utf8'),
    json: <T>() => JSON.parse(payload.toString('utf8')) as T,
  };
}
