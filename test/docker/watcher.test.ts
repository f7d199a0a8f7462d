import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveDockerEndpoint } from '../../proxy-core/src/docker/dockerEndpoint';
import { DockerWatcher } from '../../proxy-core/src/docker/dockerWatcher';
import { serviceMissing } from '../support/env';
import { DEFAULT_NETWORK, ENGINE_IMAGE, ENGINE_KIND, ENGINE_SOURCE, ENGINE_URL, Scratch } from './engine';
import { until } from '../support/wait';

const skip = serviceMissing('docker');

describe('Docker watcher on the real engine: one list, then events', { skip }, () => {
  const scratch = new Scratch();
  let watcher: DockerWatcher;
  const logs: string[] = [];
  let lists = 0;

  before(async () => {
    watcher = new DockerWatcher({ endpoint: resolveDockerEndpoint(), log: (l) => logs.push(l) });
    await watcher.start();
    assert.equal(watcher.status.connected, true, watcher.status.error);
  });
  after(async () => {
    await watcher?.close();
    await scratch.remove();
  });

  const byName = (name: string) => watcher.list().find((c) => c.info.name === name)?.info;

  it('negotiated the API version with the engine that is really here', () => {
    assert.match(watcher.facts!.apiVersion, /^1\.\d+$/);
    assert.equal(watcher.facts!.ipsUnreachable, false, 'a local Linux engine: container IPs are reachable');
    assert.ok(
      logs.some((l) => l.startsWith(`docker: connected to ${ENGINE_URL} (${ENGINE_SOURCE}), API 1.`)),
      logs.join('\n'),
    );
  });

  it('sees create, start, stop, rename and destroy from the events stream (no polling)', async () => {
    watcher.on('changed', () => lists++);
    const c = await scratch.container('life', { start: false });
    const name = scratch.name('life');
    await until('created container in the model', () => byName(name)?.state === 'created');
    await c.start();
    const running = await until('start event', () => (byName(name)?.state === 'running' ? byName(name) : undefined));
    assert.equal(running.image, ENGINE_IMAGE);
    assert.match(running.networks.find((n) => n.name === DEFAULT_NETWORK)?.ip ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.deepEqual(running.ports, [{ containerPort: 8000, protocol: 'tcp' }]);
    await c.stop({ t: 0 });
    await until('die/stop event', () => byName(name)?.state === 'exited');
    await c.rename({ name: `${name}-renamed` });
    await until('rename event', () => byName(`${name}-renamed`) && !byName(name));
    await c.remove({ force: true });
    await until('destroy event', () => !watcher.list().some((m) => m.info.id === c.id));
    assert.ok(lists >= 5, 'each change arrived as an event-driven re-read');
  });

  it('groups compose-style containers by project and service', async () => {
    const labels = (service: string) => ({
      'com.docker.compose.project': scratch.prefix,
      'com.docker.compose.service': service,
      'com.docker.compose.project.working_dir': '/src/demo',
    });
    await scratch.container('web-1', { labels: labels('web') });
    await scratch.container('db-1', { labels: labels('db'), start: false });
    const group = await until('both compose containers', () => {
      const g = watcher.list().filter((c) => c.info.compose?.project === scratch.prefix);
      return g.length === 2 ? g : undefined;
    });
    assert.deepEqual(group.map((c) => [c.info.compose!.service, c.info.compose!.workingDir, c.info.state]).sort(), [
      ['db', '/src/demo', 'created'],
      ['web', '/src/demo', 'running'],
    ]);
  });

  it('follows network connect/disconnect and health_status', async (t) => {
    const net = await scratch.network('net');
    const c = await scratch.container('netted', { healthcheck: true });
    const name = scratch.name('netted');
    await until('running', () => byName(name)?.state === 'running');
    await scratch.docker
      .getNetwork(net.name)
      .connect({ Container: c.id, EndpointConfig: { IPAMConfig: { IPv4Address: net.ip(77) } } });
    await until('connect event', () => byName(name)?.networks.find((n) => n.name === net.name)?.ip === net.ip(77));
    await scratch.docker.getNetwork(net.name).disconnect({ Container: c.id });
    await until('disconnect event', () => !byName(name)?.networks.some((n) => n.name === net.name));
    // Podman runs health checks from systemd timers; without systemd (as here) they never run.
    if (ENGINE_KIND === 'podman')
      t.diagnostic('health_status not checked: Podman without systemd runs no health checks');
    else await until('health_status event', () => byName(name)?.health === 'healthy', 30_000);
  });
});
