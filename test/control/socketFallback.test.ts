import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { controlSocket, fallbackSocketDir } from '../../proxy-core/src/paths';
import { ensurePrivateDir } from '../../proxy-core/src/privateDir';
import { cli, startDaemon } from '../support/daemon';
import { readableCliCopy } from '../support/asUser';
import { tempDir } from '../support/env';
import { until } from '../support/wait';

// Item 7 of issue 11: another local user ("nobody" here; the tests run as root) must not be able
// to stand in for the daemon of a state dir whose socket falls back outside it. Code run as
// another user runs from copies in world-readable temp dirs, never from the checkout.

const NOBODY = 65534;
const cleanups: Array<() => void> = [];
after(() => cleanups.reverse().forEach((c) => c()));

function temp(mode: number): string {
  const dir = tempDir('chs-sock-');
  fs.chmodSync(dir, mode);
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A state dir whose path is too long for a socket inside it. */
function longStateDir(parent: string, owner = 0): string {
  const dir = path.join(parent, 's'.repeat(100));
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chownSync(dir, owner, owner);
  return dir;
}

function asUser(uid: number, args: string[], env: NodeJS.ProcessEnv, cwd: string): ChildProcess {
  return spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...args], {
    env: { PATH: process.env.PATH, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

// What the other user runs: a fake daemon (optionally making the socket's directory first).
const FAKE = `
const http = require('http'), fs = require('fs');
const [dir, sock] = process.argv.slice(1);
if (dir) fs.mkdirSync(dir, { mode: 0o700 });
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(req.url.startsWith('/v1/routes')
    ? { routes: [{ host: 'fake.localhost', url: 'https://fake.localhost:8443', target: 'http://10.6.6.6:80', tls: 'local', source: 'user', status: 'ready', createdAt: '' }] }
    : { version: 'fake', pid: 1 }));
}).listen(sock, () => { fs.chmodSync(sock, 0o777); console.log('ready'); });
`;

/** Starts FAKE as "nobody" and waits until it listens on `sock`. */
async function squat(cwd: string, dir: string, sock: string): Promise<void> {
  const child = asUser(NOBODY, [process.execPath, '-e', FAKE, dir, sock], {}, cwd);
  cleanups.push(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await until('the fake daemon', () => out.includes('ready') || child.exitCode !== null, 10_000);
  assert.ok(out.includes('ready'), `the fake daemon did not start: ${out}`);
  assert.equal(fs.lstatSync(sock).uid, NOBODY);
}

const digest = (stateDir: string) =>
  crypto.createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 16);

test('a fallback socket directory that is not private is refused with what is wrong', () => {
  const base = temp(0o700);
  const fresh = path.join(base, 'fresh');
  ensurePrivateDir(fresh, 0);
  assert.equal(fs.lstatSync(fresh).mode & 0o777, 0o700);
  ensurePrivateDir(fresh, 0); // an existing private one is fine

  const link = path.join(base, 'link');
  fs.symlinkSync(fresh, link);
  const foreign = path.join(base, 'foreign');
  fs.mkdirSync(foreign, { mode: 0o700 });
  fs.chownSync(foreign, NOBODY, NOBODY);
  const open = path.join(base, 'open');
  fs.mkdirSync(open);
  fs.chmodSync(open, 0o755);
  const file = path.join(base, 'file');
  fs.writeFileSync(file, '');
  const cases: Array<[string, RegExp]> = [
    [link, /it is a symbolic link, not a directory \(remove it\)/],
    [foreign, /it is owned by uid 65534, not by you \(uid 0\) \(remove it as root or as uid 65534\)/],
    [open, /its mode is 0755, it must be 0700 \(chmod 700 /],
    [file, /it is not a directory \(remove it\)/],
  ];
  for (const [dir, reason] of cases) {
    assert.throws(
      () => ensurePrivateDir(dir, 0),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ESOCKETDIR');
        assert.ok(err.message.startsWith(`Refusing the control socket directory ${dir}: `), err.message);
        assert.match(err.message, reason);
        assert.match(
          err.message,
          /set XDG_RUNTIME_DIR to your private runtime directory, or use a shorter --state-dir\.$/,
        );
        return true;
      },
    );
  }
});

test('the fallback directory: $XDG_RUNTIME_DIR/container-https when that is private, else container-https-<uid> in tmp', () => {
  const tmp = temp(0o1777);
  const runtime = temp(0o700);
  const shared = temp(0o755);
  assert.equal(
    fallbackSocketDir('0123456789abcdef.sock', { XDG_RUNTIME_DIR: runtime, TMPDIR: tmp }, 0),
    path.join(runtime, 'container-https'),
  );
  assert.equal(
    fallbackSocketDir('0123456789abcdef.sock', { XDG_RUNTIME_DIR: shared, TMPDIR: tmp }, 0),
    path.join(tmp, 'container-https-0'),
  );
  assert.equal(
    fallbackSocketDir('0123456789abcdef.sock', { TMPDIR: tmp }, 1000),
    path.join(tmp, 'container-https-1000'),
  );
  const stateDir = path.join(tmp, 's'.repeat(100));
  assert.deepEqual(controlSocket(stateDir, 'linux', { TMPDIR: `${tmp}/` }), {
    path: path.join(tmp, 'container-https-0', `${digest(stateDir)}.sock`),
    dir: path.join(tmp, 'container-https-0'),
  });
  assert.deepEqual(controlSocket(path.join(tmp, 'short'), 'linux', { TMPDIR: tmp }), {
    path: path.join(tmp, 'short', 'control.sock'),
  });
});

test('with XDG_RUNTIME_DIR set, the daemon and the client meet in $XDG_RUNTIME_DIR/container-https', async () => {
  const runtime = temp(0o700);
  const saved = process.env.XDG_RUNTIME_DIR;
  process.env.XDG_RUNTIME_DIR = runtime;
  try {
    const { daemon } = await startDaemon({ stateDir: longStateDir(temp(0o700)) });
    try {
      assert.equal(path.dirname(daemon.paths.socket), path.join(runtime, 'container-https'));
      assert.equal(fs.lstatSync(path.join(runtime, 'container-https')).mode & 0o777, 0o700);
      const status = await new ControlClient(daemon.paths.stateDir).request<{ pid: number }>('GET', '/v1/status');
      assert.equal(status.pid, process.pid);
    } finally {
      await daemon.close();
    }
  } finally {
    if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = saved;
  }
});

test('"nobody" made our fallback directory and listens in it: the CLI refuses it, serve refuses it, nothing fake is shown', async () => {
  const tmp = temp(0o1777);
  const stateDir = longStateDir(temp(0o700));
  const sock = controlSocket(stateDir, 'linux', { TMPDIR: tmp });
  assert.ok(sock.dir);
  await squat(tmp, sock.dir, sock.path);
  const env = { TMPDIR: tmp, XDG_RUNTIME_DIR: '' };

  const routes = cli(['routes', '--state-dir', stateDir], env);
  assert.equal(routes.code, 1, routes.stdout + routes.stderr);
  assert.doesNotMatch(routes.stdout, /fake/);
  assert.match(
    routes.stderr,
    new RegExp(
      `^container-https: Refusing the control socket directory ${sock.dir}: it is owned by uid 65534, not by you \\(uid 0\\)`,
    ),
  );

  const serve = cli(
    ['serve', '--state-dir', stateDir, '--https-port', '0', '--http-port', '0', '--no-docker', '--workers', '0'],
    env,
  );
  assert.equal(serve.code, 1, serve.stdout + serve.stderr);
  assert.match(serve.stderr, new RegExp(`Refusing the control socket directory ${sock.dir}: it is owned by uid 65534`));
  assert.equal(fs.lstatSync(sock.path).uid, NOBODY, "the daemon did not touch the other user's socket");
});

test('a socket owned by another uid is refused by the client (CLI and ControlClient), naming the owner', async () => {
  // A state dir that others may write to (a mistake, but possible): "nobody" listens where our socket goes.
  const stateDir = temp(0o777);
  const sockPath = path.join(stateDir, 'control.sock');
  await squat(stateDir, '', sockPath);

  const routes = cli(['routes', '--state-dir', stateDir]);
  assert.equal(routes.code, 1, routes.stdout + routes.stderr);
  assert.doesNotMatch(routes.stdout, /fake/);
  assert.match(
    routes.stderr,
    new RegExp(
      `^container-https: Refusing the control socket ${sockPath}: it is owned by uid 65534, not by you \\(uid 0\\), so it is not your daemon\\.`,
    ),
  );

  const client = new ControlClient(stateDir);
  await assert.rejects(
    client.request('GET', '/v1/routes'),
    (err: Error & { code?: string }) => err.code === 'ESOCKETOWNER' && /owned by uid 65534/.test(err.message),
  );
  assert.equal(await client.isRunning(), false);
  const closed = await new Promise<Error | undefined>((resolve) =>
    client.subscribe(() => assert.fail('no events from a foreign socket'), resolve),
  );
  assert.match(closed?.message ?? '', /owned by uid 65534/);
});

test('"nobody" listens at the old shared fallback name: root\'s CLI does not trust it, and an unprivileged daemon still starts in its private directory', async () => {
  const uid = 4242;
  const tmp = temp(0o1777);
  const stateDir = longStateDir(temp(0o755), uid);
  const oldName = path.join(tmp, `container-https-${digest(stateDir)}.sock`);
  await squat(tmp, '', oldName);
  const env = { TMPDIR: tmp, XDG_RUNTIME_DIR: '' };

  const routes = cli(['routes', '--state-dir', stateDir], env);
  assert.equal(routes.code, 1, routes.stdout + routes.stderr);
  assert.doesNotMatch(routes.stdout, /fake/);
  assert.match(routes.stderr, /No Container HTTPS daemon is running for state dir/);

  // The daemon as uid 4242, from a copy of dist/ that uid can read.
  const { cli: cliCopy, dir: copy, remove } = readableCliCopy();
  cleanups.push(remove);
  const userEnv = { ...env, HOME: stateDir };
  const serve = asUser(
    uid,
    [
      process.execPath,
      cliCopy,
      'serve',
      '--state-dir',
      stateDir,
      '--https-port',
      '0',
      '--http-port',
      '0',
      '--no-docker',
      '--workers',
      '0',
    ],
    userEnv,
    copy,
  );
  cleanups.push(() => serve.kill('SIGKILL'));
  let out = '';
  serve.stdout!.on('data', (d) => (out += d));
  serve.stderr!.on('data', (d) => (out += d));
  const ownSock = path.join(tmp, `container-https-${uid}`, `${digest(stateDir)}.sock`);
  await until(`serve as uid ${uid}`, () => fs.existsSync(ownSock) || serve.exitCode !== null, 20_000);
  assert.ok(fs.existsSync(ownSock), `serve as uid ${uid} did not start: ${out}`);
  assert.equal(fs.lstatSync(ownSock).uid, uid);
  assert.equal(fs.lstatSync(path.dirname(ownSock)).mode & 0o777, 0o700);

  const own = asUser(uid, [process.execPath, cliCopy, 'routes', '--json', '--state-dir', stateDir], userEnv, copy);
  let json = '';
  own.stdout!.on('data', (d) => (json += d));
  const code = await new Promise((resolve) => own.on('exit', resolve));
  assert.equal(code, 0, json);
  assert.deepEqual(JSON.parse(json), { routes: [] });
  serve.kill('SIGTERM');
  await until('serve to stop', () => serve.exitCode !== null || serve.signalCode !== null, 10_000);
});
