import bcrypt from 'bcryptjs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyConfig, HttpConfig } from '../../proxy-core/src/traefik/dynamic';
import {
  decodeLabels,
  defaultServiceName,
  linkDockerServices,
  normalizeName,
} from '../../proxy-core/src/traefik/labelConfig';
import { asFileConfig, schemaErrors } from '../support/traefikSchema';
import { ADMIN_HASH, API_LABELS, OPS_HASH, WEB_LABELS } from './stacks';

const config = (parts: Partial<HttpConfig>): HttpConfig => ({ ...emptyConfig(), ...parts });

interface Case {
  name: string;
  labels: Record<string, string>;
  config: HttpConfig;
  /** One pattern per expected problem, in order. */
  problems?: RegExp[];
}

const R = 'traefik.http.routers';
const S = 'traefik.http.services';
const M = 'traefik.http.middlewares';

const cases: Case[] = [
  {
    name: 'router options: canonical names, lists split on commas, priority a number, tls switched on',
    labels: {
      [`${R}.r.Rule`]: 'Host(`a.localhost`)',
      [`${R}.r.entrypoints`]: 'web, websecure',
      [`${R}.r.MIDDLEWARES`]: 'auth@file,strip',
      [`${R}.r.priority`]: '42',
      [`${R}.r.service`]: 'svc',
      [`${R}.r.rulesyntax`]: 'v2',
      [`${R}.r.tls`]: 'true',
      [`${R}.r.tls.certresolver`]: 'le',
      [`${R}.r.tls.options`]: 'modern@file',
      [`${R}.r.tls.domains[0].main`]: 'example.com',
      [`${R}.r.tls.domains[0].sans`]: 'a.example.com,b.example.com',
      [`${R}.r.tls.domains[1].main`]: 'example.org',
    },
    config: config({
      routers: {
        r: {
          rule: 'Host(`a.localhost`)',
          entryPoints: ['web', 'websecure'],
          middlewares: ['auth@file', 'strip'],
          priority: 42,
          service: 'svc',
          ruleSyntax: 'v2',
          tls: {
            certResolver: 'le',
            options: 'modern@file',
            domains: [{ main: 'example.com', sans: ['a.example.com', 'b.example.com'] }, { main: 'example.org' }],
          },
        },
      },
    }),
  },
  {
    name: 'tls=true alone is an empty tls; tls=false switches it off, sub-options and all (as Traefik)',
    labels: { [`${R}.on.tls`]: 'true', [`${R}.off.tls`]: 'false', [`${R}.off.tls.certresolver`]: 'le' },
    config: config({ routers: { on: { tls: {} }, off: {} } }),
  },
  {
    name: 'service: loadbalancer.server.* is servers[0], port a number',
    labels: {
      [`${S}.s.loadbalancer.server.port`]: '8000',
      [`${S}.s.loadbalancer.server.scheme`]: 'h2c',
      [`${S}.s.loadbalancer.passhostheader`]: 'false',
      [`${S}.s.loadbalancer.sticky.cookie`]: 'true',
      [`${S}.s.loadbalancer.healthcheck.path`]: '/health',
      [`${S}.s.loadbalancer.healthcheck.interval`]: '10s',
      [`${S}.s.loadbalancer.healthcheck.headers.X-Probe`]: 'traefik',
      [`${S}.u.loadbalancer.server.url`]: 'http://10.0.0.1:81',
    },
    config: config({
      services: {
        s: {
          loadBalancer: {
            servers: [{ port: 8000, scheme: 'h2c' }],
            passHostHeader: false,
            sticky: { cookie: {} },
            healthCheck: { path: '/health', interval: '10s', headers: { 'X-Probe': 'traefik' } },
          },
        },
        u: { loadBalancer: { servers: [{ url: 'http://10.0.0.1:81' }] } },
      },
    }),
  },
  {
    name: 'middlewares: typed options, map keys as written, allowEmpty types, plugin options as strings',
    labels: {
      [`${M}.strip.stripprefix.prefixes`]: '/a,/b',
      [`${M}.strip.stripprefix.forceslash`]: 'false',
      [`${M}.hdr.headers.customrequestheaders.X-Foo`]: 'bar',
      [`${M}.hdr.headers.customResponseHeaders.x-lower`]: '',
      [`${M}.hdr.headers.stsseconds`]: '31536000',
      [`${M}.hdr.headers.browserxssfilter`]: 'true',
      [`${M}.gz.compress`]: 'true',
      [`${M}.ct.contenttype.autodetect`]: 'false',
      [`${M}.allow.ipallowlist.sourcerange`]: '10.0.0.0/8, 192.168.0.0/16',
      [`${M}.allow.ipallowlist.ipstrategy.depth`]: '2',
      [`${M}.rl.ratelimit.average`]: '100',
      [`${M}.rl.ratelimit.period`]: '1m',
      [`${M}.rl.ratelimit.sourcecriterion.requestheadername`]: 'X-User',
      [`${M}.err.errors.status`]: '500-599',
      [`${M}.err.errors.service`]: 'errors',
      [`${M}.err.errors.query`]: '/{status}.html',
      [`${M}.plug.plugin.tomato.aaa`]: 'foo1',
      [`${M}.plug.plugin.tomato.nested.bbb`]: '2',
      [`${M}.old.ipwhitelist.sourcerange`]: '127.0.0.1/32',
    },
    config: config({
      middlewares: {
        strip: { stripPrefix: { prefixes: ['/a', '/b'], forceSlash: false } },
        hdr: {
          headers: {
            customRequestHeaders: { 'X-Foo': 'bar' },
            customResponseHeaders: { 'x-lower': '' },
            stsSeconds: 31536000,
            browserXssFilter: true,
          },
        },
        gz: { compress: {} },
        ct: { contentType: { autoDetect: false } },
        allow: { ipAllowList: { sourceRange: ['10.0.0.0/8', '192.168.0.0/16'], ipStrategy: { depth: 2 } } },
        rl: { rateLimit: { average: 100, period: '1m', sourceCriterion: { requestHeaderName: 'X-User' } } },
        err: { errors: { status: ['500-599'], service: 'errors', query: '/{status}.html' } },
        plug: { plugin: { tomato: { aaa: 'foo1', nested: { bbb: '2' } } } },
        old: { ipWhiteList: { sourceRange: ['127.0.0.1/32'] } },
      },
    }),
  },
  {
    name: 'an unknown middleware type is kept as written, values as strings, with no problem',
    labels: { [`${M}.fancy.MyThing.Level`]: '3', [`${M}.fancy.MyThing.deep.on`]: 'true' },
    config: config({ middlewares: { fancy: { MyThing: { Level: '3', deep: { on: 'true' } } } } }),
  },
  {
    name: 'the whole key ignores case; names keep the first spelling by key order, as Traefik',
    labels: { 'traefik.HTTP.Routers.Api.RULE': 'Path(`/x`)', 'traefik.http.routers.api.priority': '5' },
    config: config({ routers: { Api: { rule: 'Path(`/x`)', priority: 5 } } }),
  },
  {
    name: 'bad values: one problem each, naming the label and what to write; the rest is kept',
    labels: {
      [`${R}.r.rule`]: 'Host(`a`)',
      [`${R}.r.priority`]: 'high',
      [`${S}.big.loadbalancer.server.port`]: '99999',
      [`${S}.big.loadbalancer.passhostheader`]: 'yes',
      [`${S}.word.loadbalancer.server.port`]: 'http',
      [`${M}.h.headers.stsseconds`]: '1y',
      [`${M}.h.headers.framedeny`]: 'true',
      [`${M}.r.retry.initialinterval`]: 'soon',
      [`${M}.r.retry.attempts`]: '3',
    },
    config: config({
      routers: { r: { rule: 'Host(`a`)' } },
      services: {
        big: { loadBalancer: { servers: [{}] } },
        word: { loadBalancer: { servers: [{}] } },
      },
      middlewares: { h: { headers: { frameDeny: true } }, r: { retry: { attempts: 3 } } },
    }),
    problems: [
      /^traefik\.http\.middlewares\.h\.headers\.stsseconds: "1y" is not a number; write a whole number, e\.g\. 10$/,
      /^traefik\.http\.middlewares\.r\.retry\.initialinterval: "soon" is not a duration; write e\.g\. 10s/,
      /^traefik\.http\.routers\.r\.priority: "high" is not a number; write a whole number, e\.g\. 10$/,
      /^traefik\.http\.services\.big\.loadbalancer\.passhostheader: "yes" is not true or false; write true or false$/,
      /^traefik\.http\.services\.big\.loadbalancer\.server\.port: "99999" is not a port; write a number from 1 to 65535/,
      /^traefik\.http\.services\.word\.loadbalancer\.server\.port: "http" is not a port/,
    ],
  },
  {
    name: 'unknown options of known types are problems; the type stays',
    labels: {
      [`${M}.s.stripprefix.prefix`]: '/a',
      [`${R}.r.entrypoint`]: 'web',
      [`${S}.s.loadbalancer.servers[0].url`]: 'http://x',
    },
    config: config({
      routers: { r: {} },
      services: { s: { loadBalancer: {} } },
      middlewares: { s: { stripPrefix: {} } },
    }),
    problems: [
      /^traefik\.http\.middlewares\.s\.stripprefix\.prefix: stripPrefix has no option "prefix"; it takes prefixes, forceSlash$/,
      /^traefik\.http\.routers\.r\.entrypoint: router has no option "entrypoint"; it takes rule, .*entryPoints/,
      /^traefik\.http\.services\.s\.loadbalancer\.servers: loadBalancer has no option "servers"; it takes server, /,
    ],
  },
  {
    name: 'structure problems: two types, file-only kinds, "@" in names, empty key parts, options without a value',
    labels: {
      [`${M}.two.stripprefix.prefixes`]: '/a',
      [`${M}.two.addprefix.prefix`]: '/b',
      [`${S}.w.weighted.services[0].name`]: 'a',
      [`${R}.x@docker.rule`]: 'Host(`x`)',
      [`${R}.e..rule`]: 'Host(`e`)',
      [`${M}.bare.stripprefix`]: '/a',
      'traefik.http.serverstransports.t.insecureskipverify': 'true',
    },
    config: config({ services: { w: {} }, middlewares: { two: { addPrefix: { prefix: '/b' } } } }),
    problems: [
      /^traefik\.http\.routers\.e\.\.rule: has an empty part/,
      /^traefik\.http\.middlewares\.bare\.stripprefix: stripPrefix takes options \(prefixes, forceSlash\), not a value; write e\.g\. traefik\.http\.middlewares\.bare\.stripprefix\.prefixes=…$/,
      /^traefik\.http\.middlewares\.two\.stripprefix: a middleware has one type and this one is already addPrefix; declare stripPrefix as a middleware of its own/,
      /^traefik\.http\.routers\.x@docker: "@" cannot be used in a router name/,
      /^traefik\.http\.serverstransports: serversTransports are not read by the local proxy/,
      /^traefik\.http\.services\.w\.weighted: weighted can only be declared in a file provider file/,
    ],
  },
  {
    name: 'two labels differing only in case: the later by key order wins, the other is a problem',
    labels: { [`${R}.r.Rule`]: 'Host(`first`)', [`${R}.r.rule`]: 'Host(`second`)' },
    config: config({ routers: { r: { rule: 'Host(`second`)' } } }),
    problems: [/^traefik\.http\.routers\.r\.Rule: overridden by traefik\.http\.routers\.r\.rule/],
  },
  {
    name: 'a server url with a port is reported (Traefik refuses the container) and both are kept',
    labels: { [`${S}.s.loadbalancer.server.url`]: 'http://a:1', [`${S}.s.loadbalancer.server.port`]: '80' },
    config: config({ services: { s: { loadBalancer: { servers: [{ url: 'http://a:1', port: 80 }] } } } }),
    problems: [/^traefik\.http\.services\.s\.loadbalancer\.server\.url: cannot be combined with server\.port/],
  },
  {
    name: 'names that are Object.prototype keys are plain names',
    labels: { [`${R}.__proto__.rule`]: 'Host(`p`)', [`${M}.constructor.headers.customrequestheaders.__proto__`]: 'x' },
    config: (() => {
      const c = emptyConfig();
      Object.defineProperty(c.routers, '__proto__', {
        value: { rule: 'Host(`p`)' },
        enumerable: true,
        writable: true,
        configurable: true,
      });
      const headers = {};
      Object.defineProperty(headers, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
      Object.assign(c.middlewares, { constructor: { headers: { customRequestHeaders: headers } } });
      return c;
    })(),
  },
  {
    name: 'labels outside traefik.http are not read here',
    labels: {
      'traefik.enable': 'true',
      'traefik.tcp.routers.db.rule': 'HostSNI(`*`)',
      'traefik.docker.network': 'proxy',
      'com.docker.compose.service': 'web',
    },
    config: emptyConfig(),
  },
];

describe('decodeLabels', () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = decodeLabels(c.labels);
      assert.deepEqual(got.config, c.config);
      const want = c.problems ?? [];
      assert.equal(got.problems.length, want.length, `problems: ${JSON.stringify(got.problems, null, 1)}`);
      want.forEach((re, i) => assert.match(got.problems[i], re));
      for (const p of got.problems) assert.doesNotMatch(p, /\n/, 'one line per problem');
    });
  }

  it('every decoded case validates against the file provider schema, as the Docker provider completes it', () => {
    for (const c of cases) {
      // The schema wants a rule and a service on every router: the Docker provider fills them in
      // (the only service, its defaultRule) and turns server ports into urls.
      const got = asFileConfig(linkDockerServices(decodeLabels(c.labels).config, 'container', 80).config);
      for (const r of Object.values(got.routers)) {
        r.rule ??= 'Host(`container.localhost`)';
        r.service ??= 'container';
      }
      // Services whose only server could not be read have no url: the schema needs one.
      for (const s of Object.values(got.services)) {
        const lb = s.loadBalancer;
        if (lb?.servers) lb.servers = lb.servers.filter((x) => x.url);
        if (lb && !lb.servers?.length) lb.servers = [{ url: 'http://placeholder' }];
      }
      // The schema predates these options of Traefik v3.
      for (const m of Object.values(got.middlewares))
        delete (m.ipAllowList as Record<string, unknown>)?.rejectStatusCode;
      for (const r of Object.values(got.routers)) delete (r as Record<string, unknown>).observability;
      // Unknown middleware types are outside any schema, and "weighted" here is empty.
      delete got.middlewares.fancy;
      delete got.services.w;
      assert.deepEqual(schemaErrors(got), [], c.name);
    }
  });
});

