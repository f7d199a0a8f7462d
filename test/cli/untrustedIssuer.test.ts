import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pebble, startPebble } from '../acme/pebble';
import { startEchoBackend } from '../support/backends';
import { cliAsync, spawnServe } from '../support/daemon';
import { serviceMissing } from '../support/env';

const skip = serviceMissing('pebble');

/**
 * Issue 11 item 2: `expose --acme` against a private ACME CA whose root this machine does not
 * trust. The daemon trusts only Pebble's listener certificate (enough to place orders), so the
 * CLI, which verifies the route as a browser here would, does not know Pebble's issuing root.
 */
describe('expose --acme when the issuing CA is not trusted here', { skip }, () => {
  let pebble: Pebble;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;
  let serve: Awaited<ReturnType<typeof spawnServe>>;

  before(async () => {
    pebble = await startPebble();
    backend = await startEchoBackend('untrusted-issuer');
    const listenerOnly = path.join(pebble.dir, 'listener-only.pem');
    fs.writeFileSync(listenerOnly, pebble.listenerCertPem);
    serve = await spawnServe([
      '--no-docker',
      '--workers',
      '0',
      '--acme-directory',
      pebble.directoryUrl,
      '--acme-ca-file',
      listenerOnly,
      '--acme-email',
      'dev@example.com',
      '--acme-agree-tos',
      '--acme-challenge',
      'http-01',
      '--https-port',
      String(pebble.tlsPort),
      '--http-port',
      String(pebble.httpPort),
    ]);
  });
  after(async () => {
    await serve?.stop();
    await backend?.close();
    await pebble?.stop();
  });

  test('says the issuer is not trusted, names it, says what to do, and does not wait out --wait', async () => {
    const waitSeconds = 20;
    const started = Date.now();
    const r = await cliAsync([
      'expose',
      'untrusted.example.com',
      backend.url,
      '--acme',
      '--wait',
      String(waitSeconds),
      '--state-dir',
      serve.stateDir,
    ]);
    const ms = Date.now() - started;
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}\n${serve.output()}`);
    const issuer = /CN=([^\n]+)/.exec(new crypto.X509Certificate(pebble.rootPem).subject)?.[1];
    assert.ok(issuer, 'Pebble root has a CN');
    assert.match(
      r.stderr,
      /was added and is served, but its certificate failed verification \(UNABLE_TO_GET_ISSUER_CERT_LOCALLY\)/,
    );
    assert.ok(r.stderr.includes(`its issuer "${issuer}" is not trusted by this machine`), r.stderr);
    assert.match(r.stderr, /system store.*NODE_EXTRA_CA_CERTS=FILE.*--acme-ca-file FILE/);
    assert.match(r.stderr, /The route stays; waiting does not fix this\./);
    assert.doesNotMatch(r.stderr, /did not answer/);
    assert.ok(ms < (waitSeconds * 1000) / 2, `returned after ${ms} ms, not at the end of --wait ${waitSeconds}`);

    const routes = JSON.parse((await cliAsync(['routes', '--json', '--state-dir', serve.stateDir])).stdout) as {
      routes: Array<{ host: string; status: string }>;
    };
    assert.equal(
      routes.routes.find((x) => x.host === 'untrusted.example.com')?.status,
      'ready',
      'the route stays and is served',
    );
  });

  test('the advice works: with NODE_EXTRA_CA_CERTS set to that root, expose succeeds', async () => {
    const rootFile = path.join(pebble.dir, 'root-only.pem');
    fs.writeFileSync(rootFile, pebble.rootPem);
    const r = await cliAsync(
      ['expose', 'untrusted.example.com', backend.url, '--acme', '--state-dir', serve.stateDir],
      { NODE_EXTRA_CA_CERTS: rootFile },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /HTTP 200/);
  });
});
