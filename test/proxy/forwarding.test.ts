import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Daemon } from '../../proxy-core/src/daemon/daemon';
import { HttpForwarder } from '../../proxy-core/src/proxy/httpForwarder';
import { startDaemon } from '../support/daemon';
import { httpsGet } from '../support/https';

// Edge cases of the HTTP forwarding path (request bodies, response framing, streaming, failures),
// over HTTP/1.1 and HTTP/2, against a real backend with real TLS verified against our CA.

const BIG = 8 * 1024 * 1024;

interface Seen {
  closedEarly: number;
}

async function startEdgeBackend(seen: Seen): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    switch (req.url) {
      case '/cookies':
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        return void res.end('ok');
      case '/chunked':
        res.write('part1-');
        return void setTimeout(() => res.end('part2'), 20);
      case '/big': {
        res.writeHead(200, { 'content-length': BIG });
        const chunk = Buffer.alloc(64 * 1024, 97);
        let sent = 0;
        const pump = () => {
          while (sent < BIG) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      case '/forever': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => res.write('x'), 20);
        return void res.on('close', () => {
          clearInterval(timer);
          if (!res.writableFinished) seen.closedEarly++;
        });
      }
      case '/slow':
        return void setTimeout(() => res.end('slow'), 100);
      case '/close':
        res.writeHead(200, { connection: 'close' });
        return void res.end('closing');
      case '/bad-header':
        // Not valid HTTP: the proxy must answer 502, not crash or hang.
        return void req.socket.end('HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 2\r\n\r\nok');
      default: {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ method: req.method, headers: req.headers, length: Buffer.concat(chunks).length }));
        });
      }
    }
  });
  // Like nginx's default: idle keep-alive sockets stay long, so a stalled pooled socket is not
  // rescued by the backend closing it.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request over HTTP/1.1 (chunked upload when `chunked`) or HTTP/2, TLS verified against `ca`. */
function request(
  proto: 'h1' | 'h2',
  opts: {
    port: number;
    ca: string;
    host: string;
    path: string;
    method?: string;
    body?: Buffer;
    headers?: Record<string, string>;
    chunked?: boolean;
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const collect = (status: number, headers: http.IncomingHttpHeaders, stream: NodeJS.ReadableStream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve({ status, headers, body: Buffer.concat(chunks) }));
      stream.on('error', reject);
    };
    if (proto === 'h1') {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: opts.port,
          servername: opts.host,
          path: opts.path,
          method: opts.method ?? 'GET',
          ca: opts.ca,
          agent: false,
          headers: { host: `${opts.host}:${opts.port}`, ...opts.headers },
        },
        (res) => collect(res.statusCode ?? 0, res.headers, res),
      );
      req.on('error', reject);
      if (opts.body && opts.chunked) {
        req.write(opts.body.subarray(0, 10));
        req.end(opts.body.subarray(10));
      } else req.end(opts.body);
      return;
    }
    const session = http2.connect(`https://127.0.0.1:${opts.port}`, { ca: opts.ca, servername: opts.host });
    session.on('error', reject);
    const stream = session.request({
      ':path': opts.path,
      ':method': opts.method ?? 'GET',
      ':authority': `${opts.host}:${opts.port}`,
      ...opts.headers,
    });
    stream.on('response', (h) => {
      collect(Number(h[':status']), h as http.IncomingHttpHeaders, stream);
      stream.on('end', () => session.close());
    });
    stream.on('error', reject);
    stream.end(opts.body);
  });
}

