import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyConfig, HttpConfig } from '../../proxy-core/src/traefik/dynamic';
import { decodeFile } from '../../proxy-core/src/traefik/fileConfig';
import { decodeLabels } from '../../proxy-core/src/traefik/labelConfig';
import { schemaErrors } from '../support/traefikSchema';
import { API_LABELS, MIDDLEWARES_TOML, MIDDLEWARES_YAML, WEB_LABELS } from './stacks';

const config = (parts: Partial<HttpConfig>): HttpConfig => ({ ...emptyConfig(), ...parts });

interface Case {
  name: string;
  file: string;
  text: string;
  config: HttpConfig;
  problems?: RegExp[];
  unreadable?: boolean;
  /** The decoded config is not meant to satisfy the schema (a router without a service…). */
  skipSchema?: boolean;
}

/** What the YAML and the TOML form of the same api file decode to. */
const API_FILE = config({
  routers: {
    api: {
      rule: 'PathPrefix(`/api`)',
      entryPoints: ['web', 'websecure'],
      priority: 10,
      service: 'api',
      middlewares: ['strip', 'auth@docker'],
      tls: {},
    },
  },
  services: { api: { loadBalancer: { passHostHeader: false, servers: [{ url: 'http://127.0.0.1:8000' }] } } },
  middlewares: {
    strip: { stripPrefix: { prefixes: ['/api'] } },
    https: { redirectScheme: { scheme: 'https', port: '443', permanent: true } },
  },
});

