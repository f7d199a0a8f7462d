import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { DAEMON_ENV } from '../../extension/daemonLauncher';
import { caFile, cliAsync, spawnServe } from '../support/daemon';
import { until } from '../support/wait';

const MB = 1048576;
const chunk = Buffer.alloc(256 * 1024, 'y');

/** 64 MB down (/big) and up (/up), with backpressure, as the footprint benchmark's backend. */
async function bigBackend(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': 64 * MB });
      let left = 256;
      const more = (): void => {
        while (left-- > 0) if (!res.write(chunk)) return void res.once('drain', more);
        res.end();
      };
      return more();
    }
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => res.end(String(n)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/**
 * One HTTP/2 request through the proxy, verified against our CA: the length of what came back
 * for a download, the backend's count for an upload.
 */
function transfer(session: http2.ClientHttp2Session, path: string, upload: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ':method': upload ? 'POST' : 'GET' });
    let bytes = 0;
    let text = '';
    req.on('data', (d: Buffer) => {
      bytes += d.length;
      if (upload) text += d;
    });
    req.on('end', () => resolve(upload ? Number(text) : bytes));
    req.on('error', reject);
    if (!upload) return void req.end();
    let left = 256;
    const more = (): void => {
      while (left-- > 0) if (!req.write(chunk)) return void req.once('drain', more);
      req.end();
    };
    more();
  });
}

test('after 64 MB transfers, the quiet daemon (serve from dist/, as users run it) loads dist/heapTrim-linux-<arch>.node and trims its native heap', async (t) => {
  const backend = await bigBackend();
  const serve = await spawnServe(['--https-port', '0', '--no-http', '--no-docker'], undefined, DAEMON_ENV);
  try {
    const port = serve.status.https.port;
    const expose = await cliAsync([
      'expose',
      'big.localhost',
      `http://127.0.0.1:${(backend.address() as AddressInfo).port}`,
      '--state-dir',
      serve.stateDir,
    ]);
    assert.equal(expose.code, 0, expose.stderr + expose.stdout);
    // After the compaction 10 s after start, so that what the quiet one gives back is the transfers'.
    await until('the compaction after start', () => serve.output().includes('idle since start:'), 30_000);
    const session = http2.connect(`https://big.localhost:${port}`, {
      host: '127.0.0.1',
      servername: 'big.localhost',
      ca: fs.readFileSync(caFile(serve.stateDir), 'utf8'),
    });
    try {
      for (let i = 0; i < 2; i++) {
        assert.equal(await transfer(session, '/big', false), 64 * MB);
        assert.equal(await transfer(session, '/up', true), 64 * MB);
      }
    } finally {
      session.close();
    }
    // The quiet period (30 s, daemon/idleCompaction.ts) runs from the connection's close.
    const line = await until(
      'the quiet compaction',
      () => /quiet for 30 s: (.*); resident (\d+) → (\d+) MB/.exec(serve.output()),
      45_000,
    );
    const [what, before, after] = [line![1], Number(line![2]), Number(line![3])];
    t.diagnostic(`quiet compaction: ${what}; resident ${before} → ${after} MB`);
    // The trim ran. How much the transfers leave for it varies with where their buffers fell (3–16
    // MB in three runs here); that it gives back what is there is test/daemon/nativeHeap.test.ts's.
    assert.match(what, /native memory/, serve.output());
    assert.doesNotMatch(serve.output(), /free native memory is not given back/);
  } finally {
    await serve.stop();
    backend.close();
    fs.rmSync(serve.stateDir, { recursive: true, force: true });
  }
});
