/**
 * What the request inspector records about one exchange through the proxy (docs/architecture.md,
 * "Request capture"). Plain data: it crosses the worker IPC channel and the control API as JSON.
 */
import type { UpstreamFailureKind } from '../proxy/upstreamFailure';

/** The first bytes of a body, base64 (bodies may be binary), and how long the whole body was. */
export interface CapturedBody {
  /** Bytes of the whole body as it passed (not only the captured part). */
  size: number;
  /** True when the body was longer than the capture limit: `base64` holds only its start. */
  truncated: boolean;
  base64: string;
}

/** Who ended an exchange that did not complete. */
export type FailedBy = 'client' | 'upstream' | 'proxy';
export type FailureKind = UpstreamFailureKind;

export interface CaptureError {
  by: FailedBy;
  kind: FailureKind;
  message: string;
}

/** Milliseconds, measured in the proxy process that served the request. */
export interface CaptureTimings {
  /** The TLS handshake, on the first request of a new connection only. */
  tlsMs?: number;
  /** From handing the request to the upstream pool until it was written on a connection. */
  connectWaitMs?: number;
  /** From writing the request upstream until the response's headers arrived. */
  ttfbMs?: number;
  /** From the request's arrival until its response ended (or failed). */
  totalMs: number;
}

export interface WebSocketFrame {
  /** 'in': from the client; 'out': to the client. */
  dir: 'in' | 'out';
  /** Milliseconds since the handshake. */
  atMs: number;
  opcode: 'text' | 'binary';
  /** The message's start as text (binary messages: base64), capped. */
  data: string;
  size: number;
  truncated: boolean;
  /** permessage-deflate: the payload is compressed, only its size is known. */
  compressed?: boolean;
}

export interface WebSocketCapture {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** The first messages, both directions, in order. */
  frames: WebSocketFrame[];
}

export type HeaderMap = Record<string, string | string[]>;

export interface CaptureRecord {
  id: string;
  /** ISO time the request arrived. */
  startedAt: string;
  host: string;
  /** The router that took it (`web@docker`), or the user route's host; absent: no route (404). */
  router?: string;
  /** The route's target as written (http://127.0.0.1:5000, container:web). */
  target?: string;
  /** Where it went (the resolved upstream). */
  upstream?: string;
  client: { address: string; port?: number };
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  httpVersion: '1.1' | '2';
  requestHeaders: HeaderMap;
  /** As the upstream (or the proxy's own page) answered; absent when nothing answered. */
  responseHeaders?: HeaderMap;
  /** 0 when no response was sent. */
  status: number;
  timings: CaptureTimings;
  /** Body bytes from the client, and to it. */
  bytesIn: number;
  bytesOut: number;
  requestBody?: CapturedBody;
  responseBody?: CapturedBody;
  error?: CaptureError;
  websocket?: WebSocketCapture;
  /** The id of the request this one replays (POST /v1/requests/:id/replay). */
  replayOf?: string;
  /** False for a stream still open, published once its body reached the capture limit. */
  complete: boolean;
}

/** One line of the list: what GET /v1/requests and the `request` event carry. */
export interface CaptureSummary {
  id: string;
  startedAt: string;
  host: string;
  router?: string;
  method: string;
  url: string;
  httpVersion: '1.1' | '2';
  status: number;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  error?: CaptureError;
  websocket?: { messagesIn: number; messagesOut: number };
  replayOf?: string;
  complete: boolean;
}

/** serve --capture-body-kb / --capture-max-requests / --capture-max-mb; absent: --no-capture. */
export interface CaptureSettings {
  /** Bytes of each body kept (0: none). */
  bodyBytes: number;
  maxRequests: number;
  maxBytes: number;
}

export const DEFAULT_CAPTURE: CaptureSettings = {
  bodyBytes: 64 * 1024,
  maxRequests: 1000,
  maxBytes: 32 * 1024 * 1024,
};

/**
 * The header a replay carries from the daemon to the proxy, removed before it goes upstream:
 * `<original id> <id for the replay>`, so the daemon knows which record its replay makes.
 */
export const REPLAY_HEADER = 'x-container-https-replay';

const ID = /^[0-9a-z]{1,8}\.[0-9a-z]{1,12}$/;

export function replayHeader(of: string, id: string): string {
  return `${of} ${id}`;
}

export function parseReplayHeader(value: string): { of: string; id: string } | undefined {
  const [of, id] = value.split(' ');
  return of && id && ID.test(of) && ID.test(id) ? { of, id } : undefined;
}

/**
 * A record as it is kept (the buffer) and sent (worker IPC): flat, so that a thousand records held
 * for minutes are few objects for the garbage collector to walk on every major collection (its
 * marking of them was about half of capture's cost, docs/performance.md). Each side's headers
 * are one string (`name\nvalue\n…`, as they came; header names and values never hold a line
 * feed); body samples one latin1 string each (one char per byte: no Buffer, no base64 until
 * read; truncated when the body was longer); timings integer microseconds (small integers are
 * not heap objects, fractional milliseconds are); the client's address and port, the time, plain
 * fields. `unpackRecord` and `summarize` make the API's shapes from it, on read.
 */
