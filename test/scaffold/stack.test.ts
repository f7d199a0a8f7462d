import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { StackOptions, generateStack } from '../../proxy-core/src/scaffold';
import { tempDir } from '../support/env';
import { dynamicConfig, staticConfig, validateLabels } from './support';

const BASE: StackOptions = {
  email: 'ops@example.com',
  service: 'flask',
  hosts: ['myhost.example.com'],
  port: 5000,
  image: 'registry.example.com/flask:1',
};

/** Why `docker-compose config` cannot run here (the compose service sets CHS_TEST_NO_COMPOSE), or undefined. */
const composeMissing =
  process.env.CHS_TEST_NO_COMPOSE ||
  (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'docker-compose is not on PATH');

describe('scaffold: a whole stack (docker-compose.yml + traefik.toml)', () => {
  const cases: Array<[string, StackOptions]> = [
    ['defaults', BASE],
    ['dashboard on the host loopback', { ...BASE, dashboard: 'loopback' }],
    [
      'dashboard behind basic auth, tls challenge, staging',
      {
        ...BASE,
        dashboard: 'basic-auth',
        dashboardHost: 'traefik.example.com',
        challenge: 'tls',
        staging: true,
        network: 'edge',
      },
    ],
  ];
  for (const [name, opts] of cases) {
    it(`${name}: compose parses with Traefik v3 and the app on one network; configs validate`, () => {
      const stack = generateStack(opts);
      const compose = YAML.parse(stack.compose);
      const network = opts.network ?? 'proxy';
      const traefik = compose.services.traefik;
      assert.match(traefik.image, /^traefik:v3/);
      assert.deepEqual(traefik.ports.slice(0, 2), ['80:80', '443:443']);
      assert.ok(traefik.volumes.includes('/var/run/docker.sock:/var/run/docker.sock:ro'), 'docker socket read-only');
      assert.ok(traefik.volumes.includes('./traefik/acme:/etc/traefik/acme'), 'acme storage volume');
      assert.ok(traefik.volumes.includes('./traefik/traefik.toml:/etc/traefik/traefik.toml:ro'));
      assert.deepEqual(traefik.networks, [network]);
      assert.deepEqual(compose.networks, { [network]: { name: network } });
      const app = compose.services.flask;
      assert.equal(app.image, opts.image);
      assert.deepEqual(app.networks, [network]);
      assert.ok(app.labels.includes(`traefik.docker.network=${network}`));
      validateLabels(app.labels);
      // Ports quoted, so YAML 1.1 readers do not take 80:80 for a base-60 number.
      assert.match(stack.compose, /- "80:80"/);

      const cfg = staticConfig(stack.traefikToml);
      assert.equal(cfg.providers.docker.network, network);
      assert.equal(cfg.certificatesResolvers.letsencrypt.acme.storage, '/etc/traefik/acme/acme.json');
      if (opts.dashboard === 'loopback') {
        assert.ok(traefik.ports.includes('127.0.0.1:8080:8080'), 'dashboard published on the host loopback only');
        assert.equal(cfg.entryPoints.traefik.address, ':8080');
      } else {
        assert.ok(!traefik.ports.some((p: string) => p.endsWith(':8080')), 'no dashboard port published');
        assert.notEqual(cfg.api?.insecure, true);
      }
      if (opts.dashboard === 'basic-auth') {
        assert.ok(traefik.volumes.includes('./traefik/dynamic:/etc/traefik/dynamic:ro'));
        assert.equal(dynamicConfig(stack.dashboardToml!).http.routers.dashboard.rule, 'Host(`traefik.example.com`)');
      } else assert.equal(stack.dashboardToml, undefined);
    });
  }

  it('refuses an app service called traefik, and a basic-auth dashboard without a host', () => {
    assert.throws(() => generateStack({ ...BASE, service: 'traefik' }), /cannot be called "traefik"/);
    assert.throws(() => generateStack({ ...BASE, dashboard: 'basic-auth' }), /--dashboard-host/);
  });

  it(
    'docker-compose config accepts the generated stack (Debian docker-compose, YAML 1.1, compose schema)',
    { skip: composeMissing },
    () => {
      for (const [, opts] of cases) {
        const dir = tempDir('chs-stack-');
        try {
          const stack = generateStack(opts);
          fs.mkdirSync(path.join(dir, 'traefik', 'acme'), { recursive: true });
          fs.writeFileSync(path.join(dir, 'docker-compose.yml'), stack.compose);
          fs.writeFileSync(path.join(dir, 'traefik', 'traefik.toml'), stack.traefikToml);
          const r = spawnSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
          assert.equal(r.status, 0, r.stderr);
          const resolved = YAML.parse(r.stdout);
          assert.deepEqual(
            resolved.services.traefik.ports.map((p: { published: number }) => Number(p.published)).slice(0, 2),
            [80, 443],
          );
          assert.equal(resolved.services.flask.labels['traefik.http.services.flask.loadbalancer.server.port'], '5000');
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    },
  );
});
