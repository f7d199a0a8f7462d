import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { PutRoute } from '../../proxy-core/src/control/protocol';
import { spawnServe } from '../support/daemon';
import { detail, recorded, startScriptedBackend } from './support';

const SIZE = 50 * 1024 * 1024;

/** The same 50 MB every time, made in 1 MiB pieces (never all in memory at once). */
function* pieces(): Generator<Buffer> {
  const mib = crypto.createHash('sha512').update('seed').digest();
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i += mib.length) mib.copy(block, i);
  for (let n = 0; n < SIZE / block.length; n++) {
    block.writeUInt32BE(n, 0);
    yield block;
  }
}

function expectedHash(): string {
  const h = crypto.createHash('sha256');
  for (const p of pieces()) h.update(p);
  return h.digest('hex');
}

/** Peak and current resident memory of a process, from /proc (bytes). */
function memory(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

function transfer(
  port: number,
  ca: string,
  method: string,
  path: string,
  upload: boolean,
): Promise<{ status: number; hash: string; size: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: 'big.localhost',
        ca,
        agent: false,
        method,
        path,
        headers: { host: `big.localhost:${port}`, ...(upload ? { 'content-length': String(SIZE) } : {}) },
      },
      (res) => {
        const h = crypto.createHash('sha256');
        let size = 0;
        let text = '';
        res.on('data', (c: Buffer) => {
          h.update(c);
          size += c.length;
          if (text.length < 200) text += c.toString('latin1').slice(0, 200);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, hash: h.digest('hex'), size, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (!upload) return void req.end();
    const it = pieces();
    const write = () => {
      for (let next = it.next(); !next.done; next = it.next())
        if (!req.write(Buffer.from(next.value))) return void req.once('drain', write);
      req.end();
    };
    write();
  });
}

/** One `serve` (the daemon alone, no worker, so its memory is the one measured) through which both transfers pass. */
async function transfersThrough(
  backendUrl: string,
  expected: string,
  flags: string[],
): Promise<{ grewMb: number; beforeMb: number; peakMb: number; client: ControlClient; stop: () => Promise<void> }> {
  const serve = await spawnServe(['--https-port', '0', '--no-http', '--no-docker', '--workers', '0', ...flags]);
  const client = new ControlClient(serve.stateDir);
  try {
    await client.call(PutRoute, { params: { host: 'big.localhost' }, body: { target: backendUrl } });
    const ca = fs.readFileSync(serve.status.ca.certFile, 'utf8');
    const port = serve.status.https.port;
    const before = memory(serve.status.pid);
    const up = await transfer(port, ca, 'PUT', '/upload', true);
    assert.equal(up.status, 200);
    assert.equal(up.text, `${SIZE} ${expected}`);
    const down = await transfer(port, ca, 'GET', '/download', false);
    assert.equal(down.status, 200);
    assert.equal(down.size, SIZE);
    assert.equal(down.hash, expected);
    const after = memory(serve.status.pid);
    const mb = (n: number) => n / 2 ** 20;
    return {
      grewMb: mb(after.peak - before.rss),
      beforeMb: mb(before.rss),
      peakMb: mb(after.peak),
      client,
      stop: serve.stop,
    };
  } catch (err) {
    await serve.stop();
    throw err;
  }
}

test('a 50 MB upload and a 50 MB download pass byte-exact with capture on, and the daemon stays within its capture limit plus a fixed margin', async () => {
  const expected = expectedHash();
  const backend = await startScriptedBackend((req, body, res) => {
    if (req.method === 'PUT') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(`${body.length} ${crypto.createHash('sha256').update(body).digest('hex')}`);
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) });
    const it = pieces();
    const write = () => {
      for (let next = it.next(); !next.done; next = it.next())
        if (!res.write(Buffer.from(next.value))) return void res.once('drain', write);
      res.end();
    };
    write();
  });
  try {
    // The same transfers without capture: what streaming 2 x 50 MB costs the daemon by itself.
    const off = await transfersThrough(backend.url, expected, ['--no-capture']);
    await off.stop();
    const on = await transfersThrough(backend.url, expected, ['--capture-max-mb', '8']);
    try {
      const [get, put] = await recorded(on.client, 2);
      const gotDown = await detail(on.client, get.id);
      const gotUp = await detail(on.client, put.id);
      assert.equal(gotUp.bytesIn, SIZE);
      assert.equal(gotUp.requestBody!.truncated, true);
      assert.equal(Buffer.from(gotUp.requestBody!.base64, 'base64').length, 64 * 1024);
      assert.equal(gotDown.bytesOut, SIZE);
      assert.equal(Buffer.from(gotDown.responseBody!.base64, 'base64').length, 64 * 1024);
    } finally {
      await on.stop();
    }
    const line = (what: string, m: { beforeMb: number; peakMb: number; grewMb: number }) =>
      `${what}: RSS ${m.beforeMb.toFixed(1)} MB before, peak ${m.peakMb.toFixed(1)} MB (+${m.grewMb.toFixed(1)} MB)`;
    // The figures in the closing note: printed, and the limit asserted on the difference.
    console.log(`${line('--no-capture', off)}; ${line('capture on (8 MB limit)', on)}`);
    // Streamed, never buffered: capture costs at most its limit (8 MB) plus a fixed 24 MB margin (GC timing).
    assert.ok(on.grewMb < off.grewMb + 8 + 24, `${line('off', off)}; ${line('on', on)}`);
  } finally {
    await backend.close();
  }
});
