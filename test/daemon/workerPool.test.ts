import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkerPool, workerExecArgv } from '../../proxy-core/src/daemon/workerPool';
import { RouteSnapshot } from '../../proxy-core/src/routes/routeSnapshot';
import { tempDir } from '../support/env';
import { until } from '../support/wait';

const FAKE = path.join(__dirname, '..', 'support', 'fakeWorker.js');

function pool(
  routes: () => RouteSnapshot,
  env: Record<string, string>,
  logs: string[] = [],
  ackTimeoutMs = 5000,
): { pool: WorkerPool; applied: () => Array<{ t: string; seq: number; hosts?: string[] }> } {
  const log = path.join(tempDir(), 'applied.jsonl');
  fs.writeFileSync(log, '');
  Object.assign(process.env, { FAKE_WORKER_LOG: log, ...env });
  const p = new WorkerPool({
    count: 1,
    script: FAKE,
    port: 1,
    backendTimeoutMs: 1000,
    defaultCert: { cert: '', key: '' },
    routes,
    certs: () => [],
    fallback: async () => undefined,
    log: (l) => logs.push(l),
    ackTimeoutMs,
  });
  const applied = () =>
    fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  return { pool: p, applied };
}

const route = (host: string): RouteSnapshot[number] => ({
  record: { host, target: 'http://127.0.0.1:1', tls: 'local', source: 'user', createdAt: '' },
  servers: [
    {
      kind: 'upstream',
      upstream: { protocol: 'http:', hostname: '127.0.0.1', port: 1, href: 'http://127.0.0.1:1' },
    },
  ],
});

test('WorkerPool.sync() resolves only after the worker applied the latest routes (fake worker that acknowledges late)', async () => {
  let hosts = ['a.localhost'];
  const { pool: p, applied } = pool(() => hosts.map(route), { FAKE_WORKER_DELAY_MS: '300' });
  p.start();
  try {
    await until('the worker', () => p.status().ready > 0, 5000);
    assert.equal(p.status().ready, 1);
    assert.deepEqual(
      applied().map((m) => [m.t, m.hosts]),
      [['init', ['a.localhost']]],
    );
    // Two changes in one tick become one snapshot; sync waits until the worker has it.
    hosts = ['a.localhost', 'b.localhost'];
    p.routesChanged();
    hosts = ['b.localhost'];
    p.routesChanged();
    await p.sync();
    assert.deepEqual(
      applied().map((m) => [m.t, m.hosts]),
      [
        ['init', ['a.localhost']],
        ['routes', ['b.localhost']],
      ],
    );
    // Nothing changed since: sync has nothing to wait for.
    await p.sync();
    assert.equal(applied().length, 2);
  } finally {
    await p.close();
  }
});

test('WorkerPool.sync() does not hang on a worker that dies before acknowledging (fake worker)', async () => {
  const { pool: p } = pool(() => [route('a.localhost')], { FAKE_WORKER_DELAY_MS: '60000' });
  p.start();
  try {
    await until('the worker', () => p.status().ready > 0, 5000);
    const [pid] = p.status().pids;
    p.routesChanged();
    const synced = p.sync();
    process.kill(pid, 'SIGKILL');
    await synced;
    assert.equal(p.status().ready, 0);
  } finally {
    await p.close();
  }
});

test('WorkerPool: a worker that takes no update within the acknowledgement timeout is replaced, and sync() returns (fake worker)', async () => {
  const logs: string[] = [];
  const { pool: p } = pool(() => [route('a.localhost')], { FAKE_WORKER_DELAY_MS: '60000' }, logs, 300);
  p.start();
  try {
    await until('the worker', () => p.status().ready > 0, 5000);
    const [pid] = p.status().pids;
    p.routesChanged();
    await p.sync();
    assert.ok(logs.includes(`proxy worker ${pid} did not take an update within 0.3 s: replacing it`), logs.join('\n'));
    await until(
      `the exit of worker ${pid} to be reported`,
      () => logs.some((l) => l.startsWith(`proxy worker ${pid} exited (SIGKILL)`)),
      5000,
    );
  } finally {
    await p.close();
  }
});

test('workerExecArgv: a worker never re-runs -e/-p code (which would start a daemon, and workers, again) nor gets test or inspector flags', () => {
  assert.deepEqual(
    workerExecArgv(['--enable-source-maps', '-e', 'require("x")', '--test', '--inspect=9229', '--eval=1', '-p', '2']),
    ['--enable-source-maps'],
  );
  // node --test --test-name-pattern X: the value must not become the worker's script.
  assert.deepEqual(
    workerExecArgv(['--test-name-pattern', 'crashes', '--test-only', '--test-reporter=tap', '--max-old-space-size=64']),
    ['--max-old-space-size=64'],
  );
});
