import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { checkMiddleware } from '../../proxy-core/src/middlewares/buildMiddleware';
import { chooseEncoding } from '../../proxy-core/src/middlewares/compress';
import type { ResponseHeaderMap } from '../../proxy-core/src/middlewares/types';
import { build, fakeExchange, request, requestH2, spec, startFront, startUpstream } from './harness';
import { until } from '../support/wait';

// compress: which encoding, which responses, and over HTTP that the body decodes to the original,
// is streamed (the client reads the start before the upstream has sent the rest), and that a
// client that stops reading stops the upstream (backpressure through the compressor).

describe('compress (unit)', () => {
  const encodings = ['gzip', 'br', 'zstd'];
  const choices: Array<[string, string | undefined]> = [
    ['gzip, deflate, br, zstd', 'gzip'],
    ['br;q=1.0, gzip;q=0.8', 'br'],
    ['gzip;q=0, br', 'br'],
    ['deflate', undefined],
    ['', undefined],
    ['identity', undefined],
    ['*', 'gzip'],
    ['BR', undefined],
    ['zstd', 'zstd'],
  ];
  for (const [accept, want] of choices)
    test(`unit: Accept-Encoding ${JSON.stringify(accept)} → ${want ?? 'none'}`, () => {
      assert.equal(chooseEncoding(accept, encodings), want);
    });

  test('unit: * takes defaultEncoding when there is one', () => {
    assert.equal(chooseEncoding('*', encodings, 'br'), 'br');
  });

  /** What the middleware decides for a request and a response: the Content-Encoding, or none. */
  function decide(
    options: Record<string, unknown>,
    response: ResponseHeaderMap,
    request: { method?: string; headers?: Record<string, string>; status?: number } = {},
  ): { encoding?: string; headers: ResponseHeaderMap } {
    const ex = fakeExchange({ method: request.method, headers: request.headers ?? { 'accept-encoding': 'gzip, br' } });
    build('compress', options)(ex);
    const headers = structuredClone(response);
    const transform = ex.bodyTransform?.(request.status ?? 200, headers);
    transform?.destroy();
    return { encoding: transform ? String(headers['content-encoding']) : undefined, headers };
  }

  test('unit: a text response is compressed: Content-Encoding set, Content-Length dropped, Vary added', () => {
    const { encoding, headers } = decide(
      {},
      { 'content-type': 'text/html', 'content-length': '5000', 'accept-ranges': 'bytes' },
    );
    assert.equal(encoding, 'gzip');
    assert.equal(headers['content-length'], undefined);
    assert.equal(headers['accept-ranges'], undefined);
    assert.equal(headers.vary, 'Accept-Encoding');
  });

  test('unit: what is not compressed', () => {
    const text = { 'content-type': 'text/plain', 'content-length': '5000' };
    assert.equal(decide({}, { ...text, 'content-length': '100' }).encoding, undefined, 'below minResponseBodyBytes');
    assert.equal(decide({ minResponseBodyBytes: '50' }, { ...text, 'content-length': '100' }).encoding, 'gzip');
    assert.equal(decide({}, { ...text, 'content-encoding': 'br' }).encoding, undefined, 'already encoded');
    assert.equal(decide({}, text, { method: 'HEAD' }).encoding, undefined, 'HEAD');
    assert.equal(decide({}, text, { headers: {} }).encoding, undefined, 'no Accept-Encoding');
    assert.equal(
      decide({ defaultEncoding: 'br' }, text, { headers: {} }).encoding,
      'br',
      'no Accept-Encoding, defaultEncoding',
    );
    assert.equal(decide({}, text, { status: 204 }).encoding, undefined, '204');
    assert.equal(decide({}, text, { status: 304 }).encoding, undefined, '304');
    assert.equal(decide({}, { ...text, 'content-range': 'bytes 0-9/100' }, { status: 206 }).encoding, undefined, '206');
    assert.equal(decide({}, { 'content-type': 'application/grpc' }).encoding, undefined, 'gRPC');
    assert.equal(
      decide({ excludedContentTypes: 'image/png, text/event-stream' }, { 'content-type': 'text/event-stream' })
        .encoding,
      undefined,
    );
    assert.equal(
      decide({ excludedContentTypes: ['text/plain; charset=latin1'] }, { 'content-type': 'text/plain; charset=utf-8' })
        .encoding,
      'gzip',
    );
    assert.equal(
      decide({ includedContentTypes: ['application/json'] }, { 'content-type': 'text/html' }).encoding,
      undefined,
    );
    assert.equal(
      decide({ includedContentTypes: ['application/json'] }, { 'content-type': 'Application/JSON; charset=utf-8' })
        .encoding,
      'gzip',
    );
    // A body of unknown length is compressed (the choice is made before any byte arrives).
    assert.equal(decide({}, { 'content-type': 'text/plain' }).encoding, 'gzip');
    assert.equal(decide({ encodings: 'br' }, { 'content-type': 'text/plain' }).encoding, 'br');
  });

  test('unit: what is reported', () => {
    const check = (options: Record<string, unknown>) => checkMiddleware(spec('compress', options, 'gz@docker'));
    assert.equal(check({}), undefined);
    assert.match(check({ excludedContentTypes: ['a/b'], includedContentTypes: ['c/d'] })!, /cannot be used together/);
    assert.match(
      check({ encodings: ['deflate'] })!,
      /option encodings has "deflate"; the encodings are gzip, br, zstd/,
    );
    assert.match(
      check({ encodings: ['gzip'], defaultEncoding: 'br' })!,
      /option defaultEncoding br is not one of encodings/,
    );
    assert.match(check({ excludedContentTypes: ['not a type'] })!, /not a media type/);
    assert.match(check({ minResponseBodyBytes: 'lots' })!, /must be a whole number/);
  });
});

