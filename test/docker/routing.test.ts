import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainersResponse, DaemonStatus, RoutesResponse } from '../../proxy-core/src/control/apiTypes';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { cliAsync, startDaemon } from '../support/daemon';
import { serviceMissing } from '../support/env';
import { httpsGet } from '../support/https';
import { DEFAULT_NETWORK, ENGINE_URL, Scratch } from './engine';
import { until } from '../support/wait';

const skip = serviceMissing('docker');

/** busybox httpd answering on 8000 and 9000 with different bodies. */
const TWO_PORTS = [
  '/bin/sh',
  '-c',
  'mkdir -p /w9 && echo nine > /w9/index.html && httpd -p 9000 -h /w9 && exec httpd -f -p 8000 -h /www',
];

describe('container targets through the HTTPS proxy (real engine, TLS verified against our CA)', { skip }, () => {
  const scratch = new Scratch();
  let daemon: Daemon;
  let stateDir: string;
  let ca: string;
  let port: number;
  const get = (host: string) => httpsGet({ host, port, ca });
  const route = (host: string) => daemon.routes.view().routes.find((r) => r.host === host);

  before(async () => {
    ({ daemon, stateDir, ca } = await startDaemon({ docker: { labels: true } }));
    port = daemon.httpsPort;
    assert.equal(daemon.status().docker.connected, true, daemon.status().docker.error);
  });
  after(async () => {
    await daemon?.close();
    await scratch.remove();
  });

  it('expose HOST container:NAME picks the single exposed port and serves over HTTPS', async () => {
    await scratch.container('single');
    const name = scratch.name('single');
    const view = await daemon.routes.expose('single.localhost', { target: `container:${name}` });
    assert.equal(view.target, `container:${name}:8000`);
    const res = await until('the container answers through the proxy', async () => {
      const r = await get('single.localhost');
      return r.status === 200 ? r : undefined;
    });
    assert.match(res.body, /hello/);
    assert.match(res.peerCertificate?.subjectaltname ?? '', /DNS:single\.localhost/);
    const r = route('single.localhost')!;
    assert.equal(r.status, 'ready');
    assert.match(r.upstream!, /^http:\/\/\d+\.\d+\.\d+\.\d+:8000$/);
    assert.match(r.detail!, new RegExp(`on network ${DEFAULT_NETWORK}`), 'the route says which address was used');
  });

  it('several ports: the CLI error lists them; a given port is used', async () => {
    await scratch.container('two', { cmd: TWO_PORTS, ports: [8000, 9000] });
    const name = scratch.name('two');
    // The daemon runs in this process: the CLI must run asynchronously or it would wait on us.
    const r = await cliAsync(['expose', 'two.localhost', `container:${name}`, '--state-dir', stateDir]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      new RegExp(
        `Container "${name}" exposes 2 ports \\(8000, 9000\\): give one in the target, e.g. container:${name}:8000`,
      ),
    );
    await daemon.routes.expose('two.localhost', { target: `container:${name}:9000` });
    const res = await until('port 9000 answers', async () => {
      const x = await get('two.localhost');
      return x.status === 200 ? x : undefined;
    });
    assert.equal(res.body.trim(), 'nine');
    await assert.rejects(
      daemon.routes.expose('nope.localhost', { target: `container:${scratch.name('does-not-exist')}` }),
      /No container named "chs-t[0-9a-f]+-does-not-exist"/,
    );
  });

  it('a stopped container answers 503 naming it and its state, and serves again on start', async () => {
    const c = await scratch.container('stopper');
    const name = scratch.name('stopper');
    await daemon.routes.expose('stopper.localhost', { target: `container:${name}` });
    await until('serving', async () => (await get('stopper.localhost')).status === 200);
    await c.stop({ t: 0 });
    // Wait for the event to reach the model first: a request racing it would go to an address
    // that no longer exists and wait for the backend timeout.
    await until(
      'the stop event',
      () => daemon.docker?.containers().containers.find((i) => i.name === name)?.state === 'exited',
    );
    let last = '';
    const page = await until('503 after stop', async () => {
      const x = await get('stopper.localhost');
      last = `model: ${JSON.stringify(daemon.docker?.containers().containers.find((i) => i.name === name)?.state)} ${x.status} ${x.body
        .replace(/<style[^]*<\/style>/, '')
        .replace(/<[^>]+>/g, ' ')
        .slice(0, 500)}`;
      return x.status === 503 ? x : undefined;
    }).catch((err) => {
      throw new Error(`${err.message}; last answer ${last}`);
    });
    assert.match(page.body, new RegExp(`Container ${name} is exited`));
    assert.match(page.body, new RegExp(`docker start ${name}`));
    assert.equal(page.headers['retry-after'], '3');
    assert.equal(route('stopper.localhost')!.status, 'unavailable');
    await c.start();
    await until('200 after start', async () => (await get('stopper.localhost')).status === 200);
  });

  it('a container restarted with a new IP keeps working (network disconnect/connect while stopped)', async () => {
    const net = await scratch.network('ipnet');
    const c = await scratch.container('mover', { network: net.name, ip: net.ip(10) });
    const name = scratch.name('mover');
    await daemon.routes.expose('mover.localhost', { target: `container:${name}` });
    await until(
      'serving on the first IP',
      async () =>
        (await get('mover.localhost')).status === 200 &&
        route('mover.localhost')?.upstream === `http://${net.ip(10)}:8000`,
    );
    await c.stop({ t: 0 });
    const network = scratch.docker.getNetwork(net.name);
    await network.disconnect({ Container: c.id });
    await network.connect({ Container: c.id, EndpointConfig: { IPAMConfig: { IPv4Address: net.ip(20) } } });
    await c.start();
    await until(
      'serving on the new IP',
      async () =>
        (await get('mover.localhost')).status === 200 &&
        route('mover.localhost')?.upstream === `http://${net.ip(20)}:8000`,
    );
  });

  it('routes every label form automatically, with certificates issued when they appear', async () => {
    const forms: Array<[string, Record<string, string>, string]> = [
      [
        'own',
        { 'container-https.host': `own-${scratch.prefix}.localhost`, 'container-https.port': '8000' },
        `own-${scratch.prefix}.localhost`,
      ],
      [
        'v1',
        {
          'traefik.enable': 'true',
          'traefik.frontend.rule': `Host:v1-${scratch.prefix}.localhost`,
          'traefik.port': '8000',
          'traefik.backend': 'web',
        },
        `v1-${scratch.prefix}.localhost`,
      ],
      [
        'v1seg',
        {
          'traefik.enable': 'true',
          'traefik.api.frontend.rule': `Host:seg-${scratch.prefix}.localhost`,
          'traefik.api.port': '9000',
        },
        `seg-${scratch.prefix}.localhost`,
      ],
      [
        'v2',
        {
          'traefik.enable': 'true',
          'traefik.http.routers.web.rule': `Host(\`v2-${scratch.prefix}.localhost\`) || Host(\`v2b-${scratch.prefix}.test\`)`,
          'traefik.http.routers.web.entrypoints': 'websecure',
          'traefik.http.routers.web.tls': 'true',
          'traefik.http.services.web.loadbalancer.server.port': '9000',
        },
        `v2-${scratch.prefix}.localhost`,
      ],
    ];
    for (const [suffix, labels] of forms)
      await scratch.container(`lbl-${suffix}`, { labels, cmd: TWO_PORTS, ports: [8000, 9000] });
    const expectBody: Record<string, string> = { own: 'hello', v1: 'hello', v1seg: 'nine', v2: 'nine' };
    for (const [suffix, , host] of forms) {
      const res = await until(`${host} served from labels`, async () => {
        const x = await get(host);
        return x.status === 200 ? x : undefined;
      });
      assert.match(res.body, new RegExp(expectBody[suffix]), host);
      const r = route(host)!;
      assert.equal(r.source, 'label');
      assert.equal(r.container, scratch.name(`lbl-${suffix}`));
    }
    // The second host of the v2 rule, under another permitted suffix.
    await until('the || host', async () => (await get(`v2b-${scratch.prefix}.test`)).status === 200);
    // Removing the container removes its routes.
    await scratch.docker.getContainer(scratch.name('lbl-own')).remove({ force: true });
    await until('label route gone', () => !route(`own-${scratch.prefix}.localhost`));
    assert.equal((await get(`own-${scratch.prefix}.localhost`)).status, 404);
  });

  it('serves a production name as NAME.localhost, routes path rules, and reports what it cannot serve', async () => {
    const host = `shop-${scratch.prefix}.example.com`;
    const api = `api-${scratch.prefix}.localhost`;
    await scratch.container('pub', {
      labels: {
        'traefik.enable': 'true',
        'traefik.http.routers.shop.rule': `Host(\`${host}\`)`,
        'traefik.http.routers.shop.tls.certresolver': 'le',
        'traefik.http.routers.api.rule': `Host(\`${api}\`) && PathPrefix(\`/api\`)`,
        'traefik.http.routers.api.middlewares': 'strip',
        'traefik.http.middlewares.strip.stripprefix.prefixes': '/api',
        'traefik.http.routers.auth.rule': `Host(\`auth-${scratch.prefix}.localhost\`)`,
        'traefik.http.routers.auth.middlewares': 'sso',
        'traefik.http.middlewares.sso.forwardauth.address': 'http://sso:4181',
      },
    });
    const alias = `${host}.localhost`;
    const served = await until('production name served as its .localhost alias', async () => {
      const r = await get(alias).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    });
    assert.match(served.body, /hello/);
    assert.match(served.peerCertificate?.subjectaltname ?? '', new RegExp(`DNS:${alias.replace(/\./g, '\\.')}`));
    const view = route(alias)!;
    assert.equal(view.publicHost, host, 'the route row shows both names');
    assert.equal(daemon.table.get(host), undefined, 'the public name itself is not routed here');

    // /api/index.html is stripped to /index.html; / of that host matches no router: our 404.
    const stripped = await httpsGet({ host: api, port, ca, path: '/api/index.html' });
    assert.equal(stripped.status, 200);
    assert.match(stripped.body, /hello/);
    const outside = await httpsGet({ host: api, port, ca, path: '/' });
    assert.equal(outside.status, 404);
    assert.match(outside.body, /No route/i);

    // A router with a middleware we do not implement is not served, and says so.
    const containers = await new ControlClient(stateDir).request<ContainersResponse>('GET', '/v1/containers');
    const info = containers.containers.find((c) => c.name === scratch.name('pub'))!;
    assert.ok(
      info.problems?.some((p) => /router auth@docker: middleware sso@docker is of type forwardAuth/.test(p)),
      JSON.stringify(info.problems),
    );
    assert.equal(daemon.table.get(`auth-${scratch.prefix}.localhost`), undefined);
    const status = await new ControlClient(stateDir).request<DaemonStatus>('GET', '/v1/status');
    assert.ok(
      status.problems.some((p) => p.includes(scratch.name('pub')) && /forwardAuth/.test(p)),
      status.problems.join('\n'),
    );
  });

  it('GET /v1/containers and the SSE containers event follow the engine', async () => {
    const client = new ControlClient(stateDir);
    const list = await client.request<ContainersResponse>('GET', '/v1/containers');
    assert.equal(list.connected, true);
    assert.equal(list.endpoint, ENGINE_URL);
    assert.ok(list.containers.some((c) => c.name === scratch.name('single')));
    const seen: ContainersResponse[] = [];
    const routes: RoutesResponse[] = [];
    const stop = client.subscribe((event, data) => {
      if (event === 'containers') seen.push(data as ContainersResponse);
      if (event === 'routes') routes.push(data as RoutesResponse);
    });
    try {
      await until('initial containers event', () => seen.length > 0);
      await scratch.container('sse', { labels: { 'container-https.host': `sse-${scratch.prefix}.localhost` } });
      await until('containers event with the new container running', () =>
        seen.some((s) => s.containers.some((c) => c.name === scratch.name('sse') && c.state === 'running')),
      );
      await until('routes event with its label route', () =>
        routes.some((r) => r.routes.some((x) => x.host === `sse-${scratch.prefix}.localhost`)),
      );
    } finally {
      stop();
    }
  });
});

