import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startEchoBackend } from '../support/backends';
import { startDaemon } from '../support/daemon';
import { bodyOf, h2InBoth, rawExchange, servingPids, statusOf } from '../support/rawTls';
import { until } from '../support/wait';

// What the backend learns about the client (Traefik CVE-2024-45410, Puma CVE-2024-45614 classes),
// through the daemon and its worker: two consecutive connections, one in each process.

let daemon: Daemon;
let ca: string;
let port: number;
let backend: Awaited<ReturnType<typeof startEchoBackend>>;

before(async () => {
  backend = await startEchoBackend('a');
  ({ daemon, ca } = await startDaemon({ workers: 1 }));
  await until('the worker', () => daemon.status().https.workers!.ready === 1, 10_000);
  await daemon.routes.expose('a.localhost', { target: backend.url });
  port = daemon.httpsPort;
});

after(async () => {
  await daemon.close();
  await backend.close();
});

interface Seen {
  headers: Record<string, string>;
  body: string;
}

/** Sends `request` on two connections (one per process) and returns what the backend saw each time. */
async function seenInBoth(request: string): Promise<Seen[]> {
  const seen: Seen[] = [];
  const owners = new Set<number | undefined>();
  for (let i = 0; i < 2; i++) {
    const { response, owner } = await rawExchange(daemon, 'a.localhost', ca, request);
    assert.equal(statusOf(response), 200, response);
    seen.push(JSON.parse(bodyOf(response)));
    owners.add(owner);
  }
  assert.deepEqual([...owners].sort(), servingPids(daemon).sort(), 'one connection in the daemon, one in the worker');
  return seen;
}

const SPOOFED =
  'X-Real-IP: 6.6.6.6\r\nX-Forwarded-Prefix: /evil\r\nX_Forwarded_For: 6.6.6.6\r\nX_Real_IP: 6.6.6.6\r\nX-Forwarded-For: 6.6.6.6\r\n' +
  'X-Forwarded-Server: evil\r\nX-Forwarded-Uri: /evil\r\nX-Forwarded-Method: DELETE\r\nX-Forwarded-Tls-Client-Cert: evil\r\nX_forwarded-Host: evil.example\r\n';

function assertOurs(headers: Record<string, string>): void {
  assert.equal(headers.host, `a.localhost:${port}`);
  assert.equal(headers['x-forwarded-host'], `a.localhost:${port}`);
  assert.equal(headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(headers['x-forwarded-proto'], 'https');
  assert.equal(headers['x-forwarded-port'], String(port));
  assert.equal(headers['x-real-ip'], '127.0.0.1');
  for (const name of [
    'x-forwarded-prefix',
    'x-forwarded-server',
    'x-forwarded-uri',
    'x-forwarded-method',
    'x-forwarded-tls-client-cert',
    'x_forwarded_for',
    'x_real_ip',
    'x_forwarded-host',
  ]) {
    assert.equal(headers[name], undefined, `${name} reached the backend`);
  }
}

test("Connection: host (and the proxy's own headers listed there) cannot remove Host or X-Forwarded-*", async () => {
  const request = `GET / HTTP/1.1\r\nHost: a.localhost:${port}\r\nConnection: host, x-forwarded-host, x-forwarded-for, x-real-ip, x-hop\r\nX-Hop: 1\r\nX-Kept: 1\r\n\r\n`;
  for (const { headers } of await seenInBoth(request)) {
    assertOurs(headers);
    // Options that name other fields still remove them: they are hop-by-hop by declaration.
    assert.equal(headers['x-hop'], undefined);
    assert.equal(headers['x-kept'], '1');
    assert.equal(headers.connection, 'keep-alive', "undici's own, not the client's");
  }
});

test('Connection: content-length keeps the body and its length; Connection: transfer-encoding keeps a chunked body', async () => {
  for (const seen of await seenInBoth(
    `POST / HTTP/1.1\r\nHost: a.localhost:${port}\r\nConnection: content-length\r\nContent-Length: 5\r\n\r\nhello`,
  )) {
    assert.equal(seen.body, 'hello');
    assert.equal(seen.headers['content-length'], '5');
    assert.equal(seen.headers['transfer-encoding'], undefined);
  }
  for (const seen of await seenInBoth(
    `POST / HTTP/1.1\r\nHost: a.localhost:${port}\r\nConnection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  )) {
    assert.equal(seen.body, 'hello');
  }
});

test('client-sent X-Real-IP, X-Forwarded-Prefix and the rest, underscore spellings included, are replaced over HTTP/1.1', async () => {
  for (const { headers } of await seenInBoth(`GET / HTTP/1.1\r\nHost: a.localhost:${port}\r\n${SPOOFED}\r\n`))
    assertOurs(headers);
});

test('the same over HTTP/2', async () => {
  const spoofed: Record<string, string> = {};
  for (const line of SPOOFED.split('\r\n').filter(Boolean)) {
    const [name, value] = line.split(': ');
    spoofed[name.toLowerCase()] = value;
  }
  for (const seen of await h2InBoth<Seen>(daemon, ca, spoofed)) assertOurs(seen.headers);
});
