/* eslint-disable @typescript-eslint/no-explicit-any -- generated compose files are checked by value */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { exportRoutes } from '../../proxy-core/src/scaffold';
import { tempDir } from '../support/env';
import { CORPUS, blog } from './exportCorpus';
import { expectedRouters } from './exportSupport';
import { staticConfig, validateLabels } from './support';

const composeMissing =
  process.env.CHS_TEST_NO_COMPOSE ||
  (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'docker-compose is not on PATH');

function exported(name: keyof typeof CORPUS) {
  const { input, domainMap } = CORPUS[name];
  const result = exportRoutes(input, { to: 'compose', domainMap, email: 'ops@example.com' });
  const file = (p: string) => result.files.find((f) => f.path === p)!.text;
  return {
    result,
    compose: YAML.parse(file('docker-compose.yml')),
    composeText: file('docker-compose.yml'),
    toml: file('traefik/traefik.toml'),
  };
}

/** The labels as the engine gets them: compose turns "$$" back into "$". */
const unescape = (label: string) => label.replace(/\$\$/g, '$');

/** Labels carry text: a value the schema does not type (rateLimit's average) reads back as a string. */
function asText(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asText);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asText(x)]));
  return String(v);
}

/** Every app's labels as one dynamic configuration, as Traefik's Docker provider merges them. */
function dynamicOf(compose: any): any {
  const labels = Object.entries<any>(compose.services)
    .filter(([name]) => name !== 'traefik')
    .flatMap(([, s]) => (s.labels as string[]).map(unescape));
  return validateLabels(labels);
}

describe('scaffold export --to compose', () => {
  for (const name of Object.keys(CORPUS) as Array<keyof typeof CORPUS>) {
    it(`${name}: the labels read back as the source routers (rules, priorities, middlewares in order, ports), valid against Traefik's schema`, () => {
      const { input, domainMap } = CORPUS[name];
      const [from, to] = domainMap.replace(/^\./, '').split('=');
      const { compose } = exported(name);
      const dyn = dynamicOf(compose).http;
      const expected = expectedRouters(input, from, to);
      assert.deepEqual(Object.keys(dyn.routers).sort(), expected.map((e) => e.name).sort());
      for (const e of expected) {
        const r = dyn.routers[e.name];
        assert.equal(r.rule, e.rule, `${e.name}: rule`);
        assert.equal(r.priority, e.priority, `${e.name}: priority`);
        assert.deepEqual(
          r.middlewares ?? [],
          e.middlewares.map((m) => m.name),
          `${e.name}: middlewares`,
        );
        assert.deepEqual(r.entryPoints, ['websecure']);
        if (e.port)
          assert.equal(
            dyn.services[r.service].loadBalancer.servers[0].url.split(':')[2],
            String(e.port),
            `${e.name}: port`,
          );
        for (const m of e.middlewares)
          assert.deepEqual(
            asText(dyn.middlewares[m.name]),
            asText({ [m.type]: m.options }),
            `${m.name}: ${m.type} options`,
          );
      }
      for (const [, s] of Object.entries<any>(compose.services).filter(([n]) => n !== 'traefik')) {
        assert.ok(s.labels.includes('traefik.enable=true'));
        assert.ok(s.labels.includes('traefik.docker.network=proxy'));
        assert.deepEqual(s.networks, ['proxy']);
      }
    });
  }

  it('the Traefik service and traefik.toml: v3, ports quoted, docker provider on the same network, valid static config', () => {
    const { compose, composeText, toml } = exported('blog');
    assert.match(compose.services.traefik.image, /^traefik:v3/);
    assert.match(composeText, /- "80:80"/);
    assert.deepEqual(compose.networks, { proxy: { name: 'proxy' } });
    const cfg = staticConfig(toml);
    assert.equal(cfg.providers.docker.network, 'proxy');
    assert.equal(cfg.certificatesResolvers.letsencrypt.acme.email, 'ops@example.com');
  });

  it('acme routes ask the resolver; a name left local gets TLS with the default certificate and a note', () => {
    const { compose } = exported('blog');
    assert.ok(compose.services.blog.labels.includes('traefik.http.routers.blog.tls.certresolver=letsencrypt'));
    const local = exportRoutes(CORPUS.shop.input, { to: 'compose' });
    const labels: string[] = YAML.parse(local.files[0].text).services.web.labels;
    assert.ok(labels.includes('traefik.http.routers.shop.tls=true'));
    assert.ok(!labels.some((l) => l.includes('certresolver')));
    assert.ok(local.notes.some((n) => /needs a public name/.test(n)));
    assert.ok(local.notes.some((n) => /replace you@example\.com/.test(n)));
  });

  it('"$" in a label (a bcrypt hash) is written "$$", so compose does not read it as a variable', () => {
    const { composeText, compose } = exported('blog');
    assert.match(composeText, /basicAuth\.users=admin:\$\$2y\$\$05\$\$/);
    const users = compose.services.blog.labels.map(unescape).find((l: string) => l.includes('basicAuth.users'));
    assert.equal(users.split('=')[1], (blog.routes[0].middlewares![0].options.users as string[])[0]);
  });

  it(
    'docker-compose config accepts the file and resolves the labels to the generated values',
    { skip: composeMissing },
    () => {
      for (const name of Object.keys(CORPUS) as Array<keyof typeof CORPUS>) {
        const dir = tempDir('chs-export-compose-');
        try {
          const { result, compose } = exported(name);
          for (const f of result.files) {
            fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
            fs.writeFileSync(path.join(dir, f.path), f.text);
          }
          const r = spawnSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
          assert.equal(r.status, 0, r.stderr);
          const resolved = YAML.parse(r.stdout);
          for (const [svc, s] of Object.entries<any>(compose.services).filter(([n]) => n !== 'traefik')) {
            const want = Object.fromEntries(
              (s.labels as string[])
                .map(unescape)
                .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
            );
            const got = Object.fromEntries(
              Object.entries<string>(resolved.services[svc].labels).map(([k, v]) => [k, v.replace(/\$\$/g, '$')]),
            );
            assert.deepEqual(got, want, `${name}/${svc}: labels after interpolation`);
          }
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    },
  );
});
