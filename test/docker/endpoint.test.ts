import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { resolveDockerEndpoint } from '../../proxy-core/src/docker/dockerEndpoint';
import {
  ReachabilityInput,
  describeConnectError,
  negotiate,
  reachability,
} from '../../proxy-core/src/docker/engineClient';
import { tempDir } from '../support/env';

/** Writes a Docker context the way `docker context create` lays it out, in a temp HOME. */
function writeContext(home: string, name: string, host: string, tls?: { ca: string; cert: string; key: string }): void {
  const id = createHash('sha256').update(name).digest('hex');
  const meta = path.join(home, '.docker', 'contexts', 'meta', id);
  fs.mkdirSync(meta, { recursive: true });
  fs.writeFileSync(
    path.join(meta, 'meta.json'),
    JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
  );
  if (tls) {
    const dir = path.join(home, '.docker', 'contexts', 'tls', id, 'docker');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'ca.pem'), tls.ca);
    fs.writeFileSync(path.join(dir, 'cert.pem'), tls.cert);
    fs.writeFileSync(path.join(dir, 'key.pem'), tls.key);
  }
}

function useContext(home: string, name: string): void {
  fs.mkdirSync(path.join(home, '.docker'), { recursive: true });
  fs.writeFileSync(path.join(home, '.docker', 'config.json'), JSON.stringify({ auths: {}, currentContext: name }));
}

const none = () => false;

describe('Docker endpoint resolution (as the docker CLI does)', () => {
  it('default: /var/run/docker.sock when nothing is set', () => {
    const e = resolveDockerEndpoint({ env: {}, home: tempDir(), platform: 'linux', exists: none });
    assert.equal(e.url, 'unix:///var/run/docker.sock');
    assert.equal(e.source, 'default socket');
    assert.equal(e.local, true);
    assert.equal(e.modem.socketPath, '/var/run/docker.sock');
    assert.ok(
      'host' in e.modem && e.modem.host === undefined,
      'host is set explicitly so DOCKER_HOST cannot leak into docker-modem',
    );
  });

  it('falls back to the Docker Desktop, rootless and Podman sockets when the default one is absent', () => {
    const home = tempDir();
    const desktop = path.join(home, '.docker', 'run', 'docker.sock');
    assert.equal(
      resolveDockerEndpoint({ env: {}, home, platform: 'linux', exists: (p) => p === desktop }).source,
      'Docker Desktop socket',
    );
    const podman = '/run/user/1000/podman/podman.sock';
    const e = resolveDockerEndpoint({
      env: { XDG_RUNTIME_DIR: '/run/user/1000' },
      home,
      platform: 'linux',
      exists: (p) => p === podman,
    });
    assert.equal(e.url, `unix://${podman}`);
    assert.equal(e.source, 'Podman socket');
    assert.equal(
      resolveDockerEndpoint({ env: {}, home, platform: 'linux', exists: (p) => p === '/run/podman/podman.sock' })
        .source,
      'Podman socket',
    );
  });

  it('DOCKER_HOST unix:// and tcp://, with TLS from DOCKER_CERT_PATH', () => {
    const e = resolveDockerEndpoint({ env: { DOCKER_HOST: 'unix:///tmp/x.sock' }, home: tempDir(), exists: none });
    assert.equal(e.url, 'unix:///tmp/x.sock');
    assert.equal(e.source, 'DOCKER_HOST');

    const plain = resolveDockerEndpoint({ env: { DOCKER_HOST: 'tcp://10.0.0.5:2375' }, home: tempDir(), exists: none });
    assert.deepEqual(
      [plain.modem.host, plain.modem.port, plain.modem.protocol, plain.local],
      ['10.0.0.5', 2375, 'http', false],
    );

    const certs = tempDir();
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(certs, f), `--${f}--`);
    const secure = resolveDockerEndpoint({
      env: { DOCKER_HOST: 'tcp://build.example:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs },
      home: tempDir(),
      exists: none,
    });
    assert.equal(secure.modem.protocol, 'https');
    assert.equal(secure.modem.ca, '--ca.pem--');
    assert.equal(secure.modem.cert, '--cert.pem--');
    assert.equal(secure.url, 'tcp://build.example:2376');
  });

  it('--docker-host wins over DOCKER_HOST and the context', () => {
    const home = tempDir();
    writeContext(home, 'remote', 'tcp://remote:2375');
    useContext(home, 'remote');
    const e = resolveDockerEndpoint({
      override: 'unix:///run/mine.sock',
      env: { DOCKER_HOST: 'tcp://other:2375' },
      home,
      exists: none,
    });
    assert.equal(e.url, 'unix:///run/mine.sock');
    assert.equal(e.source, '--docker-host');
  });

  it('the current context from config.json and its meta file (with TLS material)', () => {
    const home = tempDir();
    writeContext(home, 'desktop-linux', 'unix:///home/u/.docker/desktop/docker.sock');
    useContext(home, 'desktop-linux');
    const e = resolveDockerEndpoint({ env: {}, home, exists: none });
    assert.equal(e.url, 'unix:///home/u/.docker/desktop/docker.sock');
    assert.equal(e.source, 'context desktop-linux');

    writeContext(home, 'prod', 'tcp://prod.example:2376', { ca: 'CA', cert: 'CERT', key: 'KEY' });
    useContext(home, 'prod');
    const tls = resolveDockerEndpoint({ env: {}, home, exists: none });
    assert.deepEqual(
      [tls.modem.protocol, tls.modem.ca, tls.modem.cert, tls.modem.key, tls.source],
      ['https', 'CA', 'CERT', 'KEY', 'context prod'],
    );
  });

  it('DOCKER_CONTEXT overrides config.json; DOCKER_HOST overrides both; "default" means the default socket', () => {
    const home = tempDir();
    writeContext(home, 'a', 'tcp://a:2375');
    writeContext(home, 'b', 'tcp://b:2375');
    useContext(home, 'a');
    assert.equal(resolveDockerEndpoint({ env: { DOCKER_CONTEXT: 'b' }, home, exists: none }).modem.host, 'b');
    assert.equal(
      resolveDockerEndpoint({ env: { DOCKER_CONTEXT: 'b', DOCKER_HOST: 'tcp://c:2375' }, home, exists: none }).modem
        .host,
      'c',
    );
    assert.equal(
      resolveDockerEndpoint({ env: { DOCKER_CONTEXT: 'default' }, home, platform: 'linux', exists: none }).source,
      'default socket',
    );
  });

  it('DOCKER_CONFIG moves the config directory', () => {
    const home = tempDir();
    const config = tempDir();
    writeContext(config, 'x', 'tcp://x:2375');
    // writeContext puts files under <home>/.docker; point DOCKER_CONFIG there.
    fs.writeFileSync(path.join(config, '.docker', 'config.json'), JSON.stringify({ currentContext: 'x' }));
    assert.equal(
      resolveDockerEndpoint({ env: { DOCKER_CONFIG: path.join(config, '.docker') }, home, exists: none }).modem.host,
      'x',
    );
  });

  it('says what is wrong with a broken context, config or DOCKER_HOST', () => {
    const home = tempDir();
    useContext(home, 'gone');
    assert.throws(
      () => resolveDockerEndpoint({ env: {}, home, exists: none }),
      /Docker context "gone" is selected, but .*meta\.json cannot be read \(it does not exist\): run "docker context use default"/,
    );
    fs.writeFileSync(path.join(home, '.docker', 'config.json'), '{ not json');
    assert.throws(() => resolveDockerEndpoint({ env: {}, home, exists: none }), /config\.json is not valid JSON/);
    assert.throws(
      () => resolveDockerEndpoint({ env: { DOCKER_HOST: 'ftp://x' }, home: tempDir(), exists: none }),
      /DOCKER_HOST "ftp:\/\/x" is not a Docker endpoint \(unsupported scheme ftp:\)/,
    );
  });

  it('negotiates the API version: the lower of engine and client, never below the engine minimum', () => {
    assert.equal(negotiate('1.41', '1.12'), '1.41'); // Debian's docker.io 20.10
    assert.equal(negotiate('1.52', '1.44'), '1.47'); // Engine 29: our version is inside its range
    assert.equal(negotiate('1.60', '1.50'), '1.50'); // a future engine whose minimum passed ours
    assert.equal(negotiate(undefined, undefined), '1.47');
  });

  it('a connection error names the endpoint, how it was chosen, and the fix', () => {
    const e = resolveDockerEndpoint({ env: { DOCKER_HOST: 'unix:///nowhere.sock' }, home: tempDir(), exists: none });
    const err = Object.assign(new Error('connect ENOENT /nowhere.sock'), { code: 'ENOENT' });
    assert.equal(
      describeConnectError(e, err),
      'Docker engine at unix:///nowhere.sock (DOCKER_HOST) is not reachable: the socket does not exist. Is Docker running? Otherwise set DOCKER_HOST or --docker-host.',
    );
    assert.match(
      describeConnectError(e, Object.assign(new Error('x'), { code: 'EACCES' })),
      /permission denied.*"docker" group/,
    );
  });
});

