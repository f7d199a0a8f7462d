import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { startEchoBackend } from '../support/backends';
import { cli, spawnServe } from '../support/daemon';
import { serviceMissing, tempDir } from '../support/env';
import { cliEnv, freshNssHome, launchChromium, signLeafWithCaKey, startTlsServer } from './support';

const skip = serviceMissing('chromium');

describe('trust in a real browser (headless Chromium, fresh NSS database)', { skip }, () => {
  let serve: Awaited<ReturnType<typeof spawnServe>>;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;
  let home: string;
  let nssDb: string;
  let port: number;

  before(async () => {
    ({ home, nssDb } = freshNssHome());
    backend = await startEchoBackend('trusted-app');
    serve = await spawnServe(['--https-port', '0', '--no-http', '--no-docker']);
    port = serve.status.https.port;
    // Through the control API, not `cli expose`: a synchronous child would block this process's
    // backend while expose probes it.
    await new ControlClient(serve.stateDir).request('PUT', '/v1/routes/app.localhost', { target: backend.url });
  });

  after(async () => {
    await serve?.stop();
    await backend?.close();
  });

  test('before ca trust the page fails with a certificate error; after it, it loads and is secure', async () => {
    const url = `https://app.localhost:${port}/`;
    const before = await launchChromium(home);
    try {
      const r = await before.load(url);
      assert.equal(r.ok, false, 'an untrusted CA must not load');
      assert.equal(r.error, 'net::ERR_CERT_AUTHORITY_INVALID');
    } finally {
      await before.close();
    }

    const trust = cli(['ca', 'trust', '--nss-db', nssDb, '--no-system', '--state-dir', serve.stateDir], cliEnv(home));
    assert.equal(trust.code, 0, trust.stdout + trust.stderr);
    assert.match(
      trust.stdout,
      /certutil -A -d sql:\S+ -t C,, -n container-https-local-ca-[0-9a-f]{12} -i \S+root\.pem/,
    );
    assert.match(trust.stdout, /trusted\s+NSS: .*\n.*trust flags C,,/);
    assert.match(trust.stdout, /export NODE_EXTRA_CA_CERTS=\S+root\.pem/);

    const afterTrust = await launchChromium(home);
    try {
      const r = await afterTrust.load(url);
      assert.equal(r.ok, true, `should load after ca trust, got ${r.error}`);
      assert.equal(r.status, 200);
      assert.match(r.body ?? '', /trusted-app/);
      assert.equal(r.securityState, 'secure');
      assert.equal(r.securityDetails?.subjectName, 'app.localhost');
      assert.match(r.securityDetails?.issuer ?? '', /Container HTTPS local CA/);
    } finally {
      await afterTrust.close();
    }
  });

  test('name constraints: a leaf for evil.example.com signed with the trusted CA key is rejected by Chromium', async () => {
    // Trusted by the previous test; trust again so this test also stands alone (idempotent).
    const trust = cli(['ca', 'trust', '--nss-db', nssDb, '--no-system', '--state-dir', serve.stateDir], cliEnv(home));
    assert.equal(trust.code, 0, trust.stdout + trust.stderr);

    const evil = await signLeafWithCaKey(serve.stateDir, 'evil.example.com');
    const good = await signLeafWithCaKey(serve.stateDir, 'signed-by-test.localhost');
    const evilServer = await startTlsServer(evil.cert, evil.key, 'evil');
    const goodServer = await startTlsServer(good.cert, good.key, 'good');
    const netLog = path.join(tempDir('chs-netlog-'), 'net.json');
    const browser = await launchChromium(home, [
      '--host-resolver-rules=MAP evil.example.com 127.0.0.1',
      `--log-net-log=${netLog}`,
      '--net-log-capture-mode=Default',
    ]);
    try {
      // Control: the same signing path for a permitted name is accepted, so the rejection below is
      // about the name, not about how the test signed.
      const ok = await browser.load(`https://signed-by-test.localhost:${goodServer.port}/`);
      assert.equal(ok.ok, true, `permitted name should load, got ${ok.error}`);
      assert.equal(ok.securityState, 'secure');

      const r = await browser.load(`https://evil.example.com:${evilServer.port}/`);
      assert.equal(r.ok, false, 'a name outside the permitted suffixes must be rejected');
      // What Chromium says: ERR_CERT_INVALID (not AUTHORITY_INVALID: the CA is trusted, the chain
      // is anchored, and the verifier rejects it for the name).
      assert.equal(r.error, 'net::ERR_CERT_INVALID');
    } finally {
      await browser.close();
      await evilServer.close();
      await goodServer.close();
    }
    // The verifier's own words, from Chromium's net log.
    const log = fs.readFileSync(netLog, 'utf8');
    assert.match(log, /CN=evil\.example\.com[^"]*ERROR: Not permitted by name constraints/);
  });

  test('ca untrust removes exactly the NSS entry ca trust added, and the page fails again', async () => {
    const untrust = cli(['ca', 'untrust', '--state-dir', serve.stateDir], cliEnv(home));
    assert.equal(untrust.code, 0, untrust.stdout + untrust.stderr);
    assert.match(untrust.stdout, /certutil -D -d sql:\S+ -n container-https-local-ca-[0-9a-f]{12}/);
    const record = JSON.parse(fs.readFileSync(path.join(serve.stateDir, 'ca', 'trust.json'), 'utf8'));
    assert.deepEqual(record.added, []);
    const browser = await launchChromium(home);
    try {
      const r = await browser.load(`https://app.localhost:${port}/`);
      assert.equal(r.error, 'net::ERR_CERT_AUTHORITY_INVALID');
    } finally {
      await browser.close();
    }
  });

  test('without --nss-db: a Chromium that never started gets ~/.pki/nssdb created and trusted', async () => {
    const home = tempDir('chs-home-');
    const trust = cli(['ca', 'trust', '--no-system', '--state-dir', serve.stateDir], cliEnv(home));
    assert.equal(trust.code, 0, trust.stdout + trust.stderr);
    const db = path.join(home, '.pki', 'nssdb');
    assert.match(
      trust.stdout,
      new RegExp(
        `\\$ mkdir -p -m 0700 ${db}\n\\$ certutil -N --empty-password -d sql:${db}\n\\$ certutil -A -d sql:${db} -t C,,`,
      ),
    );
    const browser = await launchChromium(home);
    try {
      const r = await browser.load(`https://app.localhost:${port}/`);
      assert.equal(r.ok, true, `should load, got ${r.error}`);
      assert.equal(r.securityState, 'secure');
    } finally {
      await browser.close();
    }
    const untrust = cli(['ca', 'untrust', '--state-dir', serve.stateDir], cliEnv(home));
    assert.equal(untrust.code, 0, untrust.stdout + untrust.stderr);
  });
});
