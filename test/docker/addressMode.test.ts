import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startDaemon } from '../support/daemon';
import { serviceMissing } from '../support/env';
import { httpsGet } from '../support/https';
import { until } from '../support/wait';
import { ENGINE_SOCKET, Scratch } from './engine';

const skip = serviceMissing('docker');

/**
 * Where container IPs cannot be reached (rootless Docker, Docker Desktop, a remote engine),
 * --docker-address auto reaches containers through their published ports, automatic names too.
 * The real engine is made "remote" here: the daemon talks to it over tcp://127.0.0.1:PORT (a
 * forwarder onto its unix socket), which is what makes auto choose published ports. The other
 * cases of the decision (Desktop, rootless) are engine facts, unit-tested in endpoint.test.ts.
 */
describe('--docker-address auto where container IPs are unreachable (real engine over TCP)', { skip }, () => {
  const scratch = new Scratch();
  const project = scratch.prefix;
  let daemon: Daemon;
  let ca: string;
  let logs: string[];
  let server: net.Server;
  const sockets = new Set<net.Socket>();

  before(async () => {
    server = net.createServer((c) => {
      const u = net.connect(ENGINE_SOCKET);
      sockets.add(c).add(u);
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
      c.pipe(u).pipe(c);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    ({ daemon, ca, logs } = await startDaemon({
      docker: { labels: true, host: `tcp://127.0.0.1:${port}` },
      autoDomains: 'compose',
    }));
    assert.equal(daemon.status().docker.connected, true, daemon.status().docker.error);
  });
  after(async () => {
    await daemon?.close();
    await scratch.remove();
    for (const s of sockets) s.destroy();
    server?.close();
  });

  it('the status says published ports are in force, and why (and the log says it once)', () => {
    assert.equal(
      logs.filter((l) => l.includes('so container IPs are not reachable from here')).length,
      1,
      logs.join('\n'),
    );
    const d = daemon.status().docker;
    assert.equal(d.addressMode, 'auto');
    assert.equal(d.address, 'published');
    assert.match(
      d.addressWhy!,
      /^The engine is remote, so container IPs are not reachable from here: .*published host ports/,
    );
  });

  it('an automatic name answers over HTTPS through the published port; an unpublished container gets none, and why', async () => {
    const compose = (service: string) => ({
      'com.docker.compose.project': project,
      'com.docker.compose.service': service,
    });
    await scratch.container('pub', { publish: [8000], labels: compose('pub') });
    await scratch.container('unpub', { labels: compose('unpub') });
    const host = `pub.${project}.localhost`;
    const res = await until(`${host} answers over HTTPS`, async () => {
      const r = await httpsGet({ host, port: daemon.httpsPort, ca });
      return r.status === 200 ? r : undefined;
    });
    assert.match(res.body, /hello/);
    const view = await until('the route is ready', () =>
      daemon.routes.view().routes.find((r) => r.host === host && r.status === 'ready'),
    );
    assert.match(view.upstream!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(view.detail!, /published port 127\.0\.0\.1:\d+ \(container port 8000\)/);
    const unpub = await until('the unpublished container is listed', () =>
      daemon.docker!.containers().containers.find((c) => c.name === scratch.name('unpub')),
    );
    assert.equal(unpub.autoDomain?.host, undefined);
    assert.match(
      unpub.autoDomain!.reason!,
      /^No automatic name: the engine is remote, so containers are reached through published ports, and none of its TCP ports \(8000\) is published\. Publish one/,
    );
    assert.equal(
      daemon.routes.view().routes.find((r) => r.host === `unpub.${project}.localhost`),
      undefined,
    );
  });
});
