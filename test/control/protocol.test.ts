import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import * as protocol from '../../proxy-core/src/control/protocol';
import type { Endpoint, PathParams } from '../../proxy-core/src/control/protocol';
import { isUserError } from '../../proxy-core/src/errors';
import { startDaemon } from '../support/daemon';

describe('control/protocol.ts', () => {
  test('path parameters are URI-encoded in the path, and a missing one is an error', () => {
    assert.equal(
      protocol.endpointPath(protocol.PutRoute, { host: 'a b/c.localhost' }),
      '/v1/routes/a%20b%2Fc.localhost',
    );
    assert.equal(protocol.endpointPath(protocol.RenewCert, { host: 'app.localhost' }), '/v1/certs/app.localhost/renew');
    assert.equal(protocol.endpointPath(protocol.Status), '/v1/status');
    assert.throws(() => protocol.endpointPath(protocol.DeleteRoute), /needs the parameter host/);
  });

  // The daemon registers its handlers by path (daemon/controlApi.ts): this keeps the two in step.
  test('the daemon serves every endpoint the protocol declares, with the declared method', async () => {
    const { daemon, stateDir } = await startDaemon();
    const client = new ControlClient(stateDir);
    try {
      const endpoints: Array<[string, Endpoint<unknown, unknown, PathParams | undefined>]> = [];
      for (const [name, value] of Object.entries(protocol))
        if (typeof value === 'object') endpoints.push([name, value]);
      assert.ok(endpoints.length >= 11, `found ${endpoints.map((e) => e[0]).join(', ')}`);
      for (const [name, ep] of endpoints) {
        if (ep === protocol.Events || ep === protocol.Shutdown) continue;
        const path = protocol.endpointPath(ep, { host: 'no-such-route.localhost', id: 'no.such' });
        // A handler may refuse (no route, no body): the router must not (ENOTFOUND, EMETHOD).
        const code = await client.request(ep.method, path, undefined, 60_000).then(
          () => 'ok',
          (err: unknown) => (isUserError(err) ? err.code : String(err)),
        );
        assert.ok(!['ENOTFOUND', 'EMETHOD'].includes(code), `${name}: ${ep.method} ${path} answered ${code}`);
      }
      const first = await new Promise<string>((resolve) => {
        const stop = client.subscribe((event) => {
          stop();
          resolve(event);
        });
      });
      assert.equal(first, 'status');
      assert.deepEqual(await client.call(protocol.Shutdown), { stopping: true });
    } finally {
      await daemon.close();
    }
  });
});