describe('decodeLabels: a production stack', () => {
  it('web and api split by PathPrefix, basic auth with bcrypt hashes, redirect, CORS, @file middlewares', () => {
    const web = decodeLabels(WEB_LABELS);
    const api = decodeLabels(API_LABELS);
    assert.deepEqual(web.problems, []);
    assert.deepEqual(api.problems, []);

    assert.deepEqual(web.config.routers.web, {
      rule: 'Host(`shop.example.com`)',
      entryPoints: ['websecure'],
      tls: { certResolver: 'letsencrypt' },
      middlewares: ['security-headers@file', 'compress'],
    });
    assert.deepEqual(web.config.middlewares['www-to-apex'], {
      redirectRegex: {
        regex: '^https://www\\.shop\\.example\\.com/(.*)',
        replacement: 'https://shop.example.com/${1}',
        permanent: true,
      },
    });
    assert.deepEqual(web.config.services.web, { loadBalancer: { servers: [{ port: 3000 }] } });

    assert.equal(api.config.routers.api.rule, 'Host(`shop.example.com`) && PathPrefix(`/api`)');
    assert.equal(api.config.routers.api.priority, 100);
    assert.deepEqual(api.config.routers.api.middlewares, ['api-strip', 'api-cors', 'rate-limit@file']);
    assert.deepEqual(api.config.middlewares['api-strip'], { stripPrefix: { prefixes: ['/api'] } });
    assert.deepEqual(api.config.middlewares['api-cors'], {
      headers: {
        accessControlAllowMethods: ['GET', 'OPTIONS', 'PUT', 'POST', 'DELETE'],
        accessControlAllowOriginList: ['https://shop.example.com', 'https://admin.shop.example.com'],
        accessControlAllowHeaders: ['Content-Type', 'Authorization'],
        accessControlMaxAge: 100,
        addVaryHeader: true,
        customResponseHeaders: { 'X-Api-Version': '2', Server: '' },
      },
    });
    const auth = api.config.middlewares['admin-auth'].basicAuth;
    assert.deepEqual(auth, {
      users: [`admin:${ADMIN_HASH}`, `ops:${OPS_HASH}`],
      realm: 'Shop admin',
      removeHeader: true,
    });
    // Every "$" of the hashes survives: they still verify.
    const [admin, ops] = (auth.users as string[]).map((u) => u.slice(u.indexOf(':') + 1));
    assert.ok(bcrypt.compareSync('s3cret', admin));
    assert.ok(bcrypt.compareSync('0pspass', ops));
    assert.deepEqual(api.config.services.api, {
      loadBalancer: { servers: [{ port: 8000 }], healthCheck: { path: '/healthz', interval: '10s' } },
    });

    for (const decoded of [web, api]) {
      const completed = linkDockerServices(decoded.config, 'unused', 80);
      assert.deepEqual(completed.problems, []);
      assert.deepEqual(schemaErrors(asFileConfig(completed.config)), []);
    }
    assert.equal(linkDockerServices(web.config, 'unused').config.routers.web.service, 'web');
  });
});

