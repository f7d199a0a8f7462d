// GET /v1/certs/:host: the editor shows a certificate from the daemon instead of reading the
// state dir. The answer carries the chain and never the key.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { Cert } from '../../proxy-core/src/control/protocol';
import { Daemon } from '../../proxy-core/src/daemon/daemon';
import { isUserError } from '../../proxy-core/src/errors';
import { startDaemon } from '../support/daemon';

describe('control API: one certificate', () => {
  let daemon: Daemon;
  let client: ControlClient;
  before(async () => {
    ({ daemon } = await startDaemon());
    client = new ControlClient(daemon.paths.stateDir);
    await daemon.routes.expose('shown.localhost', { target: 'http://127.0.0.1:9' });
  });
  after(() => daemon.close());

  test('a routed host: its metadata and PEM, for that name, issued by our CA, with no private key', async () => {
    const cert = await client.call(Cert, { params: { host: 'Shown.localhost' } });
    assert.equal(cert.meta.host, 'shown.localhost');
    const x509 = new crypto.X509Certificate(cert.certPem);
    assert.match(x509.subjectAltName ?? '', /DNS:shown\.localhost/);
    assert.ok(x509.checkIssued(new crypto.X509Certificate(daemon.certs.ca.certPem)), 'issued by the local CA');
    assert.doesNotMatch(cert.certPem, /PRIVATE KEY/);
  });

  test('a host without a certificate is a 404 that says so', async () => {
    await assert.rejects(
      () => client.call(Cert, { params: { host: 'none.localhost' } }),
      (err: unknown) =>
        isUserError(err) && err.code === 'ENOCERT' && /none\.localhost has no certificate yet/.test(err.message),
    );
  });
});
