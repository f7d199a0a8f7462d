/* eslint-disable @typescript-eslint/no-explicit-any -- compose files are parsed YAML, checked by value */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { modelContainer, ModeledContainer } from '../../proxy-core/src/docker/containerModel';
import { deriveLabelRoutes } from '../../proxy-core/src/docker/labelSource';
import { normalizeHost } from '../../proxy-core/src/routes/hostName';
import { ruleOf } from '../../proxy-core/src/routes/routerIndex';
import type { RouteRecord } from '../../proxy-core/src/routes/types';
import {
  LabelOptions,
  addLabelsToCompose,
  exportRoutes,
  generateComposeLabels,
  parseDomainMap,
} from '../../proxy-core/src/scaffold';
import { planExport } from '../../proxy-core/src/scaffold/export/exportPlan';
import type { ExportInput } from '../../proxy-core/src/scaffold/export/types';
import { decodeFile } from '../../proxy-core/src/traefik/fileConfig';
import { compileRule } from '../../proxy-core/src/traefik/matcher';
import { cli } from '../support/daemon';
import { tempDir } from '../support/env';
import { CORPUS, LOCAL_SUFFIXES, container } from './exportCorpus';

/**
 * Round trip with the scaffolder: the labels `scaffold labels` and `scaffold export --to compose`
 * write are put on containers as the engine holds them (compose's `$$` read back as `$`), read
 * by the label source, and must come back as the routers that were generated: the same rule,
 * priority, middlewares (types and options), target port and hosts, with no problems. What a
 * generator cannot write is refused or reported, never dropped quietly.
 */

