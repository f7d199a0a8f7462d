// POST /v1/routes/:host/probe (daemon/routeProbeApi.ts): the daemon checks a route the way a
// browser that trusts our CA would, so `expose` need not set up TLS in a process of its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { ProbeRoute, PutRoute } from '../../proxy-core/src/control/protocol';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { isUserError } from '../../proxy-core/src/errors';
import { startDaemon } from '../support/daemon';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'answered',
    (err: unknown) => (isUserError(err) ? `${err.status} ${err.code}: ${err.message}` : String(err)),
  );

describe('POST /v1/routes/:host/probe', () => {
  let daemon: Daemon;
  let client: ControlClient;
  let backend: http.Server;
  let backendPort: number;
  const seen: string[] = [];

  before(async () => {
    backend = http.createServer((req, res) => {
      seen.push(`${req.headers['user-agent']} ${req.url}`);
      res.end('hi');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    backendPort = (backend.address() as AddressInfo).port;
    const started = await startDaemon({ workers: 0 });
    daemon = started.daemon;
    client = new ControlClient(started.stateDir);
  });
  after(async () => {
    await daemon.close();
    await new Promise<void>((r) => backend.close(() => r()));
  });

  test('a route that answers: verified against our CA, through the proxy to the backend', async () => {
    await client.call(PutRoute, {
      params: { host: 'app.localhost' },
      body: { target: `http://127.0.0.1:${backendPort}` },
    });
    assert.deepEqual(await client.call(ProbeRoute, { params: { host: 'app.localhost' }, body: {} }), {
      ok: true,
      status: 200,
    });
    assert.ok(seen.includes('container-https-probe /'), seen.join(', '));
  });

  test('a path route is probed at its path', async () => {
    await client.call(PutRoute, {
      params: { host: 'app.localhost' },
      body: { target: `http://127.0.0.1:${backendPort}`, path: '/api' },
    });
    const r = await client.call(ProbeRoute, { params: { host: 'app.localhost' }, body: { path: '/api/' } });
    assert.deepEqual(r, { ok: true, status: 200 });
    assert.ok(seen.includes('container-https-probe /api'), seen.join(', '));
  });

  test('a target that is down: the 502 after the wait, not an error of the call', async () => {
    const down = http.createServer();
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((r) => down.close(() => r()));
    await client.call(PutRoute, { params: { host: 'down.localhost' }, body: { target: `http://127.0.0.1:${port}` } });
    const r = await client.call(ProbeRoute, { params: { host: 'down.localhost' }, body: { wait: 0.3 } });
    assert.deepEqual(r, { ok: false, status: 502 });
  });

  test('no such route, or a body that is not a probe request: a one-line refusal', async () => {
    assert.equal(
      await refusal(client.call(ProbeRoute, { params: { host: 'nothing.localhost' }, body: {} })),
      '404 ENOROUTE: No route for nothing.localhost: add it with container-https expose first.',
    );
    assert.equal(
      await refusal(client.call(ProbeRoute, { params: { host: 'app.localhost' }, body: { path: '/nope' } })),
      '404 ENOROUTE: No route for app.localhost/nope: add it with container-https expose first.',
    );
    assert.equal(
      await refusal(client.call(ProbeRoute, { params: { host: 'app.localhost' }, body: { wait: 'soon' as never } })),
      '400 EBODY: Invalid probe request: wait must be a number of seconds from 0 to 3600.',
    );
    assert.equal(
      await refusal(client.request('POST', '/v1/routes/app.localhost/probe', { tsl: 'acme' })),
      '400 EBODY: Invalid probe request: unknown field tsl (fields: path, wait, extraCaPem).',
    );
  });
});
