import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaStatus } from '../../proxy-core/src/control/apiTypes';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { cli, spawnServe } from '../support/daemon';
import { serviceMissing, tempDir } from '../support/env';
import { cliEnv, freshNssHome } from './support';
import { until } from '../support/wait';

const skip = serviceMissing('chromium'); // certutil comes with the browser service (libnss3-tools)

describe('control API: GET /v1/ca, POST /v1/ca/check and the ca event', { skip }, () => {
  let serve: Awaited<ReturnType<typeof spawnServe>>;
  let home: string;
  let nssDb: string;

  before(async () => {
    ({ home, nssDb } = freshNssHome());
    serve = await spawnServe(['--https-port', '0', '--no-http', '--no-docker']);
  });
  after(async () => serve?.stop());

  test('not trusted until ca trust verifies; the editor hears it live; untrust turns it back', async () => {
    const client = new ControlClient(serve.stateDir);
    const initial = await client.request<CaStatus>('GET', '/v1/ca');
    assert.equal(initial.trusted, false);
    assert.equal(initial.lastCheck, null);
    assert.deepEqual(initial.added, []);
    assert.equal(initial.certFile, path.join(serve.stateDir, 'ca', 'root.pem'));
    assert.equal(initial.nodeExtraCaCerts, `NODE_EXTRA_CA_CERTS=${initial.certFile}`);
    assert.deepEqual(initial.permittedSuffixes, ['localhost', 'test', 'internal', 'home.arpa', 'local']);
    assert.deepEqual(initial.permittedIpRanges, ['127.0.0.0/8', '::1/128']);
    assert.match(initial.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

    const events: CaStatus[] = [];
    const unsubscribe = client.subscribe((event, data) => event === 'ca' && events.push(data as CaStatus));
    try {
      await until('the ca event sent on subscribe', () => events[0], 10_000);
      assert.equal(events[0].trusted, false);

      const trust = cli(['ca', 'trust', '--nss-db', nssDb, '--no-system', '--state-dir', serve.stateDir], cliEnv(home));
      assert.equal(trust.code, 0, trust.stdout + trust.stderr);
      const trusted = await until('a ca event with trusted: true', () => events.find((e) => e.trusted), 10_000);
      assert.deepEqual(
        trusted.added.map((a) => [a.id, a.kind]),
        [[`nss:${nssDb}`, 'nss']],
      );
      const byId = Object.fromEntries(trusted.lastCheck!.stores.map((s) => [s.id, s.result]));
      assert.deepEqual(byId, { system: 'not-trusted', [`nss:${nssDb}`]: 'trusted' });

      // The editor can verify again on demand; the daemon checks against its own listener.
      const checked = await client.request<CaStatus>('POST', '/v1/ca/check');
      assert.equal(checked.trusted, true);
      assert.match(checked.lastCheck!.stores.find((s) => s.id === 'system')!.detail, /\(the running proxy\)/);

      // Someone removes the entry behind our back: a re-check notices.
      execFileSync('certutil', [
        '-D',
        '-d',
        `sql:${nssDb}`,
        '-n',
        trusted.lastCheck!.stores.find((s) => s.kind === 'nss')!.detail.split(' ')[0],
      ]);
      const recheck = await client.request<CaStatus>('POST', '/v1/ca/check');
      assert.equal(recheck.trusted, false);
      assert.equal(recheck.lastCheck!.stores.find((s) => s.kind === 'nss')!.result, 'not-trusted');

      const count = events.length;
      const untrust = cli(['ca', 'untrust', '--state-dir', serve.stateDir], cliEnv(home));
      // The entry is already gone: untrust runs nothing for it and forgets it.
      assert.equal(untrust.code, 0, untrust.stdout + untrust.stderr);
      assert.match(untrust.stdout, /Already removed: NSS/);
      assert.doesNotMatch(untrust.stdout, /\$ certutil -D/);
      await until('a ca event after untrust', () => (events.length > count ? true : undefined), 10_000);
      assert.equal(events[events.length - 1].trusted, false);
      assert.deepEqual((await client.request<CaStatus>('GET', '/v1/ca')).added, []);
    } finally {
      unsubscribe();
    }
  });
});

describe('ca CLI without a running proxy', { skip }, () => {
  test('--dry-run prints every command and changes nothing', () => {
    const { home, nssDb } = freshNssHome();
    const stateDir = tempDir();
    const r = cli(['ca', 'trust', '--dry-run', '--nss-db', nssDb, '--state-dir', stateDir], cliEnv(home));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Created the local CA/);
    assert.match(r.stdout, /certutil -A -d sql:\S+ -t C,, -n container-https-local-ca-[0-9a-f]{12} -i \S+/);
    assert.match(
      r.stdout,
      /install -m 0644 \S+root\.pem \/usr\/local\/share\/ca-certificates\/container-https-[0-9a-f]{12}\.crt/,
    );
    assert.match(r.stdout, /\(dry run: nothing was changed\)/);
    assert.equal(fs.existsSync(path.join(stateDir, 'ca', 'trust.json')), false);
    assert.doesNotMatch(
      execFileSync('certutil', ['-L', '-d', `sql:${nssDb}`], { encoding: 'utf8' }),
      /container-https/,
    );
  });

  test('--dry-run --json: the plan as data, for the editor to show before running it', () => {
    const { home, nssDb } = freshNssHome();
    const stateDir = tempDir();
    const r = cli(['ca', 'trust', '--dry-run', '--json', '--nss-db', nssDb, '--state-dir', stateDir], cliEnv(home));
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.equal(plan.caFile, path.join(stateDir, 'ca', 'root.pem'));
    assert.deepEqual(
      plan.targets.map((t: { kind: string }) => t.kind),
      ['system', 'nss'],
    );
    assert.equal(plan.targets[0].commands[0].admin, true);
    assert.deepEqual(plan.targets[1].commands[0].argv.slice(0, 5), ['certutil', '-A', '-d', `sql:${nssDb}`, '-t']);
    assert.equal(plan.nodeExtraCaCerts, `export NODE_EXTRA_CA_CERTS=${plan.caFile}`);
    assert.equal(fs.existsSync(path.join(stateDir, 'ca', 'trust.json')), false);
  });

  test('trust verifies against a temporary TLS server from the same CA; env prints the Node line', () => {
    const { home, nssDb } = freshNssHome();
    const stateDir = tempDir();
    const r = cli(['ca', 'trust', '--nss-db', nssDb, '--no-system', '--state-dir', stateDir], cliEnv(home));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /a temporary check server \(the proxy is not running\)/);
    const env = cli(['ca', 'env', '--state-dir', stateDir]);
    assert.equal(env.stdout, `export NODE_EXTRA_CA_CERTS=${path.join(stateDir, 'ca', 'root.pem')}\n`);
    const check = cli(['ca', 'check', '--json', '--state-dir', stateDir]);
    assert.equal(check.code, 0, check.stderr);
    assert.deepEqual(
      JSON.parse(check.stdout).stores.map((s: { result: string }) => s.result),
      ['not-trusted', 'trusted'],
    );
    const untrust = cli(['ca', 'untrust', '--state-dir', stateDir], cliEnv(home));
    assert.equal(untrust.code, 0, untrust.stdout + untrust.stderr);
  });

  test('a missing --nss-db says how to create one', () => {
    const r = cli(['ca', 'trust', '--nss-db', '/nonexistent/nssdb', '--state-dir', tempDir()]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /--nss-db \/nonexistent\/nssdb does not exist\. Create an empty database with: certutil -N --empty-password -d sql:\/nonexistent\/nssdb/,
    );
  });
});
