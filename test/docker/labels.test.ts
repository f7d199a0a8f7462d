import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelContainer } from '../../proxy-core/src/docker/containerModel';
import { deriveLabelRoutes } from '../../proxy-core/src/docker/labelSource';

type Expect = {
  routes: Array<{ host: string; port?: number; tls?: 'local' | 'acme'; rule?: string }>;
  problems?: RegExp[];
  network?: string;
};

/** Every label form the parser knows, and the ones it must report instead of guessing. */
const cases: Array<[string, Record<string, string>, Expect]> = [
  ['no labels', {}, { routes: [] }],
  ['unrelated labels', { 'com.docker.compose.project': 'shop', maintainer: 'me' }, { routes: [] }],

  // our own
  ['container-https.host', { 'container-https.host': 'app.localhost' }, { routes: [{ host: 'app.localhost' }] }],
  [
    'container-https.host list + port',
    { 'container-https.host': 'a.localhost, b.test', 'container-https.port': '5000' },
    {
      routes: [
        { host: 'a.localhost', port: 5000 },
        { host: 'b.test', port: 5000 },
      ],
    },
  ],
  [
    'container-https.tls=acme',
    { 'container-https.host': 'shop.example.com', 'container-https.tls': 'acme' },
    { routes: [{ host: 'shop.example.com', tls: 'acme' }] },
  ],
  [
    'container-https.tls bad',
    { 'container-https.host': 'a.localhost', 'container-https.tls': 'letsencrypt' },
    { routes: [], problems: [/must be "local" or "acme"/] },
  ],
  [
    'container-https.port bad',
    { 'container-https.host': 'a.localhost', 'container-https.port': 'http' },
    { routes: [], problems: [/not a port number/] },
  ],
  [
    'container-https.host invalid name',
    { 'container-https.host': 'bad_name.localhost' },
    { routes: [], problems: [/container-https\.host: Invalid host name/] },
  ],
  [
    'container-https.host upper case normalised',
    { 'container-https.host': 'App.LocalHost.' },
    { routes: [{ host: 'app.localhost' }] },
  ],
  [
    'container-https.unknown key',
    { 'container-https.hots': 'a.localhost' },
    { routes: [], problems: [/Unknown label container-https\.hots/] },
  ],
  // The port alone is the automatic name's port (docker/autoDomains.ts, which reports it when it does nothing).
  ['container-https.port without host', { 'container-https.port': '80' }, { routes: [] }],
  [
    'container-https.tls without host',
    { 'container-https.tls': 'acme' },
    { routes: [], problems: [/container-https\.tls given without container-https\.host/] },
  ],
  [
    'container-https.enable=false turns everything off',
    {
      'container-https.enable': 'false',
      'container-https.host': 'a.localhost',
      'traefik.enable': 'true',
      'traefik.frontend.rule': 'Host:b.localhost',
    },
    { routes: [] },
  ],
  [
    'container-https.network',
    { 'container-https.host': 'a.localhost', 'container-https.network': 'backend' },
    { routes: [{ host: 'a.localhost' }], network: 'backend' },
  ],

  // Traefik v1
  [
    'v1 Host:a,b + port',
    {
      'traefik.enable': 'true',
      'traefik.frontend.rule': 'Host:a.localhost,b.localhost',
      'traefik.port': '8080',
      'traefik.backend': 'web',
    },
    {
      routes: [
        { host: 'a.localhost', port: 8080 },
        { host: 'b.localhost', port: 8080 },
      ],
    },
  ],
  [
    'v1 spaces',
    { 'traefik.enable': 'true', 'traefik.frontend.rule': 'Host: a.localhost , b.localhost' },
    { routes: [{ host: 'a.localhost' }, { host: 'b.localhost' }] },
  ],
  [
    'v1 segments',
    {
      'traefik.enable': 'true',
      'traefik.api.frontend.rule': 'Host:api.localhost',
      'traefik.api.port': '9000',
      'traefik.ui.frontend.rule': 'Host:ui.localhost',
      'traefik.ui.port': '8000',
    },
    {
      routes: [
        { host: 'api.localhost', port: 9000 },
        { host: 'ui.localhost', port: 8000 },
      ],
    },
  ],
  [
    'v1 PathPrefix reported',
    { 'traefik.enable': 'true', 'traefik.frontend.rule': 'PathPrefix:/api' },
    { routes: [], problems: [/uses PathPrefix/] },
  ],
  [
    'v1 Host;Path reported',
    { 'traefik.enable': 'true', 'traefik.frontend.rule': 'Host:a.localhost;PathPrefix:/api' },
    { routes: [], problems: [/uses PathPrefix/] },
  ],
  [
    'v1 HostRegexp reported',
    { 'traefik.enable': 'true', 'traefik.frontend.rule': 'HostRegexp:{sub:[a-z]+}.localhost' },
    { routes: [], problems: [/uses HostRegexp/] },
  ],
  [
    'v1 protocol https reported',
    { 'traefik.enable': 'true', 'traefik.frontend.rule': 'Host:a.localhost', 'traefik.protocol': 'https' },
    { routes: [], problems: [/protocol=https/] },
  ],
  [
    'v1 bad port',
    { 'traefik.enable': 'true', 'traefik.frontend.rule': 'Host:a.localhost', 'traefik.port': '99999' },
    { routes: [], problems: [/traefik\.port="99999"/] },
  ],
  [
    'v1 docker.network',
    { 'traefik.enable': 'true', 'traefik.frontend.rule': 'Host:a.localhost', 'traefik.docker.network': 'proxy' },
    { routes: [{ host: 'a.localhost' }], network: 'proxy' },
  ],

  // Traefik v2/v3
  [
    'v2 router + service port',
    {
      'traefik.enable': 'true',
      'traefik.http.routers.web.rule': 'Host(`app.localhost`)',
      'traefik.http.routers.web.entrypoints': 'websecure',
      'traefik.http.routers.web.tls.certresolver': 'le',
      'traefik.http.services.web.loadbalancer.server.port': '3000',
    },
    { routes: [{ host: 'app.localhost', port: 3000, rule: 'Host(`app.localhost`)' }] },
  ],
  [
    'v2 || of hosts',
    { 'traefik.enable': 'true', 'traefik.http.routers.web.rule': 'Host(`a.localhost`) || Host(`b.localhost`)' },
    {
      routes: [
        { host: 'a.localhost', rule: 'Host(`a.localhost`) || Host(`b.localhost`)' },
        { host: 'b.localhost', rule: 'Host(`a.localhost`) || Host(`b.localhost`)' },
      ],
    },
  ],
  [
    'v2 multi-arg Host without ruleSyntax=v2 is refused, as Traefik v3 does',
    { 'traefik.enable': 'true', 'traefik.http.routers.web.rule': 'Host("a.localhost", `b.localhost`)' },
    { routes: [], problems: [/router web@docker: v3 matchers take one value: .* or set ruleSyntax=v2: not served/] },
  ],
  [
    'v2 multi-arg Host and double quotes with ruleSyntax=v2',
    {
      'traefik.enable': 'true',
      'traefik.http.routers.web.rule': 'Host("a.localhost", `b.localhost`)',
      'traefik.http.routers.web.rulesyntax': 'v2',
    },
    {
      routes: [
        { host: 'a.localhost', rule: 'Host("a.localhost", `b.localhost`)' },
        { host: 'b.localhost', rule: 'Host("a.localhost", `b.localhost`)' },
      ],
    },
  ],
  [
    'v2 parenthesised',
    { 'traefik.enable': 'true', 'traefik.http.routers.web.rule': '(Host(`a.localhost`) || (Host(`b.localhost`)))' },
    {
      routes: [
        { host: 'a.localhost', rule: '(Host(`a.localhost`) || (Host(`b.localhost`)))' },
        { host: 'b.localhost', rule: '(Host(`a.localhost`) || (Host(`b.localhost`)))' },
      ],
    },
  ],
  [
    'v2 router names a service',
    {
      'traefik.enable': 'true',
      'traefik.http.routers.r1.rule': 'Host(`api.localhost`)',
      'traefik.http.routers.r1.service': 'api',
      'traefik.http.routers.r2.rule': 'Host(`ui.localhost`)',
      'traefik.http.routers.r2.service': 'ui',
      'traefik.http.services.api.loadbalancer.server.port': '9000',
      'traefik.http.services.ui.loadbalancer.server.port': '8000',
    },
    {
      routes: [
        { host: 'api.localhost', port: 9000, rule: 'Host(`api.localhost`)' },
        { host: 'ui.localhost', port: 8000, rule: 'Host(`ui.localhost`)' },
      ],
    },
  ],
  [
    'v2 two services, router names none',
    {
      'traefik.enable': 'true',
      'traefik.http.routers.r.rule': 'Host(`a.localhost`)',
      'traefik.http.services.x.loadbalancer.server.port': '1',
      'traefik.http.services.y.loadbalancer.server.port': '2',
    },
    { routes: [], problems: [/router r has no service and the container declares several \(x, y\)/] },
  ],
  [
    'v2 unknown service',
    {
      'traefik.enable': 'true',
      'traefik.http.routers.r.rule': 'Host(`a.localhost`)',
      'traefik.http.routers.r.service': 'api@internal',
    },
    { routes: [], problems: [/router r@docker: service api@internal is Traefik's own \(@internal\)/] },
  ],
  [
    'v2 && PathPrefix routes the host, by its rule',
    { 'traefik.enable': 'true', 'traefik.http.routers.r.rule': 'Host(`a.localhost`) && PathPrefix(`/api`)' },
    { routes: [{ host: 'a.localhost', rule: 'Host(`a.localhost`) && PathPrefix(`/api`)' }] },
  ],
  [
    'v2 HostRegexp is tried for every host',
    { 'traefik.enable': 'true', 'traefik.http.routers.r.rule': 'HostRegexp(`^.+\\.localhost$`)' },
    { routes: [{ host: '*', rule: 'HostRegexp(`^.+\\.localhost$`)' }] },
  ],
  [
    'v2 negation is tried for every host',
    { 'traefik.enable': 'true', 'traefik.http.routers.r.rule': '!Host(`a.localhost`)' },
    { routes: [{ host: '*', rule: '!Host(`a.localhost`)' }] },
  ],
  [
    'v2 syntax error reported',
    { 'traefik.enable': 'true', 'traefik.http.routers.r.rule': 'Host(`a.localhost`' },
    { routes: [], problems: [/cannot be parsed/] },
  ],
  [
    'v2 router without rule',
    { 'traefik.enable': 'true', 'traefik.http.routers.r.entrypoints': 'web' },
    { routes: [], problems: [/router r@docker: it has no rule/] },
  ],
  [
    'v2 https scheme reported',
    {
      'traefik.enable': 'true',
      'traefik.http.routers.r.rule': 'Host(`a.localhost`)',
      'traefik.http.services.s.loadbalancer.server.scheme': 'https',
    },
    { routes: [], problems: [/scheme https/] },
  ],
  [
    'v2 tcp router reported, http router kept',
    {
      'traefik.enable': 'true',
      'traefik.tcp.routers.db.rule': 'HostSNI(`*`)',
      'traefik.http.routers.r.rule': 'Host(`a.localhost`)',
    },
    { routes: [{ host: 'a.localhost', rule: 'Host(`a.localhost`)' }], problems: [/TCP\/UDP routers/] },
  ],
  [
    'v2 without traefik.enable is reported, not routed',
    { 'traefik.http.routers.r.rule': 'Host(`a.localhost`)' },
    { routes: [], problems: [/add traefik\.enable=true/] },
  ],
  [
    'traefik.enable=false is silent',
    { 'traefik.enable': 'false', 'traefik.http.routers.r.rule': 'Host(`a.localhost`)' },
    { routes: [] },
  ],
  ['traefik.enable=true with no rule', { 'traefik.enable': 'true' }, { routes: [], problems: [/no router rule/] }],

  // precedence and conflicts
  [
    'own label and a traefik router for the same host: both listed, own first (equal priority, by name)',
    {
      'container-https.host': 'a.localhost',
      'container-https.port': '1',
      'traefik.enable': 'true',
      'traefik.http.routers.r.rule': 'Host(`a.localhost`)',
      'traefik.http.services.s.loadbalancer.server.port': '2',
    },
    {
      routes: [
        { host: 'a.localhost', port: 1 },
        { host: 'a.localhost', port: 2, rule: 'Host(`a.localhost`)' },
      ],
    },
  ],
  [
    'v1 and v2 together',
    {
      'traefik.enable': 'true',
      'traefik.frontend.rule': 'Host:old.localhost',
      'traefik.http.routers.r.rule': 'Host(`new.localhost`)',
    },
    { routes: [{ host: 'new.localhost', rule: 'Host(`new.localhost`)' }, { host: 'old.localhost' }] },
  ],
];

/** Labels on one container, through the whole label source (parse, Traefik's model, records). */
function routesOf(labels: Record<string, string>) {
  const c = modelContainer({ Id: 'c'.repeat(64), Names: ['/c'], Created: 1, State: 'running', Labels: labels });
  const out = deriveLabelRoutes([c], undefined, { permits: () => true, suffixes: ['localhost'], publicHosts: 'alias' });
  const routes = out.records
    .map((r) => {
      const port = /^container:c:(\d+)$/.exec(r.target)?.[1];
      return {
        host: r.host,
        ...(port ? { port: Number(port) } : {}),
        ...(r.tls !== 'local' ? { tls: r.tls } : {}),
        ...(r.rule ? { rule: r.rule } : {}),
      };
    })
    .sort((a, b) => a.host.localeCompare(b.host) || (a.rule ?? '').localeCompare(b.rule ?? ''));
  return { routes, problems: out.problems.get('c') ?? [], network: c.routing.network };
}

describe('label parser and label source (table-driven)', () => {
  for (const [name, labels, expect] of cases) {
    it(name, () => {
      const got = routesOf(labels);
      assert.deepEqual(got.routes, expect.routes);
      const problems = expect.problems ?? [];
      assert.equal(got.problems.length, problems.length, `problems: ${JSON.stringify(got.problems)}`);
      problems.forEach((re, i) => assert.match(got.problems[i], re));
      assert.equal(got.network, expect.network);
    });
  }
});
