import type { StoredRecord } from './types';

/**
 * A StoredRecord as bytes, which is how the capture buffer keeps it: a thousand records kept as
 * bytes in a few Buffers are no objects for the garbage collector to copy, promote and mark,
 * which was half of what capture cost (docs/performance.md, "What request capture costs").
 *
 * Layout (Slab's typed views read it in place): the numbers and every string's length (ABSENT:
 * undefined) at fixed offsets, then the strings' bytes one after another. Header blocks, body samples and the URL are byte strings (Node decodes what
 * arrives as latin1, one char per byte), so they are written as latin1; names that come from
 * configuration, the error and the WebSocket part (as JSON) are UTF-8.
 */
const ABSENT = 0xffffffff;
const NO_NUMBER = -1;

/** Float64 slots of the fixed part, then Uint32 slots; records start at multiples of 8. */
const F_STARTED = 0;
const F_TOTAL = 1;
const F_TLS = 2;
const F_WAIT = 3;
const F_TTFB = 4;
const F_IN = 5;
const F_OUT = 6;
const U_PORT = 14;
const U_STATUS_FLAGS = 15;
/** The lengths of the strings, in the order they follow the fixed part. */
const U_LENGTHS = 16;
const STRINGS = 15;
const FIXED = 4 * (U_LENGTHS + STRINGS);

const HTTP2 = 1 << 16;
const COMPLETE = 2 << 16;

/** Node's own Buffer methods behind buf.write() and buf.toString(), without their argument handling (the hot path). */
interface RawBuffer extends Buffer {
  latin1Write(s: string, at: number): number;
  utf8Write(s: string, at: number): number;
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** A Buffer records are written into, with the typed views of its fixed parts. */
export class Slab {
  readonly buf: RawBuffer;
  readonly f64: Float64Array;
  readonly u32: Uint32Array;

  constructor(bytes: number) {
    // Its own memory, outside the pool: aligned for the views, and freed with the slab.
    const buf = Buffer.allocUnsafeSlow(bytes + ((8 - (bytes % 8)) % 8));
    this.buf = buf as RawBuffer;
    this.f64 = new Float64Array(buf.buffer, buf.byteOffset, buf.length >> 3);
    this.u32 = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
  }

