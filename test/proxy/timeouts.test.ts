import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import WebSocket from 'ws';
import { wssTo } from '../support/https';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startEchoBackend } from '../support/backends';
import { caFile, cli, spawnServe, startDaemon, untilWorkerReady } from '../support/daemon';
import { RawConnection, rawTcp, rawTls, servingPids, statusOf, within } from '../support/rawTls';
import { serverSocketOwner } from '../support/sockets';
import { until } from '../support/wait';

// Connections that never finish are closed; streams in progress are not. The deadlines are short
// here (HEADER_MS, IDLE_MS); CLOSES_WITHIN is only a hang guard, several times longer. Every case
// runs on two connections opened one after the other, which round robin deals to the daemon and
// its worker.

const HEADER_MS = 500;
const IDLE_MS = 700;
const CLOSES_WITHIN = 5000;
/** Longer than both deadlines: what must survive is kept quiet this long. */
const QUIET_MS = 1500;

let daemon: Daemon;
let ca: string;
let port: number;
let echo: Awaited<ReturnType<typeof startEchoBackend>>;
let streams: http.Server;

before(async () => {
  echo = await startEchoBackend('a');
  streams = await startStreamBackend();
  ({ daemon, ca } = await startDaemon({ workers: 1, headerTimeoutMs: HEADER_MS, idleTimeoutMs: IDLE_MS }));
  await until('the worker', () => daemon.status().https.workers!.ready === 1, 10_000);
  await daemon.routes.expose('a.localhost', { target: echo.url });
  await daemon.routes.expose('s.localhost', { target: `http://127.0.0.1:${(streams.address() as AddressInfo).port}` });
  port = daemon.httpsPort;
});

after(async () => {
  await daemon.close();
  await echo.close();
  streams.closeAllConnections();
  await new Promise((r) => streams.close(r));
});

