import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { detectPlatform } from '../../proxy-core/src/trust/platform';
import { startEchoBackend } from '../support/backends';
import { cli, spawnServe } from '../support/daemon';
import { tempDir } from '../support/env';
import { cliEnv } from './support';

const platform = detectPlatform();
const skip =
  platform.family !== 'debian'
    ? `the system-store test runs on Debian/Ubuntu (this is ${platform.distroName ?? platform.os}); other distributions are covered by plan unit tests`
    : !platform.isRoot
      ? 'changing the system store needs root (sudo would prompt for a password)'
      : !platform.tools['update-ca-certificates']
        ? 'update-ca-certificates is missing (apt-get install ca-certificates)'
        : spawnSync('curl', ['--version']).status !== 0
          ? 'curl is missing (apt-get install curl)'
          : undefined;

/** curl with the system store only (no --cacert); asynchronous so this process's backend can answer. */
function curl(url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '20', url], { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

// This changes the machine's real trust store. The CA is fresh (its fingerprint names the file),
// and the finally/after blocks always take it out again.
describe('system store on Debian: ca trust / ca untrust, verified with curl', { skip }, () => {
  let serve: Awaited<ReturnType<typeof spawnServe>>;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;
  let home: string;
  let url: string;

  before(async () => {
    home = tempDir('chs-home-');
    backend = await startEchoBackend('system-store-app');
    serve = await spawnServe(['--https-port', '0', '--no-http', '--no-docker']);
    await new ControlClient(serve.stateDir).request('PUT', '/v1/routes/app.localhost', { target: backend.url });
    url = `https://app.localhost:${serve.status.https.port}/`;
  });

  after(async () => {
    // Belt and braces: whatever happened, leave no file of ours in the system store.
    const leftovers = fs
      .readdirSync('/usr/local/share/ca-certificates')
      .filter(
        (f) =>
          serve &&
          f.startsWith('container-https-') &&
          isOurs(path.join('/usr/local/share/ca-certificates', f), serve.stateDir),
      );
    if (leftovers.length) {
      for (const f of leftovers) fs.rmSync(path.join('/usr/local/share/ca-certificates', f), { force: true });
      spawnSync('update-ca-certificates', [], { stdio: 'ignore' });
    }
    await serve?.stop();
    await backend?.close();
  });

  test('curl without --cacert fails before, succeeds after ca trust, fails again after ca untrust', async () => {
    const before = await curl(url);
    assert.equal(before.code, 60, `curl should fail verification before trust: ${before.stderr}`);

    try {
      const trust = cli(['ca', 'trust', '--system', '--state-dir', serve.stateDir], cliEnv(home));
      assert.equal(trust.code, 0, trust.stdout + trust.stderr);
      assert.match(
        trust.stdout,
        /\$ install -m 0644 \S+root\.pem \/usr\/local\/share\/ca-certificates\/container-https-[0-9a-f]{12}\.crt\n/,
      );
      assert.match(trust.stdout, /\$ update-ca-certificates\n/);
      assert.match(
        trust.stdout,
        /trusted\s+system store \(update-ca-certificates\)\n\s+TLS to localhost on 127\.0\.0\.1:\d+ \(the running proxy\) with \/etc\/ssl\/certs\/ca-certificates\.crt: verified/,
      );

      const after = await curl(url);
      assert.equal(after.code, 0, `curl should verify after trust: ${after.stderr}`);
      assert.match(after.stdout, /system-store-app/);

      // The daemon's view for the editor's status bar.
      const status = await new ControlClient(serve.stateDir).request<{
        trusted: boolean;
        added: Array<{ kind: string }>;
      }>('GET', '/v1/ca');
      assert.equal(status.trusted, true);
      assert.deepEqual(
        status.added.map((a) => a.kind),
        ['system'],
      );
    } finally {
      const untrust = cli(['ca', 'untrust', '--state-dir', serve.stateDir], cliEnv(home));
      assert.equal(untrust.code, 0, untrust.stdout + untrust.stderr);
      assert.match(
        untrust.stdout,
        /\$ rm -f \/usr\/local\/share\/ca-certificates\/container-https-[0-9a-f]{12}\.crt\n/,
      );
      assert.match(untrust.stdout, /NOT trusted\s+system store/);
    }

    const afterUntrust = await curl(url);
    assert.equal(afterUntrust.code, 60, `curl should fail again after untrust: ${afterUntrust.stderr}`);
    const status = await new ControlClient(serve.stateDir).request<{ trusted: boolean; added: unknown[] }>(
      'GET',
      '/v1/ca',
    );
    assert.equal(status.trusted, false);
    assert.deepEqual(status.added, []);
  });
});

function isOurs(file: string, stateDir: string): boolean {
  try {
    return (
      fs.readFileSync(file, 'utf8').trim() === fs.readFileSync(path.join(stateDir, 'ca', 'root.pem'), 'utf8').trim()
    );
  } catch {
    return false;
  }
}
