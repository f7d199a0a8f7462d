import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as YAML from 'yaml';
import { exportRoutes, parseDomainMap, suggestDomainMap } from '../../proxy-core/src/scaffold';
import { mapHost, mapRule } from '../../proxy-core/src/scaffold/export/domainMap';
import { planExport } from '../../proxy-core/src/scaffold/export/exportPlan';
import { LOCAL_SUFFIXES, container, mixed, shop } from './exportCorpus';

describe('scaffold export: the domain map', () => {
  it('parses suffix and whole-name mappings, normalised', () => {
    assert.deepEqual(parseDomainMap(' .localhost=Example.com , api.localhost=api.example.org'), [
      { from: 'localhost', to: 'example.com', suffix: true },
      { from: 'api.localhost', to: 'api.example.org', suffix: false },
    ]);
    assert.deepEqual(parseDomainMap('.test=.example.net'), [{ from: 'test', to: 'example.net', suffix: true }]);
  });

  it('refuses what is not FROM=TO, naming the entry, in one line', () => {
    for (const [text, message] of [
      ['.localhost', /--domain-map "\.localhost" is not FROM=TO; for example \.localhost=example\.com/],
      ['=example.com', /is not FROM=TO/],
      ['.localhost=', /is not FROM=TO/],
      ['.localhost=exa mple.com', /--domain-map "\.localhost=exa mple\.com": Invalid host name/],
      [',', /--domain-map is empty/],
    ] as const) {
      assert.throws(
        () => parseDomainMap(text),
        (err: Error) => message.test(err.message) && !err.message.includes('\n'),
        text,
      );
    }
  });

  it('maps a whole name first, then a declared public name, then the longest suffix', () => {
    const map = parseDomainMap(
      '.localhost=example.com,.api.localhost=api.example.org,admin.localhost=backoffice.example.net',
    );
    assert.equal(mapHost(map, 'shop.localhost'), 'shop.example.com');
    assert.equal(mapHost(map, 'v1.api.localhost'), 'v1.api.example.org');
    assert.equal(mapHost(map, 'admin.localhost'), 'backoffice.example.net');
    assert.equal(mapHost(map, 'localhost'), 'example.com');
    assert.equal(mapHost(map, 'shop.test'), 'shop.test');
    const alias = { host: 'docs.example.org.localhost', publicHost: 'docs.example.org' };
    assert.equal(mapHost(map, 'docs.example.org.localhost', alias), 'docs.example.org');
  });

  it('rewrites only the names in Host matchers; paths, headers, methods and the structure stay', () => {
    const map = parseDomainMap('.localhost=example.com');
    const r = mapRule(
      '(Host(`a.localhost`) || Host(`b.localhost`)) && PathPrefix(`/x.localhost`) && !Header(`X-Host`, `c.localhost`)',
      map,
    );
    assert.equal(
      r.rule,
      '(Host(`a.example.com`) || Host(`b.example.com`)) && PathPrefix(`/x.localhost`) && !Header(`X-Host`, `c.localhost`)',
    );
    assert.deepEqual(r.hosts, ['a.example.com', 'b.example.com']);
    // Nothing to map: the rule as written, byte for byte (quotes and spacing included).
    const asWritten = 'Host("shop.example.com")&&Path(`/a`)';
    assert.equal(mapRule(asWritten, map).rule, asWritten);
    // v2's several values per matcher.
    assert.equal(mapRule('Host(`a.localhost`, `b.localhost`)', map).rule, 'Host(`a.example.com`, `b.example.com`)');
    // Regular expressions are reported, not guessed at.
    const re = mapRule('HostRegexp(`^.+\\.localhost$`)', map);
    assert.equal(re.rule, 'HostRegexp(`^.+\\.localhost$`)');
    assert.match(re.problems[0], /HostRegexp.*kept as written, map it by hand/);
  });

  it('suggests a mapping for each local suffix the routes use', () => {
    assert.equal(suggestDomainMap(shop.routes, LOCAL_SUFFIXES), '.localhost=example.com');
    assert.equal(suggestDomainMap(mixed.routes, LOCAL_SUFFIXES), '.test=example.com,.localhost=example.com');
  });
});

