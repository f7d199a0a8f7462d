import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NOBODY, readableCliCopy } from '../support/asUser';
import { serviceMissing, tempDir } from '../support/env';
import { LanNet, lanNetMissing } from '../support/lanNet';
import { until } from '../support/wait';
import { CHROMIUM, freshNssHome, launchChromium } from '../trust/support';
import { execFileSync } from 'node:child_process';

// Issue 16 on a LAN of the test's own: two network namespaces joined by a veth pair. The daemon
// runs in "laptop" as an unprivileged user; every client request comes from "phone".
const missing = lanNetMissing();
const isCI = process.env.CI === 'true';
const HTTPS = 8443;
const HTTP = 8080;
const PHONE = path.join(__dirname, '..', 'support', 'lanPhone.js');

type Got = { status?: number; headers?: Record<string, string>; body?: string; error?: string };
const text = (g: Got) => Buffer.from(g.body ?? '', 'base64').toString('utf8');

describe('LAN sharing between two network namespaces (laptop, phone)', { skip: !isCI && missing }, () => {
  if (isCI && missing) throw new Error(`LAN tests cannot run: ${missing}`);
  const net = new LanNet();
  let copy: ReturnType<typeof readableCliCopy>;
  let stateDir: string;
  let work: string;
  let serveLog = '';

  const cli = (...args: string[]) => {
    const r = net.run('laptop', [process.execPath, copy.cli, ...args, '--state-dir', stateDir], true);
    if (r.status !== 0) throw new Error(`container-https ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const phoneGet = (url: string, ...flags: string[]) => net.phoneDo<Got>('get', url, ...flags);
  const lanUrl = (name: string, p = '/') => `https://${name}:${HTTPS}${p}`;
  const viaLan = ['--connect', ''];
  let serve: ReturnType<LanNet['start']>;

  const startServe = async () => {
    serve = net.start(
      'laptop',
      [
        process.execPath,
        copy.cli,
        'serve',
        '--state-dir',
        stateDir,
        '--no-docker',
        '--https-port',
        String(HTTPS),
        '--http-port',
        String(HTTP),
      ],
      true,
      { HOME: work },
    );
    serve.stdout?.on('data', (c: Buffer) => (serveLog += c.toString()));
    serve.stderr?.on('data', (c: Buffer) => (serveLog += c.toString()));
    await until(
      'the daemon to answer',
      () => {
        try {
          return cli('share').includes('LAN interface');
        } catch {
          return false;
        }
      },
      30_000,
    );
  };
  /** Starts listening on the phone for mDNS answers about name; the returned function waits for the verdict. */
  const watchGoodbye = async (name: string) => {
    const watcher = net.start('phone', [process.execPath, PHONE, 'goodbye', name, net.phoneIp, '10000']);
    let seen = '';
    watcher.stdout?.on('data', (c: Buffer) => (seen += c.toString()));
    await until('the goodbye watcher to listen', () => seen.includes('"ready"'));
    return async () => {
      await until('the watcher to finish', () => watcher.exitCode !== null, 15_000);
      return JSON.parse(seen.trim().split('\n').pop()!) as { goodbye: boolean; seen: unknown[] };
    };
  };

  before(async () => {
    net.up();
    viaLan[1] = net.laptopIp;
    copy = readableCliCopy();
    work = tempDir('chs-lan-');
    fs.chmodSync(work, 0o755);
    stateDir = path.join(work, 'state');
    fs.mkdirSync(stateDir, { mode: 0o700 });
    fs.chownSync(stateDir, NOBODY.uid, NOBODY.gid);
    const backend = path.join(copy.dir, 'backend.js');
    fs.writeFileSync(
      backend,
      `require('http').createServer((q, s) => s.end('backend saw ' + q.headers.host)).listen(5000, '127.0.0.1');`,
      { mode: 0o644 },
    );
    net.start('laptop', [process.execPath, backend], true);
    // Another mDNS responder on the laptop, bound to 5353 before the daemon (as avahi or Bonjour
    // would be), under another user than the daemon's as theirs are. Root, not nobody: it is loaded
    // from the checkout, which may sit in a private (0700) directory.
    const other = net.start('laptop', [process.execPath, PHONE, 'respond', 'printer.local', net.laptopIp, '10.9.9.9']);
    let otherOut = '';
    other.stdout?.on('data', (c: Buffer) => (otherOut += c.toString()));
    await until('the other responder', () => otherOut.includes('"ready"'));
    await startServe();
    for (const host of ['app', 'other', 'secret']) cli('expose', `${host}.localhost`, 'http://127.0.0.1:5000');
    // A WebSocket backend (root is enough for it: it is not the code under test).
    const wsBackend = net.start('laptop', [process.execPath, PHONE, 'wsbackend', '5001']);
    let wsOut = '';
    wsBackend.stdout?.on('data', (c: Buffer) => (wsOut += c.toString()));
    await until('the WebSocket backend', () => wsOut.includes('"ready"'));
    cli('expose', 'live.localhost', 'http://127.0.0.1:5001');
  });

  after(async () => {
    await net.remove();
    copy?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('nothing listens on the LAN address before the first share; auto picks the default route interface', () => {
    assert.equal(net.phoneDo('connect', net.laptopIp, String(HTTPS)).open, false);
    assert.equal(net.phoneDo('connect', net.laptopIp, String(HTTP)).open, false);
    const status = JSON.parse(cli('share', '--json'));
    assert.equal(status.interface.name, net.laptopIf);
    assert.equal(status.interface.ipv4, net.laptopIp);
    assert.equal(status.listening, false);
  });

  test('share: mDNS resolves app.local to the laptop, verified TLS works from the phone, the rest is refused', async () => {
    assert.match(cli('share', 'app.localhost'), /app\.localhost is on the LAN as https:\/\/app\.local:8443\//);
    assert.match(cli('share', 'secret.localhost', '--lan-auth', 'bob:s3cret'), /basic auth, user bob/);
    const resolved = net.phoneDo<{ addresses: string[] }>('resolve', 'app.local', net.phoneIp, '5000');
    assert.deepEqual(resolved.addresses, [net.laptopIp]);
    const printer = net.phoneDo<{ addresses: string[] }>('resolve', 'printer.local', net.phoneIp, '5000');
    assert.deepEqual(printer.addresses, ['10.9.9.9'], 'the other responder on 5353 still answers');

    // The CA, fetched by the phone from the one-time page (not from the state dir).
    const share = JSON.parse(cli('ca', 'share', '--downloads', '3', '--json'));
    assert.match(share.url, new RegExp(`^http://${net.laptopIp.replace(/\./g, '\\.')}:${HTTP}/ca/[A-Za-z0-9_-]{22}$`));
    const page = phoneGet(share.url);
    assert.equal(page.status, 200);
    assert.match(text(page), new RegExp(share.fingerprint256));
    assert.match(
      text(page),
      /can only vouch for names ending in \.localhost, \.test, \.internal, \.home\.arpa or \.local/,
    );
    const caFromPhone = path.join(work, 'phone-ca.pem');
    const pem = phoneGet(`${share.url}/ca.pem`);
    assert.equal(pem.status, 200);
    fs.writeFileSync(caFromPhone, text(pem));
    const caFile = fs.readFileSync(path.join(stateDir, 'ca', 'root.pem'), 'utf8');
    assert.equal(text(pem), caFile);
    const crt = phoneGet(`${share.url}/ca.crt`);
    assert.deepEqual(Buffer.from(crt.body ?? '', 'base64'), Buffer.from(new crypto.X509Certificate(caFile).raw));
    assert.equal(
      phoneGet(`${share.url.replace(/.$/, share.url.endsWith('A') ? 'B' : 'A')}`).status,
      404,
      'a wrong token',
    );
    const profile = phoneGet(`${share.url}/profile.mobileconfig`);
    assert.equal(profile.headers?.['content-type'], 'application/x-apple-aspen-config');
    assert.equal(phoneGet(share.url).status, 404, 'three downloads spend the token');

    const app = phoneGet(lanUrl('app.local'), '--ca', caFromPhone, ...viaLan);
    assert.equal(app.error, undefined, app.error);
    assert.equal(app.status, 200);
    assert.equal(text(app), 'backend saw app.local:8443');

    // Unshared names and the route list are refused: a plain 404 that names nothing.
    for (const host of ['other.localhost', 'other.local', net.laptopIp]) {
      const refused = phoneGet(lanUrl('app.local'), '--ca', caFromPhone, ...viaLan, '--host', `${host}:${HTTPS}`);
      assert.equal(refused.status, 404, host);
      assert.equal(text(refused), '404 Not Found\n', host);
    }
    const plain = phoneGet(`http://${net.laptopIp}:${HTTP}/`, '--host', 'other.localhost');
    assert.equal(plain.status, 404);
    assert.doesNotMatch(text(plain), /other|app\.local/);
    const redirect = phoneGet(`http://app.local:${HTTP}/x?y`, ...viaLan);
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers?.location, 'https://app.local:8443/x?y');

    // --lan-auth: 401 without credentials, 200 with them.
    const noAuth = phoneGet(lanUrl('secret.local'), '--ca', caFromPhone, ...viaLan);
    assert.equal(noAuth.status, 401);
    const wrong = phoneGet(lanUrl('secret.local'), '--ca', caFromPhone, ...viaLan, '--auth', 'bob:nope');
    assert.equal(wrong.status, 401);
    const withAuth = phoneGet(lanUrl('secret.local'), '--ca', caFromPhone, ...viaLan, '--auth', 'bob:s3cret');
    assert.equal(withAuth.status, 200);

    // WebSocket handshakes pass the same gate: refused for an unshared name, basic auth first.
    cli('share', 'live.localhost', '--lan-auth', 'ann:pw');
    const live = `https://live.local:${HTTPS}/socket`;
    const wsFlags = ['--ca', caFromPhone, ...viaLan];
    assert.deepEqual(net.phoneDo('ws', live, ...wsFlags), { status: 401 });
    assert.deepEqual(net.phoneDo('ws', live, ...wsFlags, '--auth', 'ann:pw'), { hello: 'hello over live.local:8443' });
    assert.deepEqual(net.phoneDo('ws', live, ...wsFlags, '--auth', 'ann:pw', '--host', `other.localhost:${HTTPS}`), {
      status: 404,
    });
    cli('unshare', 'live.localhost');

    // Loopback clients on the laptop are served as before, the route list included.
    const routes = JSON.parse(cli('routes', '--json')).routes as Array<{ host: string; lan?: { url: string } }>;
    assert.equal(routes.find((r) => r.host === 'app.localhost')?.lan?.url, 'https://app.local:8443/');
    assert.equal(routes.find((r) => r.host === 'other.localhost')?.lan, undefined);
  });

  test('a CA share expires after its time: the URL is then a 404', async () => {
    // A fresh token answering is checked above; here only that the time ends it (no race with it).
    const before = Date.now();
    const share = JSON.parse(cli('ca', 'share', '--minutes', '0.02', '--json'));
    const expiresAt = Date.parse(share.expiresAt);
    assert.ok(expiresAt - before <= 1200 + 5000 && expiresAt > before, share.expiresAt);
    await until('the share to expire', () => Date.now() > expiresAt + 100, 10_000);
    assert.equal(phoneGet(share.url).status, 404);
    assert.equal(JSON.parse(cli('share', '--json')).caShare, undefined);
  });

  test(
    'Chromium in the phone namespace loads https://app.local with the downloaded CA and no certificate error',
    { skip: !isCI && serviceMissing('chromium') },
    async () => {
      const { home, nssDb } = freshNssHome();
      const ca = path.join(work, 'phone-ca.pem');
      execFileSync('certutil', ['-A', '-d', `sql:${nssDb}`, '-t', 'C,,', '-n', 'container-https', '-i', ca]);
      const wrapper = path.join(work, 'chromium-in-phone');
      fs.writeFileSync(wrapper, `#!/bin/sh\nexec nsenter --net=/run/netns/${net.phone} ${CHROMIUM} "$@"\n`, {
        mode: 0o755,
      });
      // The name as mDNS answered it above; Chromium's own resolver is not what is tested here.
      const browser = await launchChromium(home, [`--host-resolver-rules=MAP app.local ${net.laptopIp}`], wrapper);
      try {
        const loaded = await browser.load(lanUrl('app.local'));
        assert.equal(loaded.error, undefined, loaded.error);
        assert.equal(loaded.status, 200);
        assert.equal(loaded.body, 'backend saw app.local:8443');
        assert.equal(loaded.securityState, 'secure');
      } finally {
        await browser.close();
        fs.rmSync(home, { recursive: true, force: true });
      }
    },
  );

  test('when the laptop gets another address, the listeners move and mDNS answers with the new one', async () => {
    const moved = net.laptopIp.replace(/\.1$/, '.3');
    const resolves = (ip: string) => async () =>
      net.phoneDo<{ addresses: string[] }>('resolve', 'app.local', net.phoneIp, '1000').addresses.join() === ip;
    net.moveLaptop(net.laptopIp, moved);
    try {
      await until('app.local to resolve to the new address', resolves(moved), 30_000);
      const app = phoneGet(lanUrl('app.local'), '--ca', path.join(work, 'phone-ca.pem'), '--connect', moved);
      assert.equal(app.status, 200);
      assert.equal(JSON.parse(cli('share', '--json')).interface.ipv4, moved);
    } finally {
      net.moveLaptop(moved, net.laptopIp);
    }
    await until('app.local to resolve to the first address again', resolves(net.laptopIp), 30_000);
  });

  test('a clash of LAN names is reported; shares persist across a restart, and a stopping daemon says goodbye', async () => {
    cli('expose', 'app.test', 'http://127.0.0.1:5000');
    const clash = net.run('laptop', [process.execPath, copy.cli, 'share', 'app.test', '--state-dir', stateDir], true);
    assert.notEqual(clash.status, 0);
    assert.match(clash.stderr, /app\.local is already the LAN name of app\.localhost: unshare that first/);

    const goodbye = await watchGoodbye('app.local');
    serve.kill('SIGTERM');
    await until('serve to stop', () => serve.exitCode !== null, 15_000);
    assert.equal((await goodbye()).goodbye, true, 'goodbye on exit');
    await startServe();
    const status = JSON.parse(cli('share', '--json'));
    assert.deepEqual(
      status.shares.map((sh: { host: string; name: string }) => `${sh.host}=${sh.name}`),
      ['app.localhost=app.local', 'secret.localhost=secret.local'],
    );
    assert.equal(status.listening, true);
    assert.deepEqual(net.phoneDo<{ addresses: string[] }>('resolve', 'app.local', net.phoneIp, '5000').addresses, [
      net.laptopIp,
    ]);
    const app = phoneGet(lanUrl('app.local'), '--ca', path.join(work, 'phone-ca.pem'), ...viaLan);
    assert.equal(app.status, 200);
  });

  test('unshare: a goodbye packet, the name no longer resolves, and after the last one nothing listens on the LAN', async () => {
    const goodbye = await watchGoodbye('app.local');
    assert.match(cli('unshare', 'app.localhost'), /no longer on the LAN \(1 other route\(s\) still are\)/);
    const result = await goodbye();
    assert.equal(result.goodbye, true, JSON.stringify(result.seen));
    assert.deepEqual(net.phoneDo<{ addresses: string[] }>('resolve', 'app.local', net.phoneIp, '1500').addresses, []);
    assert.equal(phoneGet(lanUrl('app.local'), '--ca', path.join(work, 'phone-ca.pem'), ...viaLan).status, 404);

    assert.match(cli('unshare', 'secret.localhost'), /nothing listens on the LAN now/);
    assert.equal(net.phoneDo('connect', net.laptopIp, String(HTTPS)).open, false);
    assert.equal(net.phoneDo('connect', net.laptopIp, String(HTTP)).open, false);
    assert.doesNotMatch(serveLog, /internal error/);
  });
});
