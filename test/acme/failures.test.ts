import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoBackend } from '../support/backends';
import { cliAsync, spawnServe } from '../support/daemon';
import { serviceMissing } from '../support/env';
import { Pebble, freePort, startPebble, pebbleServeArgs } from './pebble';
import { plainGet } from '../support/https';

const skip = serviceMissing('pebble');

describe('ACME failures reach the user as sentences', { skip }, () => {
  let pebble: Pebble;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;

  before(async () => {
    pebble = await startPebble({ domainBlocklist: ['blocked.example'] });
    backend = await startEchoBackend('fail-backend');
  });
  after(async () => {
    await backend?.close();
    await pebble?.stop();
  });

  test('a name Pebble refuses: its own message reaches expose, and http:// shows the pending page with it', async () => {
    const serve = await spawnServe(pebbleServeArgs(pebble));
    try {
      const r = await cliAsync(['expose', 'www.blocked.example', backend.url, '--acme', '--state-dir', serve.stateDir]);
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, /Could not get a certificate for www\.blocked\.example from 127\.0\.0\.1:\d+: .*policy/i);
      assert.doesNotMatch(r.stderr, /TypeError|reading 'config'/);
      // The route stays; over plain HTTP the host explains itself instead of redirecting to a certificate error.
      const page = await plainGet(pebble.httpPort, 'www.blocked.example', '/');
      assert.equal(page.status, 503);
      assert.match(page.body, /Certificate pending/);
    } finally {
      await serve.stop();
    }
  });

  test("Pebble unreachable: a real message, not acme-client's TypeError", async () => {
    const closed = await freePort();
    const serve = await spawnServe([
      '--no-docker',
      '--acme-directory',
      `https://127.0.0.1:${closed}/dir`,
      '--acme-ca-file',
      pebble.trustFile,
      '--acme-agree-tos',
      '--https-port',
      '0',
      '--http-port',
      '0',
    ]);
    try {
      const r = await cliAsync(['expose', 'down.example.com', backend.url, '--acme', '--state-dir', serve.stateDir]);
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        new RegExp(`The ACME directory https://127\\.0\\.0\\.1:${closed}/dir cannot be reached: connection refused`),
      );
      assert.doesNotMatch(r.stderr, /TypeError|reading 'config'/);
    } finally {
      await serve.stop();
    }
  });

  test('a URL that is not an ACME directory says so', async () => {
    const serve = await spawnServe([
      '--no-docker',
      '--acme-directory',
      `${pebble.managementUrl}/roots/0`,
      '--acme-ca-file',
      pebble.trustFile,
      '--acme-agree-tos',
      '--https-port',
      '0',
      '--http-port',
      '0',
    ]);
    try {
      const r = await cliAsync(['expose', 'notdir.example.com', backend.url, '--acme', '--state-dir', serve.stateDir]);
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /did not answer with JSON .*is it really an ACME directory URL\?$|is not an ACME directory/m,
      );
    } finally {
      await serve.stop();
    }
  });

  test('an ACME server whose TLS certificate is not trusted: says to pass --acme-ca-file', async () => {
    const serve = await spawnServe([
      '--no-docker',
      '--acme-directory',
      pebble.directoryUrl,
      '--acme-agree-tos',
      '--https-port',
      '0',
      '--http-port',
      '0',
    ]);
    try {
      const r = await cliAsync([
        'expose',
        'untrusted.example.com',
        backend.url,
        '--acme',
        '--state-dir',
        serve.stateDir,
      ]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /not trusted .*--acme-ca-file/);
    } finally {
      await serve.stop();
    }
  });
});
