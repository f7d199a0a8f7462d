// Traefik's providers built into routers (unit: plain configuration in, records and problems out).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { HttpConfig } from '../../proxy-core/src/traefik/dynamic';
import { FILE_PROBLEMS, ProviderContainer, buildRouterModel } from '../../proxy-core/src/traefik/routerModel';

const opts = {
  permits: (h: string) => h.endsWith('.localhost'),
  suffixes: ['localhost'],
  publicHosts: 'alias' as const,
};
const empty = (): HttpConfig => ({ routers: {}, services: {}, middlewares: {} });
const box = (name: string, created: number, config: Partial<HttpConfig>): ProviderContainer => ({
  name,
  created,
  serviceName: name,
  config: { ...empty(), ...config },
});

describe('router model', () => {
  it('a chain is flattened in order; a loop and a missing member are refused with the path', () => {
    const model = buildRouterModel(
      [
        box('a', 1, {
          routers: {
            ok: { rule: 'Host(`ok.localhost`)', middlewares: ['both'] },
            loop: { rule: 'Host(`loop.localhost`)', middlewares: ['x'] },
            gone: { rule: 'Host(`gone.localhost`)', middlewares: ['nope@file'] },
          },
          middlewares: {
            both: { chain: { middlewares: ['strip', 'add'] } },
            strip: { stripPrefix: { prefixes: ['/a'] } },
            add: { addPrefix: { prefix: '/b' } },
            x: { chain: { middlewares: ['y'] } },
            y: { chain: { middlewares: ['x'] } },
          },
        }),
      ],
      undefined,
      opts,
    );
    const ok = model.label.find((r) => r.host === 'ok.localhost')!;
    assert.deepEqual(
      ok.middlewares!.map((m) => [m.name, m.type]),
      [
        ['strip@docker', 'stripPrefix'],
        ['add@docker', 'addPrefix'],
      ],
    );
    const problems = model.problems.get('a')!;
    assert.ok(
      problems.some((p) =>
        /router loop@docker: middleware chain x@docker → y@docker → x@docker loops: not served/.test(p),
      ),
    );
    assert.ok(
      problems.some((p) =>
        /router gone@docker: middleware nope@file does not exist in the --traefik-dynamic configuration/.test(p),
      ),
    );
    assert.equal(model.label.length, 1);
  });

  it('same-named routers agree across containers (replicas) or are dropped on both, as Traefik', () => {
    const router = { rule: 'Host(`r.localhost`)', service: 's' };
    const svc = (port: number) => ({ loadBalancer: { servers: [{ port }] } });
    const scaled = buildRouterModel(
      [
        box('r1', 1, { routers: { r: router }, services: { s: svc(80) } }),
        box('r2', 2, { routers: { r: router }, services: { s: svc(80) } }),
      ],
      undefined,
      opts,
    );
    assert.deepEqual(
      scaled.label.map((r) => r.servers),
      [['container:r1:80', 'container:r2:80']],
    );
    const clash = buildRouterModel(
      [
        box('c1', 1, { routers: { r: router }, services: { s: svc(80) } }),
        box('c2', 2, { routers: { r: { ...router, priority: 5 } }, services: { s: svc(80) } }),
      ],
      undefined,
      opts,
    );
    assert.deepEqual(clash.label, []);
    for (const c of ['c1', 'c2'])
      assert.ok(
        clash.problems.get(c)!.some((p) => /router r@docker is defined differently on containers c1, c2/.test(p)),
      );
  });

  it('a file router uses a label service; @internal and weighted services are refused; ignored balancer options are noted', () => {
    const file: HttpConfig = {
      ...empty(),
      routers: {
        f: { rule: 'Host(`f.localhost`)', service: 'web@docker' },
        dash: { rule: 'Host(`dash.localhost`)', service: 'api@internal' },
        w: { rule: 'Host(`w.localhost`)', service: 'split' },
      },
      services: { split: { weighted: { services: [] } } },
    };
    const model = buildRouterModel(
      [box('web', 1, { services: { web: { loadBalancer: { servers: [{ port: 8000 }], sticky: { cookie: {} } } } } })],
      file,
      opts,
    );
    assert.deepEqual(
      model.file.map((r) => [r.host, r.target, r.router, r.source]),
      [['f.localhost', 'container:web:8000', 'f@file', 'file']],
    );
    const problems = model.problems.get(FILE_PROBLEMS)!;
    assert.ok(problems.some((p) => /router dash@file: service api@internal is Traefik's own/.test(p)));
    assert.ok(problems.some((p) => /router w@file: service split@file is a weighted service/.test(p)));
    assert.ok(
      problems.some((p) => /loadBalancer\.sticky is not implemented by the local proxy .*served without it/.test(p)),
    );
  });

  it('hosts: a rule without a fixed host is one record for any host; two Host matchers joined by && match nothing', () => {
    const model = buildRouterModel(
      [
        box('a', 1, {
          routers: {
            any: { rule: 'PathPrefix(`/health`)' },
            none: { rule: 'Host(`a.localhost`) && Host(`b.localhost`)' },
          },
        }),
      ],
      undefined,
      opts,
    );
    assert.deepEqual(
      model.label.map((r) => r.host),
      ['*'],
    );
    assert.ok(model.problems.get('a')!.some((p) => /router none@docker: .*can match no host/.test(p)));
  });
});
