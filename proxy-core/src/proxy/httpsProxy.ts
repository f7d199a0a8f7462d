import * as http from 'node:http';
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type * as tls from 'node:tls';
import type httpProxy from 'http-proxy';
import { type CaptureSink, ExchangeCapture } from '../capture/exchangeCapture';
import { HandshakeTimes } from '../capture/handshakeTiming';
import { WebSocketExchange } from '../capture/wsCapture';
import { runMiddlewares } from '../middlewares/buildMiddleware';
import { createExchange } from '../middlewares/exchange';
import type { Exchange, Middleware } from '../middlewares/types';
import { RouteLookup, RouteRecord, Routed, Upstream } from '../routes/types';
import { badGatewayPage, badRequestPage, demoPage, notFoundPage, unavailablePage } from './pages';
import { ConnectionTimeouts, ConnectionTimer, DEFAULT_TIMEOUTS } from './connectionTimer';
import { setForwarded } from './forwardedHeaders';
import { ForwardFailure, HttpForwarder } from './httpForwarder';
import { h2HeadersAsH1, isLoopback, requestHasBody, requestHost, stripHopByHopRequest } from './requestInfo';
import { cleanTarget } from './requestPath';
import { checkHttp1Target } from './requestTarget';
import { RoutingRequest } from './routingRequest';
import { sendHtml } from './sendHtml';
import { upstreamFailureKind } from './upstreamFailure';

type AnyRequest = http.IncomingMessage | http2.Http2ServerRequest;
type AnyResponse = http.ServerResponse | http2.Http2ServerResponse;

export interface HttpsProxyOptions {
  /** The route table in the daemon, a snapshot of it in a proxy worker. */
  table: RouteLookup;
  /** Picks the TLS context for a server name (SNI); undefined falls back to the default. */
  contextFor: (servername: string) => tls.SecureContext | undefined;
  /** For names with no certificate: one made on the fly (the 404 page), else the default. */
  fallbackContextFor?: (servername: string) => Promise<tls.SecureContext | undefined>;
  defaultCert: { cert: string; key: string };
  /** The public HTTPS port, for X-Forwarded-Port and the pages. */
  port: number;
  backendTimeoutMs: number;
  /** Header and idle deadlines for client connections (default: DEFAULT_TIMEOUTS). */
  timeouts?: ConnectionTimeouts;
  log: (line: string) => void;
  /**
   * Clients from the LAN (lan/lanGate.ts): undefined for anyone else; for a LAN client the host
   * it may reach with the middlewares to run first (basic auth), or 'refuse' (a plain 404).
   */
  lanGate?: (remoteAddress: string | undefined, host: string) => LanAdmission | undefined;
  /** The request inspector's sink (capture/); absent: nothing is recorded (serve --no-capture). */
  capture?: CaptureSink;
  /**
   * True while this proxy's keep-alive connections should move elsewhere: an HTTP/1.1 response
   * then closes its connection (`Connection: close`), so the client's next request opens a new
   * one. The daemon's, while on-demand workers serve (daemon/daemon.ts); see also drainSessions().
   */
  closeAfterResponse?: () => boolean;
}

export type LanAdmission = { host: string; middlewares: Middleware[] } | 'refuse';

/**
 * The HTTPS side of a connection: TLS with SNI certificates, HTTP/2 and HTTP/1.1 by ALPN,
 * WebSocket upgrades, and every request handled by a short list of passes: route lookup →
 * headers → forward. HTTP requests go through HttpForwarder (keep-alive pools), WebSocket
 * upgrades through http-proxy. It does not listen itself: the ConnectionDispatcher accepts
 * connections and hands each one to this process's proxy or to a worker's (see accept()).
 */
const H2_STREAM_WINDOW = 1 << 20;
const H2_SESSION_WINDOW = 4 << 20;

export class HttpsProxy {
  readonly server: http2.Http2SecureServer;
  private wsProxy?: httpProxy;
  private readonly forwarder: HttpForwarder;
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly timer: ConnectionTimer;
  /** For the request inspector: each new connection's TLS handshake (absent without capture). */
  private readonly handshakes?: HandshakeTimes;
  /** The WebSocket upgrades being recorded (an HTTP exchange's capture is passed along its calls). */
  private readonly wsCaptures = new WeakMap<http.IncomingMessage, WebSocketExchange>();

