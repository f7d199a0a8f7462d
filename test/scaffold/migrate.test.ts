/* eslint-disable @typescript-eslint/no-explicit-any -- parsed Traefik and compose configs are checked against the schemas and by value, not by a TypeScript type */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as YAML from 'yaml';
import { migrateComposeLabels, migrateTraefikV1 } from '../../proxy-core/src/scaffold';
import { migrateLabelPairs } from '../../proxy-core/src/scaffold/migrateLabels';
import { blog, staticConfig, validateLabels } from './support';

function labelsOf(text: string, service: string): Array<[string, string]> {
  const labels = (YAML.parse(text, { merge: true }) as any).services[service].labels;
  if (Array.isArray(labels))
    return labels.map((l: string) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
  return Object.entries(labels ?? {}).map(([k, v]) => [k, String(v)]);
}

describe("migrate: the blog's Traefik v1 traefik.toml", () => {
  const { toml, unmapped } = migrateTraefikV1(blog.v1Toml);
  const cfg = staticConfig(toml);
  const reported = new Map(unmapped.map((u) => [u.key, u.reason]));

  it('validates against the v3 static schema', () => {
    assert.ok(cfg.entryPoints);
  });

  it('entry points: http → web on :80 redirecting permanently to websecure; https → websecure on :443 with TLS', () => {
    assert.equal(cfg.entryPoints.web.address, ':80');
    assert.deepEqual(cfg.entryPoints.web.http.redirections.entryPoint, {
      to: 'websecure',
      scheme: 'https',
      permanent: true,
    });
    assert.equal(cfg.entryPoints.websecure.address, ':443');
    assert.deepEqual(cfg.entryPoints.websecure.http.tls, { certResolver: 'letsencrypt' });
    // defaultEntryPoints = ["http", "https"]
    assert.equal(cfg.entryPoints.web.asDefault, true);
    assert.equal(cfg.entryPoints.websecure.asDefault, true);
    assert.equal(cfg.entryPoints.http, undefined);
    assert.equal(cfg.entryPoints.https, undefined);
  });

  it('[acme] becomes the letsencrypt resolver with its email and storage, and a challenge that still exists', () => {
    assert.deepEqual(cfg.certificatesResolvers.letsencrypt.acme, {
      email: 'test@traefik.io',
      storage: '/etc/traefik/acme/acme.json',
      httpChallenge: { entryPoint: 'web' },
    });
    assert.match(reported.get('acme (challenge)') ?? '', /TLS-SNI-01/);
  });

  it('[docker] becomes providers.docker; domain becomes defaultRule; the case-insensitive v1 key exposedbydefault is read', () => {
    assert.deepEqual(cfg.providers.docker, {
      endpoint: 'unix:///var/run/docker.sock',
      defaultRule: 'Host(`{{ normalize .Name }}.example.com`)',
      watch: true,
      exposedByDefault: false,
    });
  });

  it('[web] on :8080 becomes the dashboard on loopback only (never insecure on a public address)', () => {
    assert.deepEqual(cfg.api, { dashboard: true, insecure: true });
    assert.equal(cfg.entryPoints.traefik.address, '127.0.0.1:8080');
    assert.equal(cfg.entryPoints.traefik.asDefault, undefined);
    assert.match(reported.get('[web] address') ?? '', /127\.0\.0\.1:8080/);
  });

  it('every v1 key not carried over is listed with a reason (OnHostRule, onDemand, acme.entryPoint)', () => {
    assert.deepEqual(
      [...reported.keys()].sort(),
      [
        '[web] address',
        'acme (challenge)',
        'acme.entryPoint',
        'acme.onDemand',
        'acme.onHostRule',
        'acme.storage',
      ].sort(),
    );
    for (const reason of reported.values()) assert.ok(reason.length > 10);
    // The list also travels in the output, for someone who only reads the file.
    assert.match(toml, /# Not carried over as-is[\s\S]*acme\.onHostRule: implicit in v3/);
  });
});

describe('migrate: other v1 static settings', () => {
  it('nothing is dropped silently: unknown and unmappable keys are all reported', () => {
    const { toml, unmapped } = migrateTraefikV1(`
logLevel = "warn"
graceTimeOut = 10
[entryPoints]
  [entryPoints.http]
  address = ":80"
  compress = true
    [entryPoints.http.redirect]
    regex = "^http://(.*)"
    replacement = "https://$1"
  [entryPoints.https]
  address = ":443"
    [entryPoints.https.tls]
    minVersion = "VersionTLS12"
      [[entryPoints.https.tls.certificates]]
      certFile = "a.crt"
      keyFile = "a.key"
[api]
entryPoint = "https"
[file]
filename = "rules.toml"
[marathon]
endpoint = "http://m:8080"
[[acme.domains]]
main = "example.com"
[acme]
email = "a@example.com"
storage = "acme.json"
[acme.dnsChallenge]
provider = "route53"
delayBeforeCheck = 30
`);
    const cfg = staticConfig(toml);
    assert.equal(cfg.log.level, 'WARN');
    assert.deepEqual(cfg.providers.file, { filename: 'rules.toml' });
    assert.deepEqual(cfg.certificatesResolvers.letsencrypt.acme.dnsChallenge, {
      provider: 'route53',
      propagation: { delayBeforeChecks: '30s' },
    });
    assert.deepEqual(cfg.api, { dashboard: true }, 'a dashboard on a public entry point is not made insecure');
    const keys = unmapped.map((u) => u.key);
    for (const k of [
      'graceTimeOut',
      'entryPoints.http.compress',
      'entryPoints.http.redirect',
      'entryPoints.https.tls.certificates',
      'entryPoints.https.tls',
      'api.entryPoint',
      'file',
      'marathon.endpoint',
      'acme.domains',
    ]) {
      assert.ok(keys.includes(k), `${k} not reported; reported: ${keys.join(', ')}`);
    }
  });

  it('v1.5+ [api] on the traefik entry point: the dashboard moves to loopback, its public address and auth are reported', () => {
    const { toml, unmapped } = migrateTraefikV1(`
debug = false
logLevel = "ERROR"
[entryPoints]
  [entryPoints.http]
  address = ":80"
  [entryPoints.traefik]
  address = ":9090"
    [entryPoints.traefik.auth.basic]
    users = ["admin:$apr1$xyz"]
[retry]
[api]
entryPoint = "traefik"
dashboard = true
`);
    const cfg = staticConfig(toml);
    assert.equal(cfg.log.level, 'ERROR');
    assert.equal(cfg.entryPoints.traefik.address, '127.0.0.1:9090');
    assert.deepEqual(cfg.api, { dashboard: true, insecure: true });
    assert.equal(cfg.entryPoints.web.asDefault, true, 'routers stay off the dashboard entry point');
    const keys = unmapped.map((u) => u.key);
    assert.deepEqual(keys.sort(), ['[api] entryPoint', 'entryPoints.traefik.auth', 'retry'].sort());
  });

  it('swarm mode moves to providers.swarm', () => {
    const cfg = staticConfig(
      migrateTraefikV1('[docker]\nendpoint = "tcp://manager:2375"\nswarmMode = true\nswarmModeRefreshSeconds = 30\n')
        .toml,
    );
    assert.deepEqual(cfg.providers.swarm, { endpoint: 'tcp://manager:2375', refreshSeconds: '30s' });
    assert.equal(cfg.providers.docker, undefined);
  });

  it('invalid TOML is a one-line error with its line', () => {
    assert.throws(
      () => migrateTraefikV1('[acme]\nemail = \n'),
      (err: Error) =>
        err.name === 'UserError' && /not valid TOML \(line 2/.test(err.message) && !err.message.includes('\n'),
    );
  });
});

describe('migrate: v1 labels', () => {
  it("the blog's deployment labels (map form in its ansible role) → a valid v3 router and service", () => {
    const m = migrateLabelPairs(blog.ansibleLabels, 'flask');
    assert.deepEqual(m.unmapped, []);
    assert.deepEqual(Object.fromEntries(m.labels), {
      'traefik.http.routers.flask.rule': 'Host(`myhost.example.com`)',
      'traefik.http.services.flask.loadbalancer.server.port': '5000',
      'traefik.http.routers.flask.entrypoints': 'websecure',
      'traefik.http.routers.flask.tls.certresolver': 'letsencrypt',
    });
    assert.deepEqual(m.replaced.sort(), ['traefik.backend', 'traefik.frontend.rule', 'traefik.port']);
    validateLabels([['traefik.enable', 'true'], ...m.labels]);
  });

  const table: Array<[string, Array<[string, string]>, Record<string, string>]> = [
    [
      'traefik.backend names the service and links the router',
      [
        ['traefik.backend', 'api'],
        ['traefik.port', '8000'],
      ],
      { 'traefik.http.routers.web.service': 'api', 'traefik.http.services.api.loadbalancer.server.port': '8000' },
    ],
    [
      'traefik.protocol → server.scheme',
      [['traefik.protocol', 'https']],
      { 'traefik.http.services.web.loadbalancer.server.scheme': 'https' },
    ],
    [
      'frontend.entryPoints=http only: no TLS resolver',
      [['traefik.frontend.entryPoints', 'http']],
      { 'traefik.http.routers.web.entrypoints': 'web', 'traefik.http.routers.web.tls.certresolver': '(absent)' },
    ],
    [
      'frontend.entryPoints=http,https',
      [['traefik.frontend.entryPoints', 'http,https']],
      { 'traefik.http.routers.web.entrypoints': 'web,websecure' },
    ],
    [
      'basic auth → middleware',
      [['traefik.frontend.auth.basic.users', 'u:$$apr1$$h']],
      {
        'traefik.http.middlewares.web-auth.basicauth.users': 'u:$$apr1$$h',
        'traefik.http.routers.web.middlewares': 'web-auth',
      },
    ],
    [
      'a frontend redirect → redirectscheme middleware',
      [['traefik.frontend.redirect.entryPoint', 'https']],
      {
        'traefik.http.middlewares.web-redirect.redirectscheme.scheme': 'https',
        'traefik.http.middlewares.web-redirect.redirectscheme.permanent': 'true',
      },
    ],
    [
      'whitelist → ipallowlist',
      [['traefik.frontend.whiteList.sourceRange', '10.0.0.0/8']],
      { 'traefik.http.middlewares.web-allow.ipallowlist.sourcerange': '10.0.0.0/8' },
    ],
    [
      'v1.7 segments become their own routers',
      [
        ['traefik.admin.frontend.rule', 'Host:admin.a.com'],
        ['traefik.admin.port', '9000'],
      ],
      {
        'traefik.http.routers.admin.rule': 'Host(`admin.a.com`)',
        'traefik.http.services.admin.loadbalancer.server.port': '9000',
      },
    ],
    [
      'stickiness and health checks',
      [
        ['traefik.backend.loadbalancer.stickiness', 'true'],
        ['traefik.backend.healthcheck.path', '/health'],
      ],
      {
        'traefik.http.services.web.loadbalancer.sticky.cookie': 'true',
        'traefik.http.services.web.loadbalancer.healthcheck.path': '/health',
      },
    ],
  ];
  for (const [name, labels, expected] of table) {
    it(`${name}; the result validates as v3 dynamic configuration`, () => {
      const m = migrateLabelPairs(labels, 'web');
      const map = Object.fromEntries(m.labels);
      for (const [k, v] of Object.entries(expected)) assert.equal(map[k] ?? '(absent)', v, k);
      validateLabels(m.labels);
    });
  }

  it('a rule that is wholly a compose variable is moved as it is, and reported', () => {
    for (const v of ['${RULE}', '$RULE']) {
      const m = migrateLabelPairs([['traefik.frontend.rule', v]], 'web');
      assert.equal(Object.fromEntries(m.labels)['traefik.http.routers.web.rule'], v);
      assert.match(m.unmapped[0].reason, /variable/);
    }
  });

  it('weight and tags are reported and left in place', () => {
    const m = migrateLabelPairs(
      [
        ['traefik.weight', '10'],
        ['traefik.tags', 'a'],
        ['traefik.frontend.rule', 'Host:a.com'],
      ],
      'web',
    );
    assert.deepEqual(
      m.unmapped.map((u) => u.key),
      ['web: traefik.weight', 'web: traefik.tags'],
    );
    assert.deepEqual(m.replaced, ['traefik.frontend.rule']);
  });
});

describe("migrate: the blog's docker-compose.yml", () => {
  const { text, unmapped } = migrateComposeLabels(blog.compose);

  it("v1 labels are replaced in place, in the file's quoting; everything else is byte for byte the same", () => {
    assert.deepEqual(labelsOf(text, 'flask'), [
      ['traefik.enable', 'true'],
      ['traefik.http.routers.flask.rule', '${TRAEFIK_FRONTEND_RULE}'],
      ['traefik.http.routers.flask.entrypoints', 'websecure'],
      ['traefik.http.routers.flask.tls.certresolver', 'letsencrypt'],
    ]);
    const untouched = (t: string) =>
      t
        .split('\n')
        .filter((l) => !/traefik\.(backend|frontend|http)/.test(l))
        .join('\n');
    assert.equal(untouched(text), untouched(blog.compose));
    assert.match(text, /^ {6}- "traefik\.http\.routers\.flask\.entrypoints=websecure"$/m);
  });

  it('reports the rule that comes from a variable, the untagged traefik image and the public dashboard port', () => {
    const keys = unmapped.map((u) => u.key);
    assert.deepEqual(keys, ['flask: traefik.frontend.rule', 'traefik: image traefik', 'traefik: ports 8080:8080']);
    assert.match(unmapped[0].reason, /Host\(`myhost\.example\.com`\)/);
  });

  it('with the variable set the v3 way, the labels validate', () => {
    validateLabels(
      labelsOf(text, 'flask').map(
        ([k, v]) => [k, v.replace('${TRAEFIK_FRONTEND_RULE}', 'Host(`myhost.example.com`)')] as [string, string],
      ),
    );
  });

  it('a file without v1 labels comes back unchanged', () => {
    const src = 'services:\n  app:\n    image: x\n    labels:\n      - traefik.enable=true\n';
    assert.equal(migrateComposeLabels(src).text, src);
  });
});
