/* eslint-disable @typescript-eslint/no-explicit-any -- generated objects are checked by value */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as YAML from 'yaml';
import { exportRoutes } from '../../proxy-core/src/scaffold';
import { CORPUS, blog, mixed, shop } from './exportCorpus';
import { expectedRouters, flagsAsStatic, validateK8s, validateMiddlewareOptions, yamlObjects } from './exportSupport';

/** Kinds in the order a stream must apply them: what an object names comes before it. */
const ORDER = [
  'Namespace',
  'ClusterIssuer',
  'Secret',
  'Middleware',
  'Deployment',
  'Service',
  'Certificate',
  'IngressRoute',
  'Ingress',
];

function k8s(name: keyof typeof CORPUS, ingress: 'traefik' | 'standard') {
  const { input, domainMap } = CORPUS[name];
  const result = exportRoutes(input, { to: 'k8s', ingress, domainMap, email: 'ops@example.com' });
  const streams = result.files.filter((f) => f.path.startsWith('k8s/'));
  const objects = streams.flatMap((f) => yamlObjects(f.text));
  return { result, streams, objects };
}

/** Every name an object refers to is defined earlier in its stream (or is cluster-scoped and defined before). */
function assertApplyOrder(objects: any[]): void {
  const kinds = objects.map((o) => o.kind);
  const ranks = kinds.map((k) => ORDER.indexOf(k));
  assert.ok(
    ranks.every((r) => r >= 0),
    `known kinds: ${kinds.join(', ')}`,
  );
  assert.deepEqual(
    ranks,
    [...ranks].sort((a, b) => a - b),
    `apply order: ${kinds.join(', ')}`,
  );
  assert.equal(kinds[0], 'Namespace');
  const ns = objects[0].metadata.name;
  const seen = new Set<string>();
  const has = (kind: string, name: string) => seen.has(`${kind}/${name}`);
  for (const o of objects) {
    if (o.kind !== 'Namespace' && o.kind !== 'ClusterIssuer')
      assert.equal(o.metadata.namespace, ns, `${o.kind} ${o.metadata.name}: namespace`);
    if (o.kind === 'Middleware' && o.spec.basicAuth)
      assert.ok(has('Secret', o.spec.basicAuth.secret), 'secret before its middleware');
    if (o.kind === 'IngressRoute')
      for (const r of o.spec.routes) {
        for (const m of r.middlewares ?? [])
          assert.ok(has('Middleware', m.name), `middleware ${m.name} before ${o.metadata.name}`);
        for (const s of r.services) assert.ok(has('Service', s.name), `service ${s.name} before ${o.metadata.name}`);
      }
    if (o.kind === 'Certificate') assert.ok(has('ClusterIssuer', o.spec.issuerRef.name), 'issuer before certificate');
    if (o.kind === 'Ingress')
      for (const rule of o.spec.rules)
        for (const p of rule.http.paths) assert.ok(has('Service', p.backend.service.name), 'service before ingress');
    seen.add(`${o.kind}/${o.metadata.name}`);
  }
}