describe('scaffold export: the plan', () => {
  it('user routes: host and path become Host && (Path || PathPrefix with a slash), stripPrefix a middleware of the path', () => {
    const plan = planExport(shop, parseDomainMap('.localhost=example.com'));
    const admin = plan.routers.find((r) => r.name === 'shop-admin')!;
    assert.equal(admin.rule, 'Host(`shop.example.com`) && (Path(`/admin`) || PathPrefix(`/admin/`))');
    assert.deepEqual(admin.middlewares, ['shop-admin-stripprefix']);
    assert.deepEqual(plan.middlewares.get('shop-admin-stripprefix'), {
      name: 'shop-admin-stripprefix',
      type: 'stripPrefix',
      options: { prefixes: ['/admin'] },
    });
    assert.deepEqual(
      [...plan.workloads.values()].map((w) => [w.name, w.app, w.ports]),
      [
        ['web', 'shop', [8000]],
        ['api', 'shop', [3000, 9090]],
      ],
    );
  });

  it('targets on this machine and the demo page are left out, one note each', () => {
    const plan = planExport(mixed, []);
    assert.deepEqual(
      plan.notes.filter((n) => /left out/.test(n)),
      [
        'route demo.localhost: the built-in demo page has no production counterpart; left out.',
        'route local.localhost: http://127.0.0.1:5000 is a process on this machine, not a container; left out. Run it in a container (expose it as container:NAME), or route it by hand.',
      ],
    );
  });

  it('the same middleware used by two routers is defined once; a different one of the same name gets its provider in its name', () => {
    const headers = { name: 'sec@docker', type: 'headers', options: { frameDeny: true } };
    const input = {
      localSuffixes: LOCAL_SUFFIXES,
      containers: [container('a', [80]), container('b', [80])],
      routes: [
        {
          host: 'a.example.com',
          target: 'container:a:80',
          tls: 'acme' as const,
          source: 'label' as const,
          createdAt: '',
          router: 'a@docker',
          middlewares: [headers],
        },
        {
          host: 'b.example.com',
          target: 'container:b:80',
          tls: 'acme' as const,
          source: 'label' as const,
          createdAt: '',
          router: 'b@docker',
          middlewares: [headers],
        },
        {
          host: 'c.example.com',
          target: 'container:b:80',
          tls: 'acme' as const,
          source: 'file' as const,
          createdAt: '',
          router: 'c@file',
          middlewares: [{ name: 'sec@file', type: 'headers', options: { frameDeny: false } }],
        },
      ],
    };
    const plan = planExport(input, []);
    assert.deepEqual([...plan.middlewares.keys()], ['sec', 'sec-file']);
    assert.deepEqual(
      plan.routers.map((r) => r.middlewares),
      [['sec'], ['sec'], ['sec-file']],
    );
    assert.deepEqual(
      plan.routers.map((r) => r.publicTls),
      [true, true, true],
    );
  });

  it('a container called traefik, and two projects with the same service name, get distinct names', () => {
    const input = {
      localSuffixes: LOCAL_SUFFIXES,
      containers: [
        container('traefik', [8080]),
        container('one-web-1', [80], { project: 'one', service: 'web' }),
        container('two-web-1', [80], { project: 'two', service: 'web' }),
      ],
      routes: ['traefik', 'one-web-1', 'two-web-1'].map((c) => ({
        host: `${c}.example.com`,
        target: `container:${c}`,
        tls: 'acme' as const,
        source: 'user' as const,
        createdAt: '',
      })),
    };
    const plan = planExport(input, []);
    assert.deepEqual([...plan.workloads.keys()].sort(), ['one-web', 'traefik-app', 'two-web']);
    assert.ok(
      plan.notes.some((n) =>
        /"traefik" is the Traefik service of the generated files; the app is called traefik-app/.test(n),
      ),
    );
  });
});

