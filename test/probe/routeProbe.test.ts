import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { LocalCa } from '../../proxy-core/src/certs/localCa';
import { probeRoute, waitForRoute } from '../../proxy-core/src/probe/routeProbe';
import { verifyFailureMessage } from '../../proxy-core/src/probe/tlsVerifyError';
import { tempDir } from '../support/env';

/** Verification failures are permanent for the probe (issue 11 item 2): it stops at once and names the problem. */
describe('probe: TLS verification failures', () => {
  let server: https.Server;
  let port: number;
  let ours: LocalCa;
  let other: LocalCa;

  before(async () => {
    ours = (await LocalCa.loadOrCreate(tempDir())).ca;
    other = (await LocalCa.loadOrCreate(tempDir())).ca;
    const leaf = await ours.issueLeaf('app.localhost');
    server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('verified against the right CA: ok', async () => {
    const r = await probeRoute({ host: 'app.localhost', port, connectTo: '127.0.0.1', ca: ours.certPem });
    assert.deepEqual(r, { ok: true, status: 200 });
  });

  test('a CA this machine does not trust: issuer problem, named from the served chain, no waiting', async () => {
    const started = Date.now();
    const r = await waitForRoute({
      host: 'app.localhost',
      port,
      connectTo: '127.0.0.1',
      ca: other.certPem,
      waitMs: 20_000,
    });
    assert.ok(Date.now() - started < 10_000, 'returned well before the wait');
    assert.equal(r.ok, false);
    assert.equal(r.untrusted?.problem, 'issuer');
    assert.equal(r.untrusted?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    const cn = /CN=([^\n]+)/.exec(new (await import('node:crypto')).X509Certificate(ours.certPem).subject)?.[1];
    assert.equal(r.untrusted?.issuer, cn);
    const line = verifyFailureMessage(r.untrusted!, {
      url: 'https://app.localhost:1/',
      target: 'http://127.0.0.1:2',
      tls: 'acme',
    });
    assert.match(line, /its issuer ".+" is not trusted by this machine.*NODE_EXTRA_CA_CERTS=FILE.*The route stays/);
  });

  test('a name the certificate does not cover: name problem', async () => {
    const r = await waitForRoute({
      host: 'other.localhost',
      port,
      connectTo: '127.0.0.1',
      ca: ours.certPem,
      waitMs: 20_000,
    });
    assert.equal(r.untrusted?.problem, 'name');
    assert.equal(r.untrusted?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.match(
      verifyFailureMessage(r.untrusted!, { url: 'u', target: 't', tls: 'local' }),
      /not valid for this name \(it names DNS:app\.localhost/,
    );
  });

  test('nobody listening: not a verification failure (waiting may fix it)', async () => {
    server.close();
    const r = await probeRoute({ host: 'app.localhost', port, connectTo: '127.0.0.1', ca: ours.certPem });
    assert.equal(r.ok, false);
    assert.equal(r.untrusted, undefined);
    assert.match(r.error ?? '', /ECONNREFUSED/);
  });
});