describe('published-port addressing (--docker-address published)', { skip }, () => {
  const scratch = new Scratch();
  let daemon: Daemon;
  let ca: string;

  before(async () => {
    ({ daemon, ca } = await startDaemon({ docker: { labels: true, address: 'published' } }));
  });
  after(async () => {
    await daemon?.close();
    await scratch.remove();
  });

  it('routes through the published host port, and explains an unpublished one', async () => {
    await scratch.container('pub', { publish: [8000] });
    await scratch.container('unpub');
    await daemon.routes.expose('pub.localhost', { target: `container:${scratch.name('pub')}` });
    await daemon.routes.expose('unpub.localhost', { target: `container:${scratch.name('unpub')}` });
    const port = daemon.httpsPort;
    await until(
      'published route serves',
      async () => (await httpsGet({ host: 'pub.localhost', port, ca })).status === 200,
    );
    const view = daemon.routes.view().routes.find((r) => r.host === 'pub.localhost')!;
    assert.match(view.upstream!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(view.detail!, /published port 127\.0\.0\.1:\d+ \(container port 8000\)/);
    const res = await httpsGet({ host: 'unpub.localhost', port, ca });
    assert.equal(res.status, 502);
    assert.match(res.body, /Port 8000 of container .* is not published/);
    assert.equal(daemon.status().docker.address, 'published');
  });
});
