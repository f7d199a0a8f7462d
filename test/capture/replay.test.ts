import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CAPTURE, REPLAY_HEADER } from '../../proxy-core/src/capture/types';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { ClearRequests, ReplayRequest, Requests } from '../../proxy-core/src/control/protocol';
import { isUserError } from '../../proxy-core/src/errors';
import { startDaemon } from '../support/daemon';
import { until } from '../support/wait';
import { detail, recorded, send, startScriptedBackend } from './support';

test('a replay goes through the proxy to the same route again, as recorded or edited, and is recorded linked to its original', async () => {
  const backend = await startScriptedBackend((req, body, res) => {
    res.writeHead(req.url === '/fail' ? 500 : 201, { 'content-type': 'text/plain', 'set-cookie': 'sid=fresh; Path=/' });
    res.end(`got ${body.length}`);
  });
  const { daemon, ca, stateDir } = await startDaemon({ workers: 1, capture: DEFAULT_CAPTURE });
  const client = new ControlClient(stateDir);
  try {
    await until('the worker', () => daemon.status().https.workers?.ready === 1, 10_000);
    await daemon.routes.expose('api.localhost', { target: backend.url });
    await send({
      port: daemon.httpsPort,
      host: 'api.localhost',
      ca,
      method: 'POST',
      path: '/items?x=1',
      headers: { authorization: 'Bearer s3cr3t', cookie: 'sid=abc', 'content-type': 'application/json' },
      body: '{"name":"one"}',
    });
    const [original] = await recorded(client, 1);
    // Masked by default in the detail, as recorded with ?secrets=1.
    const masked = await detail(client, original.id);
    assert.equal(masked.requestHeaders.authorization, 'Bearer ••••••');
    assert.equal(masked.requestHeaders.cookie, 'sid=••••••');
    assert.equal(masked.responseHeaders!['set-cookie'], 'sid=••••••; Path=/');
    assert.equal((await detail(client, original.id, true)).requestHeaders.authorization, 'Bearer s3cr3t');

    const again = await client.call(ReplayRequest, { params: { id: original.id }, body: undefined });
    assert.equal(again.status, 201);
    assert.equal(again.replayOf, original.id);
    assert.equal(again.request?.replayOf, original.id);
    assert.equal(again.request?.id, again.id);
    assert.equal(backend.received.length, 2);
    const [first, second] = backend.received;
    assert.equal(second.method, 'POST');
    assert.equal(second.url, '/items?x=1');
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers.authorization, 'Bearer s3cr3t');
    assert.equal(second.headers.cookie, 'sid=abc');
    assert.equal(second.headers['content-type'], 'application/json');
    assert.equal(second.headers[REPLAY_HEADER], undefined, 'the replay marker never reaches the backend');

    const edited = await client.call(ReplayRequest, {
      params: { id: original.id },
      body: { method: 'PUT', path: '/fail', headers: { 'x-edited': 'yes', cookie: null }, body: 'changed' },
    });
    assert.equal(edited.status, 500);
    const third = backend.received[2];
    assert.deepEqual(
      { method: third.method, url: third.url, body: third.body.toString(), edited: third.headers['x-edited'] },
      { method: 'PUT', url: '/fail', body: 'changed', edited: 'yes' },
    );
    assert.equal(third.headers.cookie, undefined);
    const replays = (await client.call(Requests, { query: { status: '5xx' } })).requests;
    assert.deepEqual(
      replays.map((r) => [r.id, r.replayOf, r.method]),
      [[edited.id, original.id, 'PUT']],
    );

    const bad = await client
      .call(ReplayRequest, { params: { id: original.id }, body: { methd: 'GET' } as never })
      .catch((e: unknown) => e);
    assert.ok(isUserError(bad) && /Unknown replay field "methd"/.test(bad.message), String(bad));
    const gone = await client
      .call(ReplayRequest, { params: { id: 'zz.zz' }, body: undefined })
      .catch((e: unknown) => e);
    assert.ok(isUserError(gone) && gone.code === 'ENOREQUEST', String(gone));
    assert.equal((await client.call(ClearRequests)).cleared, 3);
    assert.equal((await client.call(Requests)).requests.length, 0);
  } finally {
    await daemon.close();
    await backend.close();
  }
});