describe('HTTP forwarding edge cases (HTTP/1.1 and HTTP/2)', () => {
  let daemon: Daemon;
  let ca: string;
  let port: number;
  let backend: Awaited<ReturnType<typeof startEdgeBackend>>;
  const seen: Seen = { closedEarly: 0 };

  before(async () => {
    backend = await startEdgeBackend(seen);
    ({ daemon, ca } = await startDaemon());
    port = daemon.httpsPort;
    await daemon.routes.expose('edge.localhost', { target: backend.url });
  });

  after(async () => {
    await daemon.close();
    await backend.close();
  });

  for (const proto of ['h1', 'h2'] as const) {
    const get = (path: string, extra: Partial<Parameters<typeof request>[1]> = {}) =>
      request(proto, { port, ca, host: 'edge.localhost', path, ...extra });

    test(`${proto}: repeated response headers (set-cookie) all arrive`, async () => {
      const res = await get('/cookies');
      assert.equal(res.status, 200);
      assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    });

    test(`${proto}: a chunked upstream response is relayed whole`, async () => {
      const res = await get('/chunked');
      assert.equal(res.body.toString(), 'part1-part2');
      assert.equal(res.headers['transfer-encoding'], proto === 'h1' ? 'chunked' : undefined);
    });

    test(`${proto}: a large response streams through intact`, async () => {
      const res = await get('/big');
      assert.equal(res.status, 200);
      assert.equal(res.body.length, BIG);
      assert.ok(res.body.every((b) => b === 97));
    });

    test(`${proto}: request bodies arrive, with Content-Length, chunked, and with Expect: 100-continue`, async () => {
      const body = Buffer.alloc(200_000, 98);
      const sized = JSON.parse(
        (
          await get('/upload', { method: 'POST', body, headers: { 'content-length': String(body.length) } })
        ).body.toString(),
      );
      assert.equal(sized.length, body.length);
      const streamed = JSON.parse((await get('/upload', { method: 'POST', body, chunked: true })).body.toString());
      assert.equal(streamed.length, body.length);
      const expecting = await get('/upload', {
        method: 'PUT',
        body,
        headers: { expect: '100-continue', 'content-length': String(body.length) },
      });
      assert.equal(expecting.status, 200);
      assert.equal(JSON.parse(expecting.body.toString()).length, body.length);
    });

    test(`${proto}: an upstream Connection: close does not reach the client, and the next request works`, async () => {
      // A client asking for keep-alive keeps it: the upstream's close is about the upstream socket.
      const res = await get('/close', proto === 'h1' ? { headers: { connection: 'keep-alive' } } : {});
      assert.equal(res.body.toString(), 'closing');
      if (proto === 'h1') assert.equal(res.headers.connection, 'keep-alive');
      else assert.equal(res.headers.connection, undefined);
      assert.equal((await get('/json')).status, 200);
    });

    test(`${proto}: an invalid upstream response becomes a 502 page, and the route keeps working`, async () => {
      const res = await get('/bad-header');
      assert.equal(res.status, 502);
      assert.match(res.body.toString(), /edge\.localhost/);
      assert.equal((await get('/json')).status, 200);
    });
  }

  // The timeout only turns a wedged pool (a hang) into a failure; it asserts nothing about speed.
  test(
    'clients that leave while their requests wait for a free upstream connection do not wedge the pool',
    { timeout: 30_000 },
    async () => {
      // More concurrent streams than the pool has connections, then the client vanishes: the
      // queued requests must be dropped when their turn comes, not stall their connections forever.
      for (let round = 0; round < 2; round++) {
        const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: 'edge.localhost' });
        session.on('error', () => undefined);
        await new Promise<void>((resolve) => session.once('connect', () => resolve()));
        session.setLocalWindowSize(1 << 20);
        for (let i = 0; i < 300; i++) {
          const stream = session.request({ ':path': '/slow', ':authority': `edge.localhost:${port}` });
          stream.on('error', () => undefined);
          stream.end();
        }
        await new Promise((r) => setTimeout(r, 50));
        session.destroy();
        await new Promise((r) => setTimeout(r, 200));
      }
      const res = await httpsGet({ host: 'edge.localhost', port, ca, path: '/json' });
      assert.equal(res.status, 200);
    },
  );

  test('a client that goes away mid-response ends the upstream request too', async () => {
    const before = seen.closedEarly;
    await new Promise<void>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          servername: 'edge.localhost',
          path: '/forever',
          ca,
          agent: false,
          headers: { host: 'edge.localhost' },
        },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => undefined);
      req.on('timeout', () => reject(new Error('no data')));
      req.end();
    });
    for (let i = 0; i < 100 && seen.closedEarly === before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(seen.closedEarly, before + 1);
    assert.equal((await httpsGet({ host: 'edge.localhost', port, ca, path: '/json' })).status, 200);
  });
});

test('upstream pools that served nothing for a sweep interval and hold no connections are dropped', async () => {
  const seen: Seen = { closedEarly: 0 };
  const backend = await startEdgeBackend(seen);
  const port = Number(new URL(backend.url).port);
  const forwarder = new HttpForwarder(5000, 3_600_000);
  // A plain HTTP front: the forwarder does not care which server the request came from.
  const front = http.createServer((req, res) =>
    forwarder.forward(
      req,
      res,
      { host: 'pool.localhost' },
      false,
      { protocol: 'http:', hostname: '127.0.0.1', port, href: backend.url },
      () => res.destroy(),
    ),
  );
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  try {
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: (front.address() as AddressInfo).port, path: '/json', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    assert.equal(status, 200);
    forwarder.sweep();
    assert.equal(forwarder.poolCount, 1, 'used since the last sweep: kept');
    await backend.close(); // drops the pooled keep-alive connection
    for (let i = 0; i < 100 && forwarder.poolCount > 0; i++) {
      forwarder.sweep();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(forwarder.poolCount, 0);
  } finally {
    front.close();
    await forwarder.close();
  }
});