  get length(): number {
    return this.buf.length;
  }
}

/** Where a record written at `at` ends, rounded up so the next one starts aligned. */
export const alignedEnd = (at: number, length: number): number => (at + length + 7) & ~7;

/** The bytes a record may take at most (UTF-8: up to 3 bytes per UTF-16 unit), to find room before writing. */
export function encodedBound(r: StoredRecord): number {
  let n = FIXED + 8 + r.id.length + r.clientAddress.length + r.method.length + r.url.length + r.reqHead.length;
  n += 3 * (r.host.length + (r.router?.length ?? 0) + (r.target?.length ?? 0) + (r.upstream?.length ?? 0));
  n += (r.resHead?.length ?? 0) + (r.reqSample?.length ?? 0) + (r.resSample?.length ?? 0);
  n += r.replayOf?.length ?? 0;
  if (r.error) n += 3 * JSON.stringify(r.error).length;
  if (r.websocket) n += 3 * JSON.stringify(r.websocket).length;
  return n;
}

/** The exact size of a record's bytes. */
export function encodedLength(r: StoredRecord): number {
  const slab = new Slab(encodedBound(r));
  return encodeRecord(r, slab, 0);
}

/** Writes `r` at `at` (a multiple of 8, with encodedBound(r) bytes of room) and returns the bytes written. */
export function encodeRecord(r: StoredRecord, slab: Slab, at: number): number {
  const { buf, f64, u32 } = slab;
  const f = at >> 3;
  f64[f + F_STARTED] = r.startedAtMs;
  f64[f + F_TOTAL] = r.totalUs;
  f64[f + F_TLS] = r.tlsUs ?? NO_NUMBER;
  f64[f + F_WAIT] = r.connectWaitUs ?? NO_NUMBER;
  f64[f + F_TTFB] = r.ttfbUs ?? NO_NUMBER;
  f64[f + F_IN] = r.bytesIn;
  f64[f + F_OUT] = r.bytesOut;
  const u = at >> 2;
  u32[u + U_PORT] = r.clientPort ?? ABSENT;
  u32[u + U_STATUS_FLAGS] = r.status | (r.httpVersion === '2' ? HTTP2 : 0) | (r.complete ? COMPLETE : 0);
  let p = at + FIXED;
  let l = u + U_LENGTHS;
  // Unrolled, field by field: a loop over names would be a keyed (slow) property read each time.
  p += u32[l++] = buf.latin1Write(r.id, p);
  p += u32[l++] = buf.utf8Write(r.host, p);
  if (r.router === undefined) u32[l++] = ABSENT;
  else p += u32[l++] = buf.utf8Write(r.router, p);
  if (r.target === undefined) u32[l++] = ABSENT;
  else p += u32[l++] = buf.utf8Write(r.target, p);
  if (r.upstream === undefined) u32[l++] = ABSENT;
  else p += u32[l++] = buf.utf8Write(r.upstream, p);
  p += u32[l++] = buf.latin1Write(r.clientAddress, p);
  p += u32[l++] = buf.latin1Write(r.method, p);
  p += u32[l++] = buf.latin1Write(r.url, p);
  p += u32[l++] = buf.latin1Write(r.reqHead, p);
  if (r.resHead === undefined) u32[l++] = ABSENT;
  else p += u32[l++] = buf.latin1Write(r.resHead, p);
  if (r.reqSample === undefined) u32[l++] = ABSENT;
  else p += u32[l++] = buf.latin1Write(r.reqSample, p);
  if (r.resSample === undefined) u32[l++] = ABSENT;
  else p += u32[l++] = buf.latin1Write(r.resSample, p);
  if (r.replayOf === undefined) u32[l++] = ABSENT;
  else p += u32[l++] = buf.latin1Write(r.replayOf, p);
  if (r.error === undefined) u32[l++] = ABSENT;
  else p += u32[l++] = buf.utf8Write(JSON.stringify(r.error), p);
  if (r.websocket === undefined) u32[l] = ABSENT;
  else p += u32[l] = buf.utf8Write(JSON.stringify(r.websocket), p);
  return p - at;
}

function readText(slab: Slab, u: number, p: number, i: number, utf8: boolean): string | undefined {
  const n = slab.u32[u + U_LENGTHS + i];
  if (n === ABSENT) return undefined;
  return utf8 ? slab.buf.utf8Slice(p, p + n) : slab.buf.latin1Slice(p, p + n);
}

/** The id alone (the first string), without decoding the rest. */
export function decodeId(slab: Slab, at: number): string {
  const n = slab.u32[(at >> 2) + U_LENGTHS];
  return slab.buf.latin1Slice(at + FIXED, at + FIXED + n);
}

/** Which of the strings are UTF-8, in their order (the others are latin1). */
const UTF8 = [false, true, true, true, true, false, false, false, false, false, false, false, false, true, true];

export function decodeRecord(slab: Slab, at: number): StoredRecord {
  const { f64, u32 } = slab;
  const f = at >> 3;
  const u = at >> 2;
  const texts: Array<string | undefined> = [];
  let p = at + FIXED;
  for (let i = 0; i < STRINGS; i++) {
    texts.push(readText(slab, u, p, i, UTF8[i]));
    const n = u32[u + U_LENGTHS + i];
    if (n !== ABSENT) p += n;
  }
  const [id, host, router, target, upstream, clientAddress, method, url, reqHead, resHead, reqSample, resSample] =
    texts;
  const [replayOf, error, websocket] = texts.slice(12);
  const num = (v: number) => (v === NO_NUMBER ? undefined : v);
  const port = u32[u + U_PORT];
  const statusFlags = u32[u + U_STATUS_FLAGS];
  const r: StoredRecord = {
    id: id!,
    startedAtMs: f64[f + F_STARTED],
    host: host!,
    clientAddress: clientAddress!,
    method: method!,
    url: url!,
    httpVersion: statusFlags & HTTP2 ? '2' : '1.1',
    reqHead: reqHead!,
    status: statusFlags & 0xffff,
    totalUs: f64[f + F_TOTAL],
    bytesIn: f64[f + F_IN],
    bytesOut: f64[f + F_OUT],
    complete: (statusFlags & COMPLETE) !== 0,
  };
  // Only what is there: a decoded record looks like one built by hand (JSON and deepEqual alike).
  const optional: Partial<StoredRecord> = {
    router,
    target,
    upstream,
    clientPort: port === ABSENT ? undefined : port,
    resHead,
    tlsUs: num(f64[f + F_TLS]),
    connectWaitUs: num(f64[f + F_WAIT]),
    ttfbUs: num(f64[f + F_TTFB]),
    reqSample,
    resSample,
    replayOf,
    error: error === undefined ? undefined : (JSON.parse(error) as StoredRecord['error']),
    websocket: websocket === undefined ? undefined : (JSON.parse(websocket) as StoredRecord['websocket']),
  };
  for (const key of Object.keys(optional) as Array<keyof StoredRecord>)
    if (optional[key] !== undefined) (r as unknown as Record<string, unknown>)[key] = optional[key];
  return r;
}
