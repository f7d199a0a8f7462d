/* eslint-disable @typescript-eslint/no-explicit-any -- generated stack files are checked by value */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { exportRoutes } from '../../proxy-core/src/scaffold';
import type { ExportInput } from '../../proxy-core/src/scaffold/export/types';
import { tempDir } from '../support/env';
import { until } from '../support/wait';
import { IMAGE } from '../docker/engine';
import { CORPUS, blog, container } from './exportCorpus';
import { expectedRouters } from './exportSupport';
import { staticConfig, validateLabels } from './support';
import { privateDockerdMissing } from '../support/privateDockerd';
import { SwarmEngine } from './swarmEngine';

const composeMissing =
  process.env.CHS_TEST_NO_COMPOSE ||
  (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'docker-compose is not on PATH');
// Older CLIs (Debian's 20.10) answer `stack config --help` with the usage of `stack` itself.
const stackConfigMissing = /--compose-file/.test(
  spawnSync('docker', ['stack', 'config', '--help'], { encoding: 'utf8' }).stdout ?? '',
)
  ? undefined
  : 'this docker CLI has no `docker stack config` (Docker 23 and later have it)';

function exported(input: ExportInput, domainMap?: string) {
  const result = exportRoutes(input, { to: 'swarm', domainMap, email: 'ops@example.com' });
  const file = (p: string) => result.files.find((f) => f.path === p)!.text;
  return {
    result,
    stack: YAML.parse(file('stack.yml')),
    stackText: file('stack.yml'),
    toml: file('traefik/traefik.toml'),
  };
}

function writeFiles(files: Array<{ path: string; text: string }>): string {
  const dir = tempDir('chs-export-swarm-');
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.path), f.text);
  }
  return dir;
}

const unescape = (label: string) => label.replace(/\$\$/g, '$');

