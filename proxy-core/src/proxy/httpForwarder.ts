import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import * as net from 'node:net';
import type { Readable, Transform } from 'node:stream';
import { Pool, buildConnector } from 'undici';
import type { Dispatcher } from 'undici';
import { runResponseHooks } from '../middlewares/respond';
import type { ResponseHeaderMap } from '../middlewares/types';
import type { Upstream } from '../routes/types';
import { isHopByHopResponseHeader } from './requestInfo';

type AnyRequest = http.IncomingMessage | http2.Http2ServerRequest;
type AnyResponse = http.ServerResponse | http2.Http2ServerResponse;

export interface ForwardFailure {
  err: NodeJS.ErrnoException;
  /** True once the response has started: the client then gets a cut connection, not a page. */
  headersSent: boolean;
}

/**
 * What a router's middlewares changed about the exchange (an Exchange fits as it is). Without
 * response hooks or a body transform the response is relayed as before, raw headers and all.
 */
export interface ForwardOptions {
  /** Path and query sent upstream (default: the client's req.url). */
  url?: string;
  /** Run on the upstream's status and headers, last first (middlewares/respond.ts). */
  onResponse?: ReadonlyArray<(status: number, headers: ResponseHeaderMap) => void>;
  /** A stream the body is written through (compress), decided on the final status and headers. */
  bodyTransform?: (status: number, headers: ResponseHeaderMap) => Transform | undefined;
}

/**
 * Watches one forwarded request for the request inspector (capture/exchangeCapture.ts): told of
 * each step, it never holds a chunk back or changes when the upstream is read.
 */
export interface ForwardObserver {
  /** The request has a body: watch its chunks on their way upstream (never hold one back). */
  watchRequestBody(req: AnyRequest): void;
  onDispatch(): void;
  /** undici wrote the request on a connection (after a connect, or a wait for a free one). */
  onConnect(): void;
  onResponseHead(status: number, rawHeaders: Array<Buffer | string>): void;
  onResponseData(chunk: Buffer): void;
  /**
   * Call `closed` when the client's response closes. The observer listens for that already, so
   * the relay does not add a second listener of its own to every response.
   */
  onClientClose(closed: () => void): void;
}

/**
 * Forwards HTTP requests to upstreams over keep-alive connection pools (undici, Node's own HTTP
 * client, whose llhttp-based dispatcher costs about half the CPU per request of http.request +
 * http-proxy; see docs/performance.md). One pool per upstream origin.
 */