describe('what the Docker provider adds', () => {
  it('normalizeName: runs of anything but letters and digits become one "-"', () => {
    const table: Array<[string, string]> = [
      ['/my_app.1', 'my-app-1'],
      ['web_shop', 'web-shop'],
      ['--a--b--', 'a-b'],
      ['café/naïve', 'café-naïve'],
      ['x', 'x'],
    ];
    for (const [input, want] of table) assert.equal(normalizeName(input), want, input);
  });

  it('defaultServiceName: compose service_project when both labels are set, else the container name', () => {
    assert.equal(defaultServiceName({ name: '/shop-web-1', labels: WEB_LABELS }), 'web-shop');
    assert.equal(
      defaultServiceName({ name: '/shop-web-1', labels: { 'com.docker.compose.service': 'web' } }),
      'shop-web-1',
    );
    assert.equal(defaultServiceName({ name: '/adhoc_container' }), 'adhoc-container');
  });

  it('linkDockerServices: a default service, the only service for routers without one, the default port', () => {
    const table: Array<{ labels: Record<string, string>; port?: number; want: HttpConfig; problems?: RegExp[] }> = [
      {
        labels: { [`${R}.r.rule`]: 'Host(`a`)' },
        port: 80,
        want: config({
          routers: { r: { rule: 'Host(`a`)', service: 'web-shop' } },
          services: { 'web-shop': { loadBalancer: { servers: [{ port: 80 }] } } },
        }),
      },
      {
        labels: { [`${R}.r.rule`]: 'Host(`a`)', [`${S}.mine.loadbalancer.passhostheader`]: 'false' },
        port: 3000,
        want: config({
          routers: { r: { rule: 'Host(`a`)', service: 'mine' } },
          services: { mine: { loadBalancer: { passHostHeader: false, servers: [{ port: 3000 }] } } },
        }),
      },
      {
        labels: { [`${R}.r.rule`]: 'Host(`a`)', [`${S}.s.loadbalancer.server.port`]: '8080' },
        port: 80,
        want: config({
          routers: { r: { rule: 'Host(`a`)', service: 's' } },
          services: { s: { loadBalancer: { servers: [{ port: 8080 }] } } },
        }),
      },
      {
        labels: {
          [`${R}.r.rule`]: 'Host(`a`)',
          [`${R}.ok.rule`]: 'Host(`b`)',
          [`${R}.ok.service`]: 'b',
          [`${S}.a.loadbalancer.server.port`]: '1',
          [`${S}.b.loadbalancer.server.port`]: '2',
        },
        want: config({
          routers: { ok: { rule: 'Host(`b`)', service: 'b' } },
          services: {
            a: { loadBalancer: { servers: [{ port: 1 }] } },
            b: { loadBalancer: { servers: [{ port: 2 }] } },
          },
        }),
        problems: [
          /^traefik\.http\.routers\.r\.service: router r has no service and the container declares several \(a, b\)/,
        ],
      },
    ];
    for (const row of table) {
      const decoded = decodeLabels(row.labels);
      const before = structuredClone(decoded.config);
      const got = linkDockerServices(decoded.config, 'web-shop', row.port);
      assert.deepEqual(got.config, row.want);
      assert.deepEqual(decoded.config, before, 'the input is not changed');
      const want = row.problems ?? [];
      assert.equal(got.problems.length, want.length, JSON.stringify(got.problems));
      want.forEach((re, i) => assert.match(got.problems[i], re));
    }
  });
});
