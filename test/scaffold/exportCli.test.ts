import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { cli, cliAsync, startDaemon } from '../support/daemon';
import { tempDir } from '../support/env';

/** One line on stderr, a non-zero exit: how every CLI failure looks. */
function assertOneLineFailure(r: { code: number; stderr: string }, message: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
}

describe('CLI: scaffold export', () => {
  let daemon: Daemon;
  let stateDir: string;
  const out = tempDir('chs-export-cli-');

  before(async () => {
    // Saved routes and an engine that is not there: the daemon serves the routes as unavailable
    // and knows no containers (a note says so), which is all the export needs to read.
    stateDir = tempDir('chs-export-state-');
    const createdAt = new Date().toISOString();
    fs.writeFileSync(
      path.join(stateDir, 'routes.json'),
      JSON.stringify({
        version: 1,
        routes: [
          { host: 'shop.localhost', target: 'container:web:8000', tls: 'local', source: 'user', createdAt },
          { host: 'local.localhost', target: 'http://127.0.0.1:5000', tls: 'local', source: 'user', createdAt },
        ],
      }),
    );
    ({ daemon } = await startDaemon({
      stateDir,
      docker: { labels: false, host: `unix://${path.join(out, 'no-engine.sock')}` },
    }));
  });
  after(async () => {
    await daemon?.close();
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('bad flags fail in one line, before the daemon is asked', () => {
    const none = ['--state-dir', path.join(out, 'no-daemon-here')];
    assertOneLineFailure(cli(['scaffold', 'export', ...none]), /Give the target: --to compose\|swarm\|k8s\n$/);
    assertOneLineFailure(
      cli(['scaffold', 'export', '--to', 'nomad', ...none]),
      /--to must be one of compose, swarm, k8s, not "nomad"/,
    );
    assertOneLineFailure(
      cli(['scaffold', 'export', '--to', 'compose', '--ingress', 'standard', ...none]),
      /--ingress applies to --to k8s only/,
    );
    assertOneLineFailure(
      cli(['scaffold', 'export', '--to', 'k8s', '--domain-map', 'example.com', ...none]),
      /--domain-map "example\.com" is not FROM=TO/,
    );
    assertOneLineFailure(
      cli(['scaffold', 'export', '--to', 'k8s', '--force', ...none]),
      /--force only applies with --out DIR/,
    );
    assertOneLineFailure(
      cli(['scaffold', 'export', '--to', 'k8s', '--ingres', 'x', ...none]),
      /Unknown option --ingres/,
    );
    assertOneLineFailure(cli(['scaffold', 'export', '--to', 'k8s', 'extra', ...none]), /Unexpected argument "extra"/);
  });

  // cliAsync: the daemon runs in this process, so a blocking spawnSync would starve it.
  it('prints the files from the running routes, with the notes on stderr', async () => {
    const r = await cliAsync([
      'scaffold',
      'export',
      '--to',
      'k8s',
      '--domain-map',
      '.localhost=example.com',
      '--state-dir',
      stateDir,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^==> k8s\/web\.yaml <==\n/);
    assert.match(r.stdout, /==> helm\/traefik-values\.yaml <==/);
    const stream = r.stdout.slice(0, r.stdout.indexOf('==> helm/')).replace(/^==> .* <==\n/, '');
    const route = YAML.parseAllDocuments(stream)
      .map((d) => d.toJS())
      .find((o) => o?.kind === 'IngressRoute');
    assert.equal(route.spec.routes[0].match, 'Host(`shop.example.com`)');
    assert.deepEqual(route.spec.tls, { certResolver: 'letsencrypt' });
    assert.match(r.stderr, /Docker is not reachable/);
    assert.match(r.stderr, /container web is not running here, so its image is unknown/);
    assert.match(r.stderr, /route local\.localhost: http:\/\/127\.0\.0\.1:5000 is a process on this machine/);
    assert.match(r.stderr, /Not written\. Add --out DIR to write these files\.\n$/);
  });

  it('--out writes the files, refuses to replace them without --force (writing nothing), replaces them with it', async () => {
    const dir = path.join(out, 'prod');
    const args = [
      'scaffold',
      'export',
      '--to',
      'swarm',
      '--out',
      dir,
      '--email',
      'ops@example.com',
      '--state-dir',
      stateDir,
    ];
    const first = await cliAsync(args);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, new RegExp(`wrote ${dir}/stack\\.yml`));
    assert.match(first.stderr, new RegExp(`Next, on a manager: cd ${dir} && docker stack deploy -c stack\\.yml app`));
    assert.match(fs.readFileSync(path.join(dir, 'stack.yml'), 'utf8'), /traefik\.swarm\.network=proxy/);
    fs.writeFileSync(path.join(dir, 'stack.yml'), 'mine\n');
    assertOneLineFailure(
      await cliAsync(args),
      /stack\.yml, .*traefik\.toml already exist; nothing was written\. Add --force to replace them\./,
    );
    assert.equal(fs.readFileSync(path.join(dir, 'stack.yml'), 'utf8'), 'mine\n');
    const forced = await cliAsync([...args, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(fs.readFileSync(path.join(dir, 'stack.yml'), 'utf8'), /^# Generated by container-https/);
  });

  it('help lists the command', () => {
    assert.match(cli(['help']).stdout, /scaffold export {2}--to compose\|swarm\|k8s/);
  });
});
