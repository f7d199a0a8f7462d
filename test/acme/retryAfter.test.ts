import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { startDaemon } from '../support/daemon';
import { tempDir } from '../support/env';
import { selfSignedLocalhost } from './pebble';

/**
 * Pebble never rate-limits, so a stub CA (a real HTTPS server speaking just enough ACME: a
 * directory, nonces, and a 429 problem document with Retry-After) stands in for Let's Encrypt
 * refusing with a rate limit.
 */
describe('ACME rate limits (stub CA answering 429 + Retry-After, since Pebble never does)', () => {
  let server: https.Server;
  let dir: string;
  let base: string;
  const posts: string[] = [];

  before(async () => {
    dir = tempDir('chs-stubca-');
    const { certFile, keyFile } = selfSignedLocalhost(dir, 'IP:127.0.0.1');
    let nonce = 0;
    server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (req, res) => {
      res.setHeader('replay-nonce', `nonce-${++nonce}`);
      if (req.url === '/dir') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({
            newNonce: `${base}/nonce`,
            newAccount: `${base}/account`,
            newOrder: `${base}/order`,
            meta: { termsOfService: `${base}/terms` },
          }),
        );
      }
      if (req.url === '/nonce') return res.writeHead(200).end();
      posts.push(req.url ?? '');
      req.resume();
      res.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '3600' });
      res.end(
        JSON.stringify({
          type: 'urn:ietf:params:acme:error:rateLimited',
          detail: 'too many new registrations (10) from this IP address in the last 3h0m0s',
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server?.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the CA's message reaches the user, and the next attempt waits for Retry-After, not the short backoff", async () => {
    const { daemon } = await startDaemon({
      acme: {
        directory: `${base}/dir`,
        caFile: path.join(dir, 'cert.pem'),
        agreeTos: true,
        retry: { minMs: 400, maxMs: 3000 },
      },
    });
    try {
      await assert.rejects(
        daemon.routes.expose('limited.example.com', { target: 'http://127.0.0.1:9', tls: 'acme' }),
        (err: Error) => {
          assert.match(err.message, /too many new registrations .*; it asks to retry after \d{4}-/);
          assert.match(err.message, /rate limited: the daemon retries on its own, slowly/);
          return true;
        },
      );
      // acme-client did not sleep on the Retry-After nor retry the 429 itself: one POST only.
      assert.deepEqual(posts, ['/account']);
      const deadline = Date.now() + 10_000;
      let failed;
      while (!(failed = daemon.acme!.scheduler.history.find((e) => e.event === 'failed')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(failed, 'the scheduler recorded the failure');
      assert.equal(failed.delayMs, 3600_000);
      assert.equal(failed.reason, "the CA's Retry-After");
      assert.equal(daemon.status().acme.schedule?.[0].next, failed.next);
    } finally {
      await daemon.close();
    }
  });
});
