import * as assert from 'node:assert/strict';
import type { ContainerInfo, RouteView } from '../../proxy-core/src/control/apiTypes';
import {
  autoDomainMarkdown,
  inlineCode,
  problemsMarkdown,
  routeRow,
  routesOfContainer,
  routesOfPort,
} from '../../extension/treeModel';

// The Containers tree's rows as plain data (extension/treeModel.ts imports no vscode, so this
// file also runs under plain mocha: npx mocha out/test/extension/treeModel.test.js).

function container(name: string, ports: number[] = [8000, 8001], extra: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: `${name}-0123456789abcdef`,
    name,
    image: 'chs-test/busybox:1',
    state: 'running',
    status: 'Up 1 minute',
    networks: [],
    ports: ports.map((containerPort) => ({ containerPort, protocol: 'tcp' as const })),
    labels: {},
    ...extra,
  };
}

/** A label router as the daemon lists it (RouteView in proxy-core/src/routes/types.ts). */
function router(name: string, rule: string, url: string, target: string, extra: Partial<RouteView> = {}): RouteView {
  return {
    host: 'shop.localhost',
    target,
    tls: 'local',
    source: 'label',
    container: 'shop',
    router: `${name}@docker`,
    rule,
    createdAt: '2026-01-01T00:00:00.000Z',
    url,
    effectiveRule: rule,
    effectivePriority: rule.length,
    status: 'ready',
    ...extra,
  };
}

const web = router('web', 'Host(`shop.localhost`)', 'https://shop.localhost:8443/', 'container:shop:8000');
const api = router(
  'api',
  'Host(`shop.localhost`) && PathPrefix(`/api`)',
  'https://shop.localhost:8443/api',
  'container:shop:8001',
  {
    middlewares: [
      { name: 'strip-api@docker', type: 'stripPrefix', options: { prefixes: ['/api'] } },
      { name: 'auth@docker', type: 'basicAuth', options: { users: ['u:$2y$05$x'] } },
    ],
  },
);