describe('scaffold export --to k8s', () => {
  for (const name of Object.keys(CORPUS) as Array<keyof typeof CORPUS>) {
    for (const ingress of ['traefik', 'standard'] as const) {
      it(`${name}, --ingress ${ingress}: every object validates against its model, in an order kubectl apply takes in one go`, async () => {
        const { streams } = k8s(name, ingress);
        assert.ok(streams.length >= 1);
        for (const s of streams) {
          const objects = yamlObjects(s.text);
          for (const o of objects) await validateK8s(o);
          assertApplyOrder(objects);
        }
      });
    }
  }

  for (const name of Object.keys(CORPUS) as Array<keyof typeof CORPUS>) {
    it(`${name}: the IngressRoutes keep every rule, priority and middleware of the source routers`, () => {
      const { input, domainMap } = CORPUS[name];
      const [from, to] = domainMap.replace(/^\./, '').split('=');
      const { objects } = k8s(name, 'traefik');
      const routes = objects.filter((o) => o.kind === 'IngressRoute');
      const middlewares = new Map(
        objects.filter((o) => o.kind === 'Middleware').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]),
      );
      const secrets = new Map(
        objects.filter((o) => o.kind === 'Secret').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]),
      );
      const expected = expectedRouters(input, from, to);
      assert.equal(routes.length, expected.length, 'one IngressRoute per exportable router');
      for (const e of expected) {
        const ir = routes.find((o) => o.metadata.name === e.name);
        assert.ok(ir, `IngressRoute ${e.name}`);
        assert.equal(ir.spec.routes.length, 1);
        const [route] = ir.spec.routes;
        assert.equal(route.match, e.rule, `${e.name}: match`);
        assert.equal(route.priority, e.priority, `${e.name}: priority`);
        assert.deepEqual(
          (route.middlewares ?? []).map((m: any) => m.name),
          e.middlewares.map((m) => m.name),
          `${e.name}: middlewares in order`,
        );
        if (e.port) assert.equal(route.services[0].port, e.port, `${e.name}: port`);
        assert.deepEqual(ir.spec.entryPoints, ['websecure']);
        for (const m of e.middlewares) {
          const obj = middlewares.get(`${ir.metadata.namespace}/${m.name}`);
          assert.ok(obj, `Middleware ${m.name}`);
          assert.deepEqual(Object.keys(obj.spec), [m.type], `${m.name}: type`);
          if (m.type === 'basicAuth') {
            const { users, ...rest } = m.options as { users: string[] };
            assert.deepEqual(obj.spec.basicAuth, { ...rest, secret: obj.spec.basicAuth.secret });
            const secret = secrets.get(`${ir.metadata.namespace}/${obj.spec.basicAuth.secret}`);
            assert.deepEqual(Object.keys(secret.stringData), ['users'], 'one key: Traefik reads a single-entry Secret');
            assert.deepEqual(secret.stringData.users.trim().split('\n'), users);
          } else {
            assert.deepEqual(obj.spec[m.type], m.options, `${m.name}: options carried over`);
            validateMiddlewareOptions(m.type, obj.spec[m.type]);
          }
        }
      }
    });
  }

  it('local names keep TLS with the default certificate and are reported as needing a public name; public ones ask the resolver', () => {
    const result = exportRoutes(shop, { to: 'k8s', email: 'ops@example.com' });
    const routes = result.files
      .flatMap((f) => (f.path.startsWith('k8s/') ? yamlObjects(f.text) : []))
      .filter((o) => o.kind === 'IngressRoute');
    for (const r of routes) assert.deepEqual(r.spec.tls, {});
    assert.ok(
      result.notes.some((n) =>
        /router shop .*shop\.localhost needs a public name.*--domain-map \.localhost=example\.com/.test(n),
      ),
      result.notes.join('\n'),
    );
    const mapped = k8s('shop', 'traefik').objects.filter((o) => o.kind === 'IngressRoute');
    for (const r of mapped) assert.deepEqual(r.spec.tls, { certResolver: 'letsencrypt' });
  });

  it('one stream per app, in a namespace of its own; each container gets a Deployment (image, ports) and a Service', () => {
    const { streams, objects } = k8s('mixed', 'traefik');
    assert.deepEqual(streams.map((s) => s.path).sort(), ['k8s/app.yaml', 'k8s/docs.yaml']);
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    assert.deepEqual(deployments.map((d) => `${d.metadata.namespace}/${d.metadata.name}`).sort(), [
      'app/app',
      'app/canary',
      'docs/docs',
    ]);
    const app = deployments.find((d) => d.metadata.name === 'app');
    assert.equal(app.spec.template.spec.containers[0].image, mixed.containers[0].image);
    assert.deepEqual(app.spec.selector.matchLabels, app.spec.template.metadata.labels);
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'app');
    assert.deepEqual(service.spec.selector, app.spec.selector.matchLabels);
    assert.deepEqual(
      service.spec.ports.map((p: any) => p.port),
      [5000],
    );
    // The v2 rule keeps its syntax; the public alias replaces the local name.
    const legacy = objects.find((o) => o.kind === 'IngressRoute' && o.metadata.name === 'legacy');
    assert.equal(legacy.spec.routes[0].syntax, 'v2');
    const docs = objects.find((o) => o.kind === 'IngressRoute' && o.metadata.name === 'docs');
    assert.equal(docs.spec.routes[0].match, 'Host(`docs.example.org`)');
  });

  it('--ingress standard: an Ingress of class traefik for the routers it can say, cert-manager for their names, one line for each router it cannot', () => {
    const { result, objects } = k8s('mixed', 'standard');
    const ingress = objects.find((o) => o.kind === 'Ingress' && o.metadata.namespace === 'app');
    assert.equal(ingress.spec.ingressClassName, 'traefik');
    assert.deepEqual(
      ingress.spec.rules.map((r: any) => [
        r.host,
        r.http.paths.map(
          (p: any) => `${p.pathType} ${p.path} ${p.backend.service.name}:${p.backend.service.port.number}`,
        ),
      ]),
      [
        ['app.example.net', ['Prefix / app:5000']],
        ['legacy.app.example.net', ['Prefix / app:5000']],
        ['old.app.example.net', ['Prefix / app:5000']],
      ],
    );
    const left = result.notes.filter((n) => /left out of the Ingress/.test(n));
    assert.equal(left.length, 1, left.join('\n'));
    assert.match(
      left[0],
      /^router canary .*Header, Method.*middlewares \(old-api, to-https, prefix\).*priority 200.*--ingress traefik keeps it\.$/,
    );
    const issuer = objects.find((o) => o.kind === 'ClusterIssuer');
    assert.equal(issuer.spec.acme.server, 'https://acme-v02.api.letsencrypt.org/directory');
    assert.equal(issuer.spec.acme.email, 'ops@example.com');
    assert.deepEqual(issuer.spec.acme.solvers, [{ http01: { ingress: { ingressClassName: 'traefik' } } }]);
    const certs = objects.filter((o) => o.kind === 'Certificate' && o.metadata.namespace === 'app');
    assert.deepEqual(
      certs
        .map((c) => c.spec.dnsNames)
        .flat()
        .sort(),
      ['app.example.net', 'legacy.app.example.net', 'old.app.example.net'],
    );
    for (const c of certs)
      assert.ok(
        ingress.spec.tls.some((t: any) => t.secretName === c.spec.secretName && t.hosts[0] === c.spec.dnsNames[0]),
      );
    assert.equal(
      objects.filter((o) => o.kind === 'IngressRoute' || o.kind === 'Middleware').length,
      0,
      'no Traefik CRDs',
    );
  });

  it('--ingress standard: path rules become Prefix/Exact paths; an || of paths, or middlewares, are reported', () => {
    const { result, objects } = k8s('blog', 'standard');
    assert.equal(objects.filter((o) => o.kind === 'Ingress').length, 0, 'no router of the blog fits an Ingress');
    assert.equal(result.notes.filter((n) => /left out of the Ingress/.test(n)).length, 2);
    const shopStd = k8s('shop', 'standard');
    const ingress = shopStd.objects.find((o) => o.kind === 'Ingress');
    assert.deepEqual(
      ingress.spec.rules[0].http.paths.map((p: any) => `${p.pathType} ${p.path}`),
      ['Prefix /'],
    );
  });

  it('middlewares that name files or Traefik services are translated or reported, never dropped silently', () => {
    const input = {
      ...blog,
      routes: [
        {
          ...blog.routes[0],
          middlewares: [
            { name: 'auth@file', type: 'basicAuth', options: { usersFile: '/etc/traefik/users' } },
            {
              name: 'oops@docker',
              type: 'errors',
              options: { status: ['500-599'], service: 'errorpages@docker', query: '/{status}.html' },
            },
            {
              name: 'sso@docker',
              type: 'forwardAuth',
              options: {
                address: 'https://sso.example.com/auth',
                tls: { ca: '/certs/ca.pem', insecureSkipVerify: false },
              },
            },
          ],
        },
      ],
    };
    const result = exportRoutes(input, { to: 'k8s', email: 'ops@example.com' });
    const objects = yamlObjects(result.files[0].text);
    const secret = objects.find((o) => o.kind === 'Secret');
    assert.match(secret.stringData.users, /^REPLACE-ME:/, 'a placeholder no password matches');
    assert.ok(
      result.notes.some((n) => /middleware auth \(basicAuth\): its users file \(\/etc\/traefik\/users\)/.test(n)),
    );
    assert.ok(result.notes.some((n) => /middleware oops \(errors\).*errorpages@docker/.test(n)));
    assert.ok(
      result.notes.some((n) =>
        /middleware oops \(errors\) is left out, so the IngressRoutes that use it will not start/.test(n),
      ),
    );
    const sso = objects.find((o) => o.kind === 'Middleware' && o.metadata.name === 'sso');
    assert.deepEqual(sso.spec.forwardAuth, {
      address: 'https://sso.example.com/auth',
      tls: { insecureSkipVerify: false },
    });
    assert.ok(result.notes.some((n) => /middleware sso \(forwardAuth\): its TLS files \(ca\)/.test(n)));
    const ir = objects.find((o) => o.kind === 'IngressRoute');
    assert.deepEqual(
      ir.spec.routes[0].middlewares.map((m: any) => m.name),
      ['auth', 'oops', 'sso'],
      'the router still names every middleware',
    );
  });

  it('helm/traefik-values.yaml: the static options it passes are valid Traefik v3 flags', () => {
    for (const ingress of ['traefik', 'standard'] as const) {
      const values = YAML.parse(
        k8s('blog', ingress).result.files.find((f) => f.path === 'helm/traefik-values.yaml')!.text,
      );
      const cfg = flagsAsStatic(values.additionalArguments);
      assert.equal(cfg.entryPoints.web.http.redirections.entryPoint.to, 'websecure');
      if (ingress === 'traefik') {
        assert.equal(cfg.certificatesResolvers.letsencrypt.acme.email, 'ops@example.com');
        assert.equal(values.deployment.replicas, 1);
        assert.equal(values.persistence.enabled, true);
      } else assert.equal(cfg.certificatesResolvers, undefined);
    }
  });
});
