import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { DEFAULT_CAPTURE } from '../../proxy-core/src/capture/types';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { startDaemon } from '../support/daemon';
import { httpsGet } from '../support/https';
import { until } from '../support/wait';
import { detail, recorded } from '../capture/support';

const MB = 1048576;

/** Counts what each upload brought, and how each ended: 'end' (whole) or 'close' before it. */
async function uploadBackend(): Promise<{ url: string; ended: number[]; cut: number[]; close: () => void }> {
  const ended: number[] = [];
  const cut: number[] = [];
  const server = http.createServer((req, res) => {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => {
      ended.push(n);
      res.end(String(n));
    });
    req.on('close', () => {
      if (!req.complete) cut.push(n);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ended,
    cut,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** An HTTP/1.1 upload that declares `total` bytes and sends 1 MB of them; `abort` cuts it there. */
function h1Upload(port: number, ca: string, total: number): { sent: Promise<void>; abort: () => void } {
  const req = https.request({
    host: '127.0.0.1',
    port,
    servername: 'up.localhost',
    method: 'POST',
    path: '/h1',
    ca,
    agent: false,
    headers: { host: `up.localhost:${port}`, 'content-length': String(total) },
  });
  req.on('error', () => undefined);
  return { sent: new Promise((r) => req.write(Buffer.alloc(MB, 1), () => r())), abort: () => req.destroy() };
}

/** An HTTP/2 upload of no declared length that sends 1 MB; `abort` resets its stream there. */
function h2Upload(
  port: number,
  ca: string,
): { sent: Promise<void>; abort: () => void; session: http2.ClientHttp2Session } {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: 'up.localhost' });
  session.on('error', () => undefined);
  const stream = session.request({ ':method': 'POST', ':path': '/h2', ':authority': `up.localhost:${port}` });
  stream.on('error', () => undefined);
  return {
    sent: new Promise((r) => stream.write(Buffer.alloc(MB, 2), () => r())),
    // destroy(), not close(): close() ends the body first (END_STREAM), which makes it a whole one.
    abort: () => stream.destroy(),
    session,
  };
}

for (const capture of [true, false])
  test(`a client that gives up mid-upload (HTTP/1.1 and HTTP/2) ends the upstream request, the backend never gets it as a whole one, and the next upload passes (request inspector ${capture ? 'on: the records say the client went away' : 'off'})`, async () => {
    const backend = await uploadBackend();
    const { daemon, ca, stateDir } = await startDaemon({
      workers: 0,
      ...(capture ? { capture: DEFAULT_CAPTURE } : {}),
    });
    const client = new ControlClient(stateDir);
    try {
      await daemon.routes.expose('up.localhost', { target: backend.url });
      const port = daemon.httpsPort;
      const noWholeUpload = () => {
        if (backend.ended.length) throw new Error(`the backend got a whole upload of ${backend.ended[0]} bytes`);
      };

      const h1 = h1Upload(port, ca, 8 * MB);
      await h1.sent;
      h1.abort();
      await until('the upstream HTTP/1.1 request cut', () => (noWholeUpload(), backend.cut.length === 1));

      const h2 = h2Upload(port, ca);
      await h2.sent;
      h2.abort();
      await until('the upstream HTTP/2 request cut', () => (noWholeUpload(), backend.cut.length === 2));
      h2.session.close();
      for (const n of backend.cut) assert.ok(n > 0 && n <= MB, `the backend had ${n} bytes of a cut upload`);

      if (capture)
        for (const s of await recorded(client, 2)) {
          const r = await detail(client, s.id);
          assert.equal(r.complete, true, r.url);
          assert.deepEqual(
            r.error && { by: r.error.by, kind: r.error.kind },
            { by: 'client', kind: 'abort' },
            `${r.url}: ${JSON.stringify(r.error)}`,
          );
          assert.ok(r.bytesIn > 0 && r.bytesIn <= MB, `${r.url}: bytesIn ${r.bytesIn}`);
        }

      // The pool and the proxy go on: a whole upload, byte-exact.
      const whole = await httpsGet({
        host: 'up.localhost',
        port,
        ca,
        method: 'POST',
        path: '/whole',
        body: Buffer.alloc(3 * MB + 5, 3),
      });
      assert.equal(whole.body, String(3 * MB + 5));
    } finally {
      await daemon.close();
      backend.close();
    }
  });
