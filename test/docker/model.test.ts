import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawContainer, modelContainer } from '../../proxy-core/src/docker/containerModel';
import { AddressMode, ResolverContext, resolveContainer } from '../../proxy-core/src/docker/containerResolver';
import { DiscoveryOptions, DockerDiscovery } from '../../proxy-core/src/docker/discovery';
import { deriveLabelRoutes } from '../../proxy-core/src/docker/labelSource';

// Raw entries shaped like GET /containers/json from Engine 20.10 (what the engine here returns).
const raw = (over: Partial<RawContainer> = {}): RawContainer => ({
  Id: 'b6d29413324b0aeac13aa3b4d7c76af5232f192b0c27b1b9a9793248699563d6',
  Names: ['/web'],
  Image: 'shop/web:dev',
  Created: 1_700_000_000,
  State: 'running',
  Status: 'Up 3 minutes (healthy)',
  Ports: [
    { IP: '0.0.0.0', PrivatePort: 8000, PublicPort: 32768, Type: 'tcp' },
    { IP: '::', PrivatePort: 8000, PublicPort: 32768, Type: 'tcp' },
    { PrivatePort: 9000, Type: 'tcp' },
    { PrivatePort: 53, Type: 'udp' },
  ],
  Labels: {
    'com.docker.compose.project': 'shop',
    'com.docker.compose.service': 'web',
    'com.docker.compose.project.working_dir': '/src/shop',
  },
  HostConfig: { NetworkMode: 'shop_default' },
  NetworkSettings: { Networks: { shop_default: { IPAddress: '172.18.0.3', GlobalIPv6Address: '' } } },
  ...over,
});

function ctx(containers: RawContainer[], over: Partial<ResolverContext> = {}): ResolverContext {
  const modeled = containers.map(modelContainer);
  return {
    find: (n) => modeled.find((c) => c.info.name === n),
    driverOf: (n) => ({ shop_default: 'bridge', bridge: 'bridge', lan: 'macvlan' })[n],
    publishedHost: '127.0.0.1',
    ipsUnreachable: false,
    preferredNetwork: () => undefined,
    connected: true,
    endpoint: 'unix:///var/run/docker.sock',
    ...over,
  };
}

const resolve = (c: ResolverContext, mode: AddressMode, name: string, port?: number) =>
  resolveContainer(c, mode, name, port);

describe('container model', () => {
  it('turns a list entry into what the editor shows', () => {
    const { info, networkMode } = modelContainer(raw());
    assert.deepEqual(info, {
      id: raw().Id,
      name: 'web',
      image: 'shop/web:dev',
      state: 'running',
      health: 'healthy',
      status: 'Up 3 minutes (healthy)',
      compose: { project: 'shop', service: 'web', workingDir: '/src/shop' },
      networks: [{ name: 'shop_default', ip: '172.18.0.3' }],
      // one entry for the v4+v6 publication of 8000, the exposed 9000, the udp port
      ports: [
        { containerPort: 53, protocol: 'udp' },
        { containerPort: 8000, protocol: 'tcp', hostPort: 32768, hostIp: '0.0.0.0' },
        { containerPort: 9000, protocol: 'tcp' },
      ],
      labels: raw().Labels,
    });
    assert.equal(networkMode, 'shop_default');
  });

  it('reads health from the status text and ignores link aliases in names', () => {
    assert.equal(modelContainer(raw({ Status: 'Up 2 seconds (health: starting)' })).info.health, 'starting');
    assert.equal(modelContainer(raw({ Status: 'Up 1 minute (unhealthy)' })).info.health, 'unhealthy');
    assert.equal(modelContainer(raw({ Status: 'Exited (0) 1 second ago', State: 'exited' })).info.health, undefined);
    assert.equal(modelContainer(raw({ Names: ['/other/alias', '/db'] })).info.name, 'db');
  });
});

