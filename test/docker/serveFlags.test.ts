import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import type { ContainersResponse } from '../../proxy-core/src/control/apiTypes';
import { cli, spawnServe } from '../support/daemon';
import { serviceMissing, tempDir } from '../support/env';
import { CuttableEngineSocket } from './engine';

const skip = serviceMissing('docker');

/** `container-https serve` as a user runs it: which engine it watches and what it says when it cannot. */
describe('serve: Docker endpoint flags and environment', { skip }, () => {
  const stops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('DOCKER_HOST in the environment is used and shown', async () => {
    const sock = new CuttableEngineSocket();
    await sock.up();
    stops.push(() => sock.close());
    // spawnServe passes this process's environment to the child.
    process.env.DOCKER_HOST = `unix://${sock.path}`;
    let serve;
    try {
      serve = await spawnServe(['--https-port', '0', '--no-http']);
    } finally {
      delete process.env.DOCKER_HOST;
    }
    stops.push(serve.stop);
    assert.equal(serve.status.docker.connected, true, serve.output());
    assert.equal(serve.status.docker.endpoint, `unix://${sock.path}`);
    assert.equal(serve.status.docker.endpointSource, 'DOCKER_HOST');
    assert.match(serve.status.docker.apiVersion ?? '', /^1\.\d+$/);
    assert.match(serve.output(), new RegExp(`docker: connected to unix://${sock.path} \\(DOCKER_HOST\\)`));
  });

  it('an unreachable --docker-host is named with the reason, and container targets fail with it', async () => {
    const missing = `${tempDir()}/no-such-docker.sock`;
    const serve = await spawnServe(['--https-port', '0', '--no-http', '--docker-host', `unix://${missing}`]);
    stops.push(serve.stop);
    const expected = `Docker engine at unix://${missing} (--docker-host) is not reachable: the socket does not exist. Is Docker running? Otherwise set DOCKER_HOST or --docker-host.`;
    assert.equal(serve.status.docker.connected, false);
    assert.equal(serve.status.docker.error, expected);
    const containers = await new ControlClient(serve.stateDir).request<ContainersResponse>('GET', '/v1/containers');
    assert.deepEqual(containers, { connected: false, endpoint: `unix://${missing}`, error: expected, containers: [] });
    const r = cli(['expose', 'web.localhost', 'container:web', '--state-dir', serve.stateDir]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /Cannot check container "web": Docker engine at unix:\/\/.*no-such-docker\.sock \(--docker-host\) is not reachable/,
    );
  });

  it('--docker-address must be auto, ip or published', () => {
    const r = cli(['serve', '--state-dir', tempDir(), '--https-port', '0', '--docker-address', 'nat']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--docker-address must be auto, ip or published, not "nat"\./);
  });
});
