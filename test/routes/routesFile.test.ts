import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDaemon } from '../support/daemon';
import { tempDir } from '../support/env';

const valid = {
  host: 'good.localhost',
  target: 'http://127.0.0.1:5000',
  tls: 'local',
  source: 'user',
  createdAt: '2026-01-01T00:00:00.000Z',
};

test('routes.json with wrong types: valid records load, invalid ones are reported, the original is kept aside', async () => {
  const stateDir = tempDir();
  const file = path.join(stateDir, 'routes.json');
  const text = JSON.stringify({
    version: 1,
    routes: [
      valid,
      { ...valid, host: 'number.localhost', target: 12345 },
      { ...valid, host: 'array.localhost', target: ['http://127.0.0.1:5000'] },
      { ...valid, host: 'seven.localhost', tls: 7 },
      { ...valid, host: 'typo.localhost', tls: 'acmee' },
      { ...valid, host: 'tsl.localhost', tsl: 'acme' },
      { ...valid, host: 'zero.localhost', target: 'http://127.0.0.1:0' },
      { ...valid, host: 42 },
    ],
  });
  fs.writeFileSync(file, text);
  const { daemon } = await startDaemon({ stateDir });
  try {
    assert.deepEqual(
      daemon.table.list().map((r) => r.host),
      ['good.localhost'],
    );
    const problem = daemon.status().problems.find((p) => p.startsWith('routes.json'));
    assert.ok(problem, daemon.status().problems.join('\n'));
    assert.doesNotMatch(problem, /\n/);
    assert.match(problem, /^routes\.json has 7 invalid routes, not loaded: /);
    assert.match(problem, /route #2 \(number\.localhost\): "target" must be a string .*not the number 12345\./);
    assert.match(problem, /route #3 \(array\.localhost\): "target" must be a string .*not an array\./);
    assert.match(problem, /route #4 \(seven\.localhost\): "tls" must be "local" or "acme" .*not the number 7\./);
    assert.match(problem, /route #5 \(typo\.localhost\): "tls" must be "local" or "acme" .*not "acmee"\./);
    assert.match(problem, /route #6 \(tsl\.localhost\): unknown field "tsl"/);
    assert.match(
      problem,
      /route #7 \(zero\.localhost\): Invalid target "http:\/\/127\.0\.0\.1:0": port "0" must be a number from 1 to 65535\./,
    );
    assert.match(problem, /route #8: "host" must be a string, not the number 42\./);
    // No data is lost: the original file, byte for byte, beside the rewritten one.
    const aside = /the original file is kept at (\S+)\./.exec(problem)?.[1];
    assert.ok(aside && aside.startsWith(`${file}.invalid-`), problem);
    assert.equal(fs.readFileSync(aside, 'utf8'), text);
    assert.deepEqual((JSON.parse(fs.readFileSync(file, 'utf8')) as { routes: unknown[] }).routes, [valid]);
  } finally {
    await daemon.close();
  }
  // The next start is clean: nothing more to report.
  const again = await startDaemon({ stateDir });
  try {
    assert.deepEqual(
      again.daemon.table.list().map((r) => r.host),
      ['good.localhost'],
    );
    assert.equal(again.daemon.status().problems.filter((p) => p.startsWith('routes.json')).length, 0);
  } finally {
    await again.daemon.close();
  }
});

test('routes.json that is not JSON is still moved aside whole', async () => {
  const stateDir = tempDir();
  const file = path.join(stateDir, 'routes.json');
  fs.writeFileSync(file, '{"routes": [');
  const { daemon } = await startDaemon({ stateDir });
  try {
    assert.deepEqual(daemon.table.list(), []);
    assert.match(
      daemon.status().problems.join('\n'),
      /routes\.json could not be read .*moved to .*routes\.json\.corrupt-/,
    );
    assert.equal(fs.existsSync(file), false);
  } finally {
    await daemon.close();
  }
});