describe('scaffold export: a router over several containers', () => {
  const input = {
    localSuffixes: LOCAL_SUFFIXES,
    containers: [
      container('api-1', [80], { project: 'api', service: 'api' }),
      container('api-2', [80], { project: 'api', service: 'api' }),
      container('legacy', [8080]),
    ],
    routes: [
      {
        host: 'api.example.com',
        target: 'container:api-1:80',
        servers: ['container:api-1:80', 'container:api-2:80', 'container:legacy:8080'],
        tls: 'acme' as const,
        source: 'label' as const,
        createdAt: '',
        router: 'api@docker',
        rule: 'Host(`api.example.com`)',
      },
      {
        host: 'v1.example.com',
        target: 'container:api-1:80',
        tls: 'acme' as const,
        source: 'user' as const,
        createdAt: '',
      },
    ],
  };

  it('replicas of one compose service are one backend; each workload serves the router its own Traefik service', () => {
    const plan = planExport(input, []);
    assert.deepEqual(plan.routers[0].backends, [
      { workload: 'api', port: 80 },
      { workload: 'legacy', port: 8080 },
    ]);
    const compose = YAML.parse(exportRoutes(input, { to: 'compose' }).files[0].text);
    assert.ok(compose.services.api.labels.includes('traefik.http.routers.api.service=api-servers'));
    assert.ok(compose.services.api.labels.includes('traefik.http.services.api-servers.loadbalancer.server.port=80'));
    assert.ok(
      compose.services.legacy.labels.includes('traefik.http.services.api-servers.loadbalancer.server.port=8080'),
    );
    // The router to api alone keeps a service of its own: it never balances onto legacy.
    assert.ok(compose.services.api.labels.includes('traefik.http.routers.v1.service=api'));
  });

  it('Kubernetes: one IngressRoute with both Services, the other namespace named and allowed', () => {
    const r = exportRoutes(input, { to: 'k8s' });
    const route = YAML.parseAllDocuments(r.files.find((f) => f.path === 'k8s/api.yaml')!.text)
      .map((d) => d.toJS())
      .find((o) => o?.kind === 'IngressRoute' && o.metadata.name === 'api');
    assert.deepEqual(route.spec.routes[0].services, [
      { name: 'api', port: 80 },
      { name: 'legacy', port: 8080, namespace: 'legacy' },
    ]);
    assert.match(r.files.find((f) => f.path === 'helm/traefik-values.yaml')!.text, /allowcrossnamespace=true/);
  });
});

describe('scaffold export: options', () => {
  it('refuses unknown targets, --ingress outside k8s, bad e-mails and networks, in one line', () => {
    const cases: Array<[Parameters<typeof exportRoutes>[1], RegExp]> = [
      [{ to: 'nomad' as 'k8s' }, /--to must be one of compose, swarm, k8s, not "nomad"/],
      [{ to: 'compose', ingress: 'standard' }, /--ingress applies to --to k8s only/],
      [{ to: 'k8s', ingress: 'nginx' as 'standard' }, /--ingress must be one of traefik, standard/],
      [{ to: 'swarm', email: 'nope' }, /"nope" is not an email address/],
      [{ to: 'swarm', network: 'a b' }, /"a b" is not a Docker network name/],
    ];
    for (const [opts, message] of cases) assert.throws(() => exportRoutes(shop, opts), message);
  });

  it('no routes, or none that reaches a container: no files, and a note that says so', () => {
    const none = exportRoutes({ routes: [], containers: [], localSuffixes: LOCAL_SUFFIXES }, { to: 'k8s' });
    assert.deepEqual(none.files, []);
    assert.match(none.notes[0], /no routes to export: expose a container first/);
  });

  it('--out prefixes every path and the next step', () => {
    const r = exportRoutes(shop, {
      to: 'swarm',
      out: 'prod',
      domainMap: '.localhost=example.com',
      email: 'ops@example.com',
    });
    assert.deepEqual(
      r.files.map((f) => f.path),
      ['prod/stack.yml', 'prod/traefik/traefik.toml'],
    );
    assert.equal(r.notes.at(-1), 'Next, on a manager: cd prod && docker stack deploy -c stack.yml app');
  });
});
