import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { directoryHash } from '../../proxy-core/src/acme/directoryUrl';
import { DaemonStatus } from '../../proxy-core/src/control/apiTypes';
import { startEchoBackend } from '../support/backends';
import { cliAsync, spawnServe } from '../support/daemon';
import { serviceMissing, tempDir } from '../support/env';
import { httpsGet } from '../support/https';
import { Pebble, startPebble, pebbleServeArgs } from './pebble';

const skip = serviceMissing('pebble');

const serveArgs = pebbleServeArgs;

describe('ACME accounts: one per directory, reused across restarts, a corrupt file set aside', { skip }, () => {
  let pebble: Pebble;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;

  before(async () => {
    pebble = await startPebble();
    backend = await startEchoBackend('acct-backend');
  });
  after(async () => {
    await backend?.close();
    await pebble?.stop();
  });

  test('the account key is stored 0600 and reused after the daemon restarts', async () => {
    const stateDir = tempDir();
    const accountFile = path.join(stateDir, 'acme', `account-${directoryHash(pebble.directoryUrl)}.json`);
    const first = await spawnServe(serveArgs(pebble), stateDir);
    let before: { keyPem: string; url: string; termsOfService?: unknown };
    try {
      const r = await cliAsync(['expose', 'one.example.com', backend.url, '--acme', '--state-dir', stateDir]);
      assert.equal(r.code, 0, r.stderr + first.output());
      assert.equal(fs.statSync(accountFile).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.join(stateDir, 'certs', 'one.example.com.key')).mode & 0o777, 0o600);
      before = JSON.parse(fs.readFileSync(accountFile, 'utf8'));
      assert.match(before.url, /^https:\/\/127\.0\.0\.1:\d+\//);
      assert.ok(before.termsOfService, 'the agreement to the terms is recorded');
    } finally {
      await first.stop();
    }
    const accountsBefore = (pebble.output().match(/There are now \d+ accounts/g) ?? []).length;

    // No --acme-agree-tos this time: the recorded agreement for this directory is enough.
    const second = await spawnServe(
      serveArgs(pebble).filter((a) => a !== '--acme-agree-tos'),
      stateDir,
    );
    try {
      assert.equal(second.status.acme.accountUrl, before.url);
      const r = await cliAsync(['expose', 'two.example.com', backend.url, '--acme', '--state-dir', stateDir]);
      assert.equal(r.code, 0, r.stderr + second.output());
      const after = JSON.parse(fs.readFileSync(accountFile, 'utf8'));
      assert.equal(after.keyPem, before.keyPem);
      assert.equal(after.url, before.url);
      // Pebble registered no new account for the second daemon.
      assert.equal((pebble.output().match(/There are now \d+ accounts/g) ?? []).length, accountsBefore);
      // The certificate restored from disk for the first name still serves after the restart.
      const res = await httpsGet({ host: 'one.example.com', port: pebble.tlsPort, ca: pebble.rootPem });
      assert.equal(res.status, 200);
    } finally {
      await second.stop();
    }
  });

  test('a corrupt account file is moved aside and reported, and a new account is made', async () => {
    const stateDir = tempDir();
    const accountFile = path.join(stateDir, 'acme', `account-${directoryHash(pebble.directoryUrl)}.json`);
    fs.mkdirSync(path.dirname(accountFile), { recursive: true, mode: 0o700 });
    fs.writeFileSync(accountFile, '{"version":1,"keyPem":"-----BEGIN PRIV', { mode: 0o600 });
    const serve = await spawnServe(serveArgs(pebble), stateDir);
    try {
      const status = serve.status as DaemonStatus;
      const problem = status.problems.find((p) => p.includes('ACME account file'));
      assert.ok(problem, `reported in status.problems: ${JSON.stringify(status.problems)}`);
      assert.match(problem, /moved it to .*\.corrupt-/);
      const aside = fs.readdirSync(path.dirname(accountFile)).filter((f) => f.includes('.corrupt-'));
      assert.equal(aside.length, 1, 'the unreadable file is kept, not deleted');
      assert.equal(
        fs.readFileSync(path.join(path.dirname(accountFile), aside[0]), 'utf8'),
        '{"version":1,"keyPem":"-----BEGIN PRIV',
      );
      const r = await cliAsync(['expose', 'fresh.example.com', backend.url, '--acme', '--state-dir', stateDir]);
      assert.equal(r.code, 0, r.stderr + serve.output());
      assert.match(JSON.parse(fs.readFileSync(accountFile, 'utf8')).url, /^https:/);
    } finally {
      await serve.stop();
    }
  });

  test('without --acme-agree-tos the first order says which terms to accept and how', async () => {
    const serve = await spawnServe(serveArgs(pebble).filter((a) => a !== '--acme-agree-tos'));
    try {
      const r = await cliAsync(['expose', 'terms.example.com', backend.url, '--acme', '--state-dir', serve.stateDir]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /terms of service .*--acme-agree-tos/);
    } finally {
      await serve.stop();
    }
  });
});