export class HttpForwarder {
  private readonly pools = new Map<string, { pool: Pool; used: boolean }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    sweepEveryMs = 60_000,
  ) {
    // Upstreams come and go (a restarted container gets a new address): pools that served
    // nothing for a whole sweep interval and hold no connections are dropped.
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  /**
   * Sends `req` (headers already prepared for the upstream, HTTP/1.1-shaped) and streams the
   * answer into `res`; `onFailure` runs at most once, when the upstream cannot be used.
   */
  forward(
    req: AnyRequest,
    res: AnyResponse,
    headers: http.IncomingHttpHeaders,
    hasBody: boolean,
    upstream: Upstream,
    onFailure: (f: ForwardFailure) => void,
    shape?: ForwardOptions,
    observer?: ForwardObserver,
  ): void {
    if (hasBody) {
      observer?.watchRequestBody(req);
      // A client that resets an HTTP/2 stream before its body ended: Node's compatibility layer
      // then ends the request as if the body were whole, and undici would send the backend a
      // truncated body as a complete one (chunked, when no length was declared). As an error
      // instead, undici aborts the upstream request. Over HTTP/1.1 the request errors by itself.
      req.on('aborted', () => req.destroy(uploadAborted()));
    }
    // `servername` is a request option undici reads (core/request.js) but its types do not list.
    const options: Dispatcher.DispatchOptions & { servername?: string } = {
      path: shape?.url || req.url || '/',
      method: (req.method || 'GET') as Dispatcher.HttpMethod,
      headers,
      // As it comes: merging its 16 KB chunks into fewer upstream writes cost an upload more CPU
      // than the writes it saved (docs/performance.md, "Eleventh pass").
      body: hasBody ? (req as Readable) : null,
      // undici would take the TLS server name from the Host header, which is the public name
      // (app.localhost): an https:// backend is verified against the name in its target instead.
      servername: upstream.protocol === 'https:' ? upstream.hostname : undefined,
    };
    const shaping = shape && (shape.onResponse?.length || shape.bodyTransform) ? shape : undefined;
    observer?.onDispatch();
    this.pool(upstream).dispatch(
      options,
      new ResponseRelay(res, req.httpVersionMajor === 2, onFailure, shaping, observer),
    );
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.pools.values()].map(({ pool }) => pool.destroy().catch(() => undefined));
    this.pools.clear();
    return Promise.all(all).then(() => undefined);
  }

  /** How many upstream pools are kept (for tests). */
  get poolCount(): number {
    return this.pools.size;
  }

  sweep(): void {
    for (const [href, entry] of this.pools) {
      if (!entry.used && entry.pool.stats.size === 0 && entry.pool.stats.connected === 0) {
        this.pools.delete(href);
        void entry.pool.destroy().catch(() => undefined);
      } else entry.used = false;
    }
  }

  private pool(upstream: Upstream): Pool {
    const entry = this.pools.get(upstream.href);
    if (entry) {
      entry.used = true;
      return entry.pool;
    }
    const pool = new Pool(upstream.href, {
      connections: 256,
      // The 504 page is for a backend that does not answer. Once it has answered, a quiet body
      // (long polling, server-sent events from dev servers) is legitimate: no body timeout.
      headersTimeout: this.timeoutMs,
      bodyTimeout: 0,
      // Connecting to a local process or a container takes well under a millisecond; a connect that
      // hangs means the address is gone (a container that stopped a moment ago), so give up sooner
      // than the response timeout.
      connectTimeout: Math.min(this.timeoutMs, CONNECT_TIMEOUT_MS),
      // Backends' own Keep-Alive hints are honoured; this is the default when they give none.
      keepAliveTimeout: 4000,
      connect: upstream.protocol === 'https:' ? tlsConnector(Math.min(this.timeoutMs, CONNECT_TIMEOUT_MS)) : undefined,
    });
    this.pools.set(upstream.href, { pool, used: true });
    return pool;
  }
}

const CONNECT_TIMEOUT_MS = 5000;

const uploadAborted = () =>
  Object.assign(new Error('the client went away before its request body ended'), { code: 'ECONNRESET' });

/**
 * TLS to an https:// backend, verified against its target's host name or IP (with the system CAs
 * and NODE_EXTRA_CA_CERTS). An IP is not sent as SNI (RFC 6066 forbids it): the certificate is
 * then checked against the IP itself.
 */
function tlsConnector(timeout: number): buildConnector.connector {
  const connect = buildConnector({ timeout });
  return (opts, callback) =>
    connect(
      { ...opts, servername: opts.servername && net.isIP(opts.servername) ? undefined : opts.servername },
      callback,
    );
}

/** undici's callbacks for one request, writing status, headers and body into our response. */
class ResponseRelay implements Dispatcher.DispatchHandlers {
  private abort?: (err?: Error) => void;
  private resume?: () => void;
  private done = false;
  private clientGone = false;
  /** Where body chunks go when a middleware re-encodes them; it is piped into `res`. */
  private transform?: Transform;

