import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { startEchoBackend } from '../support/backends';
import { cliAsync, spawnServe } from '../support/daemon';
import { serviceMissing } from '../support/env';
import { httpsGet } from '../support/https';
import { Pebble, startPebble, pebbleServeArgs } from './pebble';

const skip = serviceMissing('pebble');

describe('ACME External Account Binding, with a Pebble that requires it', { skip }, () => {
  let pebble: Pebble;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;
  const hmac = crypto.randomBytes(32).toString('base64url');

  before(async () => {
    pebble = await startPebble({ eab: { 'kid-test': hmac } });
    backend = await startEchoBackend('eab-backend');
  });
  after(async () => {
    await backend?.close();
    await pebble?.stop();
  });

  const base = pebbleServeArgs;

  test('without EAB the first order says which flags the CA needs', async () => {
    const serve = await spawnServe(base(pebble));
    try {
      const r = await cliAsync(['expose', 'noeab.example.com', backend.url, '--acme', '--state-dir', serve.stateDir]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /requires External Account Binding: pass .*--acme-eab-kid and --acme-eab-hmac/);
    } finally {
      await serve.stop();
    }
  });

  test('with --acme-eab-kid/--acme-eab-hmac the account binds and the certificate is issued', async () => {
    const serve = await spawnServe([...base(pebble), '--acme-eab-kid', 'kid-test', '--acme-eab-hmac', hmac]);
    try {
      const r = await cliAsync(['expose', 'eab.example.com', backend.url, '--acme', '--state-dir', serve.stateDir]);
      assert.equal(r.code, 0, r.stderr + serve.output());
      const res = await httpsGet({ host: 'eab.example.com', port: pebble.tlsPort, ca: pebble.rootPem });
      assert.equal(res.status, 200);
    } finally {
      await serve.stop();
    }
  });

  test("a wrong HMAC key: the CA's refusal reaches the user", async (t) => {
    const serve = await spawnServe([
      ...base(pebble),
      '--acme-eab-kid',
      'kid-test',
      '--acme-eab-hmac',
      crypto.randomBytes(32).toString('base64url'),
    ]);
    try {
      const r = await cliAsync(['expose', 'badeab.example.com', backend.url, '--acme', '--state-dir', serve.stateDir]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Could not get a certificate for badeab\.example\.com from 127\.0\.0\.1:\d+: .+/);
      assert.doesNotMatch(r.stderr, /TypeError/);
      t.diagnostic(r.stderr.trim());
    } finally {
      await serve.stop();
    }
  });
});
