import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { Transform } from 'node:stream';
import type { Middleware } from '../../proxy-core/src/middlewares/types';
import { echoed, startFront, startUpstream } from './harness';

// HttpForwarder's options for middlewares: the upstream url, response hooks and a body
// transform; without them the response is relayed as before (raw header names kept).

function rawRequest(port: number, path: string): Promise<{ raw: string[]; body: string; status: number }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ raw: res.rawHeaders, body, status: res.statusCode! }));
      })
      .on('error', reject);
  });
}

describe('HttpForwarder with middlewares', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  before(async () => {
    upstream = await startUpstream({
      '/mixed': (_req, res) => {
        res.writeHead(200, { 'X-Mixed-Case': 'v', 'Content-Type': 'text/plain' });
        res.end('hello');
      },
    });
  });
  after(() => upstream.close());

  test('no hooks: the fast path, header names as the upstream wrote them', async () => {
    const front = await startFront([], upstream);
    try {
      const reply = await rawRequest(front.port, '/mixed');
      assert.ok(reply.raw.includes('X-Mixed-Case'), reply.raw.join(' '));
    } finally {
      await front.close();
    }
  });

  test('the url the middlewares chose goes upstream; hooks run last registered first', async () => {
    const rewrite: Middleware = (ex) => {
      ex.url = '/rewritten?q=1';
      ex.onResponse.push((_s, h) => (h['x-order'] = `${h['x-order'] ?? ''}first`));
      return true;
    };
    const inner: Middleware = (ex) => {
      ex.onResponse.push((status, h) => {
        h['x-order'] = 'second,';
        h['x-status'] = String(status);
      });
      return true;
    };
    const front = await startFront([rewrite, inner], upstream);
    try {
      const reply = await rawRequest(front.port, '/original');
      const seen = echoed({ body: Buffer.from(reply.body) });
      assert.equal(seen.url, '/rewritten?q=1');
      const headers = Object.fromEntries(
        reply.raw.reduce<string[][]>((out, v, i) => (i % 2 ? out : [...out, [v, reply.raw[i + 1]]]), []),
      );
      assert.equal(headers['x-order'], 'second,first');
      assert.equal(headers['x-status'], '200');
    } finally {
      await front.close();
    }
  });

  test('a body transform sees the final headers and re-encodes the body', async () => {
    const upper: Middleware = (ex) => {
      ex.bodyTransform = (_status, headers) => {
        delete headers['content-length'];
        headers['x-transformed'] = 'yes';
        return new Transform({ transform: (chunk: Buffer, _enc, cb) => cb(null, chunk.toString().toUpperCase()) });
      };
      return true;
    };
    const front = await startFront([upper], upstream);
    try {
      const reply = await rawRequest(front.port, '/mixed');
      assert.equal(reply.body, 'HELLO');
      assert.ok(reply.raw.includes('x-transformed'));
    } finally {
      await front.close();
    }
  });
});
