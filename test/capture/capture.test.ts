import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as http from 'node:http';
import * as https from 'node:https';
import { DEFAULT_CAPTURE } from '../../proxy-core/src/capture/types';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { Requests } from '../../proxy-core/src/control/protocol';
import { startEchoBackend, deadPort } from '../support/backends';
import { startDaemon } from '../support/daemon';
import { h2Get } from '../support/https';
import { until } from '../support/wait';
import { detail, recorded, send, startScriptedBackend } from './support';

for (const [channel, workerRecordPipe] of [
  ['the record pipe', undefined],
  ["the JSON channel (Windows')", false],
] as const)
  test(`HTTP/1.1 and HTTP/2 requests through the daemon and its worker are recorded with their route, headers, bodies and timings (worker records over ${channel})`, async () => {
    const backend = await startEchoBackend('cap');
    const { daemon, ca, stateDir } = await startDaemon({ workers: 1, capture: DEFAULT_CAPTURE, workerRecordPipe });
    const client = new ControlClient(stateDir);
    try {
      await until('the worker', () => daemon.status().https.workers?.ready === 1, 10_000);
      await daemon.routes.expose('cap.localhost', { target: backend.url });
      const port = daemon.httpsPort;
      // Each request on a new connection: round robin sends every other one to the worker.
      for (let i = 0; i < 4; i++) {
        const res = await send({
          port,
          host: 'cap.localhost',
          ca,
          method: 'POST',
          path: `/h1/${i}?q=1`,
          headers: { 'content-type': 'text/plain', 'x-test': String(i) },
          body: `hello ${i}`,
        });
        assert.equal(res.status, 200);
      }
      for (let i = 0; i < 2; i++)
        assert.equal((await h2Get({ host: 'cap.localhost', port, ca, path: `/h2/${i}` })).status, 200);
      const list = await recorded(client, 6);
      assert.equal(list.length, 6);
      const h1 = list.filter((r) => r.httpVersion === '1.1');
      const h2 = list.filter((r) => r.httpVersion === '2');
      assert.equal(h1.length, 4);
      assert.equal(h2.length, 2);
      // The daemon's and the worker's records in one timeline: two id prefixes (capture/captureId.ts).
      const prefixes = new Set(list.map((r) => r.id.split('.')[0]));
      assert.equal(prefixes.size, 2, `ids ${list.map((r) => r.id).join(' ')}`);
      for (const s of list) {
        assert.equal(s.host, 'cap.localhost');
        assert.equal(s.router, 'cap.localhost');
        assert.equal(s.status, 200);
        assert.equal(s.complete, true);
        assert.equal(s.error, undefined);
        const r = await detail(client, s.id);
        const echoed = JSON.parse(Buffer.from(r.responseBody!.base64, 'base64').toString('utf8'));
        assert.equal(r.responseBody!.truncated, false);
        assert.equal(r.bytesOut, r.responseBody!.size);
        assert.equal(r.responseHeaders!['x-backend'], 'cap');
        assert.equal(r.upstream, backend.url);
        assert.equal(r.target, backend.url);
        assert.equal(r.client.address, '127.0.0.1');
        // Every request here came on a new connection: each has its TLS handshake.
        assert.ok(r.timings.tlsMs! > 0, `tls ${r.timings.tlsMs}`);
        assert.ok(r.timings.connectWaitMs! >= 0 && r.timings.ttfbMs! > 0, JSON.stringify(r.timings));
        assert.ok(r.timings.totalMs >= r.timings.ttfbMs!, JSON.stringify(r.timings));
        if (r.httpVersion === '1.1') {
          assert.equal(r.method, 'POST');
          assert.match(r.url, /^\/h1\/\d\?q=1$/);
          assert.equal(r.requestHeaders['x-test'], r.url[4]);
          assert.equal(Buffer.from(r.requestBody!.base64, 'base64').toString(), `hello ${r.url[4]}`);
          assert.equal(r.bytesIn, 7);
          assert.equal(echoed.url, r.url);
        } else {
          assert.equal(r.method, 'GET');
          assert.match(r.url, /^\/h2\/\d$/);
          assert.equal(r.requestBody, undefined);
          assert.equal(r.bytesIn, 0);
        }
      }
      // Filters: method, status class, free text, paging back with `before`.
      assert.equal((await recorded(client, 2, { method: 'get' })).length, 2);
      assert.equal((await recorded(client, 6, { status: '2xx' })).length, 6);
      assert.equal((await client.call(Requests, { query: { status: '5xx' } })).requests.length, 0);
      assert.equal((await recorded(client, 1, { q: '/h1/3' })).length, 1);
      const older = await recorded(client, 1, { before: list[1].id });
      assert.deepEqual(
        older.map((r) => r.id),
        list.slice(2).map((r) => r.id),
      );
    } finally {
      await daemon.close();
      await backend.close();
    }
  });