describe('--docker-address auto: are container IPs reachable from here? (pure)', () => {
  const base = { local: true, podman: false, uid: 1000, platform: 'linux' as NodeJS.Platform };
  const cases: Array<[string, Partial<ReachabilityInput>, string | undefined]> = [
    ['a local rootful engine on Linux', {}, undefined],
    ['rootful Podman (the daemon runs as root)', { podman: true, uid: 0 }, undefined],
    ['a remote engine (tcp://, ssh://)', { local: false }, 'the engine is remote'],
    ['Docker Desktop', { operatingSystem: 'Docker Desktop' }, 'Docker Desktop runs containers in a VM'],
    [
      'rootless Docker',
      { securityOptions: ['name=seccomp,profile=builtin', 'name=rootless'] },
      'the engine is rootless',
    ],
    [
      'rootless Podman (libpod info says so), the daemon running as root',
      { podman: true, podmanRootless: true, uid: 0 },
      'the engine is rootless',
    ],
    [
      'rootful Podman (libpod info says so), the daemon running as a user',
      { podman: true, podmanRootless: false, uid: 1000 },
      undefined,
    ],
    [
      'Podman that cannot be asked, the daemon running as a user',
      { podman: true, uid: 1000 },
      'the engine is rootless',
    ],
    ['macOS', { platform: 'darwin' }, 'this is darwin, containers run in a VM'],
  ];
  for (const [what, input, why] of cases)
    it(`${what}: ${why ? 'published ports' : 'container IPs'}`, () => {
      const got = reachability({ ...base, ...input });
      assert.equal(got.ipsUnreachable, !!why);
      if (why) assert.ok(got.why?.startsWith(why), got.why);
    });
});
