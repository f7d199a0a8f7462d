// A router's middlewares run on WebSocket handshakes too: basicAuth answers 401 before any
// upgrade, stripPrefix rewrites the handshake's path. Routers from the Traefik file provider
// (serve --traefik-dynamic), TLS verified against our CA, in the daemon and its worker.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startEchoBackend } from '../support/backends';
import { startDaemon, untilWorkerReady } from '../support/daemon';
import { tempDir } from '../support/env';
import { httpsGet, wssTo } from '../support/https';
import { until } from '../support/wait';

describe('WebSocket handshakes go through the router middlewares', () => {
  let daemon: Daemon;
  let ca: string;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;
  let dir: string;
  const host = 'ws.localhost';

  before(async () => {
    backend = await startEchoBackend('ws');
    dir = tempDir('chs-dynamic-');
    const hash = bcrypt.hashSync('pw', 4);
    fs.writeFileSync(
      path.join(dir, 'dynamic.yml'),
      `http:
  routers:
    ws:
      rule: Host(\`${host}\`) && PathPrefix(\`/live\`)
      middlewares: [auth, strip]
      service: echo
  middlewares:
    auth:
      basicAuth:
        users: ["u:${hash}"]
    strip:
      stripPrefix:
        prefixes: [/live]
  services:
    echo:
      loadBalancer:
        servers:
          - url: ${backend.url}
`,
    );
    let stateDir: string;
    ({ daemon, ca, stateDir } = await startDaemon({ traefikDynamic: dir, workers: 1 }));
    await untilWorkerReady(stateDir);
    await until('the file router is routed', () => daemon.table.get(host));
  });
  after(async () => {
    await daemon?.close();
    await backend?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = (headers: Record<string, string>) =>
    new Promise<{ status?: number; hello?: string }>((resolve) => {
      const ws = wssTo(daemon.httpsPort, host, ca, '/live/socket', headers);
      ws.once('message', (m) => {
        resolve({ hello: String(m) });
        ws.close();
      });
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode });
        res.resume();
      });
      ws.once('error', () => undefined);
    });

  it('without credentials: 401 and no upgrade; with them: the backend answers on the stripped path', async () => {
    // Several tries: connections alternate between the daemon and its worker.
    for (let i = 0; i < 4; i++) assert.deepEqual(await open({}), { status: 401 });
    const auth = { authorization: `Basic ${Buffer.from('u:pw').toString('base64')}` };
    for (let i = 0; i < 4; i++) assert.deepEqual(await open(auth), { hello: `hello ${host}:${daemon.httpsPort}` });
    const seen = await httpsGet({ host, port: daemon.httpsPort, ca, path: '/live/x', headers: auth });
    assert.equal(JSON.parse(seen.body).url, '/x');
  });
});
