import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startEchoBackend } from '../support/backends';
import { startDaemon } from '../support/daemon';
import { bodyOf, h2InBoth, rawExchange, rawTls, servingPids, statusOf } from '../support/rawTls';
import { until } from '../support/wait';

// HTTP/1.1 framing and Host rules (RFC 9112 §3.2, §3.2.2; RFC 9113 §8.3.1), checked through the
// daemon and its worker: every case runs on two consecutive connections, which round robin deals
// to one process each.

let daemon: Daemon;
let ca: string;
let port: number;
let backends: Array<Awaited<ReturnType<typeof startEchoBackend>>>;

before(async () => {
  backends = [await startEchoBackend('a'), await startEchoBackend('b')];
  ({ daemon, ca } = await startDaemon({ workers: 1 }));
  await until('the worker', () => daemon.status().https.workers!.ready === 1, 10_000);
  await daemon.routes.expose('a.localhost', { target: backends[0].url });
  await daemon.routes.expose('b.localhost', { target: backends[1].url });
  port = daemon.httpsPort;
});

after(async () => {
  await daemon.close();
  for (const b of backends) await b.close();
});

/** Sends `request` on two connections and checks that the daemon and the worker each answered one. */
async function inBoth(request: string): Promise<string[]> {
  const answers: string[] = [];
  const owners = new Set<number | undefined>();
  for (let i = 0; i < 2; i++) {
    const { response, owner } = await rawExchange(daemon, 'a.localhost', ca, request);
    answers.push(response);
    owners.add(owner);
  }
  assert.deepEqual([...owners].sort(), servingPids(daemon).sort(), 'one connection in the daemon, one in the worker');
  return answers;
}

test('an HTTP/1.1 request with two Host lines gets 400 and never reaches a backend', async () => {
  const before = backends[0].requests + backends[1].requests;
  for (const response of await inBoth(
    `GET / HTTP/1.1\r\nHost: a.localhost:${port}\r\nHost: b.localhost:${port}\r\n\r\n`,
  )) {
    assert.equal(statusOf(response), 400, response);
    assert.match(response, /more than one Host/);
  }
  assert.equal(backends[0].requests + backends[1].requests, before);
});

test('an HTTP/1.1 request without Host gets 400, not the 404 route list', async () => {
  for (const response of await inBoth('GET / HTTP/1.1\r\nAccept: */*\r\n\r\n')) {
    assert.equal(statusOf(response), 400, response);
    assert.match(response, /without a Host header/);
    assert.doesNotMatch(response, /a\.localhost/);
  }
});

test('an absolute-form target is routed by its authority and forwarded in origin-form with that Host', async () => {
  const request = `GET https://b.localhost:${port}/path?q=1 HTTP/1.1\r\nHost: a.localhost:${port}\r\n\r\n`;
  for (const response of await inBoth(request)) {
    assert.equal(statusOf(response), 200, response);
    const seen = JSON.parse(bodyOf(response));
    assert.equal(seen.name, 'b');
    assert.equal(seen.url, '/path?q=1');
    assert.equal(seen.headers.host, `b.localhost:${port}`);
    assert.equal(seen.headers['x-forwarded-host'], `b.localhost:${port}`);
  }
});

test('a target that is neither origin-form nor absolute-form gets 400; OPTIONS * is answered by the proxy', async () => {
  for (const response of await inBoth(`GET * HTTP/1.1\r\nHost: a.localhost:${port}\r\n\r\n`))
    assert.equal(statusOf(response), 400, response);
  for (const response of await inBoth(`GET a.localhost/ HTTP/1.1\r\nHost: a.localhost:${port}\r\n\r\n`))
    assert.equal(statusOf(response), 400, response);
  for (const response of await inBoth(`OPTIONS * HTTP/1.1\r\nHost: a.localhost:${port}\r\n\r\n`)) {
    assert.equal(statusOf(response), 200, response);
    assert.match(response, /\r\nallow: /i);
  }
});

test('a WebSocket upgrade follows the same rules: two Host lines get 400, absolute-form goes to its authority in origin-form', async () => {
  const upgrade = (target: string, hostLines: string) =>
    `GET ${target} HTTP/1.1\r\n${hostLines}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
  for (const response of await inBoth(upgrade('/socket', `Host: a.localhost:${port}\r\nHost: b.localhost:${port}\r\n`)))
    assert.equal(statusOf(response), 400, response);
  for (const response of await inBoth(upgrade('/socket', ''))) assert.equal(statusOf(response), 400, response);
  const owners = new Set<number | undefined>();
  for (let i = 0; i < 2; i++) {
    const conn = await rawTls(daemon, 'a.localhost', ca);
    owners.add(conn.owner);
    conn.socket.write(upgrade(`https://b.localhost:${port}/socket`, `Host: a.localhost:${port}\r\n`));
    // The echo backend greets with the Host it saw, in the first text frame after the 101.
    await until('the greeting', () => conn.received().includes(`hello b.localhost:${port}`), 5000);
    assert.equal(statusOf(conn.received()), 101);
    conn.socket.destroy();
  }
  assert.deepEqual([...owners].sort(), servingPids(daemon).sort());
});

test('an HTTP/2 request whose host header differs from :authority is routed and forwarded by :authority', async () => {
  const answers = await h2InBoth<{ name: string; headers: Record<string, string> }>(daemon, ca, {
    host: `b.localhost:${port}`,
  });
  for (const seen of answers) {
    assert.equal(seen.name, 'a');
    assert.equal(seen.headers.host, `a.localhost:${port}`);
    assert.equal(seen.headers['x-forwarded-host'], `a.localhost:${port}`);
  }
});
