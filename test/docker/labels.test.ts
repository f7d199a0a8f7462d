import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRouteLabels } from '../../proxy-core/src/docker/labels';

type Expect = {
  routes: Array<{ host: string; port?: number; tls?: 'local' | 'acme' }>;
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
  [
    'container-https.port without host',
    { 'container-https.port': '80' },
    { routes: [], problems: [/without container-https\.host/] },
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
    { routes: [{ host: 'app.localhost', port: 3000 }] },
  ],
  [
    'v2 || of hosts',
    { 'traefik.enable': 'true', 'traefik.http.routers.web.rule': 'Host(`a.localhost`) || Host(`b.localhost`)' },
    { routes: [{ host: 'a.localhost' }, { host: 'b.localhost' }] },
  ],
  [
    'v2 multi-arg Host and double quotes',
    { 'traefik.enable': 'true', 'traefik.http.routers.web.rule': 'Host("a.localhost", `b.localhost`)' },
    { routes: [{ host: 'a.localhost' }, { host: 'b.localhost' }] },
  ],
  [
    'v2 parenthesised',
    { 'traefik.enable': 'true', 'traefik.http.routers.web.rule': '(Host(`a.localhost`) || (Host(`b.localhost`)))' },
    { routes: [{ host: 'a.localhost' }, { host: 'b.localhost' }] },
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
        { host: 'api.localhost', port: 9000 },
        { host: 'ui.localhost', port: 8000 },
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
    { routes: [], problems: [/names no service and the labels define 2/] },
  ],
  [
    'v2 unknown service',
    {
      'traefik.enable': 'true',
      'traefik.http.routers.r.rule': 'Host(`a.localhost`)',
      'traefik.http.routers.r.service': 'api@internal',
    },
    { routes: [], problems: [/names service "api@internal"/] },
  ],
  [
    'v2 && PathPrefix reported',
    { 'traefik.enable': 'true', 'traefik.http.routers.r.rule': 'Host(`a.localhost`) && PathPrefix(`/api`)' },
    { routes: [], problems: [/combines matchers with &&/] },
  ],
  [
    'v2 HostRegexp reported',
    { 'traefik.enable': 'true', 'traefik.http.routers.r.rule': 'HostRegexp(`^.+\\.localhost$`)' },
    { routes: [], problems: [/uses HostRegexp/] },
  ],
  [
    'v2 negation reported',
    { 'traefik.enable': 'true', 'traefik.http.routers.r.rule': '!Host(`a.localhost`)' },
    { routes: [], problems: [/negates/] },
  ],
  [
    'v2 syntax error reported',
    { 'traefik.enable': 'true', 'traefik.http.routers.r.rule': 'Host(`a.localhost`' },
    { routes: [], problems: [/cannot be parsed/] },
  ],
  [
    'v2 router without rule',
    { 'traefik.enable': 'true', 'traefik.http.routers.r.entrypoints': 'web' },
    { routes: [], problems: [/has no rule/] },
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
    { routes: [{ host: 'a.localhost' }], problems: [/TCP\/UDP routers/] },
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
    'own label wins over traefik for the same host',
    {
      'container-https.host': 'a.localhost',
      'container-https.port': '1',
      'traefik.enable': 'true',
      'traefik.http.routers.r.rule': 'Host(`a.localhost`)',
      'traefik.http.services.s.loadbalancer.server.port': '2',
    },
    {
      routes: [{ host: 'a.localhost', port: 1 }],
      problems: [/claimed by container-https\.host \(port 1\) and traefik router "r" \(port 2\)/],
    },
  ],
  [
    'v1 and v2 together',
    {
      'traefik.enable': 'true',
      'traefik.frontend.rule': 'Host:old.localhost',
      'traefik.http.routers.r.rule': 'Host(`new.localhost`)',
    },
    { routes: [{ host: 'new.localhost' }, { host: 'old.localhost' }] },
  ],
];

describe('label parser (table-driven)', () => {
  for (const [name, labels, expect] of cases) {
    it(name, () => {
      const got = parseRouteLabels(labels);
      const routes = got.routes
        .map((r) => ({
          host: r.host,
          ...(r.port !== undefined ? { port: r.port } : {}),
          ...(r.tls ? { tls: r.tls } : {}),
        }))
        .sort((a, b) => a.host.localeCompare(b.host));
      assert.deepEqual(routes, expect.routes);
      const problems = expect.problems ?? [];
      assert.equal(got.problems.length, problems.length, `problems: ${JSON.stringify(got.problems)}`);
      problems.forEach((re, i) => assert.match(got.problems[i], re));
      assert.equal(got.network, expect.network);
    });
  }
});
