import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../proxy-core/src/fsUtil';
import { cliAsync, startDaemon } from '../support/daemon';
import { tempDir } from '../support/env';

const HOST = 'app.localhost';

/** A state dir with a saved route for HOST and a directory where its certificate file belongs. */
function stateDirWithBlockedCert(): { stateDir: string; certsDir: string; blocked: string } {
  const stateDir = tempDir();
  const certsDir = path.join(stateDir, 'certs');
  const blocked = path.join(certsDir, `${HOST}.pem`);
  fs.mkdirSync(path.join(blocked, 'inside'), { recursive: true });
  // A temp file an earlier failed write left behind.
  fs.writeFileSync(path.join(certsDir, `${HOST}.pem.tmp-99999-1`), 'half a certificate');
  fs.writeFileSync(
    path.join(stateDir, 'routes.json'),
    JSON.stringify({
      version: 1,
      routes: [
        {
          host: HOST,
          target: 'http://127.0.0.1:5999',
          tls: 'local',
          source: 'user',
          createdAt: new Date(0).toISOString(),
        },
      ],
    }),
  );
  return { stateDir, certsDir, blocked };
}

/** Issue 11 item 8: a certificate path that is a directory. */
test('a directory where a certificate belongs: the route row says so and what to do, logged once over several checks, no temp files', async () => {
  const { stateDir, certsDir, blocked } = stateDirWithBlockedCert();
  const { daemon, logs } = await startDaemon({ stateDir, workers: 0 });
  try {
    for (let tick = 0; tick < 4; tick++) await daemon.certs.checkRenewals();

    const row = daemon.routes.view().routes.find((r) => r.host === HOST);
    assert.equal(row?.status, 'pending');
    assert.match(
      row?.detail ?? '',
      /^certs\/app\.localhost\.pem is a directory, not a file, so the certificate for app\.localhost cannot be stored: remove it \(rm -r '.*app\.localhost\.pem'\)/,
    );
    const table = await cliAsync(['routes', '--state-dir', stateDir]);
    assert.match(table.stdout, /pending \(certs\/app\.localhost\.pem is a directory/);

    const mentions = logs.filter((l) => l.includes('app.localhost.pem is a directory'));
    assert.equal(mentions.length, 1, logs.join('\n'));
    assert.ok(!logs.some((l) => /will be issued again/.test(l)), logs.join('\n'));
    assert.deepEqual(
      fs.readdirSync(certsDir).sort(),
      [`${HOST}.pem`],
      'no temp files, and no key written without its certificate',
    );

    // Once the directory is gone, the next check issues the certificate.
    fs.rmSync(blocked, { recursive: true });
    await daemon.certs.checkRenewals();
    assert.equal(daemon.routes.view().routes.find((r) => r.host === HOST)?.status, 'ready');
    assert.ok(
      logs.some((l) => l === `issued local certificate for ${HOST}`),
      logs.join('\n'),
    );
  } finally {
    await daemon.close();
  }
});

test('expose of that host answers with the same line', async () => {
  const { stateDir } = stateDirWithBlockedCert();
  const { daemon } = await startDaemon({ stateDir, workers: 0 });
  try {
    const r = await cliAsync(['expose', HOST, '5999', '--wait', '0.2', '--state-dir', stateDir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /certs\/app\.localhost\.pem is a directory, not a file.*remove it/);
  } finally {
    await daemon.close();
  }
});

test('writeFileAtomic: a failed rename leaves no temp file behind', () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'target.json'));
  assert.throws(() => writeFileAtomic(path.join(dir, 'target.json'), '{}'));
  assert.deepEqual(fs.readdirSync(dir), ['target.json']);
});