  constructor(private readonly opts: HttpsProxyOptions) {
    const timeouts = opts.timeouts ?? DEFAULT_TIMEOUTS;
    this.timer = new ConnectionTimer(timeouts);
    if (opts.capture) this.handshakes = new HandshakeTimes();
    this.forwarder = new HttpForwarder(opts.backendTimeoutMs);
    this.server = http2.createSecureServer(
      {
        allowHTTP1: true,
        cert: opts.defaultCert.cert,
        key: opts.defaultCert.key,
        ALPNProtocols: ['h2', 'http/1.1'],
        // HTTP/2's default receive window (64 KB per stream and per connection) holds an upload
        // to one window per round trip. It is credit, not memory: a stream whose reader (the
        // upstream) is slow stops being read, and then stops granting more (docs/performance.md).
        settings: { initialWindowSize: H2_STREAM_WINDOW },
        // A connection that never finishes its handshake counts against the header deadline too.
        handshakeTimeout: timeouts.headerTimeoutMs,
        SNICallback: (servername, cb) => {
          const name = servername.toLowerCase();
          const context = opts.contextFor(name);
          if (context || !opts.fallbackContextFor) return cb(null, context);
          opts.fallbackContextFor(name).then(
            (fallback) => cb(null, fallback),
            () => cb(null, undefined),
          );
        },
      },
      (req, res) => this.onRequest(req, res),
    );
    this.server.on('secureConnection', (socket: tls.TLSSocket) => {
      this.handshakes?.secure(socket);
      this.timer.secured(socket);
    });
    this.server.on('session', (session: http2.ServerHttp2Session) => {
      session.setLocalWindowSize(H2_SESSION_WINDOW);
      this.timer.session(session);
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
    // A client that drops the TLS handshake is routine on a dev machine; don't crash or spam.
    this.server.on('tlsClientError', () => undefined);
    this.server.on('sessionError', () => undefined);
  }

  /** The public port (known once the dispatcher listens: port 0 asks the OS for a free one). */
  set port(port: number) {
    this.opts.port = port;
  }

  /** Serves a TCP connection accepted elsewhere (paused, nothing read yet) as if we had accepted it. */
  accept(socket: net.Socket): void {
    this.sockets.add(socket);
    this.handshakes?.accept(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.server.emit('connection', socket);
  }

  /**
   * Asks every open HTTP/2 session to finish the streams it has and close (GOAWAY): its client
   * sends what comes next on a new connection. Nothing in flight is cut.
   */
  drainSessions(): void {
    for (const session of this.sessions) if (!session.closed && !session.destroyed) session.close();
  }

  close(): Promise<void> {
    void this.forwarder.close();
    // Idle HTTP/1 keep-alive connections and HTTP/2 sessions would otherwise stay open.
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return Promise.resolve();
  }

  private onRequest(req: AnyRequest, res: AnyResponse): void {
    if (req.httpVersionMajor !== 2) {
      this.timer.request(req as http.IncomingMessage, res as http.ServerResponse);
      const bad = checkHttp1Target(req as http.IncomingMessage);
      // The connection closes after the 400: what follows a malformed request cannot be trusted.
      if (bad) return sendHtml(res, 400, badRequestPage(bad), { connection: 'close' });
      if (this.opts.closeAfterResponse?.()) (res as http.ServerResponse).shouldKeepAlive = false;
    }
    // A question about this server, not about a resource (RFC 9110 §9.3.7); there is no path to forward.
    if (req.url === '*') {
      (res as http.ServerResponse).writeHead(200, {
        allow: 'GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS',
        'content-length': '0',
      });
      res.end();
      return;
    }
    const requested = requestHost(req.headers);
    const lan = this.opts.lanGate?.(req.socket.remoteAddress, requested);
    // Nothing about this machine's other routes, not even that they exist.
    if (lan === 'refuse') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 Not Found\n');
    const host = lan?.host ?? requested;
    const cap = this.opts.capture && new ExchangeCapture(this.opts.capture, req, res, host, this.tlsMs(req.socket));
    const target = cleanTarget(req.url || '/');
    const found = this.opts.table.route(host, () => this.routingRequest(req, host, target));
    if (!found) return this.notFound(req, res, host, target);
    const routed = lan?.middlewares.length
      ? { ...found, middlewares: [...lan.middlewares, ...found.middlewares] }
      : found;
    if (cap) {
      const r = routed.resolution;
      cap.routed(
        routed.record.router ?? routed.record.host,
        routed.record.target,
        r.kind === 'upstream' ? r.upstream.href : undefined,
      );
    }
    // Read before the hop-by-hop headers (Transfer-Encoding among them) are stripped.
    const hasBody = requestHasBody(req as http.IncomingMessage);
    // Requests prepared for the upstream before the middlewares run, so that theirs win.
    let headers: http.IncomingHttpHeaders;
    if (req.httpVersionMajor === 2) headers = h2HeadersAsH1(req.headers);
    else stripHopByHopRequest((headers = req.headers));
    setForwarded(headers, req.socket.remoteAddress, this.opts.port);
    if (!routed.middlewares.length) return this.serve(req, res, host, routed, headers, hasBody, target, undefined, cap);
    const exchange = createExchange({
      req,
      res,
      headers,
      url: target,
      scheme: 'https',
      host,
      clientIp: req.socket.remoteAddress ?? '',
    });
    const go = (ok: boolean) => {
      // A slow middleware (bcrypt) may outlast the client.
      if (ok && !res.destroyed)
        this.serve(req, res, host, routed, exchange.headers, hasBody, exchange.url, exchange, cap);
    };
    const result = runMiddlewares(routed.middlewares, exchange);
    if (typeof result === 'boolean') go(result);
    else
      result.then(go, (err: Error) => {
        this.opts.log(`route ${routed.record.host}: middleware failed: ${err.message}`);
        if (!res.headersSent) sendHtml(res, 500, badGatewayPage(host, routed.record.target, 'a middleware failed'));
      });
  }

  /**
   * WebSocket capture: http-proxy's request to the upstream carries the 101 and its socket. The
   * sockets are watched from 'open' on, once http-proxy has piped them: a 'data' listener added
   * before would take the bytes that came with the 101 before the pipe exists.
   */
  private watchWebSockets(proxy: httpProxy): void {
    const opened = new WeakMap<Duplex, () => void>();
    proxy.on('proxyReqWs', (proxyReq: http.ClientRequest, req: http.IncomingMessage) => {
      const cap = this.wsCaptures.get(req);
      if (!cap) return;
      proxyReq.once('upgrade', (res: http.IncomingMessage, upstream: Duplex) =>
        opened.set(upstream, () => cap.upgraded(res, upstream)),
      );
      proxyReq.once('response', (res: http.IncomingMessage) => cap.refused(res));
    });
    proxy.on('open', (upstream: Duplex) => opened.get(upstream)?.());
  }

  private tlsMs(socket: net.Socket | undefined): number | undefined {
    return this.handshakes?.take(socket?.remoteAddress, socket?.remotePort);
  }

  private routingRequest(req: AnyRequest, host: string, target: string): RoutingRequest {
    return new RoutingRequest(host, target, req.method ?? 'GET', req.headers, req.socket.remoteAddress ?? '');
  }

  private serve(
    req: AnyRequest,
    res: AnyResponse,
    host: string,
    { record, resolution }: Routed,
    headers: http.IncomingHttpHeaders,
    hasBody: boolean,
    path: string,
    exchange?: Exchange,
    cap?: ExchangeCapture,
  ): void {
    switch (resolution.kind) {
      case 'builtin':
        return sendHtml(res, 200, demoPage(host));
      case 'unavailable':
        return sendHtml(res, resolution.status, unavailablePage(host, resolution.title, resolution.detail), {
          'retry-after': '3',
        });
      case 'upstream':
        return this.forward(req, res, record, resolution.upstream, headers, hasBody, path, exchange, cap);
    }
  }

  private forward(
    req: AnyRequest,
    res: AnyResponse,
    record: RouteRecord,
    upstream: Upstream,
    headers: http.IncomingHttpHeaders,
    hasBody: boolean,
    path: string,
    exchange?: Exchange,
    cap?: ExchangeCapture,
  ): void {
    try {
      this.forwarder.forward(
        req,
        res,
        headers,
        hasBody,
        upstream,
        (f) => this.backendFailed(req, res, record, upstream, f, cap),
        exchange ?? { url: path },
        cap,
      );
    } catch (err) {
      // The upstream client refuses requests it cannot encode (say, an invalid header value).
      this.backendFailed(
        req,
        res,
        record,
        upstream,
        { err: err as NodeJS.ErrnoException, headersSent: res.headersSent },
        cap,
      );
    }
  }

  private backendFailed(
    req: AnyRequest,
    res: AnyResponse,
    record: RouteRecord,
    upstream: Upstream,
    { err, headersSent }: ForwardFailure,
    cap?: ExchangeCapture,
  ): void {
    cap?.onUpstreamError(err);
    // The client went away first: nobody is left to tell.
    if (err.code === 'UND_ERR_ABORTED' || res.destroyed) return;
    const { status, reason } = describeFailure(err, this.opts.backendTimeoutMs);
    this.opts.log(`route ${record.host} -> ${upstream.href}: ${reason}`);
    if (headersSent || res.headersSent) {
      // Half a response cannot become an error page: cut the connection so the client sees it failed.
      res.destroy?.();
      return;
    }
    if (!req.readableEnded) req.resume();
    sendHtml(
      res,
      status,
      badGatewayPage(
        record.host,
        `${record.target}${record.target === upstream.href ? '' : ` (${upstream.href})`}`,
        reason,
      ),
    );
  }

  private notFound(req: AnyRequest, res: AnyResponse, host: string, target: string): void {
    // The route list is only shown to this machine: on a LAN bind it would leak project names.
    const routes = isLoopback(req.socket.remoteAddress) ? this.opts.table.list() : undefined;
    sendHtml(res, 404, notFoundPage(host, routes, this.opts.port, target.split('?')[0]));
  }

  /**
   * http-proxy relays only WebSocket upgrades, so it is loaded on the first one: a daemon that
   * never sees one does not carry it (docs/performance.md, "Footprint (issue 18)"). Synchronous,
   * so the upgrade's socket is handed over in the same tick as today.
   */
  private webSocketProxy(): httpProxy {
    if (this.wsProxy) return this.wsProxy;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createProxyServer } = require('http-proxy') as typeof httpProxy;
    this.wsProxy = createProxyServer({ xfwd: false, ws: true, proxyTimeout: this.opts.backendTimeoutMs });
    if (this.opts.capture) this.watchWebSockets(this.wsProxy);
    return this.wsProxy;
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.timer.upgraded(req.socket);
    if (checkHttp1Target(req)) {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const requested = requestHost(req.headers);
    const lan = this.opts.lanGate?.(req.socket.remoteAddress, requested);
    const host = lan && lan !== 'refuse' ? lan.host : requested;
    const cap =
      this.opts.capture && new WebSocketExchange(this.opts.capture, req, host, socket, this.tlsMs(req.socket));
    const target = cleanTarget(req.url || '/');
    const routed =
      lan === 'refuse' ? undefined : this.opts.table.route(host, () => this.routingRequest(req, host, target));
    const found =
      routed && lan && lan !== 'refuse' && lan.middlewares.length
        ? { ...routed, middlewares: [...lan.middlewares, ...routed.middlewares] }
        : routed;
    if (!found || found.resolution.kind !== 'upstream') {
      cap?.answered(found ? 503 : 404);
      socket.end(
        `HTTP/1.1 ${found ? 503 : 404} ${found ? 'Service Unavailable' : 'Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
    }
    const upstream = found.resolution.upstream;
    if (cap) {
      cap.routed(found.record.router ?? found.record.host, found.record.target, upstream.href);
      this.wsCaptures.set(req, cap);
    }
    req.url = target;
    setForwarded(req.headers, req.socket.remoteAddress, this.opts.port);
    socket.on('error', () => undefined);
    const relay = () =>
      this.webSocketProxy().ws(req, socket, head, { target: upstream.href, secure: true }, (err: Error) => {
        this.opts.log(`websocket ${host} -> ${upstream.href}: ${err.message}`);
        cap?.failed(err);
        socket.destroy();
      });
    if (!found.middlewares.length) return relay();
    // The router's middlewares run on the handshake as on any request (auth, allow lists, path
    // and header rewrites); one that answers (401, 403, a redirect) writes an ordinary response on
    // the socket. Response-header hooks do not apply to a 101.
    const res = new http.ServerResponse(req);
    res.assignSocket(socket as net.Socket);
    res.shouldKeepAlive = false;
    const exchange = createExchange({
      req,
      res,
      headers: req.headers,
      url: target,
      scheme: 'https',
      host,
      clientIp: req.socket.remoteAddress ?? '',
    });
    const go = (ok: boolean) => {
      if (!ok) cap?.answered(res.statusCode);
      if (!ok || socket.destroyed) return;
      res.detachSocket(socket as net.Socket);
      req.headers = exchange.headers;
      req.url = exchange.url;
      relay();
    };
    const result = runMiddlewares(found.middlewares, exchange);
    if (typeof result === 'boolean') go(result);
    else
      result.then(go, (err: Error) => {
        this.opts.log(`websocket ${host}: middleware failed: ${err.message}`);
        socket.destroy();
      });
  }
}

/** Status and wording for an upstream failure: 504 when it did not answer in time, else 502. */
function describeFailure(err: NodeJS.ErrnoException, timeoutMs: number): { status: number; reason: string } {
  switch (upstreamFailureKind(err.code)) {
    case 'refused':
      return { status: 502, reason: 'connection refused' };
    case 'timeout':
      return { status: 504, reason: `the backend timed out (no answer within ${timeoutMs / 1000} s)` };
    case 'reset':
      return { status: 502, reason: 'the backend closed the connection without answering' };
    case 'tls':
      // https:// targets are verified like any TLS client would (system CAs + NODE_EXTRA_CA_CERTS).
      return {
        status: 502,
        reason: `the backend's HTTPS certificate is not accepted (${err.message}). Start serve with NODE_EXTRA_CA_CERTS=<the CA file that signed it>, or use the backend's http:// port`,
      };
    default:
      return { status: 502, reason: err.message };
  }
}