describe('scaffold export --to swarm', () => {
  for (const name of Object.keys(CORPUS) as Array<keyof typeof CORPUS>) {
    it(`${name}: labels under deploy.labels, with traefik.swarm.network and a port on every service, read back as the source routers`, () => {
      const { input, domainMap } = CORPUS[name];
      const [from, to] = domainMap.replace(/^\./, '').split('=');
      const { stack } = exported(input, domainMap);
      const apps = Object.entries<any>(stack.services).filter(([n]) => n !== 'traefik');
      for (const [svc, s] of apps) {
        assert.equal(s.labels, undefined, `${svc}: no container labels (Swarm reads the service's)`);
        const labels: string[] = s.deploy.labels;
        assert.ok(labels.includes('traefik.enable=true'));
        assert.ok(labels.includes('traefik.swarm.network=proxy'));
        assert.ok(!labels.some((l) => l.startsWith('traefik.docker.')), 'no docker-provider keys');
        const services = new Set(labels.map((l) => /^traefik\.http\.services\.([^.]+)\./.exec(l)?.[1]).filter(Boolean));
        assert.ok(services.size >= 1, `${svc} defines its Traefik service`);
        for (const ts of services)
          assert.ok(
            labels.some((l) => l.startsWith(`traefik.http.services.${ts}.loadbalancer.server.port=`)),
            `${ts}: loadbalancer.server.port (required in Swarm)`,
          );
        assert.deepEqual(s.networks, ['proxy']);
      }
      const dyn = validateLabels(apps.flatMap(([, s]) => (s.deploy.labels as string[]).map(unescape))).http;
      for (const e of expectedRouters(input, from, to)) {
        assert.equal(dyn.routers[e.name].rule, e.rule, `${e.name}: rule`);
        assert.equal(dyn.routers[e.name].priority, e.priority);
        assert.deepEqual(
          dyn.routers[e.name].middlewares ?? [],
          e.middlewares.map((m) => m.name),
        );
      }
      assert.deepEqual(stack.networks.proxy, { name: 'proxy', driver: 'overlay', attachable: true });
    });
  }

  it('Traefik: providers.swarm in a valid v3 traefik.toml, handed over as a config; ACME on a volume, pinned to a manager, and why', () => {
    const { stack, stackText, toml } = exported(blog);
    const cfg = staticConfig(toml);
    assert.deepEqual(Object.keys(cfg.providers), ['swarm']);
    assert.equal(cfg.providers.swarm.network, 'proxy');
    assert.equal(cfg.providers.swarm.exposedByDefault, false);
    assert.equal(cfg.certificatesResolvers.letsencrypt.acme.storage, '/etc/traefik/acme/acme.json');
    const t = stack.services.traefik;
    assert.match(t.image, /^traefik:v3/);
    assert.ok(t.volumes.includes('traefik-acme:/etc/traefik/acme'));
    assert.deepEqual(stack.volumes, { 'traefik-acme': {} });
    assert.deepEqual(t.configs, [{ source: 'traefik-toml', target: '/etc/traefik/traefik.toml' }]);
    assert.deepEqual(stack.configs, { 'traefik-toml': { file: './traefik/traefik.toml' } });
    assert.deepEqual(t.deploy.placement.constraints, ['node.role == manager']);
    assert.equal(t.deploy.replicas, 1);
    assert.match(stackText, /acme\.json .* local volume[\s\S]*would each order/);
    assert.deepEqual(
      t.ports.map((p: any) => [p.published, p.mode]),
      [
        [80, 'host'],
        [443, 'host'],
      ],
    );
  });

  it('docker-compose config accepts every stack file', { skip: composeMissing }, () => {
    for (const { input, domainMap } of Object.values(CORPUS)) {
      const dir = writeFiles(exported(input, domainMap).result.files);
      try {
        const r = spawnSync('docker-compose', ['-f', 'stack.yml', 'config'], {
          cwd: dir,
          encoding: 'utf8',
          timeout: 60_000,
        });
        assert.equal(r.status, 0, r.stderr);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it(
    'docker stack config (the Swarm loader and its schema) accepts every stack file',
    { skip: stackConfigMissing },
    () => {
      for (const { input, domainMap } of Object.values(CORPUS)) {
        const dir = writeFiles(exported(input, domainMap).result.files);
        try {
          const r = spawnSync('docker', ['stack', 'config', '-c', 'stack.yml'], {
            cwd: dir,
            encoding: 'utf8',
            timeout: 60_000,
          });
          assert.equal(r.status, 0, r.stderr);
          assert.equal(YAML.parse(r.stdout).services.traefik.deploy.placement.constraints[0], 'node.role == manager');
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    },
  );
});

const cannotSwarm =
  privateDockerdMissing() ??
  (!fs.existsSync('/bin/busybox') && spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0
    ? `neither the shared engine's ${IMAGE} nor /bin/busybox to build it`
    : undefined);

describe(
  'scaffold export --to swarm: docker stack deploy on a real single-node Swarm (a private dockerd this test starts; no Traefik image can be pulled here, so only the app service runs)',
  { skip: cannotSwarm },
  () => {
    const engine = new SwarmEngine();
    let started = false;
    let dir: string | undefined;
    const docker0 = () => spawnSync('ip', ['-o', 'link', 'show', 'docker0'], { encoding: 'utf8' }).stdout.split(':')[0];
    const docker0Before = docker0();

    before(async () => {
      started = true;
      await engine.start();
      engine.loadImage(IMAGE);
    });
    after(async () => {
      if (dir) {
        engine.cli(['stack', 'rm', 'chs']);
        fs.rmSync(dir, { recursive: true, force: true });
      }
      if (started) await engine.remove();
      assert.equal(docker0(), docker0Before, "the host's docker0 is untouched");
    });

    it('deploys the generated stack; the app service runs with exactly the generated labels, on the overlay network', async () => {
      // The blog with the test image (busybox httpd on 8000): its basic-auth hash has "$" in it.
      const input: ExportInput = {
        ...blog,
        containers: [container('blog', [8000], undefined, IMAGE)],
        routes: blog.routes.map((r) => ({ ...r, target: 'container:blog:8000' })),
      };
      const { result, stack } = exported(input);
      dir = writeFiles(result.files);
      const deploy = engine.cli(['stack', 'deploy', '--resolve-image', 'never', '-c', 'stack.yml', 'chs'], {
        cwd: dir,
      });
      assert.equal(deploy.status, 0, deploy.stderr);

      await until(
        'the app task runs',
        () => engine.cli(['service', 'ps', 'chs_blog', '--format', '{{.CurrentState}}']).stdout.startsWith('Running'),
        90_000,
      ).catch((err) => {
        throw new Error(`${(err as Error).message}: ${engine.cli(['service', 'ps', '--no-trunc', 'chs_blog']).stdout}`);
      });
      const spec = JSON.parse(engine.cli(['service', 'inspect', 'chs_blog', '--format', '{{json .Spec}}']).stdout);
      const labels = Object.fromEntries(
        Object.entries<string>(spec.Labels).filter(([k]) => !k.startsWith('com.docker.stack.')),
      );
      const want = Object.fromEntries(
        (stack.services.blog.deploy.labels as string[])
          .map(unescape)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      assert.deepEqual(labels, want);
      assert.equal(
        labels['traefik.http.middlewares.auth.basicAuth.users'],
        (blog.routes[0].middlewares![0].options.users as string[])[0],
      );
      assert.equal(
        engine.cli(['network', 'inspect', 'proxy', '--format', '{{.Driver}} {{.Scope}}']).stdout.trim(),
        'overlay swarm',
      );
      const traefik = JSON.parse(
        engine.cli(['service', 'inspect', 'chs_traefik', '--format', '{{json .Spec}}']).stdout,
      );
      assert.deepEqual(traefik.TaskTemplate.Placement.Constraints, ['node.role == manager']);
      assert.equal(traefik.TaskTemplate.ContainerSpec.Configs[0].File.Name, '/etc/traefik/traefik.toml');
    });
  },
);
