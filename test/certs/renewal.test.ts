import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { startDaemon } from '../support/daemon';
import { httpsGet } from '../support/https';
import { startEchoBackend } from '../support/backends';

const DAY = 86400_000;

test('local certificates are renewed at 30 days left, and the new one is served without a restart', async () => {
  const backend = await startEchoBackend();
  const { daemon, ca } = await startDaemon();
  try {
    await daemon.routes.expose('renew.localhost', { target: backend.url });
    const first = daemon.certs.store.get('renew.localhost')!;
    const notAfter = Date.parse(first.meta.notAfter);
    // 59 days from now the certificate has 31 days left: not due. At 61 days it has 29: due.
    assert.equal(await daemon.certs.ensure('renew.localhost', 'local', new Date(Date.now() + 59 * DAY)), first);
    const renewed = await daemon.certs.ensure('renew.localhost', 'local', new Date(Date.now() + 61 * DAY));
    assert.notEqual(renewed.meta.fingerprint256, first.meta.fingerprint256);
    assert.ok(Date.parse(renewed.meta.notAfter) >= notAfter, 'the renewed certificate does not expire earlier');
    const served = await httpsGet({ host: 'renew.localhost', port: daemon.httpsPort, ca });
    assert.equal(served.status, 200);
    assert.equal(served.peerCertificate?.fingerprint256, new crypto.X509Certificate(renewed.certPem).fingerprint256);
  } finally {
    await daemon.close();
    await backend.close();
  }
});