describe('container resolver (address choice)', () => {
  it('ip mode: the IP on a bridge network, and it says which one', () => {
    const r = resolve(ctx([raw()]), 'ip', 'web', 8000);
    assert.equal(r.kind, 'upstream');
    if (r.kind !== 'upstream') return;
    assert.equal(r.upstream.href, 'http://172.18.0.3:8000');
    assert.match(r.via!, /172\.18\.0\.3:8000 on network shop_default/);
  });

  it('published mode: the published host port on loopback', () => {
    const r = resolve(ctx([raw()]), 'published', 'web', 8000);
    assert.equal(r.kind === 'upstream' && r.upstream.href, 'http://127.0.0.1:32768');
  });

  it('auto: published where IPs are unreachable (Docker Desktop), IP otherwise, falling back per container', () => {
    const desktop = ctx([raw()], { ipsUnreachable: true, ipsUnreachableWhy: 'Docker Desktop runs containers in a VM' });
    assert.equal(
      (resolve(desktop, 'auto', 'web', 8000) as { upstream: { href: string } }).upstream.href,
      'http://127.0.0.1:32768',
    );
    const notPublished = resolve(desktop, 'auto', 'web', 9000);
    assert.equal(notPublished.kind, 'unavailable');
    assert.match(
      (notPublished as { detail: string }).detail,
      /Port 9000 of container "web" is not published \(Docker Desktop runs containers in a VM/,
    );
    // Linux, container only on a macvlan network but published: auto falls back to the published port.
    const onLan = raw({ NetworkSettings: { Networks: { lan: { IPAddress: '192.168.1.50' } } } });
    assert.equal(
      (resolve(ctx([onLan]), 'auto', 'web', 8000) as { upstream: { href: string } }).upstream.href,
      'http://127.0.0.1:32768',
    );
    // ip mode does not fall back: it explains instead.
    assert.match(
      (resolve(ctx([onLan]), 'ip', 'web', 8000) as { detail: string }).detail,
      /only on networks the host cannot reach \(lan: macvlan\)/,
    );
  });

  it('prefers the network the labels name, with or without the compose project prefix', () => {
    const two = raw({
      NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.5' }, shop_backend: { IPAddress: '172.20.0.5' } } },
    });
    const c = ctx([two], { preferredNetwork: () => 'backend' });
    assert.equal(
      (resolve(c, 'ip', 'web', 8000) as { upstream: { href: string } }).upstream.href,
      'http://172.20.0.5:8000',
    );
    assert.equal(
      (resolve(ctx([two]), 'ip', 'web', 8000) as { upstream: { href: string } }).upstream.href,
      'http://172.17.0.5:8000',
    );
  });

  it('host network: loopback and the container port', () => {
    const host = raw({ HostConfig: { NetworkMode: 'host' }, NetworkSettings: { Networks: { host: {} } } });
    assert.equal(
      (resolve(ctx([host]), 'ip', 'web', 8000) as { upstream: { href: string } }).upstream.href,
      'http://127.0.0.1:8000',
    );
  });

  it('stopped, missing, ambiguous port: a 503 that names the container and what to do', () => {
    const stopped = resolve(ctx([raw({ State: 'exited', Status: 'Exited (137) 5 seconds ago' })]), 'ip', 'web', 8000);
    assert.deepEqual(stopped, {
      kind: 'unavailable',
      status: 503,
      title: 'Container web is exited',
      detail:
        'Container "web" (shop/web:dev) is exited — Exited (137) 5 seconds ago. Start it (docker start web); this route serves again as soon as it runs.',
    });
    assert.match((resolve(ctx([]), 'ip', 'nope', 1) as { detail: string }).detail, /No container named "nope"/);
    assert.match(
      (
        resolve(
          ctx([], { connected: false, error: 'Docker engine at unix:///x (DOCKER_HOST) refused the connection.' }),
          'ip',
          'web',
          1,
        ) as { detail: string }
      ).detail,
      /refused the connection/,
    );
    const ambiguous = resolve(ctx([raw()]), 'ip', 'web', undefined);
    assert.match(
      (ambiguous as { detail: string }).detail,
      /exposes 2 ports \(8000, 9000\): give one in the target, e.g. container:web:8000/,
    );
    const single = resolve(ctx([raw({ Ports: [{ PrivatePort: 5000, Type: 'tcp' }] })]), 'ip', 'web', undefined);
    assert.equal(single.kind === 'upstream' && single.upstream.port, 5000);
  });
});

describe('label source', () => {
  const permits = (h: string) => h.endsWith('.localhost') || h === 'localhost';
  it('routes labelled containers; holds hosts outside the CA names; older containers keep a contested host', () => {
    const a = raw({
      Id: 'a'.repeat(64),
      Names: ['/a'],
      Created: 1,
      Labels: {
        'container-https.host': 'app.localhost',
        'traefik.enable': 'true',
        'traefik.http.routers.r.rule': 'Host(`shop.example.com`)',
      },
    });
    const b = raw({
      Id: 'b'.repeat(64),
      Names: ['/b'],
      Created: 2,
      Labels: { 'container-https.host': 'app.localhost', 'container-https.port': '9000' },
    });
    const out = deriveLabelRoutes([b, a].map(modelContainer), undefined, {
      permits,
      suffixes: ['localhost'],
      publicHosts: 'off',
    });
    assert.deepEqual(
      out.records.map((r) => [r.host, r.target, r.tls, r.source, r.container]),
      [['app.localhost', 'container:a', 'local', 'label', 'a']],
    );
    assert.deepEqual(
      out.held.map((h) => h.record.host),
      ['shop.example.com'],
    );
    assert.match(
      out.held[0].detail,
      /outside the local CA's names \(localhost\), so it is not served. Serve it as shop\.example\.com\.localhost \(serve --public-hosts alias, the default\), ask Let's Encrypt/,
    );
    assert.deepEqual(out.problems.get('b'), [
      'app.localhost (container-https.host) is already routed to container a: not routed here.',
    ]);
  });

  it('a router for a production name is served as NAME.localhost (alias), via ACME (acme), or held (off)', () => {
    const c = modelContainer(
      raw({ Labels: { 'traefik.enable': 'true', 'traefik.http.routers.shop.rule': 'Host(`shop.example.com`)' } }),
    );
    const derive = (publicHosts: 'alias' | 'acme' | 'off') =>
      deriveLabelRoutes([c], undefined, { permits, suffixes: ['localhost'], publicHosts });
    const alias = derive('alias');
    assert.deepEqual(
      alias.records.map((r) => [r.host, r.publicHost, r.tls, r.rule]),
      [['shop.example.com.localhost', 'shop.example.com', 'local', 'Host(`shop.example.com`)']],
    );
    assert.deepEqual(
      derive('acme').records.map((r) => [r.host, r.publicHost, r.tls]),
      [['shop.example.com', undefined, 'acme']],
    );
    const off = derive('off');
    assert.deepEqual(off.records, []);
    assert.deepEqual(
      off.held.map((h) => h.record.host),
      ['shop.example.com'],
    );
  });

  it('container-https.tls=acme routes a public name with ACME', () => {
    const c = raw({ Labels: { 'container-https.host': 'shop.example.com', 'container-https.tls': 'acme' } });
    const out = deriveLabelRoutes([modelContainer(c)], undefined, {
      permits,
      suffixes: ['localhost'],
      publicHosts: 'alias',
    });
    assert.deepEqual(
      out.records.map((r) => [r.host, r.tls]),
      [['shop.example.com', 'acme']],
    );
    assert.equal(out.held.length, 0);
  });
});

describe('hot path: labels are read when the model changes, never per request', () => {
  /** Labels that count every read of a key or of the key list. */
  function countingLabels(labels: Record<string, string>): { labels: Record<string, string>; reads: () => number } {
    let reads = 0;
    const proxy = new Proxy(labels, {
      get: (t, k) => (reads++, Reflect.get(t, k)),
      ownKeys: (t) => (reads++, Reflect.ownKeys(t)),
    });
    return { labels: proxy, reads: () => reads };
  }

  it('the discovery resolver and the label source read no label after the container is modeled', () => {
    const counted = countingLabels({
      'com.docker.compose.project': 'shop',
      'container-https.host': 'web.localhost',
      'traefik.docker.network': 'backend',
    });
    const c = modelContainer(
      raw({
        Labels: counted.labels,
        NetworkSettings: {
          Networks: { bridge: { IPAddress: '172.17.0.5' }, shop_backend: { IPAddress: '172.20.0.5' } },
        },
      }),
    );
    assert.ok(counted.reads() > 0, 'modeling parses the labels');
    const before = counted.reads();

    // Not started: no engine is contacted; the model is put in place as an engine event would.
    const discovery = new DockerDiscovery({
      host: 'unix:///nonexistent/docker.sock',
      addressMode: 'ip',
      labels: true,
      log: () => {},
    } as unknown as DiscoveryOptions);
    (discovery as unknown as { byName: Map<string, typeof c> }).byName = new Map([['web', c]]);
    for (let i = 0; i < 100; i++) {
      const r = discovery.resolver('web', 8000);
      assert.equal(r.kind === 'upstream' && r.upstream.href, 'http://172.20.0.5:8000');
    }
    const out = deriveLabelRoutes([c], undefined, {
      permits: () => true,
      suffixes: ['localhost'],
      publicHosts: 'alias',
    });
    assert.deepEqual(
      out.records.map((r) => r.host),
      ['web.localhost'],
    );
    assert.equal(counted.reads(), before, 'labels read after modeling');
  });
});