const cases: Case[] = [
  {
    name: 'YAML: option names ignore case and come out canonical; typed values kept',
    file: 'dynamic.yml',
    text: `HTTP:
  Routers:
    api:
      RULE: PathPrefix(\`/api\`)
      EntryPoints: [web, websecure]
      priority: 10
      Service: api
      middlewares: strip, auth@docker
      TLS: {}
  services:
    api:
      LoadBalancer:
        passhostheader: false
        servers:
          - URL: http://127.0.0.1:8000
  middlewares:
    strip:
      StripPrefix:
        prefixes: [/api]
    https:
      redirectscheme:
        scheme: https
        port: 443
        permanent: "true"
`,
    config: API_FILE,
  },
  {
    name: 'TOML: the same file says the same',
    file: 'dynamic.toml',
    text: `[http.routers.api]
Rule = "PathPrefix(\`/api\`)"
entrypoints = ["web", "websecure"]
priority = 10
service = "api"
middlewares = ["strip", "auth@docker"]
[http.routers.api.tls]

[http.services.api.loadBalancer]
passHostHeader = false
[[http.services.api.loadBalancer.servers]]
url = "http://127.0.0.1:8000"

[http.middlewares.strip.stripPrefix]
prefixes = ["/api"]
[http.middlewares.https.redirectScheme]
scheme = "https"
port = 443
permanent = true
`,
    config: API_FILE,
  },
  {
    name: 'YAML: a bad value is one problem with file, line and key path; the rest is kept',
    file: 'dynamic.yml',
    text: `http:
  routers:
    web:
      rule: Host(\`a\`)
      service: web
    api:
      rule: Host(\`b\`)
      priority: high
      service: api
      entryPoints:
        - web
        - { name: websecure }
  services:
    web:
      loadBalancer:
        servers:
          - url: http://a
        healthCheck:
          interval: often
`,
    config: config({
      routers: {
        web: { rule: 'Host(`a`)', service: 'web' },
        api: { rule: 'Host(`b`)', service: 'api', entryPoints: ['web'] },
      },
      services: { web: { loadBalancer: { servers: [{ url: 'http://a' }], healthCheck: {} } } },
    }),
    problems: [
      /^dynamic\.yml:8: http\.routers\.api\.priority: "high" is not a number; write a whole number, e\.g\. 10$/,
      /^dynamic\.yml:12: http\.routers\.api\.entryPoints\[1\]: takes one value per list item, not a map$/,
      /^dynamic\.yml:19: http\.services\.web\.loadBalancer\.healthCheck\.interval: "often" is not a duration/,
    ],
  },
  {
    name: 'TOML: a bad value names file and key path (smol-toml gives no line past parsing)',
    file: 'dynamic.toml',
    text: `[http.routers.api]\nrule = "Host(\`b\`)"\nservice = "api"\npriority = "high"\n`,
    config: config({ routers: { api: { rule: 'Host(`b`)', service: 'api' } } }),
    problems: [/^dynamic\.toml: http\.routers\.api\.priority: "high" is not a number/],
  },
  {
    name: 'YAML syntax error: file and line, nothing decoded',
    file: 'traefik.yml',
    text: `http:\n  routers:\n    api:\n      rule: [unclosed\n      service: api\n`,
    config: emptyConfig(),
    problems: [/^traefik\.yml:\d+: .+/],
    unreadable: true,
  },
  {
    name: 'YAML duplicate key: a syntax error at its line',
    file: 'dup.yaml',
    text: `http:\n  routers:\n    api:\n      rule: Host(\`a\`)\n      rule: Host(\`b\`)\n`,
    config: emptyConfig(),
    problems: [/^dup\.yaml:5: Map keys must be unique/],
    unreadable: true,
  },
  {
    name: 'TOML syntax error: file and line',
    file: 'dynamic.toml',
    text: `[http.routers.api]\nrule = "Host(\`a\`)"\nservice = \n`,
    config: emptyConfig(),
    problems: [/^dynamic\.toml:3: invalid value$/],
    unreadable: true,
  },
  {
    name: 'Go templates are refused rather than misread',
    file: 'tpl.yml',
    text: `http:\n  routers:\n{{ range $i, $e := until 3 }}\n    r{{ $e }}:\n      rule: Host(\`x\`)\n{{ end }}\n`,
    config: emptyConfig(),
    problems: [/^tpl\.yml:3: Go templates \(\{\{ … \}\}\) are not supported by the local proxy/],
    unreadable: true,
  },
  {
    name: 'tcp, udp and tls sections: one problem each; tls certificates and options quietly left to Traefik',
    file: 'all.yml',
    text: `tcp:
  routers:
    db: { rule: "HostSNI(\`*\`)", service: db }
udp:
  services: {}
tls:
  certificates:
    - certFile: /certs/a.pem
      keyFile: /certs/a-key.pem
  options:
    modern: { minVersion: VersionTLS13 }
`,
    config: emptyConfig(),
    problems: [
      /^all\.yml:1: tcp: the local proxy does not read TCP routers and services; Traefik serves them/,
      /^all\.yml:4: udp: the local proxy does not read UDP/,
    ],
  },
  {
    name: 'tls stores are reported; unknown top-level keys and http sections too',
    file: 'misc.yml',
    text: `tls:
  stores:
    default: {}
routers:
  x: { rule: "Host(\`x\`)" }
http:
  serversTransports:
    insecure: { insecureSkipVerify: true }
  route: {}
`,
    config: emptyConfig(),
    problems: [
      /^misc\.yml:1: tls: the local proxy does not read tls stores/,
      /^misc\.yml:4: routers: unknown section "routers"; a dynamic configuration has http, tcp, udp and tls \(routers go below http:\)$/,
      /^misc\.yml:7: http\.serversTransports: serversTransports are not read by the local proxy/,
      /^misc\.yml:9: http\.route: unknown section "route"/,
    ],
  },
  {
    name: 'anchors, aliases and merge keys',
    file: 'anchors.yml',
    text: `http:
  routers:
    a: &base
      rule: Host(\`a\`)
      service: svc
      entryPoints: &eps [websecure]
      tls: { certResolver: le }
    b:
      <<: *base
      rule: Host(\`b\`)
    c:
      rule: Host(\`c\`)
      service: svc
      entryPoints: *eps
`,
    config: config({
      routers: {
        a: { rule: 'Host(`a`)', service: 'svc', entryPoints: ['websecure'], tls: { certResolver: 'le' } },
        b: { rule: 'Host(`b`)', service: 'svc', entryPoints: ['websecure'], tls: { certResolver: 'le' } },
        c: { rule: 'Host(`c`)', service: 'svc', entryPoints: ['websecure'] },
      },
    }),
  },
  {
    name: 'unknown middleware types kept as written with their types; unknown options of known types are problems',
    file: 'mw.yml',
    text: `http:
  middlewares:
    geo:
      GeoBlock:
        allowed: [FR, DE]
        strict: true
    strip:
      stripPrefix:
        prefixes: [/a]
        prefix: /b
    two:
      addPrefix: { prefix: /x }
      replacePath: { path: /y }
    none: {}
`,
    config: config({
      middlewares: {
        geo: { GeoBlock: { allowed: ['FR', 'DE'], strict: true } },
        strip: { stripPrefix: { prefixes: ['/a'] } },
        two: { addPrefix: { prefix: '/x' } },
      },
    }),
    problems: [
      /^mw\.yml:10: http\.middlewares\.strip\.stripPrefix\.prefix: stripPrefix has no option "prefix"; it takes prefixes, forceSlash$/,
      /^mw\.yml:13: http\.middlewares\.two\.replacePath: a middleware has one type and this one is already addPrefix/,
      /^mw\.yml:14: http\.middlewares\.none: a middleware needs a type/,
    ],
    skipSchema: true,
  },
  {
    name: 'Docker-only options and label-style servers are problems in files',
    file: 'svc.yml',
    text: `http:
  services:
    a:
      loadBalancer:
        servers:
          - port: 8080
    b:
      loadBalancer:
        servers:
          url: http://b
    c:
      weighted:
        services:
          - name: a
            weight: 3
`,
    config: config({
      services: {
        a: { loadBalancer: { servers: [{}] } },
        b: { loadBalancer: {} },
        c: { weighted: { services: [{ name: 'a', weight: 3 }] } },
      },
    }),
    problems: [
      /^svc\.yml:6: http\.services\.a\.loadBalancer\.servers\[0\]\.port: port is a Docker label option; in a file write the server's url/,
      /^svc\.yml:9: http\.services\.b\.loadBalancer\.servers: is a list of servers; write one "- …" item per server$/,
    ],
    skipSchema: true,
  },
  {
    name: 'an empty file, and an empty http section, are empty configurations',
    file: 'empty.yml',
    text: `# nothing yet\nhttp:\n`,
    config: emptyConfig(),
  },
  {
    name: 'a file that is not a mapping',
    file: 'list.yml',
    text: `- http\n`,
    config: emptyConfig(),
    problems: [/^list\.yml: is not a mapping; a dynamic configuration file starts with http:$/],
    unreadable: true,
  },
  {
    name: 'another extension is not read',
    file: 'dynamic.json',
    text: `{}`,
    config: emptyConfig(),
    problems: [/^dynamic\.json: not a \.yml, \.yaml or \.toml file/],
    unreadable: true,
  },
];

