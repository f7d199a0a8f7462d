import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { DaemonStatus } from '../../proxy-core/src/control/apiTypes';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startDaemon } from '../support/daemon';
import { httpsGet } from '../support/https';
import { PrivateDockerd, privateDockerdMissing } from '../support/privateDockerd';
import { IMAGE } from './engine';
import { until } from '../support/wait';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The shared engine's bridge, by interface index: it must be the same one after this test. */
function docker0(): string | undefined {
  const r = spawnSync('ip', ['-o', 'link', 'show', 'docker0'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(':')[0] : undefined;
}

const cannot = privateDockerdMissing();

describe(
  'engine restart under a running daemon (a real dockerd restart: a private engine this test starts itself)',
  { skip: cannot },
  () => {
    // A second, private dockerd that this test starts, restarts and stops itself, in a network
    // namespace of its own (test/support/privateDockerd.ts): the shared engine other tests use is
    // never touched. Its container uses the engine's host network, the namespace's, forwarded to
    // the host's loopback for the daemon.
    const engine = new PrivateDockerd();
    let daemon: Daemon;
    let ca: string;
    const bridgeBefore = docker0();

    before(async () => {
      await engine.start();
      engine.copyImage(IMAGE);
    });
    after(async () => {
      await daemon?.close();
      await engine.remove();
      assert.equal(docker0(), bridgeBefore, "the shared engine's docker0 bridge is untouched");
    });

    it('reports the engine gone, reconnects when it is back, and the restarted container serves again', async () => {
      const port = await freePort();
      const host = 'engine-restart.localhost';
      const c = await engine.docker.createContainer({
        name: 'chs-restart-web',
        Image: IMAGE,
        Cmd: ['/bin/sh', '-c', `exec httpd -f -p 127.0.0.1:${port} -h /www`],
        Labels: { 'container-https.host': host, 'container-https.port': String(port) },
        StopTimeout: 1,
        HostConfig: { NetworkMode: 'host', RestartPolicy: { Name: 'always' } },
      });
      await c.start();
      await engine.forward(port);

      ({ daemon, ca } = await startDaemon({ docker: { labels: true, host: `unix://${engine.socket}` } }));
      const statuses: DaemonStatus['docker'][] = [];
      daemon.docker!.on('status', () => statuses.push(daemon.docker!.status()));
      const https = daemon.httpsPort;
      await until(
        'label route serves through the private engine',
        async () => (await httpsGet({ host, port: https, ca })).status === 200,
      );
      assert.match(
        daemon.routes.view().routes.find((r) => r.host === host)!.detail!,
        new RegExp(`uses the host network: 127\\.0\\.0\\.1:${port}`),
      );

      await engine.stop();
      const down = await until('disconnected status', () => statuses.find((s) => !s.connected));
      assert.match(down.error!, /closed the events stream|is not reachable/);

      await engine.start();
      await until('reconnected', () => daemon.status().docker.connected, 30_000);
      await until(
        'the container restarted by the engine serves again',
        async () => (await httpsGet({ host, port: https, ca })).status === 200,
        30_000,
      );
      assert.equal(daemon.docker!.containers().containers.find((x) => x.name === 'chs-restart-web')?.state, 'running');
      await c.remove({ force: true });
    });
  },
);
