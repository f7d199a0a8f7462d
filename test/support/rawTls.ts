import { strict as assert } from 'node:assert';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { serverSocketOwner } from './sockets';

/**
 * A TLS connection to the daemon's HTTPS port for `host`, verified against `ca` (never
 * unverified), over which a test writes raw bytes: malformed HTTP that no client library sends.
 */
export interface RawConnection {
  socket: tls.TLSSocket;
  /** Which process serves the server end (the daemon's pid or a worker's). */
  owner: number | undefined;
  /** Everything received so far. */
  received: () => string;
  /** Resolves when the connection closes, with everything received. */
  closed: Promise<string>;
}

export async function rawTls(
  daemon: Daemon,
  host: string,
  ca: string,
  alpn: string[] = ['http/1.1'],
): Promise<RawConnection> {
  const port = daemon.httpsPort;
  const socket = tls.connect({ host: '127.0.0.1', port, servername: host, ca, ALPNProtocols: alpn });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  let data = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (data += d));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(data)));
  // The handshake is done, so the process that did it holds the socket now. The daemon may still
  // hold a copy of one it has just handed to a worker for a moment: ask the workers first.
  const owner = serverSocketOwner(port, socket.localPort!, servingPids(daemon).reverse());
  return { socket, owner, received: () => data, closed };
}

/**
 * Sends `request` on a new verified connection and returns the first response (complete by its
 * Content-Length, or whatever came before the server closed), then closes the connection.
 */
export async function rawExchange(
  daemon: Daemon,
  host: string,
  ca: string,
  request: string,
): Promise<{ response: string; owner: number | undefined }> {
  const conn = await rawTls(daemon, host, ca);
  conn.socket.write(request, 'latin1');
  const response = await new Promise<string>((resolve) => {
    const check = () => {
      const data = conn.received();
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = data.slice(0, end);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (length && data.length >= end + 4 + Number(length[1])) resolve(data);
      else if (/\r\ntransfer-encoding: *chunked/i.test(head) && data.endsWith('\r\n0\r\n\r\n')) resolve(data);
    };
    conn.socket.on('data', check);
    void conn.closed.then(resolve);
    // An answer that never ends (say, a 101 to an upgrade that should have been refused) fails
    // the test's assertions instead of hanging it.
    setTimeout(() => resolve(conn.received()), 3000).unref();
  });
  conn.socket.destroy();
  return { response, owner: conn.owner };
}

/** A plain TCP connection to the HTTPS port that never starts TLS. */
export async function rawTcp(
  daemon: Daemon,
): Promise<{ socket: net.Socket; closed: Promise<void>; localPort: number }> {
  const socket = net.connect(daemon.httpsPort, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  socket.resume();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, closed, localPort: socket.localPort! };
}

/** The daemon and its ready workers. */
export function servingPids(daemon: Daemon): number[] {
  return [process.pid, ...daemon.status().https.workers!.pids];
}

/** The status code of a raw HTTP/1.1 response. */
export function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}

/** The body of a raw response, chunked framing undone. */
export function bodyOf(response: string): string {
  const end = response.indexOf('\r\n\r\n');
  let rest = response.slice(end + 4);
  if (!/\r\ntransfer-encoding: *chunked/i.test(response.slice(0, end))) return rest;
  let body = '';
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!size) return body;
    body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/** Resolves with true when `p` settles within `ms`, false otherwise. */
export function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * One HTTP/2 request for a.localhost on each of two sessions opened one after the other, so the
 * daemon serves one and its worker the other (round robin); checks that both served, and returns
 * the backend echo's JSON answers.
 */
export async function h2InBoth<T>(daemon: Daemon, ca: string, headers: http2.OutgoingHttpHeaders): Promise<T[]> {
  const port = daemon.httpsPort;
  const owners = new Set<number | undefined>();
  const answers: T[] = [];
  for (let i = 0; i < 2; i++) {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: 'a.localhost' });
    try {
      await new Promise((resolve) => session.once('connect', resolve));
      owners.add(serverSocketOwner(port, session.socket.localPort!, servingPids(daemon).reverse()));
      answers.push(
        await new Promise<T>((resolve, reject) => {
          const req = session.request({ ':path': '/', ':authority': `a.localhost:${port}`, ...headers });
          let body = '';
          req.setEncoding('utf8');
          req.on('data', (d) => (body += d));
          req.on('end', () => resolve(JSON.parse(body) as T));
          req.on('error', reject);
          req.end();
        }),
      );
    } finally {
      session.close();
    }
  }
  assert.deepEqual([...owners].sort(), servingPids(daemon).sort(), 'the daemon and its worker each served one session');
  return answers;
}
