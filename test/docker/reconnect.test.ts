import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DaemonStatus } from '../../proxy-core/src/control/apiTypes';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startDaemon } from '../support/daemon';
import { serviceMissing } from '../support/env';
import { httpsGet } from '../support/https';
import { CuttableEngineSocket, Scratch } from './engine';
import { until } from '../support/wait';

const skip = serviceMissing('docker');

// The engine other engineers' tests use is shared, so it is never restarted here. The daemon
// talks to it through a socket this test controls; cutting that socket is, from the daemon's
// side, the engine going away (events stream ends, connects fail) and coming back.
describe(
  "engine restart under a running daemon (simulated: the daemon's engine socket is cut and restored)",
  { skip },
  () => {
    const scratch = new Scratch();
    const sock = new CuttableEngineSocket();
    let daemon: Daemon;
    let ca: string;
    const statuses: DaemonStatus['docker'][] = [];

    before(async () => {
      await sock.up();
      ({ daemon, ca } = await startDaemon({ docker: { labels: true, host: `unix://${sock.path}` } }));
      daemon.docker!.on('status', () => statuses.push(daemon.docker!.status()));
    });
    after(async () => {
      await daemon?.close();
      await sock.close();
      await scratch.remove();
    });

    it('reports the drop, reconnects with backoff and resynchronises what changed meanwhile', async () => {
      const port = daemon.httpsPort;
      const host = `re-${scratch.prefix}.localhost`;
      const c = await scratch.container('re', { labels: { 'container-https.host': host } });
      await until('label route serves', async () => (await httpsGet({ host, port, ca })).status === 200);
      assert.equal(daemon.status().docker.endpoint, `unix://${sock.path}`);
      assert.equal(daemon.status().docker.endpointSource, '--docker-host');

      await sock.cut();
      const down = await until('disconnected status', () => statuses.find((s) => !s.connected));
      assert.match(
        down.error!,
        new RegExp(`Docker engine at unix://${sock.path} \\(--docker-host\\) closed the events stream`),
      );

      // While the daemon cannot see the engine, the container stops: no event can reach it.
      await c.stop({ t: 0 });
      // Reconnect attempts fail and say why, naming the endpoint.
      await until('a failed reconnect attempt', () =>
        /is not reachable: the socket does not exist/.test(daemon.status().docker.error ?? ''),
      );

      await sock.up();
      await until('reconnected', () => daemon.status().docker.connected);
      // The resync saw the stop that happened while the stream was down.
      const page = await until('503 for the container stopped while disconnected', async () => {
        const r = await httpsGet({ host, port, ca });
        return r.status === 503 ? r : undefined;
      });
      assert.match(page.body, /is exited/);
      // And the new events stream works: start is seen again.
      await c.start();
      await until('serves again after start', async () => (await httpsGet({ host, port, ca })).status === 200);
    });
  },
);