describe('decodeFile', () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = decodeFile(c.text, c.file);
      assert.deepEqual(got.config, c.config);
      const want = c.problems ?? [];
      assert.equal(got.problems.length, want.length, `problems: ${JSON.stringify(got.problems, null, 1)}`);
      want.forEach((re, i) => assert.match(got.problems[i], re));
      for (const p of got.problems) assert.doesNotMatch(p, /\n/, 'one line per problem');
      assert.equal(got.unreadable ?? false, c.unreadable ?? false);
    });
  }

  it('every decoded configuration validates against the file provider schema', () => {
    for (const c of cases.filter((x) => !x.skipSchema)) {
      assert.deepEqual(schemaErrors(decodeFile(c.text, c.file).config), [], c.name);
    }
  });
});

describe('decodeFile: the production stack', () => {
  it('the shared middlewares file reads the same from YAML and TOML, valid by the schema', () => {
    const yaml = decodeFile(MIDDLEWARES_YAML, 'middlewares.yml');
    const toml = decodeFile(MIDDLEWARES_TOML, 'middlewares.toml');
    assert.deepEqual(yaml.problems, []);
    assert.deepEqual(toml.problems, []);
    assert.deepEqual(toml.config, yaml.config);
    assert.deepEqual(yaml.config.middlewares['security-headers'], {
      headers: {
        frameDeny: true,
        contentTypeNosniff: true,
        browserXssFilter: true,
        stsSeconds: 31536000,
        stsIncludeSubdomains: true,
        referrerPolicy: 'strict-origin-when-cross-origin',
        customResponseHeaders: { 'X-Powered-By': '' },
      },
    });
    assert.deepEqual(yaml.config.middlewares['rate-limit'], { rateLimit: { average: 100, burst: 50, period: '1m' } });
    assert.deepEqual(yaml.config.services.legacy.loadBalancer?.servers, [
      { url: 'http://10.0.0.5:8080' },
      { url: 'http://10.0.0.6:8080' },
    ]);
    assert.deepEqual(schemaErrors(yaml.config), []);
  });

  it('every name@file the labels use is declared in the file', () => {
    const file = decodeFile(MIDDLEWARES_YAML, 'middlewares.yml').config;
    const referenced = [WEB_LABELS, API_LABELS]
      .flatMap((labels) => Object.values(decodeLabels(labels).config.routers))
      .flatMap((r) => r.middlewares ?? [])
      .filter((m) => m.endsWith('@file'))
      .map((m) => m.slice(0, -'@file'.length));
    assert.deepEqual([...new Set(referenced)].sort(), ['rate-limit', 'security-headers']);
    for (const name of referenced) assert.ok(file.middlewares[name], `${name}@file is declared`);
  });
});