describe('Containers tree model (routers under containers)', function () {
  it('lists every router of a container, / before /api, and only its own', function () {
    const other = router('other', 'Host(`other.localhost`)', 'https://other.localhost:8443/', 'container:other:80', {
      host: 'other.localhost',
      container: 'other',
    });
    const routes = routesOfContainer([api, other, web], container('shop'));
    assert.deepEqual(
      routes.map((r) => r.router),
      ['web@docker', 'api@docker'],
    );
  });

  it('puts each router under the port of its service', function () {
    const c = container('shop');
    assert.deepEqual(
      routesOfPort([web, api], c, 8000).map((r) => r.router),
      ['web@docker'],
    );
    assert.deepEqual(
      routesOfPort([web, api], c, 8001).map((r) => r.router),
      ['api@docker'],
    );
  });

  it('shows a load-balanced router under every container among its servers', function () {
    const scaled = router('web', 'Host(`shop.localhost`)', 'https://shop.localhost:8443/', 'container:shop-1:8000', {
      container: 'shop-1',
      servers: ['container:shop-1:8000', 'container:shop-2:8000'],
    });
    assert.equal(routesOfContainer([scaled], container('shop-2')).length, 1);
    assert.equal(routesOfPort([scaled], container('shop-2'), 8000).length, 1);
    assert.equal(routesOfContainer([scaled], container('shop-3')).length, 0);
    const row = routeRow(scaled, container('shop-2'));
    assert.match(row.tooltip, /Servers \(round robin\): `container:shop-1:8000`, `container:shop-2:8000`/);
  });

  it('a router row: URL with path, middlewares as description, rule, priority, target and router on hover', function () {
    const row = routeRow(api, container('shop'));
    assert.equal(row.label, 'https://shop.localhost:8443/api');
    assert.equal(row.description, 'strip-api@docker, auth@docker');
    assert.equal(row.contextValue, 'route.label');
    assert.equal(row.icon.id, 'lock');
    assert.ok(row.tooltip.includes('Rule: ``Host(`shop.localhost`) && PathPrefix(`/api`)``'), row.tooltip);
    assert.ok(row.tooltip.includes(`Priority: ${api.effectivePriority} (the rule's length, as Traefik)`), row.tooltip);
    assert.ok(row.tooltip.includes('`strip-api@docker` (stripPrefix), `auth@docker` (basicAuth)'), row.tooltip);
    assert.ok(row.tooltip.includes('Target: `container:shop:8001`'), row.tooltip);
    assert.ok(row.tooltip.includes('Router `api@docker` from the labels of container `shop`'), row.tooltip);
    assert.equal(routeRow(web, container('shop')).label, 'https://shop.localhost:8443');
    assert.equal(routeRow(web, container('shop')).description, undefined);
    assert.notEqual(routeRow(web, container('shop')).id, row.id);
  });

  it('an explicit priority says so', function () {
    const row = routeRow({ ...api, priority: 100, effectivePriority: 100 }, container('shop'));
    assert.ok(row.tooltip.includes('Priority: 100 (set explicitly)'), row.tooltip);
  });

  it('a production name served locally shows both names', function () {
    const alias = router(
      'shop',
      'Host(`shop.example.com`)',
      'https://shop.example.com.localhost:8443/',
      'container:shop:8000',
      {
        host: 'shop.example.com.localhost',
        publicHost: 'shop.example.com',
      },
    );
    const row = routeRow(alias, container('shop'));
    assert.equal(row.label, 'https://shop.example.com.localhost:8443');
    assert.equal(row.description, 'for shop.example.com');
    assert.ok(row.tooltip.includes('Serves production name `shop.example.com` locally.'), row.tooltip);
  });

  it('a router that is not served says so on its row', function () {
    const held = router(
      'admin',
      'Host(`shop.localhost`) && PathPrefix(`/admin`)',
      'https://shop.localhost:8443/admin',
      'container:shop:8000',
      {
        status: 'unavailable',
        detail: 'middleware plugin@docker has type plugin, which is not supported',
      },
    );
    const row = routeRow(held, container('shop'));
    assert.equal(row.description, 'unavailable');
    assert.equal(row.icon.id, 'warning');
    assert.match(row.tooltip, /\$\(warning\) middleware plugin@docker has type plugin, which is not supported/);
  });

  it('a user path route: Stop Exposing applies, its strip-prefix shows as the CLI shows it', function () {
    const user: RouteView = {
      host: 'app.localhost',
      path: '/api',
      stripPrefix: true,
      target: 'container:shop:8001',
      tls: 'local',
      source: 'user',
      createdAt: '2026-01-01T00:00:00.000Z',
      url: 'https://app.localhost:8443/api',
      effectiveRule: 'Host(`app.localhost`) && (Path(`/api`) || PathPrefix(`/api/`))',
      effectivePriority: 62,
      status: 'pending',
      detail: 'no certificate yet',
    };
    const row = routeRow(user, container('shop'));
    assert.equal(row.contextValue, 'route.user');
    assert.equal(row.description, 'stripPrefix(/api) · pending');
    assert.equal(row.icon.id, 'clock');
    assert.match(row.id, /app\.localhost\/api$/);
    assert.deepEqual(
      routesOfPort([user], container('shop'), 8001).map((r) => r.path),
      ['/api'],
    );
  });

  it("a container's problems: one reason per line, nothing when there are none", function () {
    assert.equal(problemsMarkdown(undefined), undefined);
    assert.equal(problemsMarkdown([]), undefined);
    const md = problemsMarkdown([
      'router admin@docker uses middleware plugin@docker of type plugin, which is not supported: not served',
      'router v2@docker: invalid rule',
    ]);
    assert.ok(md?.startsWith('$(warning) **2 problems**'), md);
    assert.equal(md?.split('\n').filter((l) => l.startsWith('- ')).length, 2);
  });

  it('an automatic name: its own row context (Pin, Rename…), "auto" and a sparkle, under its port', function () {
    const c = container('shop-web-1', [8000, 9000], { compose: { project: 'shop', service: 'web' } });
    const auto: RouteView = {
      host: 'web.shop.localhost',
      target: 'container:shop-web-1:9000',
      tls: 'local',
      source: 'auto',
      container: 'shop-web-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      url: 'https://web.shop.localhost:8443/',
      effectiveRule: 'Host(`web.shop.localhost`)',
      effectivePriority: 26,
      status: 'ready',
    };
    assert.deepEqual(routesOfContainer([auto], c), [auto]);
    assert.deepEqual(routesOfPort([auto], c, 9000), [auto]);
    assert.deepEqual(routesOfPort([auto], c, 8000), []);
    const row = routeRow(auto, c);
    assert.equal(row.contextValue, 'route.auto');
    assert.equal(row.description, 'auto');
    assert.equal(row.icon.id, 'sparkle');
    assert.match(row.tooltip, /Automatic name of container `shop-web-1`/);
    assert.match(row.tooltip, /\*\*Pin\*\*/);
    assert.equal(routeRow({ ...auto, status: 'pending' }, c).description, 'auto · pending');
  });

  it("a container's automatic name on hover: the name and its port, or why there is none", function () {
    assert.equal(autoDomainMarkdown({}), undefined);
    const named = autoDomainMarkdown({
      autoDomain: {
        host: 'web.shop.localhost',
        port: 9000,
        portFrom: 'probe',
        others: [{ host: '9100.web.shop.localhost', port: 9100 }],
        reason: 'Not HTTP, so not named: 8000 answered "garbage", not HTTP.',
      },
    })!;
    assert.match(named, /`web\.shop\.localhost` → port 9000 \(the lowest port that answers HTTP\)/);
    assert.match(named, /`9100\.web\.shop\.localhost` → port 9100/);
    assert.match(named, /\$\(info\) Not HTTP/);
    const none = autoDomainMarkdown({ autoDomain: { reason: 'No automatic name: no port answers HTTP.' } })!;
    assert.ok(none.startsWith('$(info) No automatic name'), none);
    const pending = autoDomainMarkdown({ autoDomain: { reason: 'Finding which…', pending: true } })!;
    assert.ok(pending.startsWith('$(loading~spin)'), pending);
  });

  it('code spans hold the backticks of Traefik rules', function () {
    assert.equal(inlineCode('web@docker'), '`web@docker`');
    assert.equal(inlineCode('Host(`a`)'), '``Host(`a`)``');
    assert.equal(inlineCode('`a``'), '``` `a`` ```');
  });

  it('a route shared on the LAN says so: description, hover, accessibility, and the .lan context for Stop Sharing', function () {
    const shared: RouteView = {
      host: 'app.localhost',
      target: 'http://127.0.0.1:5000',
      tls: 'local',
      source: 'user',
      createdAt: '2026-01-01T00:00:00.000Z',
      url: 'https://app.localhost:8443/',
      effectiveRule: 'Host(`app.localhost`)',
      effectivePriority: 21,
      status: 'ready',
      lan: { name: 'app.local', url: 'https://app.local:8443/', authUser: 'bob' },
    };
    const row = routeRow(shared, container('shop'));
    assert.equal(row.contextValue, 'route.user.lan');
    assert.equal(row.description, 'LAN: app.local');
    assert.match(row.tooltip, /On the LAN as https:\/\/app\\\.local:8443\/ \(basic auth, user `bob`\)/);
    assert.match(row.accessibility, /shared on the LAN as app\.local/);
    assert.equal(routeRow({ ...shared, lan: undefined }, container('shop')).contextValue, 'route.user');
  });
});