const dir = tempDir('chs-roundtrip-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const BCRYPT = 'admin:$2y$05$Sg3dJ1S5xQ0sVHqH7m1r2eC0kJpC0b6qLwUeI2lT7pM1Yl0b1vUQG';
const permits = (host: string) => LOCAL_SUFFIXES.some((s) => host.endsWith(`.${s}`));

// ---- compose and the engine -------------------------------------------------------------------

/**
 * A compose value as the engine gets it: `$$` is a literal `$`. Any other `$` would be a variable
 * compose substitutes (`$X`, `${X}`), which generated text must not hold.
 */
function unescapeCompose(text: string): string {
  return text.replace(/\$(\$|\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)?/g, (all, next: string | undefined) => {
    assert.equal(next, '$', `compose would read "${all}" in ${JSON.stringify(text)} as a variable`);
    return '$';
  });
}

/** A compose service's labels (list or map form) as the engine holds them. */
function engineLabels(labels: unknown): Record<string, string> {
  const items = Array.isArray(labels)
    ? labels.map(String)
    : Object.entries((labels ?? {}) as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`);
  const out: Record<string, string> = {};
  for (const item of items.map(unescapeCompose)) {
    const eq = item.indexOf('=');
    assert.ok(eq > 0, `label ${item} is key=value`);
    assert.equal(out[item.slice(0, eq)], undefined, `label ${item.slice(0, eq)} is written once`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

let created = 1_700_000_000;
function engineContainer(
  name: string,
  labels: Record<string, string>,
  compose?: { project: string; service: string },
): ModeledContainer {
  return modelContainer({
    Id: `${name.replace(/[^a-z0-9]/g, '')}${'0'.repeat(64)}`.slice(0, 64),
    Names: [`/${name}`],
    Image: 'registry.example.com/app:1',
    Created: created++,
    State: 'running',
    Status: 'Up 1 minute',
    Labels: compose
      ? { ...labels, 'com.docker.compose.project': compose.project, 'com.docker.compose.service': compose.service }
      : labels,
  });
}

/** The generated compose file's services (but Traefik's own) as containers named `<project>-<service>-1`. */
function composeContainers(text: string, project: string): ModeledContainer[] {
  const doc = YAML.parse(text);
  return Object.entries<any>(doc.services)
    .filter(([s]) => s !== 'traefik')
    .map(([s, svc]) => engineContainer(`${project}-${s}-1`, engineLabels(svc.labels), { project, service: s }));
}

// ---- what the label source gives back ----------------------------------------------------------

interface RouterView {
  router?: string;
  host: string;
  publicHost?: string;
  rule?: string;
  ruleSyntax?: string;
  priority?: number;
  middlewares: Array<{ name: string; type: string; options: unknown }>;
  servers: string[];
}

function view(r: RouteRecord): RouterView {
  return {
    router: r.router,
    host: r.host,
    ...(r.publicHost ? { publicHost: r.publicHost } : {}),
    rule: r.rule,
    ...(r.ruleSyntax ? { ruleSyntax: r.ruleSyntax } : {}),
    ...(r.priority !== undefined ? { priority: r.priority } : {}),
    middlewares: (r.middlewares ?? []).map((m) => ({ name: m.name, type: m.type, options: m.options ?? {} })),
    servers: [...(r.servers ?? [r.target])].sort(),
  };
}

const order = (a: RouterView, b: RouterView) =>
  (a.router ?? '').localeCompare(b.router ?? '') || a.host.localeCompare(b.host);

function readBack(containers: ModeledContainer[], fileYaml?: string) {
  let file;
  if (fileYaml !== undefined) {
    const decoded = decodeFile(fileYaml, 'dynamic.yml');
    assert.deepEqual(decoded.problems, [], 'the file provider reads the dynamic file');
    file = decoded.config;
  }
  const out = deriveLabelRoutes(containers, file, { permits, suffixes: LOCAL_SUFFIXES, publicHosts: 'alias' });
  return {
    // The router of the container that holds the shared middlewares is not under test.
    routers: out.records
      .map(view)
      .filter((r) => r.router !== 'edge@docker')
      .sort(order),
    problems: [...out.problems.entries()].flatMap(([c, lines]) => lines.map((l) => `${c}: ${l}`)),
    held: out.held.map((h) => h.detail),
    fileProblems: out.fileProblems,
  };
}

/** Where the label source serves a host: itself when the local CA may sign it, else its `.localhost` alias. */
function placed(host: string): { host: string; publicHost?: string } {
  return permits(host) ? { host } : { host: `${host}.localhost`, publicHost: host };
}

// ---- scaffold labels ---------------------------------------------------------------------------

/** Middlewares the routers refer to, defined elsewhere: on another container's labels, and in a file. */
const EDGE_LABELS: Record<string, string> = {
  'traefik.enable': 'true',
  // A router of its own: with traefik.enable and no router Traefik would make one by its default rule.
  'traefik.http.routers.edge.rule': 'Host(`edge.localhost`)',
  'traefik.http.middlewares.auth.basicauth.users': BCRYPT,
  'traefik.http.middlewares.auth.basicauth.realm': 'shop',
  'traefik.http.middlewares.gzip.compress': 'true',
};
const DYNAMIC_FILE = 'http:\n  middlewares:\n    hsts:\n      headers:\n        stsSeconds: 300\n';
const DEFINED: Record<string, { type: string; options: unknown }> = {
  'auth@docker': { type: 'basicAuth', options: { users: [BCRYPT], realm: 'shop' } },
  'gzip@docker': { type: 'compress', options: {} },
  'hsts@file': { type: 'headers', options: { stsSeconds: 300 } },
};

interface ScaffoldCase {
  name: string;
  opts: LabelOptions;
  /** The rule, written out by hand. */
  rule: string;
}

const SCAFFOLD: ScaffoldCase[] = [
  {
    name: 'a local host, as scaffold labels wrote before paths',
    opts: { service: 'web', hosts: ['web.localhost'] },
    rule: 'Host(`web.localhost`)',
  },
  {
    name: "a public host (Let's Encrypt in production, its .localhost alias here) and a port",
    opts: { service: 'web', hosts: ['shop.example.com'], port: 8000, network: 'proxy' },
    rule: 'Host(`shop.example.com`)',
  },
  {
    name: 'a path: that path and below it, as expose HOST/PATH serves',
    opts: { service: 'api', hosts: ['shop.example.com'], path: '/api', port: 3000 },
    rule: 'Host(`shop.example.com`) && (Path(`/api`) || PathPrefix(`/api/`))',
  },
  {
    name: 'a path stripped (trailing slash normalised), with a priority',
    opts: { service: 'api', hosts: ['api.localhost'], path: '/v1/', stripPrefix: true, priority: 100, port: 3000 },
    rule: 'Host(`api.localhost`) && (Path(`/v1`) || PathPrefix(`/v1/`))',
  },
  {
    name: 'two hosts (local and public), a stripped path, middlewares by reference after the strip',
    opts: {
      service: 'admin',
      hosts: ['admin.localhost', 'Shop.Example.com'],
      path: '/admin',
      stripPrefix: true,
      middlewares: ['auth', 'gzip@docker', 'hsts@file'],
      port: 9090,
    },
    rule: '(Host(`admin.localhost`) || Host(`shop.example.com`)) && (Path(`/admin`) || PathPrefix(`/admin/`))',
  },
  {
    name: 'middlewares without a path, the highest priority',
    opts: { service: 'blog', hosts: ['blog.example.org'], middlewares: ['hsts@file', 'gzip'], priority: 2147483647 },
    rule: 'Host(`blog.example.org`)',
  },
  {
    name: 'a router and a service named apart, another entry point and resolver (editor options)',
    opts: {
      service: 'app',
      router: 'front',
      traefikService: 'back',
      hosts: ['app.localhost'],
      port: 5000,
      entrypoint: 'https',
      certResolver: 'le',
      priority: 7,
      middlewares: ['auth'],
    },
    rule: 'Host(`app.localhost`)',
  },
  {
    name: 'a path with "$" (doubled in compose text) and "," in it, stripped',
    opts: { service: 'odd', hosts: ['odd.localhost'], path: '/a$b,c', port: 80 },
    rule: 'Host(`odd.localhost`) && (Path(`/a$b,c`) || PathPrefix(`/a$b,c/`))',
  },
  {
    name: 'an IDN host becomes punycode; a service name with dots a Traefik name',
    opts: { service: 'my.shop', hosts: ['bücher.example'], path: '/katalog', stripPrefix: true },
    rule: 'Host(`xn--bcher-kva.example`) && (Path(`/katalog`) || PathPrefix(`/katalog/`))',
  },
];

/** The CLI flags for the options, or undefined when only the API (the editor) can say them. */
function argvOf(o: LabelOptions): string[] | undefined {
  if (o.router || o.traefikService) return undefined;
  const a = ['--service', o.service, ...o.hosts.flatMap((h) => ['--host', h])];
  if (o.path !== undefined) a.push('--path', o.path);
  if (o.stripPrefix) a.push('--strip-prefix');
  if (o.priority !== undefined) a.push('--priority', String(o.priority));
  for (const m of o.middlewares ?? []) a.push('--middleware', m);
  if (o.port !== undefined) a.push('--port', String(o.port));
  if (o.network) a.push('--network', o.network);
  if (o.entrypoint) a.push('--entrypoint', o.entrypoint);
  if (o.certResolver) a.push('--cert-resolver', o.certResolver);
  return a;
}

/** The routers the options stand for, worked out from the options alone (and the rule written out). */
function expectedScaffold(o: LabelOptions, containerName: string, rule: string): RouterView[] {
  const router = (o.router ?? o.service).replace(/\./g, '-');
  const path = o.path?.replace(/\/+$/, '');
  const middlewares: RouterView['middlewares'] = [];
  if (o.stripPrefix)
    middlewares.push({ name: `${router}-stripprefix@docker`, type: 'stripPrefix', options: { prefixes: [path] } });
  for (const ref of o.middlewares ?? []) {
    const name = ref.includes('@') ? ref : `${ref}@docker`;
    middlewares.push({ name, ...DEFINED[name] });
  }
  return o.hosts
    .map((h) => ({
      router: `${router}@docker`,
      ...placed(normalizeHost(h)),
      rule,
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      middlewares,
      servers: [`container:${containerName}${o.port ? `:${o.port}` : ''}`],
    }))
    .sort(order);
}

function assertServed(got: ReturnType<typeof readBack>, expected: RouterView[]): void {
  assert.deepEqual(got.problems, [], 'no problems');
  assert.deepEqual(got.held, [], 'nothing held back');
  assert.deepEqual(got.routers, expected);
}

describe('round trip: scaffold labels → engine labels → label source', () => {
  for (const c of SCAFFOLD) {
    it(c.name, () => {
      const list = generateComposeLabels(c.opts);
      const argv = argvOf(c.opts);
      if (argv) {
        const r = cli(['scaffold', 'labels', ...argv]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(
          YAML.parse(r.stdout).labels,
          list,
          'the CLI prints what the generator writes, and YAML reads it back',
        );
      }
      const labels = engineLabels(list);
      assert.equal(
        labels[`traefik.http.routers.${(c.opts.router ?? c.opts.service).replace(/\./g, '-')}.rule`],
        c.rule,
      );
      const name = 'shop-app-1';
      const got = readBack([engineContainer(name, labels), engineContainer('edge', EDGE_LABELS)], DYNAMIC_FILE);
      assertServed(got, expectedScaffold(c.opts, name, c.rule));
    });
  }

  it('the segment-safe path rule routes as the daemon routes `expose HOST/PATH`: /api and /api/x, not /apix', () => {
    const labels = engineLabels(generateComposeLabels({ service: 'api', hosts: ['shop.localhost'], path: '/api' }));
    const got = readBack([engineContainer('api', labels)]);
    assert.deepEqual(got.problems, []);
    // The rule the daemon builds for the user route shop.localhost/api (routes/routerIndex.ts).
    const user = ruleOf({
      host: 'shop.localhost',
      path: '/api',
      target: 'x',
      tls: 'local',
      source: 'user',
      createdAt: '',
    });
    assert.equal(got.routers[0].rule, user);
    const compiled = compileRule(got.routers[0].rule!);
    assert.ok(compiled.ok);
    const takes = (p: string) =>
      compiled.match({
        host: 'shop.localhost',
        path: p,
        method: 'GET',
        headers: {},
        query: new URLSearchParams(),
        clientIp: '127.0.0.1',
      });
    assert.deepEqual(
      ['/api', '/api/', '/api/x', '/apix', '/', '/ap'].map((p) => [p, takes(p)]),
      [
        ['/api', true],
        ['/api/', true],
        ['/api/x', true],
        ['/apix', false],
        ['/', false],
        ['/ap', false],
      ],
    );
  });

  const COMPOSE = [
    '# the shop',
    'services:',
    '  api:',
    '    image: registry.example.com/api:1',
    '    labels:',
    '      - "com.example.team=api"',
    '  edge:',
    '    image: registry.example.com/edge:1',
    '    labels:',
    '      traefik.enable: "true"',
    '      traefik.http.routers.edge.rule: "Host(`edge.localhost`)"',
    `      traefik.http.middlewares.auth.basicauth.users: "${BCRYPT.replace(/\$/g, '$$$$')}"`,
    '      traefik.http.middlewares.auth.basicauth.realm: "shop"',
    '      traefik.http.middlewares.gzip.compress: "true"',
    '',
  ].join('\n');
  const flags = ['--service', 'api', '--host', 'shop.example.com', '--path', '/api', '--strip-prefix'];

  it('--compose: the edited file, read as compose reads it, gives the router back with the middlewares of the other service', () => {
    const f = path.join(dir, 'docker-compose.yml');
    fs.writeFileSync(f, COMPOSE);
    const r = cli([
      'scaffold',
      'labels',
      ...flags,
      '--priority',
      '100',
      '--middleware',
      'auth,gzip',
      '--port',
      '3000',
      '--compose',
      f,
      '--print',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no notes: the middlewares are defined in the file');
    const got = readBack(composeContainers(r.stdout, 'shop'));
    assertServed(
      got,
      expectedScaffold(
        {
          service: 'api',
          hosts: ['shop.example.com'],
          path: '/api',
          stripPrefix: true,
          priority: 100,
          middlewares: ['auth', 'gzip'],
          port: 3000,
        },
        'shop-api-1',
        'Host(`shop.example.com`) && (Path(`/api`) || PathPrefix(`/api/`))',
      ),
    );
    // Running it again changes nothing.
    const again = addLabelsToCompose(r.stdout, {
      service: 'api',
      hosts: ['shop.example.com'],
      path: '/api',
      stripPrefix: true,
      priority: 100,
      middlewares: ['auth', 'gzip'],
      port: 3000,
    });
    assert.equal(again.changed, false);
  });

  it('--compose: a middleware no service defines is named in a note, and the label source does not serve the router without it', () => {
    const f = path.join(dir, 'missing.yml');
    fs.writeFileSync(f, COMPOSE);
    const r = cli(['scaffold', 'labels', ...flags, '--middleware', 'auth,ratelimit', '--compose', f, '--print']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^Middleware ratelimit is not defined by the labels of any service in .*missing\.yml; Traefik will not start router api/,
    );
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    const got = readBack(composeContainers(r.stdout, 'shop'));
    assert.deepEqual(got.routers, []);
    assert.deepEqual(got.problems, [
      'shop-api-1: router api@docker: middleware ratelimit@docker does not exist on any container; declare it or fix the name: not served.',
    ]);
  });

  it('--compose: a "$" in a path is doubled in the file, so compose hands the engine the path as given', () => {
    const opts: LabelOptions = { service: 'api', hosts: ['shop.localhost'], path: '/price$', port: 3000 };
    const edited = addLabelsToCompose(COMPOSE, opts);
    assert.match(edited.text, /Path\(`\/price\$\$`\)/);
    const rule = 'Host(`shop.localhost`) && (Path(`/price$`) || PathPrefix(`/price$/`))';
    assertServed(readBack(composeContainers(edited.text, 'shop')), expectedScaffold(opts, 'shop-api-1', rule));
    assert.equal(addLabelsToCompose(edited.text, opts).changed, false, 'and a second run finds it unchanged');
  });

  it('--compose: options an earlier run wrote and this one does not set are kept, and a note says so', () => {
    const first = addLabelsToCompose(COMPOSE, {
      service: 'api',
      hosts: ['shop.example.com'],
      path: '/api',
      stripPrefix: true,
      priority: 5,
      middlewares: ['auth'],
    });
    const second = addLabelsToCompose(first.text, { service: 'api', hosts: ['shop.example.com'], path: '/api' });
    assert.equal(second.changed, false, 'the rule is the same; nothing else is set by this run');
    assert.deepEqual(second.notes, [
      'Service "api" keeps traefik.http.routers.api.priority, traefik.http.routers.api.middlewares, traefik.http.middlewares.api-stripprefix.stripPrefix.prefixes, which these options do not set; remove them if they no longer apply.',
    ]);
  });
});

// ---- scaffold export --to compose ------------------------------------------------------------

/** One host split by path between two apps, a router balanced over both, a user route's priority. */
const split: ExportInput = {
  localSuffixes: LOCAL_SUFFIXES,
  containers: [
    container('split-web-1', [80], { project: 'split', service: 'web' }),
    container('split-api-1', [8000], { project: 'split', service: 'api' }),
  ],
  routes: [
    { host: 'split.localhost', target: 'container:split-web-1', tls: 'local', source: 'user', createdAt: '' },
    {
      host: 'split.localhost',
      path: '/api',
      stripPrefix: true,
      priority: 500,
      target: 'container:split-api-1:8000',
      tls: 'local',
      source: 'user',
      createdAt: '',
    },
    {
      host: 'status.localhost',
      target: 'container:split-web-1:80',
      servers: ['container:split-web-1:80', 'container:split-api-1:8000'],
      tls: 'local',
      source: 'label',
      container: 'split-web-1',
      router: 'status@docker',
      createdAt: '',
      rule: 'Host(`status.localhost`) && Method(`GET`, `HEAD`)',
      ruleSyntax: 'v2',
      middlewares: [
        {
          name: 'moved@docker',
          type: 'redirectRegex',
          options: { regex: '^https://status\\.localhost/old/(.*)', replacement: 'https://status.localhost/${1}' },
        },
      ],
    },
  ],
};

const EXPORTS: Record<string, { input: ExportInput; domainMap: string }> = {
  ...CORPUS,
  split: { input: split, domainMap: '.localhost=example.com' },
};

/**
 * Routers the local proxy does not serve although the labels are right: a middleware type it does
 * not implement. Production serves them; here they are listed with the reason (issue 13's parity
 * rule), so the round trip expects exactly these problems and nothing else.
 */
const NOT_SERVED_HERE: Record<string, RegExp[]> = {
  blog: [/^prod-blog-1: router feed@docker: middleware limit@docker is of type rateLimit, .*not served/],
};

describe('round trip: scaffold export --to compose → engine labels → label source', () => {
  for (const [name, { input, domainMap }] of Object.entries(EXPORTS)) {
    it(`${name}: every router comes back with its rule, priority, middlewares, port and hosts`, () => {
      const result = exportRoutes(input, { to: 'compose', domainMap, email: 'ops@example.com' });
      const compose = result.files.find((f) => f.path === 'docker-compose.yml');
      assert.ok(compose, 'a compose file is written');
      const got = readBack(composeContainers(compose.text, 'prod'));

      const plan = planExport(input, parseDomainMap(domainMap));
      const refused = NOT_SERVED_HERE[name] ?? [];
      assert.equal(got.problems.length, refused.length, `problems: ${JSON.stringify(got.problems, null, 1)}`);
      refused.forEach((re) =>
        assert.ok(
          got.problems.some((p) => re.test(p)),
          `a problem matches ${re}`,
        ),
      );
      assert.deepEqual(got.held, []);

      const notServed = new Set(got.problems.map((p) => /router ([^@]+)@docker/.exec(p)?.[1]));
      const expected: RouterView[] = plan.routers
        .filter((r) => !notServed.has(r.name))
        .flatMap((r) =>
          r.hosts.map((h) => ({
            router: `${r.name}@docker`,
            ...placed(h),
            rule: r.rule,
            ...(r.ruleSyntax ? { ruleSyntax: r.ruleSyntax } : {}),
            ...(r.priority ? { priority: r.priority } : {}),
            middlewares: r.middlewares.map((m) => {
              const def = plan.middlewares.get(m)!;
              return { name: `${m}@docker`, type: def.type, options: def.options };
            }),
            servers: r.backends
              .map((b) => `container:prod-${b.workload}-1${b.port !== undefined ? `:${b.port}` : ''}`)
              .sort(),
          })),
        )
        .sort(order);
      assert.ok(expected.length > 0, 'the corpus has routers to read back');
      assert.deepEqual(got.routers, expected);
    });
  }
});

// ---- refused, not dropped -----------------------------------------------------------------------

describe('round trip: what a generator cannot write is refused or reported, not dropped', () => {
  const base: LabelOptions = { service: 'api', hosts: ['shop.example.com'] };
  const refusals: Array<[string, Partial<LabelOptions>, RegExp]> = [
    ['--strip-prefix without a path', { stripPrefix: true }, /--strip-prefix needs a path/],
    ['--strip-prefix of the whole host (/)', { path: '/', stripPrefix: true }, /--strip-prefix needs a path/],
    ['a relative path', { path: 'api' }, /must start with \//],
    ['a path with a query', { path: '/api?x=1' }, /no query or fragment/],
    ['a path with ..', { path: '/api/../admin' }, /"\." or "\.\." segments/],
    ['a path with a backtick (would end the rule)', { path: '/a`b' }, /backtick/],
    ['a path with a space', { path: '/a b' }, /spaces or control characters/],
    [
      'a stripped path with a comma (a list separator in labels)',
      { path: '/a,b', stripPrefix: true },
      /--strip-prefix cannot be written as labels: .*holds a comma/,
    ],
    ['priority 0 (Traefik reads it as "no priority")', { priority: 0 }, /--priority must be a whole number from 1/],
    ['a negative priority', { priority: -1 }, /--priority must be a whole number/],
    ['a fractional priority', { priority: 1.5 }, /--priority must be a whole number/],
    ['a priority past Go int32', { priority: 2 ** 31 }, /--priority must be a whole number from 1 to 2147483647/],
    ['a middleware name with a dot', { middlewares: ['my.auth'] }, /is not a middleware name/],
    ['a middleware name with a space', { middlewares: ['my auth'] }, /is not a middleware name/],
    ['a middleware with an empty provider', { middlewares: ['auth@'] }, /is not a middleware name/],
    ['an empty middleware name', { middlewares: [''] }, /is not a middleware name/],
    ['a middleware named twice (case and @docker aside)', { middlewares: ['auth', 'Auth@docker'] }, /named twice/],
    [
      'the stripprefix middleware named again',
      { path: '/api', stripPrefix: true, middlewares: ['api-stripprefix'] },
      /is the stripprefix middleware --strip-prefix defines/,
    ],
  ];
  for (const [name, extra, message] of refusals) {
    it(`scaffold labels refuses ${name}`, () => {
      assert.throws(
        () => generateComposeLabels({ ...base, ...extra }),
        (err: Error) => err.name === 'UserError' && message.test(err.message) && !err.message.includes('\n'),
      );
    });
  }

  const cliRefusals: Array<[string, string[], RegExp]> = [
    ['--priority that is not a number', ['--priority', 'high'], /^container-https: --priority must be a whole number/],
    ['--middleware with no name', ['--middleware='], /--middleware needs a name/],
    ['--middleware with an empty item', ['--middleware', 'auth,,gzip'], /--middleware needs a name/],
    ['--middleware with no value', ['--middleware'], /--middleware needs a value/],
    ['--path with no value', ['--path'], /--path needs a value/],
    ['--strip-prefix with a value', ['--path', '/api', '--strip-prefix=yes'], /--strip-prefix takes no value/],
    ['a misspelt flag', ['--paths', '/api'], /Unknown option --paths/],
  ];
  for (const [name, argv, message] of cliRefusals) {
    it(`the CLI fails in one line on ${name}, printing no labels`, () => {
      const r = cli(['scaffold', 'labels', '--service', 'api', '--host', 'shop.example.com', ...argv]);
      assert.notEqual(r.code, 0);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    });
  }

  it('the exporter reports what labels cannot carry, and the label source then refuses the router rather than serve it without', () => {
    const input: ExportInput = {
      localSuffixes: LOCAL_SUFFIXES,
      containers: [container('app', [80])],
      routes: [
        {
          host: 'app.localhost',
          target: 'container:app:80',
          tls: 'local',
          source: 'label',
          container: 'app',
          router: 'office@docker',
          rule: 'Host(`app.localhost`) && PathPrefix(`/office`)',
          // One list item holding a comma: labels would read it back as two.
          middlewares: [
            { name: 'lan@docker', type: 'ipAllowList', options: { sourceRange: ['10.0.0.0/8,192.168.0.0/16'] } },
          ],
        },
        {
          host: 'app.localhost',
          target: 'container:app:80',
          tls: 'local',
          source: 'label',
          container: 'app',
          router: 'odd@docker',
          rule: 'Host(`app.localhost`) && PathPrefix(`/odd`)',
          middlewares: [{ name: 'shaper@docker', type: 'trafficShaper', options: { rate: '1mbit' } }],
        },
        { host: 'local.localhost', target: 'http://127.0.0.1:5000', tls: 'local', source: 'user', createdAt: '' },
      ].map((r) => ({ createdAt: '', ...r })) as ExportInput['routes'],
    };
    const result = exportRoutes(input, { to: 'compose' });
    assert.ok(
      result.notes.some((n) =>
        /^middleware lan \(ipAllowList\) cannot be written as labels .*holds a comma.*left out, so its routers will not start/.test(
          n,
        ),
      ),
      result.notes.join('\n'),
    );
    assert.ok(
      result.notes.some((n) => /^middleware shaper: Traefik v3 has no middleware type "trafficShaper"/.test(n)),
    );
    assert.ok(
      result.notes.some((n) =>
        /^route local\.localhost: http:\/\/127\.0\.0\.1:5000 is a process on this machine.*left out/.test(n),
      ),
    );
    const compose = result.files.find((f) => f.path === 'docker-compose.yml')!;
    const got = readBack(composeContainers(compose.text, 'prod'));
    assert.deepEqual(got.routers, [], 'neither router is served without its middleware');
    assert.equal(got.problems.length, 2, JSON.stringify(got.problems));
    assert.match(
      got.problems.find((p) => p.includes('office@docker'))!,
      /middleware lan@docker does not exist on any container.*not served/,
    );
    assert.match(
      got.problems.find((p) => p.includes('odd@docker'))!,
      /shaper@docker.*trafficShaper.*not served/,
    );
  });
});
