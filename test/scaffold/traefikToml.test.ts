/* eslint-disable @typescript-eslint/no-explicit-any -- parsed Traefik and compose configs are checked against the schemas and by value, not by a TypeScript type */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  LE_STAGING,
  TraefikTomlOptions,
  generateDashboardConfig,
  generateTraefikToml,
} from '../../proxy-core/src/scaffold';
import { dynamicConfig, staticConfig } from './support';

/** Loopback in the dashboard entry point's address, the only place `insecure` may serve it. */
function dashboardIsSafe(cfg: Record<string, any>): void {
  if (cfg.api?.insecure) {
    const address: string = cfg.entryPoints?.traefik?.address ?? ':8080';
    assert.ok(
      /^(127\.[\d.]+|\[::1\]|localhost):\d+$/.test(address) || address === ':8080',
      `insecure dashboard on ${address}`,
    );
  }
}

describe('scaffold: traefik.toml (v3 static config)', () => {
  const cases: Array<[string, TraefikTomlOptions]> = [
    ['defaults', { email: 'ops@example.com' }],
    [
      'tls challenge, staging, custom network',
      { email: 'ops@example.com', challenge: 'tls', staging: true, network: 'edge' },
    ],
    ['dashboard on loopback, debug log', { email: 'ops@example.com', dashboard: 'loopback', logLevel: 'DEBUG' }],
    [
      'dashboard behind basic auth',
      { email: 'ops@example.com', dashboard: 'basic-auth', dockerEndpoint: 'tcp://docker-proxy:2375' },
    ],
    [
      'stack-style loopback (published on host loopback)',
      { email: 'ops@example.com', dashboard: 'loopback', dashboardAddress: ':8080', storage: '/letsencrypt/acme.json' },
    ],
  ];

  for (const [name, opts] of cases) {
    it(`${name}: parses, validates against the v3 schema, and says what was asked`, () => {
      const cfg = staticConfig(generateTraefikToml(opts));
      assert.equal(cfg.entryPoints.web.address, ':80');
      assert.deepEqual(cfg.entryPoints.web.http.redirections.entryPoint, {
        to: 'websecure',
        scheme: 'https',
        permanent: true,
      });
      assert.equal(cfg.entryPoints.websecure.address, ':443');
      assert.equal(cfg.entryPoints.websecure.http.tls.certResolver, 'letsencrypt');
      const acme = cfg.certificatesResolvers.letsencrypt.acme;
      assert.equal(acme.email, opts.email);
      assert.equal(acme.storage, opts.storage ?? '/etc/traefik/acme/acme.json');
      assert.equal(acme.caServer, opts.staging ? LE_STAGING : undefined);
      if ((opts.challenge ?? 'http') === 'http') {
        assert.deepEqual(acme.httpChallenge, { entryPoint: 'web' });
        assert.equal(acme.tlsChallenge, undefined);
      } else {
        assert.deepEqual(acme.tlsChallenge, {});
        assert.equal(acme.httpChallenge, undefined);
      }
      assert.deepEqual(cfg.providers.docker, {
        endpoint: opts.dockerEndpoint ?? 'unix:///var/run/docker.sock',
        exposedByDefault: false,
        network: opts.network ?? 'proxy',
      });
      assert.equal(cfg.log.level, opts.logLevel ?? 'INFO');
      dashboardIsSafe(cfg);
      const dashboard = opts.dashboard ?? 'off';
      if (dashboard === 'off') assert.equal(cfg.api, undefined);
      if (dashboard === 'loopback') {
        assert.deepEqual(cfg.api, { dashboard: true, insecure: true });
        assert.equal(cfg.entryPoints.traefik.address, opts.dashboardAddress ?? '127.0.0.1:8080');
        // Routers without entrypoints must not land on the dashboard's entry point.
        assert.equal(cfg.entryPoints.web.asDefault, true);
        assert.equal(cfg.entryPoints.websecure.asDefault, true);
      }
      if (dashboard === 'basic-auth') {
        assert.deepEqual(cfg.api, { dashboard: true });
        assert.deepEqual(cfg.providers.file, { directory: '/etc/traefik/dynamic', watch: true });
        assert.equal(cfg.entryPoints.traefik, undefined);
      }
    });
  }

  it('keeps the reminder that acme.json must be mode 600', () => {
    assert.match(generateTraefikToml({ email: 'ops@example.com' }), /must be mode 600/);
  });

  const refusals: Array<[string, TraefikTomlOptions, RegExp]> = [
    ['a missing email', { email: '' }, /email address/],
    ['a malformed email', { email: 'ops at example' }, /not an email address/],
    ['a bad network name', { email: 'ops@example.com', network: 'my net' }, /not a Docker network name/],
    ['an unknown challenge', { email: 'ops@example.com', challenge: 'dns' as 'http' }, /Unknown ACME challenge/],
    [
      'an insecure dashboard on a public address',
      { email: 'ops@example.com', dashboard: 'loopback', dashboardAddress: '0.0.0.0:8080' },
      /not a loopback address/,
    ],
    ['an unknown log level', { email: 'ops@example.com', logLevel: 'LOUD' as 'INFO' }, /Unknown log level/],
  ];
  for (const [name, opts, message] of refusals) {
    it(`refuses ${name} with a one-line reason`, () => {
      assert.throws(
        () => generateTraefikToml(opts),
        (err: Error) => err.name === 'UserError' && message.test(err.message) && !err.message.includes('\n'),
      );
    });
  }
});

describe('scaffold: dashboard dynamic config (basic auth)', () => {
  it('validates against the v3 file-provider schema: router to api@internal over websecure with basic auth', () => {
    const cfg = dynamicConfig(
      generateDashboardConfig({ host: 'traefik.example.com', users: ['admin:$2y$05$abcdefghijklmnopqrstuv'] }),
    );
    assert.deepEqual(cfg.http.routers.dashboard, {
      rule: 'Host(`traefik.example.com`)',
      entryPoints: ['websecure'],
      service: 'api@internal',
      middlewares: ['dashboard-auth'],
      tls: { certResolver: 'letsencrypt' },
    });
    assert.deepEqual(cfg.http.middlewares['dashboard-auth'].basicAuth.users, ['admin:$2y$05$abcdefghijklmnopqrstuv']);
  });

  it('without users, stays closed behind a placeholder no password matches', () => {
    const cfg = dynamicConfig(generateDashboardConfig({ host: 'traefik.example.com' }));
    assert.match(cfg.http.middlewares['dashboard-auth'].basicAuth.users[0], /^admin:REPLACE/);
  });

  it('refuses a user line that is not user:hash', () => {
    assert.throws(() => generateDashboardConfig({ host: 'traefik.example.com', users: ['admin'] }), /htpasswd/);
  });
});
