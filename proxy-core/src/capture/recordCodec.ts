import type { StoredRecord } from './types';

/**
 * A StoredRecord as bytes, which is how the capture buffer keeps it: a thousand records kept as
 * bytes in a few Buffers are no objects for the garbage collector to copy, promote and mark,
 * which was half of what capture cost (docs/performance.md, "What request capture costs").
 *
 * Layout (Slab's typed views read it in place): the numbers and the strings' lengths at fixed
 * offsets, then the strings. Every string but the body samples is written as one UTF-8 run (one
 * call into Node per record instead of one per string: those calls were most of the encoding's
 * cost), its parts' lengths counted in UTF-16 units so that reading slices them out again; the
 * body samples, byte strings (latin1, one char per byte: Node decodes what arrives so), follow
 * as latin1, so a binary body takes one byte per byte.
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
/** The lengths of the text's parts (UTF-16 units; ABSENT: undefined), in TEXT's order. */
const U_LENGTHS = 16;
const TEXT = 13;
/** The UTF-8 bytes of the whole text, then the bytes of each body sample (ABSENT: undefined). */
const U_TEXT_BYTES = U_LENGTHS + TEXT;
const U_REQ_SAMPLE = U_TEXT_BYTES + 1;
const U_RES_SAMPLE = U_TEXT_BYTES + 2;
const FIXED = 4 * (U_RES_SAMPLE + 1);

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
  let n = r.id.length + r.host.length + (r.router?.length ?? 0) + (r.target?.length ?? 0);
  n += (r.upstream?.length ?? 0) + r.clientAddress.length + r.method.length + r.url.length + r.reqHead.length;
  n += (r.resHead?.length ?? 0) + (r.replayOf?.length ?? 0);
  if (r.error) n += JSON.stringify(r.error).length;
  if (r.websocket) n += JSON.stringify(r.websocket).length;
  return FIXED + 8 + 3 * n + (r.reqSample?.length ?? 0) + (r.resSample?.length ?? 0);
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
  // Unrolled, part by part, in TEXT's order: a loop over names would be a keyed (slow) read each.
  let l = u + U_LENGTHS;
  let text = r.id;
  u32[l++] = r.id.length;
  text += r.host;
  u32[l++] = r.host.length;
  u32[l++] = r.router === undefined ? ABSENT : r.router.length;
  if (r.router !== undefined) text += r.router;
  u32[l++] = r.target === undefined ? ABSENT : r.target.length;
  if (r.target !== undefined) text += r.target;
  u32[l++] = r.upstream === undefined ? ABSENT : r.upstream.length;
  if (r.upstream !== undefined) text += r.upstream;
  text += r.clientAddress;
  u32[l++] = r.clientAddress.length;
  text += r.method;
  u32[l++] = r.method.length;
  text += r.url;
  u32[l++] = r.url.length;
  text += r.reqHead;
  u32[l++] = r.reqHead.length;
  u32[l++] = r.resHead === undefined ? ABSENT : r.resHead.length;
  if (r.resHead !== undefined) text += r.resHead;
  u32[l++] = r.replayOf === undefined ? ABSENT : r.replayOf.length;
  if (r.replayOf !== undefined) text += r.replayOf;
  const error = r.error && JSON.stringify(r.error);
  u32[l++] = error === undefined ? ABSENT : error.length;
  if (error !== undefined) text += error;
  const websocket = r.websocket && JSON.stringify(r.websocket);
  u32[l] = websocket === undefined ? ABSENT : websocket.length;
  if (websocket !== undefined) text += websocket;
  let p = at + FIXED;
  p += u32[u + U_TEXT_BYTES] = buf.utf8Write(text, p);
  if (r.reqSample === undefined) u32[u + U_REQ_SAMPLE] = ABSENT;
  else p += u32[u + U_REQ_SAMPLE] = buf.latin1Write(r.reqSample, p);
  if (r.resSample === undefined) u32[u + U_RES_SAMPLE] = ABSENT;
  else p += u32[u + U_RES_SAMPLE] = buf.latin1Write(r.resSample, p);
  return p - at;
}

/**
 * Records one after another in one Buffer, each at a multiple of 8, as they cross from a worker to
 * the daemon (capture/captureBatcher.ts): the daemon copies the bytes into its capture buffer as
 * they are (CaptureBuffer.addEncoded), where a record sent as JSON was stringified, parsed and
 * encoded again (docs/performance.md, "Tenth pass").
 */
export interface EncodedRecords {
  bytes: Buffer;
  /** Each record's length in `bytes`; the next starts at alignedEnd() of the one before. */
  lengths: number[];
}

/** Whether the record at `at` is final, without decoding it. */
export function decodeComplete(slab: Slab, at: number): boolean {
  return (slab.u32[(at >> 2) + U_STATUS_FLAGS] & COMPLETE) !== 0;
}

/** The id alone (the text's first part, ASCII: one byte a char), without decoding the rest. */
export function decodeId(slab: Slab, at: number): string {
  const n = slab.u32[(at >> 2) + U_LENGTHS];
  return slab.buf.latin1Slice(at + FIXED, at + FIXED + n);
}

export function decodeRecord(slab: Slab, at: number): StoredRecord {
  const { buf, f64, u32 } = slab;
  const f = at >> 3;
  const u = at >> 2;
  let p = at + FIXED;
  const text = buf.utf8Slice(p, (p += u32[u + U_TEXT_BYTES]));
  const parts: Array<string | undefined> = [];
  for (let i = 0, c = 0; i < TEXT; i++) {
    const n = u32[u + U_LENGTHS + i];
    if (n === ABSENT) parts.push(undefined);
    else parts.push(text.slice(c, (c += n)));
  }
  const sample = (slot: number) => {
    const n = u32[u + slot];
    return n === ABSENT ? undefined : buf.latin1Slice(p, (p += n));
  };
  const reqSample = sample(U_REQ_SAMPLE);
  const resSample = sample(U_RES_SAMPLE);
  const [id, host, router, target, upstream, clientAddress, method, url, reqHead, resHead, replayOf, error, websocket] =
    parts;
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
