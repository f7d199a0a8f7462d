import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import WebSocket from 'ws';

export interface FetchResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  alpn?: string | false | null;
  peerCertificate?: tls.PeerCertificate;
  /** The client side's port: with serverSocketOwner() it tells which process served the connection. */
  localPort?: number;
}

/**
 * An HTTPS/1.1 request to 127.0.0.1:port for `host`, verified against `ca` — the way a browser
 * that trusts our CA would connect. Never disables verification.
 */
export function httpsGet(opts: {
  host: string;
  port: number;
  ca: string | string[];
  path?: string;
  headers?: Record<string, string>;
  method?: string;
  agent?: https.Agent | false;
  /** A request body, sent whole. */
  body?: Buffer | string;
}): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: opts.port,
        servername: opts.host,
        path: opts.path ?? '/',
        method: opts.method ?? 'GET',
        headers: { host: `${opts.host}:${opts.port}`, ...opts.headers },
        ca: opts.ca,
        agent: opts.agent ?? false,
      },
      (res) => {
        let body = '';
        const socket = res.socket as tls.TLSSocket;
        const alpn = socket.alpnProtocol;
        const peerCertificate = socket.getPeerCertificate();
        const localPort = socket.localPort;
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, alpn, peerCertificate, localPort }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** An HTTP/2 request (ALPN h2), verified against `ca`. */
export function h2Get(opts: {
  host: string;
  port: number;
  ca: string | string[];
  path?: string;
}): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${opts.port}`, { ca: opts.ca, servername: opts.host });
    session.on('error', reject);
    const req = session.request({
      ':path': opts.path ?? '/',
      ':method': 'GET',
      ':authority': `${opts.host}:${opts.port}`,
    });
    let body = '';
    let headers: http2.IncomingHttpHeaders = {};
    req.setEncoding('utf8');
    req.on('response', (h) => (headers = h));
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const alpn = (session.socket as tls.TLSSocket).alpnProtocol;
      session.close();
      resolve({ status: Number(headers[':status']), headers, body, alpn });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A plain-HTTP GET to 127.0.0.1:port for `host` (the HTTP listener: redirects, ACME, pending pages). */
export function plainGet(
  port: number,
  host: string,
  path: string,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

/** A WebSocket to `host` through the proxy on 127.0.0.1:port, its TLS verified against `ca`. */
export function wssTo(
  port: number,
  host: string,
  ca: string,
  path = '/socket',
  headers: Record<string, string> = {},
): WebSocket {
  // ws hands these options to https.request; its types omit `servername`.
  return new WebSocket(`wss://127.0.0.1:${port}${path}`, {
    ca,
    servername: host,
    headers: { host: `${host}:${port}`, ...headers },
  } as WebSocket.ClientOptions);
}
