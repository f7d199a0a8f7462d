import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import * as crypto from 'node:crypto';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startDaemon } from '../support/daemon';
import { h2Get, httpsGet, wssTo } from '../support/https';
import { deadPort, startEchoBackend } from '../support/backends';

describe('the HTTPS proxy', () => {
  let daemon: Daemon;
  let ca: string;
  let port: number;
  let backendA: Awaited<ReturnType<typeof startEchoBackend>>;
  let backendB: Awaited<ReturnType<typeof startEchoBackend>>;
  let silent: http.Server;

  before(async () => {
    backendA = await startEchoBackend('a');
    backendB = await startEchoBackend('b');
    // Accepts requests and never answers: the timeout path.
    silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    ({ daemon, ca } = await startDaemon({ backendTimeoutMs: 500 }));
    port = daemon.httpsPort;
    await daemon.routes.expose('a.localhost', { target: backendA.url });
    await daemon.routes.expose('b.test', { target: backendB.url });
    await daemon.routes.expose('dead.localhost', { target: `http://127.0.0.1:${await deadPort()}` });
    await daemon.routes.expose('slow.localhost', {
      target: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
    });
  });

  after(async () => {
    await daemon.close();
    await backendA.close();
    await backendB.close();
    silent.closeAllConnections();
    silent.close();
  });

  test('HTTP/1.1 through the proxy, TLS verified against our CA, Host preserved', async () => {
    const res = await httpsGet({ host: 'a.localhost', port, ca, path: '/hello?x=1' });
    assert.equal(res.status, 200);
    assert.notEqual(res.alpn, 'h2');
    const echo = JSON.parse(res.body);
    assert.equal(echo.name, 'a');
    assert.equal(echo.url, '/hello?x=1');
    assert.equal(echo.headers.host, `a.localhost:${port}`);
  });

  test('HTTP/2 through the proxy (ALPN h2), forwarded as HTTP/1.1 without pseudo-headers', async () => {
    const res = await h2Get({ host: 'b.test', port, ca, path: '/h2' });
    assert.equal(res.status, 200);
    assert.equal(res.alpn, 'h2');
    const echo = JSON.parse(res.body);
    assert.equal(echo.name, 'b');
    assert.equal(echo.url, '/h2');
    assert.equal(echo.httpVersion, '1.1');
    assert.equal(echo.headers.host, `b.test:${port}`);
    assert.ok(!Object.keys(echo.headers).some((k) => k.startsWith(':')), 'no pseudo-headers reach the backend');
    assert.equal(res.headers['connection'], undefined, 'hop-by-hop headers are stripped for HTTP/2');
    assert.equal(res.headers['keep-alive'], undefined);
  });

  test('request bodies are forwarded (POST over HTTP/1.1)', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          servername: 'a.localhost',
          method: 'POST',
          path: '/submit',
          ca,
          headers: { host: 'a.localhost', 'content-type': 'text/plain' },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end('payload-123');
    });
    assert.equal(JSON.parse(body).body, 'payload-123');
  });

  test('X-Forwarded-For/Proto/Host/Port are set, and incoming values are not trusted', async () => {
    const res = await httpsGet({
      host: 'a.localhost',
      port,
      ca,
      headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'http' },
    });
    const { headers } = JSON.parse(res.body);
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'https');
    assert.equal(headers['x-forwarded-host'], `a.localhost:${port}`);
    assert.equal(headers['x-forwarded-port'], String(port));
  });

  test('no certificate is made for names the CA may not sign: the default certificate is served', async () => {
    const cert = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port, servername: 'www.example.com', ca, checkServerIdentity: () => undefined },
        () => {
          resolve(socket.getPeerCertificate());
          socket.end();
        },
      );
      socket.on('error', reject);
    });
    assert.equal(cert.subjectaltname, 'DNS:localhost');
  });

  test('SNI picks the right certificate among several hosts', async () => {
    for (const host of ['a.localhost', 'b.test', 'dead.localhost']) {
      const cert = await new Promise<tls.PeerCertificate>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: host, ca }, () => {
          resolve(socket.getPeerCertificate());
          socket.end();
        });
        socket.on('error', reject);
      });
      assert.equal(cert.subjectaltname, `DNS:${host}`);
    }
  });

  test('keep-alive to backends: many requests reuse few backend connections', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const before = backendA.requests;
    const connectionsBefore = backendA.connections;
    for (let i = 0; i < 20; i++) assert.equal((await httpsGet({ host: 'a.localhost', port, ca, agent })).status, 200);
    agent.destroy();
    assert.equal(backendA.requests - before, 20);
    assert.ok(
      backendA.connections - connectionsBefore <= 1,
      `backend saw ${backendA.connections - connectionsBefore} new connections for 20 requests`,
    );
  });

  test("a client's Connection: close is not forwarded: the next request on the pooled backend socket still works", async () => {
    const close = await httpsGet({
      host: 'a.localhost',
      port,
      ca,
      headers: { connection: 'close, x-private', 'x-private': 'secret', 'keep-alive': 'timeout=1' },
    });
    const seen = JSON.parse(close.body).headers;
    assert.notEqual(seen.connection, 'close');
    assert.equal(seen['x-private'], undefined, 'headers named in Connection are hop-by-hop too');
    assert.equal(seen['keep-alive'], undefined);
    for (let i = 0; i < 3; i++)
      assert.equal((await httpsGet({ host: 'a.localhost', port, ca, method: 'POST' })).status, 200);
  });

  test('WebSocket upgrade is proxied (echo)', async () => {
    const ws = wssTo(port, 'a.localhost', ca);
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        messages.push(String(data));
        if (messages.length === 1) ws.send('ping');
        else resolve();
      });
      ws.on('error', reject);
    });
    ws.close();
    assert.deepEqual(messages, [`hello a.localhost:${port}`, 'echo:ping']);
  });

  test('unknown host: 404 page that lists the routes (loopback client), with a valid certificate for a typo the CA may sign', async () => {
    const res = await httpsGet({ host: 'tpyo.localhost', port, ca });
    assert.equal(res.peerCertificate?.subjectaltname, 'DNS:tpyo.localhost');
    assert.equal(daemon.certs.store.get('tpyo.localhost'), undefined, 'kept in memory, not stored');
    assert.equal(res.status, 404);
    assert.match(res.body, /No route for this host/);
    assert.match(res.body, /a\.localhost/);
    assert.match(res.body, /b\.test/);
  });

  test('backend refusing: 502 page naming the route and target; other routes unaffected', async () => {
    const res = await httpsGet({ host: 'dead.localhost', port, ca });
    assert.equal(res.status, 502);
    assert.match(res.body, /dead\.localhost/);
    assert.match(res.body, /connection refused/);
    assert.match(res.body, /http:\/\/127\.0\.0\.1:\d+/);
    assert.equal((await httpsGet({ host: 'a.localhost', port, ca })).status, 200);
  });

  test('backend not answering: 504 page after the backend timeout; other routes unaffected', async () => {
    const [slow, fast] = await Promise.all([
      httpsGet({ host: 'slow.localhost', port, ca }),
      httpsGet({ host: 'b.test', port, ca }),
    ]);
    assert.equal(fast.status, 200);
    assert.equal(slow.status, 504);
    assert.match(slow.body, /slow\.localhost/);
    assert.match(slow.body, /timed out/);
  });

  test('HTTP listener redirects known hosts to HTTPS (308, path kept, no HSTS) and 404s the rest', async () => {
    const get = (host: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: daemon.httpPort!, path: '/p?q=1', headers: { host } }, (res) => {
            res.resume();
            resolve(res);
          })
          .on('error', reject);
      });
    const known = await get('a.localhost');
    assert.equal(known.statusCode, 308);
    assert.equal(known.headers.location, `https://a.localhost:${port}/p?q=1`);
    assert.equal(known.headers['strict-transport-security'], undefined);
    assert.equal((await get('nope.localhost')).statusCode, 404);
  });

  test('a route change is visible to the next request', async () => {
    await daemon.routes.expose('a.localhost', { target: backendB.url });
    assert.equal(JSON.parse((await httpsGet({ host: 'a.localhost', port, ca })).body).name, 'b');
    await daemon.routes.expose('a.localhost', { target: backendA.url });
    assert.equal(JSON.parse((await httpsGet({ host: 'a.localhost', port, ca })).body).name, 'a');
  });

  test('certificate files are 0600 and the served leaf chains to the root', async () => {
    const stored = daemon.certs.store.get('a.localhost')!;
    const leaf = new crypto.X509Certificate(stored.certPem);
    assert.equal(leaf.checkIssued(new crypto.X509Certificate(ca)), true);
    const { statSync } = await import('node:fs');
    for (const ext of ['pem', 'key', 'json'])
      assert.equal(statSync(`${daemon.paths.certsDir}/a.localhost.${ext}`).mode & 0o777, 0o600, ext);
    assert.equal(statSync(daemon.paths.socket).mode & 0o777, 0o600, 'control socket');
    assert.equal(statSync(daemon.paths.stateDir).mode & 0o777, 0o700, 'state dir');
  });
});