  constructor(
    private readonly res: AnyResponse,
    private readonly h2: boolean,
    private readonly onFailure: (f: ForwardFailure) => void,
    private readonly shape?: ForwardOptions,
    private readonly observer?: ForwardObserver,
  ) {
    // A client that goes away must not keep the upstream request (and its pooled socket) busy:
    // a response paused for a reader that is gone would otherwise never resume. The request may
    // still be queued for a free connection when that happens, hence the listener from the start.
    const closed = () => {
      this.clientGone = true;
      if (!this.done) this.abort?.();
      this.transform?.destroy();
    };
    // 'close' comes once: `on` spares once()'s wrapper and its state object.
    if (observer) observer.onClientClose(closed);
    else res.on('close', closed);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    this.observer?.onConnect();
    if (this.clientGone) abort();
  }

  onHeaders(status: number, rawHeaders: Buffer[] | string[] | null, resume: () => void): boolean {
    if (status < 200) return true; // 1xx (e.g. 103 Early Hints) are not relayed.
    this.resume = resume;
    this.observer?.onResponseHead(status, rawHeaders ?? []);
    const res = this.res;
    if (this.shape) this.shapedHead(status, rawHeaders ?? []);
    else if (this.h2) (res as http2.Http2ServerResponse).writeHead(status, headerMap(rawHeaders ?? []));
    else (res as http.ServerResponse).writeHead(status, h1Headers(rawHeaders ?? []));
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.clientGone) return false; // abort() is already on its way
    this.observer?.onResponseData(chunk);
    if (this.transform) {
      // Backpressure from the client reaches us through the pipe: the transform's writable side
      // fills up when `res` stops taking its output.
      const ok = this.transform.write(chunk);
      if (!ok) this.transform.once('drain', this.resume!);
      return ok;
    }
    const ok = (this.res as http.ServerResponse).write(chunk);
    if (!ok) this.res.once('drain', this.resume!);
    return ok;
  }

  onComplete(): void {
    this.done = true;
    // The pipe ends `res` once the transform has written its last bytes.
    if (this.transform) this.transform.end();
    else this.res.end();
  }

  onError(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.transform?.destroy();
    this.onFailure({ err: err as NodeJS.ErrnoException, headersSent: this.res.headersSent });
  }

  /** Status and headers through the middlewares' hooks, and the body through their transform. */
  private shapedHead(status: number, raw: Array<Buffer | string>): void {
    const headers = headerMap(raw);
    const { onResponse, bodyTransform } = this.shape!;
    if (onResponse?.length) runResponseHooks(onResponse, status, headers);
    const transform = bodyTransform?.(status, headers);
    (this.res as http.ServerResponse).writeHead(status, headers);
    if (!transform) return;
    this.transform = transform;
    transform.on('error', (err) => {
      // Nothing the client could use can follow a broken encoding: cut the response.
      this.abort?.(err);
      this.res.destroy?.();
    });
    transform.pipe(this.res as http.ServerResponse);
  }
}

/** Raw upstream headers → a flat [name, value, …] list for HTTP/1.1, duplicates and case kept. */
function h1Headers(raw: Array<Buffer | string>): string[] {
  const out: string[] = [];
  const listed = connectionListed(raw);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1');
    if (isHopByHopResponseHeader(name.toLowerCase(), listed)) continue;
    out.push(name, raw[i + 1].toString('latin1'));
  }
  return out;
}

/**
 * Raw upstream headers → lower-case names, repeats as arrays (e.g. set-cookie): the shape
 * middlewares edit, and what HTTP/2 wants (one entry per name).
 */
function headerMap(raw: Array<Buffer | string>): ResponseHeaderMap {
  const out: ResponseHeaderMap = {};
  const listed = connectionListed(raw);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    if (isHopByHopResponseHeader(name, listed)) continue;
    const value = raw[i + 1].toString('latin1');
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[name] = [seen, value];
  }
  return out;
}

/** Names the upstream listed in its Connection header (hop-by-hop by declaration). */
function connectionListed(raw: Array<Buffer | string>): string[] | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 10 && name.toString('latin1').toLowerCase() === 'connection') {
      return raw[i + 1]
        .toString('latin1')
        .toLowerCase()
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && s !== 'close' && s !== 'keep-alive');
    }
  }
  return undefined;
}
