import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import * as selfsigned from 'selfsigned';
import { cliAsync, spawnServe, caFile } from '../support/daemon';
import { tempDir } from '../support/env';
import { httpsGet } from '../support/https';

/** A throwaway CA and a backend certificate for IP 127.0.0.1 signed by it (the backend's own, not ours). */
async function backendCertificates(): Promise<{ caFile: string; cert: string; key: string }> {
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'upstream test CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const file = path.join(tempDir(), 'upstream-ca.pem');
  fs.writeFileSync(file, ca.cert);
  return { caFile: file, cert: leaf.cert, key: leaf.private };
}

test('https:// targets: verified against the system CAs plus NODE_EXTRA_CA_CERTS, in the daemon and its worker; an untrusted one is a 502 that says what to do', async () => {
  const certs = await backendCertificates();
  const backend = https.createServer({ cert: certs.cert, key: certs.key }, (req, res) =>
    res.end(`tls backend saw ${req.headers['x-forwarded-proto']} ${req.url}`),
  );
  backend.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const target = `https://127.0.0.1:${(backend.address() as { port: number }).port}`;
  const previous = process.env.NODE_EXTRA_CA_CERTS;
  try {
    // cliAsync, not cli: the backend runs in this process and must keep answering.
    // The daemon reads NODE_EXTRA_CA_CERTS when it starts, as every Node program does.
    process.env.NODE_EXTRA_CA_CERTS = certs.caFile;
    const trusting = await spawnServe(['--https-port', '0', '--no-http', '--no-docker', '--workers', '1']);
    delete process.env.NODE_EXTRA_CA_CERTS;
    try {
      const exposed = await cliAsync(['expose', 'tls.localhost', target, '--state-dir', trusting.stateDir]);
      assert.equal(exposed.code, 0, exposed.stderr + trusting.output());
      const ca = fs.readFileSync(caFile(trusting.stateDir), 'utf8');
      // Two connections in a row: one is served by the daemon, the other by its worker.
      for (const p of ['/one', '/two']) {
        const res = await httpsGet({ host: 'tls.localhost', port: trusting.status.https.port, ca, path: p });
        assert.equal(res.status, 200);
        assert.equal(res.body, `tls backend saw https ${p}`);
      }
    } finally {
      await trusting.stop();
    }

    const plain = await spawnServe(['--https-port', '0', '--no-http', '--no-docker']);
    try {
      const exposed = await cliAsync(['expose', 'tls.localhost', target, '--wait', '1', '--state-dir', plain.stateDir]);
      assert.notEqual(exposed.code, 0);
      const res = await httpsGet({
        host: 'tls.localhost',
        port: plain.status.https.port,
        ca: fs.readFileSync(caFile(plain.stateDir), 'utf8'),
      });
      assert.equal(res.status, 502);
      assert.match(
        res.body,
        /the backend&#39;s HTTPS certificate is not accepted|the backend's HTTPS certificate is not accepted/,
      );
      assert.match(res.body, /NODE_EXTRA_CA_CERTS/);
    } finally {
      await plain.stop();
    }
  } finally {
    if (previous === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = previous;
    backend.close();
  }
});
