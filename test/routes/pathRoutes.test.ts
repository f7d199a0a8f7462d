// User routes with paths (`expose app.localhost/api …`): several backends under one host, split
// by path, with --strip-prefix and --priority; over HTTPS verified against our CA, in the daemon
// and in its worker (which routes from a snapshot).
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { DeleteRoute, PutRoute, Routes } from '../../proxy-core/src/control/protocol';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startEchoBackend } from '../support/backends';
import { cliAsync, startDaemon, untilWorkerReady } from '../support/daemon';
import { httpsGet } from '../support/https';
import { h2InBoth } from '../support/rawTls';

type Echo = { name: string; url: string };

describe('path routes', () => {
  let daemon: Daemon;
  let stateDir: string;
  let ca: string;
  let client: ControlClient;
  const backends: Array<Awaited<ReturnType<typeof startEchoBackend>>> = [];
  const host = 'shop.localhost';

  before(async () => {
    ({ daemon, stateDir, ca } = await startDaemon({ workers: 1 }));
    await untilWorkerReady(stateDir);
    client = new ControlClient(stateDir);
    for (const name of ['web', 'api', 'admin']) backends.push(await startEchoBackend(name));
    const [web, api, admin] = backends;
    await client.call(PutRoute, { params: { host }, body: { target: web.url } });
    await client.call(PutRoute, { params: { host }, body: { target: api.url, path: '/api', stripPrefix: true } });
    await client.call(PutRoute, { params: { host }, body: { target: admin.url, path: '/api/admin' } });
  });
  after(async () => {
    await daemon.close();
    for (const b of backends) await b.close();
  });

  const get = async (path: string): Promise<Echo> => {
    const res = await httpsGet({ host, port: daemon.httpsPort, ca, path });
    assert.equal(res.status, 200, `${path}: ${res.body}`);
    return JSON.parse(res.body) as Echo;
  };

  test('the longest path wins; /api is stripped for its backend; /apix is not /api', async () => {
    assert.deepEqual(await get('/'), { ...(await get('/')), name: 'web', url: '/' });
    const api = await get('/api/items?x=1');
    assert.equal(api.name, 'api');
    assert.equal(api.url, '/items?x=1');
    assert.equal((await get('/api')).url, '/');
    assert.equal((await get('/apix')).name, 'web', 'a user path takes its segment, not every name starting with it');
    const admin = await get('/api/admin/users');
    assert.equal(admin.name, 'admin');
    assert.equal(admin.url, '/api/admin/users', 'no strip-prefix on this one');
  });

  test('the entry point cleans the path before routing: /api/../api/admin reaches admin, /x/../api reaches api', async () => {
    const a = await httpsGet({ host, port: daemon.httpsPort, ca, path: '/x/../api/admin/./y' });
    assert.equal(JSON.parse(a.body).name, 'admin');
    assert.equal(JSON.parse(a.body).url, '/api/admin/y');
    const b = await httpsGet({ host, port: daemon.httpsPort, ca, path: '//api//z' });
    assert.equal(JSON.parse(b.body).name, 'api');
    assert.equal(JSON.parse(b.body).url, '/z');
  });

  test('the worker routes by path as the daemon does (HTTP/2 on each process)', async () => {
    const answers = await h2InBoth<{ name: string; url: string }>(daemon, ca, {
      ':authority': `${host}:${daemon.httpsPort}`,
      ':path': '/api/v1',
    });
    for (const a of answers) {
      assert.equal(a.name, 'api');
      assert.equal(a.url, '/v1');
    }
  });

  test('an explicit priority beats a longer path', async () => {
    const [, , admin] = backends;
    await client.call(PutRoute, { params: { host }, body: { target: admin.url, path: '/api', priority: 10_000 } });
    try {
      assert.equal((await get('/api/x')).name, 'admin');
    } finally {
      await client.call(PutRoute, {
        params: { host },
        body: { target: backends[1].url, path: '/api', stripPrefix: true },
      });
    }
    assert.equal((await get('/api/x')).name, 'api');
  });

  test('routes lists each path route with its URL, rule and priority; unexpose removes one path', async () => {
    const { routes } = await client.call(Routes);
    const api = routes.find((r) => r.path === '/api')!;
    assert.equal(api.url, `https://${host}:${daemon.httpsPort}/api`);
    assert.equal(api.effectiveRule, 'Host(`shop.localhost`) && (Path(`/api`) || PathPrefix(`/api/`))');
    assert.equal(api.effectivePriority, api.effectiveRule.length);
    assert.equal(api.stripPrefix, true);
    const table = await cliAsync(['routes', '--state-dir', stateDir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /shop\.localhost:\d+\/api\s+Host\(`shop\.localhost`\) && \(Path/);
    assert.match(table.stdout, /stripPrefix\(\/api\)/);

    await client.call(DeleteRoute, { params: { host }, query: { path: '/api/admin' } });
    assert.equal((await get('/api/admin/users')).name, 'api');
    const gone = await cliAsync(['unexpose', `${host}/nope`, '--state-dir', stateDir]);
    assert.equal(gone.code, 1);
    assert.match(
      gone.stderr,
      /No route for shop\.localhost\/nope; shop\.localhost has shop\.localhost, shop\.localhost\/api/,
    );
  });

  test('bad paths and flags get one-line errors and change nothing', async () => {
    const before = (await client.call(Routes)).routes.length;
    // Exit code 2 for a usage error, 1 for a value refused (as every command).
    for (const [args, code, message] of [
      [
        ['expose', `${host}/a/../b`, backends[0].url],
        1,
        /Invalid route path "\/a\/\.\.\/b": it has empty, "\." or "\.\." segments/,
      ],
      [['expose', `${host}/a?b`, backends[0].url], 1, /no query or fragment/],
      [['expose', host, backends[0].url, '--strip-prefix'], 2, /--strip-prefix needs a path to strip/],
      [['expose', `${host}/a`, backends[0].url, '--priority', 'high'], 2, /--priority must be a whole number/],
    ] as const) {
      const r = await cliAsync([...args, '--state-dir', stateDir]);
      assert.equal(r.code, code, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal((await client.call(Routes)).routes.length, before);
  });
});

describe('path routes are kept in routes.json', () => {
  test('path, stripPrefix and priority come back after a restart, and serve', async () => {
    const backend = await startEchoBackend('api');
    const first = await startDaemon({ workers: 0 });
    try {
      await new ControlClient(first.stateDir).call(PutRoute, {
        params: { host: 'kept.localhost' },
        body: { target: backend.url, path: '/api', stripPrefix: true, priority: 50 },
      });
    } finally {
      await first.daemon.close();
    }
    const again = await startDaemon({ workers: 0, stateDir: first.stateDir });
    try {
      const [route] = again.daemon.table.list();
      assert.deepEqual(
        [route.host, route.path, route.stripPrefix, route.priority],
        ['kept.localhost', '/api', true, 50],
      );
      const res = await httpsGet({
        host: 'kept.localhost',
        port: again.daemon.httpsPort,
        ca: again.ca,
        path: '/api/x',
      });
      assert.equal(JSON.parse(res.body).url, '/x');
    } finally {
      await again.daemon.close();
      await backend.close();
    }
  });
});
