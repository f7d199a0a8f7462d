import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { isLoopback } from '../proxy/requestInfo';
import { BodySample } from './bodySample';
import { nextCaptureId } from './captureId';
import { hosts } from './intern';
import { CLIENT_ABORT, UPLOAD_ABORT, classifyUpstreamError } from './failure';
import { type CaptureError, REPLAY_HEADER, type StoredRecord, packHeaders, parseReplayHeader, toUs } from './types';

type AnyRequest = http.IncomingMessage | http2.Http2ServerRequest;
type AnyResponse = http.ServerResponse | http2.Http2ServerResponse;

/** Where a proxy process hands its finished records (the daemon's buffer, or a worker's batch to it). */
export interface CaptureSink {
  /** Bytes kept of each body (0: none). */
  bodyBytes: number;
  publish(record: StoredRecord): void;
}

/**
 * One HTTP exchange as it passes through HttpsProxy: the request as it arrived, the route, the
 * upstream's timings, status and headers, the first bytes of both bodies, and how it ended. It
 * only watches: the body chunks it sees are the ones on their way (copied up to the limit, never
 * held back), and the record is published when the response closes. A stream still open when its
 * body reaches the limit is published then too, marked incomplete, and replaced when it ends.
 */
export class ExchangeCapture {
  private readonly started = performance.now();
  private readonly record: StoredRecord;
  /** Made when a body passes (most requests have none). */
  private reqBody?: BodySample;
  private resBody?: BodySample;
  private dispatchedAt?: number;
  private connectedAt?: number;
  private upstreamHeaders?: string;
  private error?: CaptureError;
  private published = false;
  /** The request, once its body is watched (watchRequestBody). */
  private req?: AnyRequest;
  /** The forwarder's own reaction to the client going away (ForwardObserver.onClientClose). */
  private relayClosed?: () => void;

  constructor(
    private readonly sink: CaptureSink,
    req: AnyRequest,
    private readonly res: AnyResponse,
    host: string,
    /** The TLS handshake, when this is the first request of a new connection (handshakeTiming.ts). */
    tlsMs: number | undefined,
  ) {
    const replayOf = req.headers[REPLAY_HEADER];
    // The daemon's marker for a replay: it links the record and is no business of the backend.
    if (replayOf !== undefined) delete req.headers[REPLAY_HEADER];
    const socket = req.socket;
    this.record = {
      id: nextCaptureId(),
      startedAtMs: Date.now(),
      host: hosts.get(host),
      router: undefined,
      target: undefined,
      upstream: undefined,
      clientAddress: socket?.remoteAddress ?? '',
      clientPort: socket?.remotePort,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      httpVersion: req.httpVersionMajor === 2 ? '2' : '1.1',
      // As they arrived: rawHeaders is untouched by the hop-by-hop stripping that follows.
      reqHead: packHeaders(req.rawHeaders),
      resHead: undefined,
      status: 0,
      // Every field set from the start: one hidden class for all records.
      tlsUs: tlsMs === undefined ? undefined : toUs(tlsMs),
      connectWaitUs: undefined,
      ttfbUs: undefined,
      totalUs: 0,
      bytesIn: 0,
      bytesOut: 0,
      reqSample: undefined,
      resSample: undefined,
      error: undefined,
      replayOf: undefined,
      complete: false,
    };
    // Only the daemon sends replays, on loopback: a client elsewhere (a LAN bind) could otherwise
    // name the id of a record to overwrite.
    if (typeof replayOf === 'string' && isLoopback(socket?.remoteAddress)) {
      const replay = parseReplayHeader(replayOf);
      if (replay) {
        this.record.replayOf = replay.of;
        this.record.id = replay.id;
      }
    }
    // 'close' comes once: `on` spares once()'s wrapper and its state object.
    res.on('close', () => {
      this.finish();
      this.relayClosed?.();
    });
  }

  onClientClose(closed: () => void): void {
    this.relayClosed = closed;
  }

  routed(router: string, target: string, upstream?: string): void {
    this.record.router = router;
    this.record.target = target;
    if (upstream) this.record.upstream = upstream;
  }

