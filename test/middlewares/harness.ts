import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { buildMiddleware, runMiddlewares } from '../../proxy-core/src/middlewares/buildMiddleware';
import { createExchange } from '../../proxy-core/src/middlewares/exchange';
import type { Exchange, Middleware, MiddlewareSpec, ResponseHeaderMap } from '../../proxy-core/src/middlewares/types';
import { setForwarded } from '../../proxy-core/src/proxy/forwardedHeaders';
import { HttpForwarder } from '../../proxy-core/src/proxy/httpForwarder';
import { h2HeadersAsH1, requestHasBody, stripHopByHopRequest } from '../../proxy-core/src/proxy/requestInfo';
import type { Upstream } from '../../proxy-core/src/routes/types';

// Two ways to run middlewares in tests: against a fake exchange (path and header logic, "unit"
// tests), and for real: a node http upstream, and a front server that runs the middlewares and
// forwards with HttpForwarder as the HTTPS proxy does (plain HTTP or h2c: no TLS claim here).

export function spec(type: string, options: Record<string, unknown>, name = `test@file`): MiddlewareSpec {
  return { name, type, options };
}

export const build = (type: string, options: Record<string, unknown>): Middleware =>
  buildMiddleware(spec(type, options));

export interface Answered {
  status: number;
  headers: ResponseHeaderMap;
  body: string;
}

export interface FakeExchange extends Exchange {
  /** What a middleware answered itself, if it did. */
  answered?: Answered;
}

/** An exchange with no network behind it; a middleware's own answer lands in `answered`. */
export function fakeExchange(
  init: {
    url?: string;
    method?: string;
    headers?: http.IncomingHttpHeaders;
    scheme?: 'https' | 'http';
    host?: string;
    clientIp?: string;
  } = {},
): FakeExchange {
  const headers: http.IncomingHttpHeaders = { host: init.host ?? 'app.localhost', ...init.headers };
  const req = { method: init.method ?? 'GET', headers, readableEnded: true, resume() {}, httpVersionMajor: 1 };
  const res = {
    writeHead(status: number, h: ResponseHeaderMap) {
      ex.answered = { status, headers: h, body: '' };
    },
    end(body?: Buffer) {
      if (body) ex.answered!.body = body.toString();
    },
  };
  const ex: FakeExchange = createExchange({
    req: req as unknown as http.IncomingMessage,
    res: res as unknown as http.ServerResponse,
    headers,
    url: init.url ?? '/',
    scheme: init.scheme ?? 'https',
    host: (init.host ?? 'app.localhost').replace(/:\d+$/, ''),
    clientIp: init.clientIp ?? '127.0.0.1',
  });
  return ex;
}

/** Runs the response hooks as the forwarder does, on a copy of `headers`. */
export function responseThrough(ex: Exchange, status: number, headers: ResponseHeaderMap = {}): ResponseHeaderMap {
  const copy = structuredClone(headers);
  for (let i = ex.onResponse.length - 1; i >= 0; i--) ex.onResponse[i](status, copy);
  return copy;
}

export interface Server {
  port: number;
  url: string;
  close: () => Promise<void>;
}

async function listen(server: http.Server | http2.Http2Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * An upstream that records each request and answers by path: `routes` first, else JSON of what
 * it received, with two Set-Cookie headers.
 */
export async function startUpstream(
  routes: Record<string, http.RequestListener> = {},
): Promise<Server & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    const route = routes[req.url!.split('?')[0]];
    if (route) return route(req, res);
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(body);
    });
  });
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/**
 * A front server that runs `middlewares` (specs are built here) and forwards to `upstream` with
 * HttpForwarder, passing the exchange as the forward options. `scheme` is what the exchange
 * claims the client used.
 */
export async function startFront(
  middlewares: Array<Middleware | MiddlewareSpec>,
  upstream: Server,
  opts: { scheme?: 'https' | 'http'; h2?: boolean } = {},
): Promise<Server & { failures: Error[] }> {
  const list = middlewares.map((m) => (typeof m === 'function' ? m : buildMiddleware(m)));
  const forwarder = new HttpForwarder(10_000);
  const target: Upstream = { protocol: 'http:', hostname: '127.0.0.1', port: upstream.port, href: upstream.url };
  const failures: Error[] = [];
  let port = 0;
  const handle = (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ) => {
    const hasBody = requestHasBody(req as http.IncomingMessage);
    let headers: http.IncomingHttpHeaders;
    if (req.httpVersionMajor === 2) headers = h2HeadersAsH1(req.headers);
    else stripHopByHopRequest((headers = { ...req.headers }));
    setForwarded(headers, req.socket.remoteAddress, port);
    const host = String(headers.host ?? '')
      .replace(/:\d+$/, '')
      .toLowerCase();
    const ex = createExchange({
      req,
      res,
      headers,
      url: req.url ?? '/',
      scheme: opts.scheme ?? 'http',
      host,
      clientIp: req.socket.remoteAddress ?? '',
    });
    const send = (go: boolean) => {
      if (!go || res.destroyed) return;
      forwarder.forward(
        req,
        res,
        ex.headers,
        hasBody,
        target,
        ({ err, headersSent }) => {
          failures.push(err);
          if (headersSent) return void res.destroy();
          (res as http.ServerResponse).writeHead(502);
          res.end();
        },
        ex,
      );
    };
    const result = runMiddlewares(list, ex);
    if (typeof result === 'boolean') send(result);
    else
      result.then(send, (err: Error) => {
        failures.push(err);
        (res as http.ServerResponse).writeHead(500);
        res.end();
      });
  };
  const server = opts.h2 ? http2.createServer(handle) : http.createServer(handle);
  port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    failures,
    close: async () => {
      await forwarder.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        if (server instanceof http.Server) server.closeAllConnections();
      });
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP/1.1 request on a fresh connection; the body is collected as sent (not decoded). */
export function request(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        agent: false,
        headers: { host: `app.localhost:${port}`, ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One HTTP/2 (h2c) request. */
export async function requestH2(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: Buffer }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise((resolve, reject) => {
      session.on('error', reject);
      const stream = session.request({ ':path': path, ':authority': `app.localhost:${port}`, ...headers });
      let head: http2.IncomingHttpHeaders = {};
      stream.on('response', (h) => (head = h));
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks) }));
      stream.on('error', reject);
    });
  } finally {
    session.close();
  }
}

/** What the default upstream route echoed back. */
export function echoed(reply: { body: Buffer }): Seen {
  return JSON.parse(reply.body.toString()) as Seen;
}