test('bodies are kept up to --capture-body-kb, and a failed upstream is recorded with who failed', async () => {
  const backend = await startEchoBackend('cap');
  const { daemon, ca, stateDir } = await startDaemon({ workers: 0, capture: { ...DEFAULT_CAPTURE, bodyBytes: 1024 } });
  const client = new ControlClient(stateDir);
  try {
    await daemon.routes.expose('cap.localhost', { target: backend.url });
    await daemon.routes.expose('dead.localhost', { target: `http://127.0.0.1:${await deadPort()}` });
    // The editor's badge subscribes to server errors only (/v1/events?requests=errors).
    const errorEvents: string[] = [];
    let subscribed = false;
    const stop = client.subscribe(
      (event, data) => {
        if (event === 'status') subscribed = true;
        if (event === 'request') errorEvents.push(`${data.host} ${data.status}`);
      },
      undefined,
      { requests: 'errors' },
    );
    await until('the event stream', () => subscribed);
    const body = Buffer.alloc(5000, 'abcdefghij');
    await send({ port: daemon.httpsPort, host: 'cap.localhost', ca, method: 'PUT', body });
    const [big] = await recorded(client, 1);
    const r = await detail(client, big.id);
    assert.equal(r.bytesIn, 5000);
    assert.equal(r.requestBody!.size, 5000);
    assert.equal(r.requestBody!.truncated, true);
    assert.deepEqual(Buffer.from(r.requestBody!.base64, 'base64'), body.subarray(0, 1024));
    assert.ok(r.bytesOut > 5000, `the echo is longer than the body: ${r.bytesOut}`);
    assert.equal(Buffer.from(r.responseBody!.base64, 'base64').length, 1024);
    assert.equal(r.responseBody!.truncated, true);

    const res = await send({ port: daemon.httpsPort, host: 'dead.localhost', ca, path: '/x' });
    assert.equal(res.status, 502);
    const [dead] = await recorded(client, 1, { host: 'dead.localhost' });
    assert.equal(dead.status, 502);
    assert.deepEqual({ by: dead.error?.by, kind: dead.error?.kind }, { by: 'upstream', kind: 'refused' });

    const missing = await send({ port: daemon.httpsPort, host: 'nothing.localhost', ca });
    assert.equal(missing.status, 404);
    const [none] = await recorded(client, 1, { host: 'nothing.localhost' });
    stop();
    assert.deepEqual(errorEvents, ['dead.localhost 502']);
    assert.equal(none.status, 404);
    assert.equal(none.router, undefined);
    // The proxy's own page: its headers and size are recorded as for any response.
    const page = await detail(client, none.id);
    assert.equal(page.responseHeaders!['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.bytesOut, missing.body.length);
  } finally {
    await daemon.close();
    await backend.close();
  }
});

test('a server-sent events stream reaches the client as it is written, shows up once its sample is full (incomplete), and is completed when it ends', async () => {
  let stream: http.ServerResponse | undefined;
  const backend = await startScriptedBackend((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(`data: ${'x'.repeat(2000)}\n\n`);
    stream = res;
  });
  const { daemon, ca, stateDir } = await startDaemon({ workers: 0, capture: { ...DEFAULT_CAPTURE, bodyBytes: 1024 } });
  const client = new ControlClient(stateDir);
  try {
    await daemon.routes.expose('sse.localhost', { target: backend.url });
    const port = daemon.httpsPort;
    const got: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port,
            servername: 'sse.localhost',
            ca,
            agent: false,
            path: '/events',
            headers: { host: `sse.localhost:${port}` },
          },
          (res) => {
            res.setEncoding('utf8');
            res.on('data', (d: string) => got.push(d));
            res.on('end', resolve);
          },
        )
        .on('error', reject);
    });
    // Not buffered: the first event is at the client while the stream is still open.
    await until('the first event at the client', () => got.join('').includes('data: xxx'));
    const [open] = await recorded(client, 1);
    assert.equal(open.complete, false);
    assert.equal(open.status, 200);
    const early = await detail(client, open.id);
    assert.equal(early.responseBody!.truncated, true);
    assert.equal(Buffer.from(early.responseBody!.base64, 'base64').length, 1024);
    stream!.end('data: last\n\n');
    await ended;
    assert.match(got.join(''), /data: last/);
    const done = await until('the completed record', async () => {
      const [r] = await recorded(client, 1);
      return r.complete && r;
    });
    assert.equal(done.id, open.id, 'the same record, completed in place');
    assert.equal(done.bytesOut, 2000 + 8 + 12);
    assert.equal((await recorded(client, 1)).length, 1);
  } finally {
    await daemon.close();
    await backend.close();
  }
});
