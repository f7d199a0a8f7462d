import { describe, it, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { cli } from '../support/daemon';
import { tempDir } from '../support/env';
import { blog, dynamicConfig, staticConfig, validateLabels } from './support';

const dir = tempDir('chs-scaffold-cli-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text?: string): string {
  const f = path.join(dir, name);
  if (text !== undefined) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
  }
  return f;
}

/** One line on stderr, a non-zero exit: how every CLI failure looks. */
function assertOneLineFailure(r: { code: number; stderr: string }, message: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
}

const COMPOSE = `# my app
services:
  app:
    image: app   # built in CI
    labels:
      - "com.example.team=web"
`;

const composeMissing =
  process.env.CHS_TEST_NO_COMPOSE ||
  (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'docker-compose is not on PATH');

describe('CLI: scaffold traefik', () => {
  it('prints a valid v3 static config built from the flags', () => {
    const r = cli([
      'scaffold',
      'traefik',
      '--email',
      'ops@example.com',
      '--network',
      'edge',
      '--challenge',
      'tls',
      '--staging',
      '--dashboard',
      'loopback',
      '--log-level',
      'warn',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const cfg = staticConfig(r.stdout);
    assert.equal(cfg.providers.docker.network, 'edge');
    assert.deepEqual(cfg.certificatesResolvers.letsencrypt.acme.tlsChallenge, {});
    assert.match(cfg.certificatesResolvers.letsencrypt.acme.caServer, /staging/);
    assert.equal(cfg.entryPoints.traefik.address, '127.0.0.1:8080');
    assert.equal(cfg.log.level, 'WARN');
  });

  it('--out writes the file, then refuses to overwrite it without --force', () => {
    const out = file('t1/traefik.toml');
    assert.equal(cli(['scaffold', 'traefik', '--email', 'ops@example.com', '--out', out]).code, 0);
    const first = fs.readFileSync(out, 'utf8');
    staticConfig(first);
    const again = cli(['scaffold', 'traefik', '--email', 'other@example.com', '--out', out]);
    assertOneLineFailure(again, /already exists; nothing was written\. Add --force/);
    assert.equal(fs.readFileSync(out, 'utf8'), first);
    assert.equal(cli(['scaffold', 'traefik', '--email', 'other@example.com', '--out', out, '--force']).code, 0);
    assert.match(fs.readFileSync(out, 'utf8'), /other@example\.com/);
  });

  it('--dashboard basic-auth --out writes the dashboard router beside it', () => {
    const out = file('t2/traefik.toml');
    const r = cli([
      'scaffold',
      'traefik',
      '--email',
      'ops@example.com',
      '--dashboard',
      'basic-auth',
      '--dashboard-host',
      'traefik.example.com',
      '--dashboard-user',
      'admin:$2y$05$abc',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(staticConfig(fs.readFileSync(out, 'utf8')).api, { dashboard: true });
    const dyn = dynamicConfig(fs.readFileSync(file('t2/dynamic/dashboard.toml'), 'utf8'));
    assert.deepEqual(dyn.http.middlewares['dashboard-auth'].basicAuth.users, ['admin:$2y$05$abc']);
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['no email', ['scaffold', 'traefik'], /--email/],
    [
      'a bad challenge',
      ['scaffold', 'traefik', '--email', 'a@b.io', '--challenge', 'dns'],
      /--challenge must be one of http, tls/,
    ],
    [
      'a bad dashboard mode',
      ['scaffold', 'traefik', '--email', 'a@b.io', '--dashboard', 'public'],
      /--dashboard must be one of/,
    ],
    [
      'basic auth without a host',
      ['scaffold', 'traefik', '--email', 'a@b.io', '--dashboard', 'basic-auth'],
      /--dashboard-host/,
    ],
    ['an unknown flag', ['scaffold', 'traefik', '--emial', 'a@b.io'], /Unknown option --emial/],
    ['an unknown kind', ['scaffold', 'nginx'], /Usage: container-https scaffold traefik/],
  ];
  for (const [name, args, message] of usage) {
    it(`fails in one line on ${name}`, () => assertOneLineFailure(cli(args), message));
  }
});

describe('CLI: scaffold labels', () => {
  it('without a compose file, prints a labels block to paste', () => {
    const r = cli([
      'scaffold',
      'labels',
      '--service',
      'app',
      '--host',
      'a.example.com',
      '--host',
      'b.example.com',
      '--port',
      '8000',
      '--network',
      'proxy',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const labels: string[] = YAML.parse(r.stdout).labels;
    assert.ok(labels.includes('traefik.http.routers.app.rule=Host(`a.example.com`) || Host(`b.example.com`)'));
    validateLabels(labels);
  });

  it('with --compose, previews a diff and leaves the file alone', () => {
    const f = file('l1/docker-compose.yml', COMPOSE);
    const r = cli(['scaffold', 'labels', '--service', 'app', '--host', 'app.example.com', '--compose', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\+ {6}- "traefik\.http\.routers\.app\.rule=Host\(`app\.example\.com`\)"$/m);
    assert.doesNotMatch(r.stdout, /^-[^-]/m, 'nothing removed');
    assert.match(r.stderr, /Not written\. Add --write/);
    assert.equal(fs.readFileSync(f, 'utf8'), COMPOSE);
  });

  it('--print prints the whole edited file; --write saves it; a second --write has nothing to do', () => {
    const f = file('l2/docker-compose.yml', COMPOSE);
    fs.chmodSync(f, 0o640);
    const printed = cli([
      'scaffold',
      'labels',
      '--service',
      'app',
      '--host',
      'app.example.com',
      '--compose',
      f,
      '--print',
    ]).stdout;
    assert.equal(fs.readFileSync(f, 'utf8'), COMPOSE);
    const w = cli(['scaffold', 'labels', '--service', 'app', '--host', 'app.example.com', '--compose', f, '--write']);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(fs.readFileSync(f, 'utf8'), printed);
    assert.ok(printed.startsWith(COMPOSE.split('\n').slice(0, 6).join('\n')), 'original lines kept');
    assert.equal(fs.statSync(f).mode & 0o777, 0o640, 'file mode kept');
    const again = cli([
      'scaffold',
      'labels',
      '--service',
      'app',
      '--host',
      'app.example.com',
      '--compose',
      f,
      '--write',
    ]);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /already has these labels/);
  });

  it('--out writes an edited copy, and refuses an existing one without --force', () => {
    const f = file('l3/docker-compose.yml', COMPOSE);
    const out = file('l3/docker-compose.prod.yml', 'existing\n');
    assertOneLineFailure(
      cli(['scaffold', 'labels', '--service', 'app', '--host', 'app.example.com', '--compose', f, '--out', out]),
      /already exists/,
    );
    assert.equal(fs.readFileSync(out, 'utf8'), 'existing\n');
    assert.equal(
      cli([
        'scaffold',
        'labels',
        '--service',
        'app',
        '--host',
        'app.example.com',
        '--compose',
        f,
        '--out',
        out,
        '--force',
      ]).code,
      0,
    );
    assert.match(fs.readFileSync(out, 'utf8'), /traefik\.enable=true/);
    assert.equal(fs.readFileSync(f, 'utf8'), COMPOSE);
  });

  it('a malformed compose file: one-line error with the line, non-zero exit, file untouched on disk', () => {
    const broken = 'services:\n  app:\n    image: app\n    labels: [\n      - oops\n';
    const f = file('l4/docker-compose.yml', broken);
    const before = fs.statSync(f).mtimeMs;
    const r = cli(['scaffold', 'labels', '--service', 'app', '--host', 'app.example.com', '--compose', f, '--write']);
    assertOneLineFailure(r, /docker-compose\.yml is not valid YAML \(line \d+, column \d+\)/);
    assert.equal(fs.readFileSync(f, 'utf8'), broken);
    assert.equal(fs.statSync(f).mtimeMs, before);
    assert.deepEqual(fs.readdirSync(path.dirname(f)), ['docker-compose.yml'], 'no temp files left behind');
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['a missing service', ['scaffold', 'labels', '--host', 'a.example.com'], /--service/],
    ['a missing host', ['scaffold', 'labels', '--service', 'app'], /--host/],
    [
      'a bad port',
      ['scaffold', 'labels', '--service', 'app', '--host', 'a.example.com', '--port', '99999'],
      /--port must be a port number/,
    ],
    [
      'a compose file that does not exist',
      ['scaffold', 'labels', '--service', 'app', '--host', 'a.example.com', '--compose', '/nonexistent/compose.yml'],
      /does not exist/,
    ],
  ];
  for (const [name, args, message] of usage) {
    it(`fails in one line on ${name}`, () => assertOneLineFailure(cli(args), message));
  }

  it('docker-compose config accepts a compose file after label insertion', { skip: composeMissing }, () => {
    const f = file('l5/docker-compose.yml', COMPOSE);
    assert.equal(
      cli([
        'scaffold',
        'labels',
        '--service',
        'app',
        '--host',
        'app.example.com',
        '--port',
        '5000',
        '--compose',
        f,
        '--write',
      ]).code,
      0,
    );
    const r = spawnSync('docker-compose', ['-f', f, 'config'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(YAML.parse(r.stdout).services.app.labels['traefik.http.routers.app.rule'], 'Host(`app.example.com`)');
  });
});

describe('CLI: scaffold stack', () => {
  it('--dir writes docker-compose.yml, traefik/traefik.toml and traefik/acme (private), and will not overwrite', () => {
    const d = path.join(dir, 'stack');
    const args = [
      'scaffold',
      'stack',
      '--email',
      'ops@example.com',
      '--service',
      'flask',
      '--host',
      'myhost.example.com',
      '--port',
      '5000',
      '--dir',
      d,
    ];
    const r = cli(args);
    assert.equal(r.code, 0, r.stderr);
    const compose = YAML.parse(fs.readFileSync(path.join(d, 'docker-compose.yml'), 'utf8'));
    assert.ok(compose.services.traefik && compose.services.flask);
    staticConfig(fs.readFileSync(path.join(d, 'traefik', 'traefik.toml'), 'utf8'));
    assert.equal(fs.statSync(path.join(d, 'traefik', 'acme')).mode & 0o777, 0o700);
    const before = fs.readFileSync(path.join(d, 'docker-compose.yml'), 'utf8');
    assertOneLineFailure(cli(args), /already exists/);
    assert.equal(fs.readFileSync(path.join(d, 'docker-compose.yml'), 'utf8'), before);
  });

  it('without --dir, prints each file under a header', () => {
    const r = cli([
      'scaffold',
      'stack',
      '--email',
      'ops@example.com',
      '--service',
      'flask',
      '--host',
      'myhost.example.com',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^==> docker-compose\.yml <==$/m);
    assert.match(r.stdout, /^==> traefik\/traefik\.toml <==$/m);
  });
});

describe('CLI: migrate', () => {
  it("the blog's traefik.toml: prints v3 on stdout, lists what was not mapped on stderr", () => {
    const f = file('m1/traefik.toml', blog.v1Toml);
    const r = cli(['migrate', f]);
    assert.equal(r.code, 0, r.stderr);
    const cfg = staticConfig(r.stdout);
    assert.equal(cfg.entryPoints.web.http.redirections.entryPoint.to, 'websecure');
    assert.match(r.stderr, /^Not migrated as-is \(6\):$/m);
    assert.match(r.stderr, /^ {2}acme\.onHostRule: implicit in v3/m);
    assert.equal(fs.readFileSync(f, 'utf8'), blog.v1Toml);
  });

  it('--out writes the result (never over the input), refusing an existing file without --force', () => {
    const f = file('m2/traefik.toml', blog.v1Toml);
    const out = file('m2/traefik.v3.toml');
    assert.equal(cli(['migrate', f, '--out', out]).code, 0);
    staticConfig(fs.readFileSync(out, 'utf8'));
    assertOneLineFailure(cli(['migrate', f, '--out', out]), /already exists/);
    assertOneLineFailure(cli(['migrate', f, '--out', f, '--force']), /--out names the input file/);
    assert.equal(fs.readFileSync(f, 'utf8'), blog.v1Toml);
  });

  it('a compose file: v1 labels migrated', () => {
    const f = file('m3/docker-compose.yml', blog.compose);
    const r = cli(['migrate', f]);
    assert.equal(r.code, 0, r.stderr);
    const labels: string[] = YAML.parse(r.stdout).services.flask.labels;
    assert.ok(labels.includes('traefik.http.routers.flask.entrypoints=websecure'));
    assert.ok(!labels.some((l) => l.startsWith('traefik.frontend') || l.startsWith('traefik.backend')));
    assert.match(r.stderr, /flask: traefik\.frontend\.rule: the value comes from a variable/);
  });

  it('invalid TOML and invalid YAML: one line, non-zero, input untouched', () => {
    const t = file('m4/traefik.toml', '[acme\nemail = "x"\n');
    assertOneLineFailure(cli(['migrate', t]), /traefik\.toml is not valid TOML \(line 1/);
    assert.equal(fs.readFileSync(t, 'utf8'), '[acme\nemail = "x"\n');
    const y = file('m4/compose.yaml', 'services:\n  a: [\n');
    assertOneLineFailure(cli(['migrate', y]), /compose\.yaml is not valid YAML/);
    assertOneLineFailure(cli(['migrate']), /Usage: container-https migrate/);
    assertOneLineFailure(cli(['migrate', file('m4/missing.toml')]), /does not exist/);
  });
});
