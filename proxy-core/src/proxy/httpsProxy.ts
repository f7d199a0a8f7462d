import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type * as tls from 'node:tls';
import httpProxy from 'http-proxy';
import { RouteTable } from '../routes/routeTable';
import { RouteRecord, Upstream } from '../routes/types';
import { badGatewayPage, demoPage, notFoundPage, unavailablePage } from './pages';
import { h2RequestAsH1, isLoopback, requestHost, stripHopByHop, stripHopByHopRequest } from './requestInfo';

type AnyRequest = http.IncomingMessage | http2.Http2ServerRequest;
type AnyResponse = http.ServerResponse | http2.Http2ServerResponse;

export interface HttpsProxyOptions {
  table: RouteTable;
  /** Picks the TLS context for a server name (SNI); undefined falls back to the default. */
  contextFor: (servername: string) => tls.SecureContext | undefined;
  defaultCert: { cert: string; key: string };
  port: number;
  bind: string;
  backendTimeoutMs: number;
  log: (line: string) => void;
}

// Keep-alive pools to backends: a local dev proxy talks to a handful of upstreams, so LIFO
// reuse keeps the hot sockets warm.
const agentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' as const };

/**
 * The HTTPS listener: HTTP/2 and HTTP/1.1 by ALPN, SNI certificates, WebSocket upgrades, and
 * every request handled by a short list of passes: route lookup → headers → forward.
 */
export class HttpsProxy {
  readonly server: http2.Http2SecureServer;
  private readonly proxy: httpProxy;
  private readonly httpAgent = new http.Agent(agentOptions);
  private readonly httpsAgent = new https.Agent(agentOptions);
  private readonly timedOut = new WeakSet<object>();

  constructor(private readonly opts: HttpsProxyOptions) {
    this.proxy = httpProxy.createProxyServer({ xfwd: false, ws: true, proxyTimeout: opts.backendTimeoutMs });
    this.proxy.on('proxyReq', (proxyReq) => {
      proxyReq.on('timeout', () => this.timedOut.add(proxyReq));
    });
    this.proxy.on('proxyRes', (proxyRes, req) => {
      if (req.httpVersionMajor === 2) {
        stripHopByHop(proxyRes.headers);
        // HTTP/2 has no reason phrase; setting one only prints a deprecation warning.
        proxyRes.statusMessage = '';
      }
    });
    this.server = http2.createSecureServer(
      {
        allowHTTP1: true,
        cert: opts.defaultCert.cert,
        key: opts.defaultCert.key,
        ALPNProtocols: ['h2', 'http/1.1'],
        SNICallback: (servername, cb) => cb(null, opts.contextFor(servername.toLowerCase())),
      },
      (req, res) => this.onRequest(req, res),
    );
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    // A client that drops the TLS handshake is routine on a dev machine; don't crash or spam.
    this.server.on('tlsClientError', () => undefined);
    this.server.on('sessionError', () => undefined);
  }

  async listen(): Promise<void> {
    await listen(this.server, this.opts.port, this.opts.bind);
    // Port 0 asked the OS for a free port; headers and pages must name the real one.
    this.opts.port = (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // Idle HTTP/1 keep-alive and HTTP/2 sessions would otherwise hold close() open.
      const s = this.server as unknown as { closeAllConnections?: () => void };
      s.closeAllConnections?.();
      setTimeout(resolve, 1000).unref();
    });
  }

  private onRequest(req: AnyRequest, res: AnyResponse): void {
    const host = requestHost(req.headers);
    const found = this.opts.table.resolve(host);
    if (!found) return this.notFound(req, res, host);
    const { record, resolution } = found;
    switch (resolution.kind) {
      case 'builtin':
        return sendHtml(res, 200, demoPage(host));
      case 'unavailable':
        return sendHtml(res, resolution.status, unavailablePage(host, resolution.title, resolution.detail), { 'retry-after': '3' });
      case 'upstream':
        return this.forward(req, res, record, resolution.upstream);
    }
  }

  private forward(req: AnyRequest, res: AnyResponse, record: RouteRecord, upstream: Upstream): void {
    if (req.httpVersionMajor === 2) h2RequestAsH1(req);
    else stripHopByHopRequest(req.headers);
    setForwarded(req.headers, req.socket.remoteAddress, this.opts.port);
    const secure = upstream.protocol === 'https:';
    this.proxy.web(
      req as http.IncomingMessage,
      res as http.ServerResponse,
      { target: upstream.href, agent: secure ? this.httpsAgent : this.httpAgent },
      (err: NodeJS.ErrnoException, _req, _res) => this.backendFailed(res, record, upstream, err),
    );
  }

  private backendFailed(res: AnyResponse, record: RouteRecord, upstream: Upstream, err: NodeJS.ErrnoException): void {
    const reason = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ECONNRESET' ? 'the backend timed out or reset the connection' : err.message;
    this.opts.log(`route ${record.host} -> ${upstream.href}: ${reason}`);
    if (res.headersSent) {
      res.destroy?.();
      return;
    }
    const status = err.code === 'ECONNRESET' || err.code === 'ETIMEDOUT' ? 504 : 502;
    sendHtml(res, status, badGatewayPage(record.host, `${record.target}${record.target === upstream.href ? '' : ` (${upstream.href})`}`, reason));
  }

  private notFound(req: AnyRequest, res: AnyResponse, host: string): void {
    // The route list is only shown to this machine: on a LAN bind it would leak project names.
    const routes = isLoopback(req.socket.remoteAddress) ? this.opts.table.list() : undefined;
    sendHtml(res, 404, notFoundPage(host, routes, this.opts.port));
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const host = requestHost(req.headers);
    const found = this.opts.table.resolve(host);
    if (!found || found.resolution.kind !== 'upstream') {
      socket.end(`HTTP/1.1 ${found ? 503 : 404} ${found ? 'Service Unavailable' : 'Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const upstream = found.resolution.upstream;
    setForwarded(req.headers, req.socket.remoteAddress, this.opts.port);
    socket.on('error', () => undefined);
    this.proxy.ws(req, socket, head, { target: upstream.href, secure: true }, (err: Error) => {
      this.opts.log(`websocket ${host} -> ${upstream.href}: ${err.message}`);
      socket.destroy();
    });
  }
}

/**
 * We are the first proxy on the path (a browser on this machine talks to us), so incoming
 * X-Forwarded-* values are replaced, not trusted — as Traefik does without trustedIPs.
 */
function setForwarded(headers: http.IncomingHttpHeaders, remote: string | undefined, port: number): void {
  headers['x-forwarded-for'] = (remote ?? '').replace(/^::ffff:/, '');
  headers['x-forwarded-proto'] = 'https';
  headers['x-forwarded-host'] = headers.host;
  headers['x-forwarded-port'] = String(port);
}

export function sendHtml(res: AnyResponse, status: number, html: string, extra: Record<string, string> = {}): void {
  const body = Buffer.from(html);
  (res as http.ServerResponse).writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(body);
}

export function listen(server: net.Server, port: number, bind: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(err);
    server.once('error', onError);
    server.listen(port, bind);
    server.once('listening', () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}
