import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { RoutesResponse } from '../../proxy-core/src/control/apiTypes';
import { caFile, cli, cliAsync, spawnServe } from '../support/daemon';

// The backends run in this process: CLI calls that reach them must not block its event loop.
import { CLI, tempDir } from '../support/env';
import { NOBODY, cliAsUser } from '../support/asUser';
import { httpsGet } from '../support/https';
import { startEchoBackend } from '../support/backends';

const base = ['--https-port', '0', '--http-port', '0', '--no-docker'];

describe('container-https serve + CLI, as a user runs them', { timeout: 60_000 }, () => {
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;
  before(async () => {
    backend = await startEchoBackend('cli');
  });
  after(() => backend.close());

  test('expose returns once the route answers over verified HTTPS; routes/certs --json; unexpose', async () => {
    const serve = await spawnServe(base);
    try {
      const dir = ['--state-dir', serve.stateDir];
      const exposed = await cliAsync(['expose', 'app.localhost', backend.url, ...dir]);
      assert.equal(exposed.code, 0, exposed.stderr);
      assert.match(
        exposed.stdout,
        new RegExp(`https://app.localhost:${serve.status.https.port}/ -> ${backend.url} \\(local CA, HTTP 200\\)`),
      );
      const res = await httpsGet({
        host: 'app.localhost',
        port: serve.status.https.port,
        ca: fs.readFileSync(caFile(serve.stateDir), 'utf8'),
      });
      assert.equal(res.status, 200);

      const routes = JSON.parse((await cliAsync(['routes', '--json', ...dir])).stdout) as RoutesResponse;
      assert.deepEqual(
        routes.routes.map((r) => ({
          host: r.host,
          target: r.target,
          tls: r.tls,
          source: r.source,
          status: r.status,
          url: r.url,
        })),
        [
          {
            host: 'app.localhost',
            target: backend.url,
            tls: 'local',
            source: 'user',
            status: 'ready',
            url: `https://app.localhost:${serve.status.https.port}/`,
          },
        ],
      );
      const certs = JSON.parse((await cliAsync(['certs', '--json', ...dir])).stdout);
      assert.equal(certs.certs[0].host, 'app.localhost');
      assert.equal(certs.certs[0].issuer, 'local');
      assert.deepEqual(certs.certs[0].hosts, ['app.localhost']);
      assert.ok(Date.parse(certs.certs[0].renewAt) < Date.parse(certs.certs[0].notAfter));
      assert.match((await cliAsync(['routes', ...dir])).stdout, /app\.localhost.*ready/);
      assert.equal((await cliAsync(['ca', 'path', ...dir])).stdout.trim(), caFile(serve.stateDir));

      const removed = await cliAsync(['unexpose', 'app.localhost', ...dir]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(
        (JSON.parse((await cliAsync(['routes', '--json', ...dir])).stdout) as RoutesResponse).routes.length,
        0,
      );
      const missing = await cliAsync(['unexpose', 'app.localhost', ...dir]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^container-https: No route for app\.localhost/);
    } finally {
      await serve.stop();
    }
  });

  test('expose to a target that is down fails after --wait with the reason, and keeps the route', async () => {
    const serve = await spawnServe(base);
    try {
      const r = await cliAsync([
        'expose',
        'down.localhost',
        'http://127.0.0.1:9',
        '--wait',
        '0.3',
        '--state-dir',
        serve.stateDir,
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /did not answer within 0\.3 s \(HTTP 502\)\. The route stays/);
      assert.match((await cliAsync(['routes', '--state-dir', serve.stateDir])).stdout, /down\.localhost/);
    } finally {
      await serve.stop();
    }
  });

  test('routes survive a daemon restart, with their certificates', async () => {
    const first = await spawnServe(base);
    assert.equal((await cliAsync(['expose', 'keep.localhost', backend.url, '--state-dir', first.stateDir])).code, 0);
    const certBefore = fs.readFileSync(path.join(first.stateDir, 'certs', 'keep.localhost.pem'), 'utf8');
    await first.stop();
    assert.equal(fs.existsSync(path.join(first.stateDir, 'daemon.pid')), false, 'pid file removed on stop');
    const second = await spawnServe(base, first.stateDir);
    try {
      const res = await httpsGet({
        host: 'keep.localhost',
        port: second.status.https.port,
        ca: fs.readFileSync(caFile(first.stateDir), 'utf8'),
      });
      assert.equal(res.status, 200);
      assert.equal(
        fs.readFileSync(path.join(first.stateDir, 'certs', 'keep.localhost.pem'), 'utf8'),
        certBefore,
        'a valid certificate is reused, not reissued',
      );
    } finally {
      await second.stop();
    }
  });

  test('a corrupt routes.json is moved aside and reported, never dropped', async () => {
    const stateDir = tempDir();
    fs.writeFileSync(path.join(stateDir, 'routes.json'), '{"version":1,"routes":[{"host":"a.localhost",');
    const serve = await spawnServe(base, stateDir);
    try {
      const moved = fs.readdirSync(stateDir).filter((f) => f.startsWith('routes.json.corrupt-'));
      assert.equal(moved.length, 1);
      assert.equal(
        fs.readFileSync(path.join(stateDir, moved[0]), 'utf8'),
        '{"version":1,"routes":[{"host":"a.localhost",',
      );
      assert.match(
        serve.status.problems.join('\n'),
        /routes\.json could not be read .* moved to .*routes\.json\.corrupt-/,
      );
      assert.match(serve.output(), /problem: routes\.json could not be read/);
      // The daemon works, and new routes are saved to a fresh file.
      assert.equal((await cliAsync(['expose', 'new.localhost', backend.url, '--state-dir', stateDir])).code, 0);
      assert.equal(
        JSON.parse(fs.readFileSync(path.join(stateDir, 'routes.json'), 'utf8')).routes[0].host,
        'new.localhost',
      );
    } finally {
      await serve.stop();
    }
  });

  test('a routes.json with an invalid entry: the valid routes load, the invalid one is reported, the original is kept aside', async () => {
    const stateDir = tempDir();
    fs.writeFileSync(
      path.join(stateDir, 'routes.json'),
      JSON.stringify({
        version: 1,
        routes: [
          { host: 'ok.localhost', target: backend.url },
          { host: 'bad host', target: 'x' },
        ],
      }),
    );
    const serve = await spawnServe(base, stateDir);
    try {
      assert.match(serve.status.problems.join('\n'), /route #2 \(bad host\): Invalid host name "bad host"/);
      assert.equal(fs.readdirSync(stateDir).filter((f) => f.startsWith('routes.json.invalid-')).length, 1);
      const { routes } = await new ControlClient(stateDir).request<RoutesResponse>('GET', '/v1/routes');
      assert.deepEqual(
        routes.map((r) => r.host),
        ['ok.localhost'],
      );
    } finally {
      await serve.stop();
    }
  });

  test('concurrent expose calls all land, and routes.json holds all of them', async () => {
    const serve = await spawnServe(base);
    try {
      const hosts = Array.from({ length: 12 }, (_, i) => `c${i}.localhost`);
      const results = await Promise.all(
        hosts.map((h) => cliAsync(['expose', h, backend.url, '--state-dir', serve.stateDir])),
      );
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const saved = JSON.parse(fs.readFileSync(path.join(serve.stateDir, 'routes.json'), 'utf8'))
        .routes.map((r: { host: string }) => r.host)
        .sort();
      assert.deepEqual(saved, [...hosts].sort());
      // The same host exposed concurrently gets one certificate, not a race of several.
      const same = await Promise.all(
        [1, 2, 3].map(() => cliAsync(['expose', 'same.localhost', backend.url, '--state-dir', serve.stateDir])),
      );
      for (const r of same) assert.equal(r.code, 0, r.stderr);
      const ca = fs.readFileSync(caFile(serve.stateDir), 'utf8');
      const served = await httpsGet({ host: 'same.localhost', port: serve.status.https.port, ca });
      const stored = fs.readFileSync(path.join(serve.stateDir, 'certs', 'same.localhost.pem'), 'utf8');
      assert.equal(
        served.peerCertificate?.fingerprint256,
        new (await import('node:crypto')).X509Certificate(stored).fingerprint256,
      );
    } finally {
      await serve.stop();
    }
  });

  test('live events over the control API (SSE): a new route arrives without polling', async () => {
    const serve = await spawnServe(base);
    try {
      const client = new ControlClient(serve.stateDir);
      const seen: string[] = [];
      const got = new Promise<void>((resolve) => {
        const stop = client.subscribe((event, data) => {
          seen.push(event);
          if (event === 'routes' && (data as RoutesResponse).routes.some((r) => r.host === 'live.localhost')) {
            stop();
            resolve();
          }
        });
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await cliAsync(['expose', 'live.localhost', backend.url, '--state-dir', serve.stateDir])).code, 0);
      await got;
      assert.deepEqual(
        seen.slice(0, 3),
        ['status', 'routes', 'certs'],
        'a new subscriber first gets the current state',
      );
    } finally {
      await serve.stop();
    }
  });

  test('when nothing reads its log any more (serve | tee, and tee ends), serve stops cleanly and keeps its routes', async () => {
    const serve = await spawnServe(base);
    try {
      const exited = new Promise<number | null>((resolve) => serve.child.once('exit', (code) => resolve(code)));
      // The read end of serve's stdout goes away: its next log line meets EPIPE. It used to log
      // that failure to the same stdout, and so on, on one core, deaf to SIGTERM.
      serve.child.stdout!.destroy();
      await cliAsync(['expose', 'app.localhost', backend.url, '--state-dir', serve.stateDir]);
      const code = await Promise.race([
        exited,
        new Promise((r) => setTimeout(() => r('still running after 15 s'), 15_000)),
      ]);
      assert.equal(code, 0, serve.output());
      const saved = JSON.parse(fs.readFileSync(path.join(serve.stateDir, 'routes.json'), 'utf8'));
      assert.match(JSON.stringify(saved), /app\.localhost/);
    } finally {
      await serve.stop();
    }
  });

  test('the control API answers unknown paths and bad bodies with JSON errors', async () => {
    const serve = await spawnServe(base);
    try {
      const client = new ControlClient(serve.stateDir);
      await assert.rejects(client.request('GET', '/v1/nope'), /is not part of the control API/);
      await assert.rejects(
        client.request('PUT', '/v1/routes/x.localhost', { target: 'ftp://x' }),
        /scheme must be http or https/,
      );
      await assert.rejects(
        client.request('PUT', '/v1/routes/x.localhost', undefined),
        /Invalid request body for x\.localhost: the body is empty/,
      );
    } finally {
      await serve.stop();
    }
  });
});

describe('clear one-line errors', { timeout: 60_000 }, () => {
  test('a command whose reader has gone (`container-https help | true`) ends with its own code, without an EPIPE stack', async () => {
    const child = spawn(process.execPath, [CLI, 'help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0, stderr);
    assert.equal(stderr, '');
  });

  test('no daemon running', () => {
    const r = cli(['routes', '--state-dir', tempDir()]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^container-https: No Container HTTPS daemon is running for state dir .*Start one with: container-https serve/,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('port in use names the port and the flag', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = cli(['serve', '--state-dir', tempDir(), '--https-port', String(port), '--no-docker']);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `^container-https: Port ${port} on 127.0.0.1 \\(HTTPS\\) is already in use.*--https-port \\(setting containerHttps.proxy.httpsPort\\)`,
        ),
      );
      const h = cli([
        'serve',
        '--state-dir',
        tempDir(),
        '--https-port',
        '0',
        '--http-port',
        String(port),
        '--no-docker',
      ]);
      assert.match(h.stderr, new RegExp(`Port ${port} on 127.0.0.1 \\(HTTP\\) is already in use.*--http-port`));
    } finally {
      blocker.close();
    }
  });

  test('permission denied on a port below 1024 (run as the unprivileged user "nobody") gives the sysctl/setcap hint', () => {
    const stateDir = tempDir();
    fs.chownSync(stateDir, 65534, 65534);
    // A copy of dist/ that nobody can read: the checkout itself may be private (test/support/asUser.ts).
    const r = cliAsUser(NOBODY, ['serve', '--state-dir', stateDir, '--https-port', '443', '--no-docker'], {
      HOME: stateDir,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /^container-https: Permission denied binding HTTPS port 443: ports below 1024 need privileges.*ip_unprivileged_port_start=443.*setcap cap_net_bind_service/,
    );
  });

  test('a second daemon on the same state dir is refused, naming the first', async () => {
    const serve = await spawnServe(base);
    try {
      const r = cli(['serve', '--state-dir', serve.stateDir, ...base]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`A Container HTTPS daemon \\(pid ${serve.status.pid}\\) is already running for state dir`),
      );
    } finally {
      await serve.stop();
    }
  });

  test('a stale pid file from a crashed daemon does not block a new one', async () => {
    const stateDir = tempDir();
    fs.writeFileSync(path.join(stateDir, 'daemon.pid'), '999999\n');
    const serve = await spawnServe(base, stateDir);
    await serve.stop();
  });

  test('bad host, bad target, name outside the CA, unknown option, container target without Docker', async () => {
    const serve = await spawnServe(base);
    try {
      const d = ['--state-dir', serve.stateDir];
      const cases: Array<[string[], RegExp]> = [
        [['expose', 'bad_host', '5000', ...d], /Invalid host name "bad_host"/],
        [['expose', 'xn--.localhost', '5000', ...d], /Invalid host name/],
        [['expose', 'app.localhost', 'ftp://x', ...d], /Invalid target "ftp:\/\/x"/],
        [['expose', 'app.localhost', '99999', ...d], /1 to 65535/],
        [['expose', 'www.example.com', '5000', ...d], /outside the local CA's allowed names.*--acme/],
        [['expose', 'app.localhost', 'container:web', ...d], /Container targets need Docker discovery/],
        [['expose', 'app.localhost', '5000', '--acme', ...d], /Let's Encrypt is not configured/],
        [['expose', 'app.localhost', ...d], /Usage: container-https expose HOST\[\/PATH\] TARGET/],
        [['routes', '--bogus', ...d], /Unknown option --bogus/],
        [['serve', '--https-port', 'abc'], /--https-port must be a port number/],
        [['frobnicate'], /unknown command "frobnicate"/],
      ];
      for (const [args, message] of cases) {
        const r = cli(args);
        assert.notEqual(r.code, 0, args.join(' '));
        assert.match(r.stderr, message, args.join(' '));
        assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
      }
      // None of the refused routes was stored.
      assert.equal((JSON.parse(cli(['routes', '--json', ...d]).stdout) as RoutesResponse).routes.length, 0);
    } finally {
      await serve.stop();
    }
  });
});