  /**
   * Watches the request body on its way upstream: a 'data' listener beside undici's, so nothing
   * stands between the client and undici and backpressure stays undici's. A stream in between
   * (a Transform, as before) cost a 64 MB upload about 10 ms of CPU (docs/performance.md,
   * "Eleventh pass").
   */
  watchRequestBody(req: AnyRequest): void {
    const sample = (this.reqBody = new BodySample(this.sink.bodyBytes));
    this.req = req;
    // Paused first, so that adding a 'data' listener does not start the flow: the body flows
    // when undici, its reader, resumes it, and no chunk passes unread.
    req.pause();
    req.on('data', (chunk: Buffer) => sample.push(chunk));
    // Before the forwarder turns it into the upstream request's error (proxy/httpForwarder.ts),
    // which would read as the backend's.
    req.on('aborted', () => (this.error ??= UPLOAD_ABORT));
  }

  // ForwardObserver (proxy/httpForwarder.ts): undici's events for this request.
  onDispatch(): void {
    this.dispatchedAt = performance.now();
  }

  onConnect(): void {
    this.connectedAt = performance.now();
  }

  onResponseHead(status: number, raw: Array<Buffer | string>): void {
    const now = performance.now();
    const r = this.record;
    if (this.dispatchedAt !== undefined && this.connectedAt !== undefined) {
      r.connectWaitUs = toUs(this.connectedAt - this.dispatchedAt);
      r.ttfbUs = toUs(now - this.connectedAt);
    }
    r.status = status;
    this.upstreamHeaders = packHeaders(raw);
  }

  onResponseData(chunk: Buffer): void {
    const body = (this.resBody ??= new BodySample(this.sink.bodyBytes));
    const wasFull = body.full;
    body.push(chunk);
    // A stream (SSE, a long download) shows up once its sample is full, not only at its end.
    if (!wasFull && body.full && !this.published) this.publish(false);
  }

  onUpstreamError(err: NodeJS.ErrnoException): void {
    this.error ??= classifyUpstreamError(err);
    // Nobody reads the rest of the body now: let it drain (and be counted) as the proxy's own pages expect.
    this.req?.resume();
  }

  private finish(): void {
    const res = this.res;
    const r = this.record;
    r.totalUs = toUs(performance.now() - this.started);
    if (!this.upstreamHeaders) {
      // An answer of the proxy's own (404, 502, a middleware's): what was set on the response.
      r.status = res.headersSent ? res.statusCode : 0;
      const raw = ownHeaders(res);
      if (raw.length) r.resHead = packHeaders(raw);
      for (let i = 0; i < raw.length; i += 2)
        if (raw[i].toLowerCase() === 'content-length' && Number.isFinite(Number(raw[i + 1])))
          r.bytesOut = Number(raw[i + 1]);
    }
    if (!res.writableFinished && !this.error) this.error = CLIENT_ABORT;
    this.publish(true);
  }

  private publish(complete: boolean): void {
    const r = this.record;
    if (this.upstreamHeaders !== undefined) r.resHead = this.upstreamHeaders;
    const reqBody = this.reqBody;
    if (reqBody?.size) {
      r.bytesIn = reqBody.size;
      r.reqSample = reqBody.sample();
    }
    const resBody = this.resBody;
    if (resBody?.size) {
      r.bytesOut = resBody.size;
      r.resSample = resBody.sample();
    }
    if (this.error) r.error = this.error;
    if (!complete) r.totalUs = toUs(performance.now() - this.started);
    r.complete = complete;
    this.published = true;
    // A copy: the provisional record must not change under whoever keeps it.
    this.sink.publish(complete ? r : { ...r });
  }
}

/**
 * The headers of a response the proxy wrote itself, as [name, value, …]. `writeHead(status,
 * headers)` on an HTTP/1.1 response that had none set keeps them only in the head it wrote
 * (`_header`), not in getHeaders(); HTTP/2's compatibility response keeps them in getHeaders().
 */
function ownHeaders(res: AnyResponse): string[] {
  const raw: string[] = [];
  const head = (res as { _header?: unknown })._header;
  if (typeof head === 'string' && head) {
    for (const line of head.split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) raw.push(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    return raw;
  }
  for (const [k, v] of Object.entries(res.getHeaders()))
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) raw.push(k, String(x));
  return raw;
}