export interface StoredRecord {
  id: string;
  startedAtMs: number;
  host: string;
  router?: string;
  target?: string;
  upstream?: string;
  clientAddress: string;
  clientPort?: number;
  method: string;
  url: string;
  httpVersion: '1.1' | '2';
  reqHead: string;
  resHead?: string;
  status: number;
  tlsUs?: number;
  connectWaitUs?: number;
  ttfbUs?: number;
  totalUs: number;
  bytesIn: number;
  bytesOut: number;
  /** The request body's first bytes as latin1 (absent: no body, or --capture-body-kb 0). */
  reqSample?: string;
  resSample?: string;
  error?: CaptureError;
  websocket?: WebSocketCapture;
  replayOf?: string;
  complete: boolean;
}

/** Milliseconds to the integer microseconds a StoredRecord keeps. */
export const toUs = (ms: number): number => Math.round(ms * 1000);

/** Where undici's header Buffers are gathered before they are decoded as one string; made on first use, grows to the largest head seen. */
let scratch: Buffer | undefined;

/** Raw headers ([name, value, …], as Node's rawHeaders) packed for a StoredRecord. */
export function packHeaders(raw: ReadonlyArray<string | Buffer>): string {
  if (!raw.length) return '';
  if (typeof raw[0] === 'string' && typeof raw[1] === 'string') return (raw as string[]).join('\n');
  // undici's Buffers: copied into one, decoded once (not a string per header, then a join). The
  // scratch Buffer is reused: packing is synchronous, and the string is a copy.
  let n = raw.length - 1;
  for (const x of raw) n += x.length;
  if (!scratch || n > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(n, 16 * 1024));
  const out = scratch;
  let at = 0;
  for (let i = 0; i < raw.length; i++) {
    if (i) out[at++] = 10;
    const x = raw[i];
    if (typeof x === 'string') at += out.write(x, at, 'latin1');
    else if (x.length < 32) {
      // Most names and values are short: a loop the compiler inlines beats a call into set().
      for (let j = 0; j < x.length; j++) out[at + j] = x[j];
      at += x.length;
    } else {
      out.set(x, at);
      at += x.length;
    }
  }
  return out.toString('latin1', 0, at);
}

/** Lower-case names, a repeated header as an array; HTTP/2 pseudo-headers and the replay marker left out. */
export function unpackHeaders(packed: string): HeaderMap {
  const out: HeaderMap = {};
  if (!packed) return out;
  const parts = packed.split('\n');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const name = parts[i].toLowerCase();
    if (name.startsWith(':') || name === REPLAY_HEADER) continue;
    const value = parts[i + 1];
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[name] = [seen, value];
  }
  return out;
}

const ms = (us: number) => us / 1000;

function bodyOf(sample: string | undefined, size: number): CapturedBody | undefined {
  if (sample === undefined) return undefined;
  return { size, truncated: size > sample.length, base64: Buffer.from(sample, 'latin1').toString('base64') };
}

export function unpackRecord(s: StoredRecord): CaptureRecord {
  const timings: CaptureTimings = { totalMs: ms(s.totalUs) };
  if (s.tlsUs !== undefined) timings.tlsMs = ms(s.tlsUs);
  if (s.connectWaitUs !== undefined) timings.connectWaitMs = ms(s.connectWaitUs);
  if (s.ttfbUs !== undefined) timings.ttfbMs = ms(s.ttfbUs);
  const r: CaptureRecord = {
    id: s.id,
    startedAt: new Date(s.startedAtMs).toISOString(),
    host: s.host,
    client:
      s.clientPort === undefined ? { address: s.clientAddress } : { address: s.clientAddress, port: s.clientPort },
    method: s.method,
    url: s.url,
    httpVersion: s.httpVersion,
    requestHeaders: unpackHeaders(s.reqHead),
    status: s.status,
    timings,
    bytesIn: s.bytesIn,
    bytesOut: s.bytesOut,
    complete: s.complete,
  };
  if (s.router !== undefined) r.router = s.router;
  if (s.target !== undefined) r.target = s.target;
  if (s.upstream !== undefined) r.upstream = s.upstream;
  if (s.resHead !== undefined) r.responseHeaders = unpackHeaders(s.resHead);
  const reqBody = bodyOf(s.reqSample, s.bytesIn);
  if (reqBody) r.requestBody = reqBody;
  const resBody = bodyOf(s.resSample, s.bytesOut);
  if (resBody) r.responseBody = resBody;
  if (s.error) r.error = s.error;
  if (s.websocket) r.websocket = s.websocket;
  if (s.replayOf) r.replayOf = s.replayOf;
  return r;
}

export function summarize(r: StoredRecord): CaptureSummary {
  const s: CaptureSummary = {
    id: r.id,
    startedAt: new Date(r.startedAtMs).toISOString(),
    host: r.host,
    router: r.router,
    method: r.method,
    url: r.url,
    httpVersion: r.httpVersion,
    status: r.status,
    durationMs: ms(r.totalUs),
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    complete: r.complete,
  };
  if (r.error) s.error = r.error;
  if (r.websocket) s.websocket = { messagesIn: r.websocket.messagesIn, messagesOut: r.websocket.messagesOut };
  if (r.replayOf) s.replayOf = r.replayOf;
  return s;
}