/** GET /events: three events QUIET_MS apart. POST /upload: the body's length once it has all come. */
async function startStreamBackend(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      const tick = () => {
        res.write(`data: ${++sent}\n\n`);
        if (sent === 3) res.end();
        else setTimeout(tick, QUIET_MS);
      };
      tick();
      return;
    }
    let length = 0;
    req.on('data', (c: Buffer) => (length += c.length));
    req.on('end', () => res.end(`received ${length}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/** Two connections, one after the other; checks that the daemon and the worker each hold one. */
async function inBoth<T extends { owner: number | undefined }>(open: () => Promise<T>): Promise<T[]> {
  const conns = [await open(), await open()];
  assert.deepEqual(
    conns.map((c) => c.owner).sort(),
    servingPids(daemon).sort(),
    'one connection in the daemon, one in the worker',
  );
  return conns;
}

async function assertClosed(conns: Array<{ closed: Promise<unknown> }>, what: string): Promise<void> {
  for (const c of conns)
    assert.ok(await within(c.closed, CLOSES_WITHIN), `${what}: the server kept the connection open`);
}

const ownerOf = (localPort: number) =>
  until('the serving process', () => serverSocketOwner(port, localPort, servingPids(daemon).reverse()), 2000);

test('a TCP connection that never starts TLS is closed after the header timeout', async () => {
  const conns = await inBoth(async () => {
    const c = await rawTcp(daemon);
    return { ...c, owner: await ownerOf(c.localPort) };
  });
  await assertClosed(conns, 'no TLS handshake');
});

test('a TLS connection that sends nothing, or half its headers, is closed after the header timeout', async () => {
  const silent = await inBoth(() => rawTls(daemon, 'a.localhost', ca));
  const half = await inBoth(async () => {
    const c = await rawTls(daemon, 'a.localhost', ca);
    c.socket.write(`GET / HTTP/1.1\r\nHost: a.localhost:${port}\r\nAccept:`);
    return c;
  });
  await assertClosed(silent, 'nothing sent');
  await assertClosed(half, 'half the headers');
  for (const c of half) assert.equal(c.received(), '');
});

test('headers sent one byte at a time are cut at the header deadline even though bytes keep arriving', async () => {
  const conns = await inBoth(async () => {
    const c = await rawTls(daemon, 'a.localhost', ca);
    c.socket.write(`GET / HTTP/1.1\r\nHost: a.localhost:${port}\r\n`);
    // A new byte every 100 ms, well inside any inactivity timer: only a deadline stops it.
    const drip = setInterval(() => c.socket.write('x'), 100);
    void c.closed.then(() => clearInterval(drip));
    return c;
  });
  await assertClosed(conns, 'one byte per 100 ms');
  for (const c of conns) assert.equal(c.received(), '');
});

test('an idle keep-alive connection is closed after the idle timeout', async () => {
  const conns = await inBoth(async () => {
    const c = await rawTls(daemon, 'a.localhost', ca);
    c.socket.write(`GET / HTTP/1.1\r\nHost: a.localhost:${port}\r\n\r\n`);
    await until('the response', () => c.received().includes('"name":"a"'), 5000);
    return c;
  });
  for (const c of conns) assert.equal(statusOf(c.received()), 200);
  await assertClosed(conns, 'idle keep-alive');
});

test('a keep-alive request still running when the idle deadline of the one before passes is not cut, and the idle timeout counts from its end', async () => {
  // The idle timer is made once per connection and re-armed (connectionTimer.ts): here it comes
  // due while the second request (an event stream with QUIET_MS gaps) is in progress.
  const conns = await inBoth(async () => {
    const c = await rawTls(daemon, 's.localhost', ca);
    c.socket.write(`POST /upload HTTP/1.1\r\nHost: s.localhost:${port}\r\ncontent-length: 2\r\n\r\nhi`);
    await until('the first response', () => c.received().includes('received 2'), 5000);
    return c;
  });
  for (const c of conns) c.socket.write(`GET /events HTTP/1.1\r\nHost: s.localhost:${port}\r\n\r\n`);
  for (const c of conns)
    await until('the whole event stream', () => c.received().includes('data: 3'), 3 * QUIET_MS + 5000);
  const ended = Date.now();
  await assertClosed(conns, 'idle after the stream');
  assert.ok(Date.now() - ended >= IDLE_MS - 200, 'closed only after the idle timeout since the stream ended');
});

test('an HTTP/2 session without a preface, and one left idle after a request, are closed', async () => {
  const silent = await inBoth(() => rawTls(daemon, 'a.localhost', ca, ['h2']));
  for (const c of silent) assert.equal(c.socket.alpnProtocol, 'h2');
  const used = await inBoth(async () => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: 'a.localhost' });
    session.on('error', () => undefined);
    const closed = new Promise((r) => session.once('close', r));
    await new Promise((r) => session.once('connect', r));
    const owner = await ownerOf(session.socket.localPort!);
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': '/', ':authority': `a.localhost:${port}` });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.resume();
      req.end();
    });
    assert.equal(status, 200);
    return { owner, closed };
  });
  await assertClosed(silent, 'no HTTP/2 preface');
  await assertClosed(used, 'idle HTTP/2 session');
});

test('a WebSocket quiet for longer than both timeouts stays open', async () => {
  const sockets = await inBoth(async () => {
    const ws = wssTo(port, 'a.localhost', ca);
    const messages: string[] = [];
    ws.on('message', (d) => messages.push(String(d)));
    const localPort = await new Promise<number>((resolve, reject) => {
      ws.once('upgrade', (res) => resolve((res.socket as tls.TLSSocket).localPort!));
      ws.once('error', reject);
    });
    return { ws, messages, owner: await ownerOf(localPort) };
  });
  await new Promise((r) => setTimeout(r, QUIET_MS));
  for (const { ws, messages } of sockets) {
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.send('ping');
    await until('the echo', () => messages.includes('echo:ping'), 5000);
    ws.close();
  }
});

test('a server-sent event stream with gaps longer than both timeouts is not cut, over HTTP/1.1 and HTTP/2', async () => {
  // One pair after the other: interleaved, round robin could give both HTTP/1.1 streams to one process.
  const h1 = await inBoth(
    () =>
      new Promise<{ owner: number | undefined; body: Promise<string> }>((resolve, reject) => {
        https
          .get(
            {
              host: '127.0.0.1',
              port,
              servername: 's.localhost',
              path: '/events',
              headers: { host: `s.localhost:${port}` },
              ca,
              agent: false,
            },
            (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (d) => (body += d));
              const ended = new Promise<string>((r, j) => {
                res.on('end', () => r(body));
                res.on('error', j);
              });
              void ownerOf((res.socket as tls.TLSSocket).localPort!).then(
                (owner) => resolve({ owner, body: ended }),
                reject,
              );
            },
          )
          .on('error', reject);
      }),
  );
  const sessions: http2.ClientHttp2Session[] = [];
  const h2 = await inBoth(async () => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: 's.localhost' });
    sessions.push(session);
    await new Promise((r) => session.once('connect', r));
    const owner = await ownerOf(session.socket.localPort!);
    const req = session.request({ ':path': '/events', ':authority': `s.localhost:${port}` });
    req.setEncoding('utf8');
    let body = '';
    req.on('data', (d) => (body += d));
    const ended = new Promise<string>((r, j) => {
      req.on('end', () => r(body));
      req.on('error', j);
    });
    req.end();
    return { owner, body: ended };
  });
  try {
    for (const { body } of [...h1, ...h2]) assert.equal(await body, 'data: 1\n\ndata: 2\n\ndata: 3\n\n');
  } finally {
    for (const s of sessions) s.close();
  }
});

test('a slow but progressing upload is not cut', async () => {
  const uploads = await inBoth(
    () =>
      new Promise<{ owner: number | undefined; answer: Promise<string> }>((resolve, reject) => {
        const req = https.request({
          host: '127.0.0.1',
          port,
          servername: 's.localhost',
          method: 'POST',
          path: '/upload',
          headers: { host: `s.localhost:${port}` },
          ca,
          agent: false,
        });
        const answer = new Promise<string>((r, j) => {
          req.on('response', (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (body += d));
            res.on('end', () => r(`${res.statusCode} ${body}`));
          });
          req.on('error', j);
        });
        req.once('socket', (socket) =>
          socket.once('secureConnect', () =>
            ownerOf((socket as tls.TLSSocket).localPort!).then((owner) => resolve({ owner, answer }), reject),
          ),
        );
        // Five chunks 400 ms apart: two seconds in all, longer than either timeout.
        let sent = 0;
        const drip = setInterval(() => {
          req.write('x'.repeat(1000));
          if (++sent === 5) {
            clearInterval(drip);
            req.end();
          }
        }, 400);
      }),
  );
  for (const { answer } of uploads) assert.equal(await answer, '200 received 5000');
});

test('serve takes --header-timeout and --idle-timeout and hands them to its worker; bad values get a one-line error', async () => {
  for (const [flag, value] of [
    ['--header-timeout', 'abc'],
    ['--header-timeout', '0'],
    ['--idle-timeout', '-1'],
    ['--idle-timeout', '1e3'],
  ]) {
    const r = cli(['serve', flag, value, '--https-port', '0', '--no-http', '--no-docker']);
    assert.equal(r.code, 2, `${flag} ${value}`);
    assert.match(r.stderr, new RegExp(`${flag} must be a number of seconds above 0 and up to 86400, not "${value}"`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const serve = await spawnServe([
    '--https-port',
    '0',
    '--no-http',
    '--no-docker',
    '--workers',
    '1',
    '--header-timeout',
    '0.5',
    '--idle-timeout',
    '0.7',
  ]);
  try {
    const status = await untilWorkerReady(serve.stateDir);
    const httpsPort = status.https.port;
    const owners: Array<number | undefined> = [];
    const conns: RawConnection[] = [];
    for (let i = 0; i < 2; i++) {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: httpsPort,
        servername: 'demo.localhost',
        ca: fs.readFileSync(caFile(serve.stateDir), 'utf8'),
      });
      await new Promise((r) => socket.once('secureConnect', r));
      socket.on('error', () => undefined);
      owners.push(
        await until(
          'the serving process',
          () => serverSocketOwner(httpsPort, socket.localPort!, [...status.https.workers!.pids, serve.child.pid!]),
          2000,
        ),
      );
      conns.push({
        socket,
        owner: owners[i],
        received: () => '',
        closed: new Promise((r) => socket.once('close', () => r(''))),
      });
    }
    assert.deepEqual([...owners].sort(), [serve.child.pid!, ...status.https.workers!.pids].sort());
    await assertClosed(conns, 'serve --header-timeout 0.5');
  } finally {
    await serve.stop();
  }
});