const TEXT = Buffer.from('All work and no play makes Jack a dull boy.\n'.repeat(2000));

describe('compress over HTTP', () => {
  const gate: { open?: () => void; opened?: Promise<void> } = {};
  const stream = { written: 0 };
  const RANDOM_TOTAL = 48 * 1024 * 1024;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let front: Awaited<ReturnType<typeof startFront>>;

  before(async () => {
    const block = randomBytes(1024 * 1024);
    upstream = await startUpstream({
      '/text': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': TEXT.length });
        res.end(TEXT);
      },
      '/small': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 });
        res.end('small');
      },
      // The start of the body, then the rest only once the client has decoded that start: a
      // proxy that held the body back would never see the rest.
      '/gated': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(TEXT);
        void gate.opened!.then(() => {
          for (let i = 0; i < 50; i++) res.write(TEXT);
          res.end();
        });
      },
      // Incompressible bytes, written as fast as the proxy takes them.
      '/random': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const pump = () => {
          while (stream.written < RANDOM_TOTAL) {
            stream.written += block.length;
            if (!res.write(block)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      },
    });
    front = await startFront([spec('compress', {})], upstream);
  });
  after(async () => {
    await front.close();
    await upstream.close();
  });

  test('gzip: the decoded body is the original; Content-Encoding and Vary set, no Content-Length', async () => {
    const reply = await request(front.port, '/text', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-encoding'], 'gzip');
    assert.equal(reply.headers['content-length'], undefined);
    assert.equal(reply.headers.vary, 'Accept-Encoding');
    assert.ok(reply.body.length < TEXT.length / 10);
    assert.deepEqual(zlib.gunzipSync(reply.body), TEXT);
  });

  test('br when the client prefers it', async () => {
    const reply = await request(front.port, '/text', { headers: { 'accept-encoding': 'br;q=1, gzip;q=0.5' } });
    assert.equal(reply.headers['content-encoding'], 'br');
    assert.deepEqual(zlib.brotliDecompressSync(reply.body), TEXT);
  });

  test('a small body and a client that asks for no encoding get the body as it is', async () => {
    const small = await request(front.port, '/small', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(small.headers['content-encoding'], undefined);
    assert.equal(small.headers['content-length'], '5');
    assert.equal(small.body.toString(), 'small');
    const plain = await request(front.port, '/text');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(plain.body, TEXT);
  });

  test('over HTTP/2 (h2c)', async () => {
    const h2 = await startFront([spec('compress', {})], upstream, { h2: true });
    try {
      const reply = await requestH2(h2.port, '/text', { 'accept-encoding': 'gzip' });
      assert.equal(reply.headers['content-encoding'], 'gzip');
      assert.deepEqual(zlib.gunzipSync(reply.body), TEXT);
    } finally {
      await h2.close();
    }
  });

  test('streamed: the client decodes the start before the upstream sends the rest', async () => {
    gate.opened = new Promise<void>((r) => (gate.open = r));
    const decoded = await new Promise<Buffer>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port: front.port, path: '/gated', agent: false, headers: { 'accept-encoding': 'gzip' } },
        (res) => {
          assert.equal(res.headers['content-encoding'], 'gzip');
          const chunks: Buffer[] = [];
          const gunzip = res.pipe(zlib.createGunzip());
          gunzip.on('data', (c: Buffer) => {
            chunks.push(c);
            if (Buffer.concat(chunks).length >= TEXT.length) gate.open!();
          });
          gunzip.on('end', () => resolve(Buffer.concat(chunks)));
          gunzip.on('error', reject);
        },
      );
      req.on('error', reject);
    });
    assert.equal(decoded.length, TEXT.length * 51);
    assert.deepEqual(decoded.subarray(0, TEXT.length), TEXT);
  });

  test('backpressure: a client that stops reading stops the upstream; reading again gets every byte', async () => {
    stream.written = 0;
    const req = http.get({
      host: '127.0.0.1',
      port: front.port,
      path: '/random',
      agent: false,
      headers: { 'accept-encoding': 'gzip' },
    });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    res.pause();
    // Wait until the upstream is held back: nothing more written for a while.
    let last = -1;
    let still = 0;
    await until('the upstream to stall', () => {
      still = stream.written === last ? still + 1 : 0;
      last = stream.written;
      return still >= 12;
    });
    // Socket buffers on both sides hold some megabytes (8 MiB here on Linux loopback), not half of it.
    assert.ok(
      stream.written <= RANDOM_TOTAL / 2,
      `the upstream wrote ${stream.written} bytes to a client that reads nothing`,
    );
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      const gunzip = res.pipe(zlib.createGunzip());
      gunzip.on('data', (c: Buffer) => (total += c.length));
      gunzip.on('end', resolve);
      gunzip.on('error', reject);
      res.resume();
    });
    assert.equal(total, RANDOM_TOTAL);
  });
});
