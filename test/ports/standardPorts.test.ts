import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NOBODY, readableCliCopy } from '../support/asUser';
import { serviceMissing, tempDir } from '../support/env';
import { namespaces } from '../support/netns';
import { until } from '../support/wait';
import { launchChromium } from '../trust/support';

/**
 * `ports setup` / `undo` / `check` for real: nft rules, the sysctl and a process on 443, all in
 * a network namespace this test creates (`ip netns add`), so the machine's own ruleset and
 * sysctls are never touched; the config files go to a config root of the test's own
 * (--config-root). The daemon runs as `nobody`; the admin steps run as root, as `sudo` would.
 */
const isCI = process.env.CI === 'true' || process.env.CI === '1';
const missing =
  process.platform !== 'linux'
    ? 'Linux only (nftables and network namespaces)'
    : process.getuid?.() !== 0
      ? 'needs root: the test creates a network namespace'
      : !fs.existsSync('/usr/sbin/nft')
        ? 'nft is not installed (nftables, test/services/packages.mjs)'
        : undefined;
const noChromium = serviceMissing('chromium');

const DEBIAN_NFTABLES_CONF =
  '#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter;\n\t}\n}\n';
const SYSCTL = '/proc/sys/net/ipv4/ip_unprivileged_port_start';
const HOST = 'web.shop.localhost';

// Runs in the namespace as a client: one HTTPS request, verified against the CA file (Node's
// resolver does not map *.localhost to loopback, so the lookup says 127.0.0.1 as browsers do).
const NODE_CLIENT = `const https = require('node:https');
const fs = require('node:fs');
const [url, ca] = process.argv.slice(2);
const lookup = (h, o, cb) => (o && o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));
https
  .get(url, { ca: fs.readFileSync(ca), lookup, agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (body += d));
    res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, headers: res.headers, body, authorized: res.socket.authorized })));
  })
  .on('error', (e) => console.log(JSON.stringify({ error: e.code || e.message })));
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe(
  'ports setup, check and undo in a network namespace (daemon as nobody, real nft, real Chromium)',
  { skip: !isCI && missing },
  () => {
    let ns: string;
    const cleanup: Array<() => void> = [];
    let work: string;
    let configRoot: string;
    let stateDir: string;
    let caFile: string;
    let cliJs: string;
    let clientJs: string;
    let daemon: ChildProcess | undefined;
    let daemonLog = '';
    let rulesetBefore: string;
    let sysctlBefore: string;
    let etcBefore: Record<string, string>;

    const inNs = (argv: string[], asNobody = false): Run => {
      const user = asNobody ? ['setpriv', `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups'] : [];
      const r = spawnSync('nsenter', [`--net=/run/netns/${ns}`, ...user, ...argv], {
        encoding: 'utf8',
        cwd: '/',
        timeout: 60_000,
        env: { ...process.env, HOME: work, XDG_RUNTIME_DIR: '' },
      });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error?.message ?? '') };
    };
    const cliAs = (asNobody: boolean, ...args: string[]) => inNs([process.execPath, cliJs, ...args], asNobody);
    const nobodyCli = (...args: string[]) => cliAs(true, ...args, '--state-dir', stateDir);
    const rootCli = (...args: string[]) => cliAs(false, ...args, '--state-dir', stateDir);
    const fetchInNs = (url: string) => {
      const r = inNs([process.execPath, clientJs, url, caFile], true);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as {
        status?: number;
        headers?: Record<string, string>;
        body?: string;
        error?: string;
        authorized?: boolean;
      };
    };
    const ruleset = () => {
      const r = inNs(['nft', 'list', 'ruleset']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const sysctlNow = () => inNs(['cat', SYSCTL]).stdout;
    const routeUrl = () => {
      const r = nobodyCli('routes', '--json');
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { routes: Array<{ host: string; url: string }> }).routes.find(
        (x) => x.host === HOST,
      )?.url;
    };
    /** Every file under the config root's etc/, with its content: what undo must leave as it found. */
    const etcTree = (): Record<string, string> => {
      const out: Record<string, string> = {};
      const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) {
            out[`${p}/`] = '';
            walk(p);
          } else out[p] = fs.readFileSync(p, 'utf8');
        }
      };
      walk(path.join(configRoot, 'etc'));
      return out;
    };

    const startDaemon = async () => {
      daemonLog = '';
      daemon = spawn(
        'nsenter',
        [
          `--net=/run/netns/${ns}`,
          'setpriv',
          `--reuid=${NOBODY.uid}`,
          `--regid=${NOBODY.gid}`,
          '--clear-groups',
          process.execPath,
          cliJs,
          'serve',
          '--state-dir',
          stateDir,
          '--https-port',
          '8443',
          '--http-port',
          '8080',
          '--no-docker',
          '--workers',
          '1',
        ],
        { cwd: '/', env: { ...process.env, HOME: work, XDG_RUNTIME_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      daemon.stdout!.on('data', (d) => (daemonLog += d));
      daemon.stderr!.on('data', (d) => (daemonLog += d));
      await until('the daemon and its worker serve', () => /proxy worker \d+ serving/.test(daemonLog), 30_000).catch(
        (err) => {
          throw new Error(`${(err as Error).message}\n${daemonLog}`);
        },
      );
    };
    const stopDaemon = async () => {
      if (!daemon || daemon.exitCode !== null) return;
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await exited;
    };

    before(async () => {
      assert.equal(missing, undefined, `CI=true: ${missing}`);
      work = tempDir('chs-ports-');
      fs.chmodSync(work, 0o755);
      cleanup.push(() => fs.rmSync(work, { recursive: true, force: true }));
      ns = namespaces.addNamespace('chs-ports-');
      cleanup.push(() => namespaces.deleteNamespace(ns));

      configRoot = path.join(work, 'root');
      fs.mkdirSync(path.join(configRoot, 'etc', 'sysctl.d'), { recursive: true });
      fs.writeFileSync(path.join(configRoot, 'etc', 'nftables.conf'), DEBIAN_NFTABLES_CONF);
      stateDir = path.join(work, 'state');
      fs.mkdirSync(stateDir, { mode: 0o700 });
      fs.chownSync(stateDir, NOBODY.uid, NOBODY.gid);
      caFile = path.join(stateDir, 'ca', 'root.pem');
      const copy = readableCliCopy();
      cleanup.push(copy.remove);
      cliJs = copy.cli;
      clientJs = path.join(work, 'client.js');
      fs.writeFileSync(clientJs, NODE_CLIENT, { mode: 0o644 });

      // The backend: busybox httpd on the namespace's loopback.
      const www = path.join(work, 'www');
      fs.mkdirSync(www);
      fs.writeFileSync(path.join(www, 'index.html'), 'hello from the shop backend\n');
      const backend = spawn(
        'nsenter',
        [`--net=/run/netns/${ns}`, '/bin/busybox', 'httpd', '-f', '-p', '127.0.0.1:5080', '-h', www],
        {
          stdio: 'ignore',
        },
      );
      cleanup.push(() => backend.kill('SIGKILL'));

      await startDaemon();
      const expose = nobodyCli('expose', HOST, 'http://127.0.0.1:5080');
      assert.equal(expose.code, 0, expose.stdout + expose.stderr);
      rulesetBefore = ruleset();
      sysctlBefore = sysctlNow();
      etcBefore = etcTree();
    });

    after(async () => {
      await stopDaemon().catch(() => undefined);
      for (const fn of cleanup.reverse()) {
        try {
          fn();
        } catch {
          // best effort: the rest still runs
        }
      }
    });

    test('before ports setup: nothing answers on 443 and URLs carry :8443', () => {
      assert.deepEqual(fetchInNs(`https://${HOST}/`), { error: 'ECONNREFUSED' });
      assert.equal(routeUrl(), `https://${HOST}:8443/`);
      const check = nobodyCli('ports', 'check', '--json');
      assert.equal(check.code, 1);
      const json = JSON.parse(check.stdout);
      assert.equal(json.ipv4.kind, 'nothing');
      assert.equal(json.daemon.mode, 'own-port');
      assert.match(check.stderr, /does not reach the proxy: run container-https ports setup/);
    });

    test('ports setup --dry-run prints the admin steps and changes nothing', () => {
      const r = nobodyCli('ports', 'setup', '--dry-run', '--config-root', configRoot);
      assert.equal(r.code, 0, r.stderr);
      const nftFile = path.join(configRoot, 'etc', 'container-https.nft');
      assert.match(r.stdout, new RegExp(`sudo nft -f ${nftFile.replace(/\./g, '\\.')}   # needs admin rights`));
      assert.match(r.stdout, /\(dry run: nothing was changed\)/);
      assert.equal(ruleset(), rulesetBefore);
      assert.deepEqual(etcTree(), etcBefore);
    });

    test('after ports setup: https://NAME.localhost/ with no port, verified by Node and Chromium; URLs, the 404 page and the redirect drop the port', async () => {
      // As root, as `sudo` would run the steps; the daemon is nobody's, so root passes its ports.
      const setup = rootCli(
        'ports',
        'setup',
        '--https-port',
        '8443',
        '--http-port',
        '8080',
        '--config-root',
        configRoot,
      );
      assert.equal(setup.code, 0, setup.stdout + setup.stderr);
      assert.match(setup.stdout, /\$ nft -f \S+container-https\.nft/);
      assert.match(
        fs.readFileSync(path.join(configRoot, 'etc', 'nftables.conf'), 'utf8'),
        /^include "\S+container-https\.nft" # container-https$/m,
      );
      assert.match(
        ruleset(),
        /table inet container_https \{[^]*oif "lo" ip daddr 127\.0\.0\.0\/8 tcp dport 443 redirect to :8443/,
      );
      // Again (a second run changes nothing): the same table, still one include line.
      const rules = ruleset();
      const again = rootCli(
        'ports',
        'setup',
        '--https-port',
        '8443',
        '--http-port',
        '8080',
        '--config-root',
        configRoot,
      );
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.equal(ruleset(), rules);
      const conf = fs.readFileSync(path.join(configRoot, 'etc', 'nftables.conf'), 'utf8');
      assert.equal(conf.match(/# container-https$/gm)?.length, 1, conf);

      // The user's check: from outside the daemon, and it tells the daemon to look again.
      const check = nobodyCli('ports', 'check');
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /127\.0\.0\.1:443: answers with this proxy's certificate \(verified against its CA\)/);
      assert.match(check.stdout, /The proxy: 127\.0\.0\.1:443 reaches this proxy \(:8443\): URLs carry no port/);

      const page = fetchInNs(`https://${HOST}/`);
      assert.equal(page.authorized, true);
      assert.equal(page.status, 200);
      assert.equal(page.body, 'hello from the shop backend\n');
      assert.equal(routeUrl(), `https://${HOST}/`);
      // The daemon and its worker both build pages with the public port (round robin: two requests).
      for (let i = 0; i < 2; i++) {
        const notFound = fetchInNs('https://nope.localhost/');
        assert.equal(notFound.status, 404);
        assert.match(notFound.body ?? '', new RegExp(`href="https://${HOST.replace(/\./g, '\\.')}/"`));
      }
      const redirect = inNs(
        ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', `http://${HOST}/`],
        true,
      );
      assert.equal(redirect.stdout, `308 https://${HOST}/`, redirect.stderr);

      if (noChromium) {
        assert.ok(!isCI, `CI=true: ${noChromium}`);
        return;
      }
      const home = path.join(work, 'chromium-home');
      const nssDb = path.join(home, '.pki', 'nssdb');
      fs.mkdirSync(nssDb, { recursive: true, mode: 0o700 });
      spawnSync('certutil', ['-N', '--empty-password', '-d', `sql:${nssDb}`]);
      const trust = spawnSync(
        'certutil',
        ['-A', '-d', `sql:${nssDb}`, '-t', 'C,,', '-n', 'chs-ports-test', '-i', caFile],
        { encoding: 'utf8' },
      );
      assert.equal(trust.status, 0, trust.stderr);
      const launcher = path.join(work, 'chromium-in-netns');
      fs.writeFileSync(launcher, `#!/bin/sh\nexec nsenter --net=/run/netns/${ns} /usr/bin/chromium "$@"\n`, {
        mode: 0o755,
      });
      const browser = await launchChromium(home, [], launcher);
      try {
        const r = await browser.load(`https://${HOST}/`);
        assert.equal(r.ok, true, `should load without a port, got ${r.error}`);
        assert.equal(r.status, 200);
        assert.match(r.body ?? '', /hello from the shop backend/);
        assert.equal(r.securityState, 'secure');
        assert.equal(r.securityDetails?.subjectName, HOST);
      } finally {
        await browser.close();
      }
    });

    test('ports undo leaves the ruleset, the sysctl and the config files byte-identical to before; URLs carry the port again', () => {
      const undo = rootCli('ports', 'undo', '--config-root', configRoot);
      assert.equal(undo.code, 0, undo.stdout + undo.stderr);
      assert.match(undo.stdout, /\$ nft delete table inet container_https/);
      assert.equal(ruleset(), rulesetBefore);
      assert.equal(sysctlNow(), sysctlBefore);
      assert.deepEqual(etcTree(), etcBefore);
      const check = nobodyCli('ports', 'check');
      assert.equal(check.code, 1);
      assert.equal(routeUrl(), `https://${HOST}:8443/`);
      assert.deepEqual(fetchInNs(`https://${HOST}/`), { error: 'ECONNREFUSED' });
      const again = rootCli('ports', 'undo', '--config-root', configRoot);
      assert.match(again.stdout, /ports setup has added nothing here: nothing to undo\./);
    });

    test('ports setup --sysctl lowers the namespace sysctl and says it is system-wide; undo restores it and removes its file', () => {
      const setup = rootCli(
        'ports',
        'setup',
        '--sysctl',
        '--https-port',
        '8443',
        '--http-port',
        '8080',
        '--config-root',
        configRoot,
      );
      assert.equal(setup.code, 0, setup.stdout + setup.stderr);
      assert.match(setup.stdout, /This is system-wide: every program of every user may then listen on ports 80-1023/);
      assert.equal(sysctlNow().trim(), '80');
      assert.notEqual(fs.readFileSync(SYSCTL, 'utf8').trim(), '80', "the machine's own sysctl is untouched");
      const undo = rootCli('ports', 'undo', '--config-root', configRoot);
      assert.equal(undo.code, 0, undo.stdout + undo.stderr);
      assert.equal(sysctlNow(), sysctlBefore);
      assert.equal(ruleset(), rulesetBefore);
      assert.deepEqual(etcTree(), etcBefore);
    });

    test('a process holding 443 before the daemon starts is named in the status and by ports check; the daemon stays on :8443', async () => {
      await stopDaemon();
      const www = path.join(work, 'www');
      const holder = spawn(
        'nsenter',
        [`--net=/run/netns/${ns}`, '/bin/busybox', 'httpd', '-f', '-p', '127.0.0.1:443', '-h', www],
        {
          stdio: 'ignore',
        },
      );
      cleanup.push(() => holder.kill('SIGKILL'));
      await until('the holder listens on 443', () =>
        inNs(['ss', '-ltn', 'sport = :443']).stdout.includes('127.0.0.1:443'),
      );
      await startDaemon();
      assert.match(daemonLog, /ports: port 443 is held by a process of user root on 127\.0\.0\.1:443/);

      // The daemon (nobody) sees the owner's uid, not root's process: the status says so and how to see more.
      const check = nobodyCli('ports', 'check', '--json');
      assert.equal(check.code, 1);
      const json = JSON.parse(check.stdout);
      assert.equal(json.daemon.mode, 'held');
      assert.deepEqual(json.daemon.holder, { address: '127.0.0.1:443', uid: 0, user: 'root' });
      assert.equal(json.daemon.publicHttpsPort, 8443);
      assert.match(json.daemon.detail, /this proxy stays on :8443/);
      // Root may read every process's fds: `ports check` names it.
      const asRoot = rootCli('ports', 'check');
      assert.equal(asRoot.code, 1);
      assert.match(
        asRoot.stdout,
        new RegExp(`Port 443 is held by busybox \\(pid ${holder.pid}, user root\\) on 127\\.0\\.0\\.1:443\\.`),
      );
      assert.match(asRoot.stderr, /127\.0\.0\.1:443 is not this proxy: held by busybox/);
      // Still serving, on its own port, with URLs that say so.
      assert.equal(routeUrl(), `https://${HOST}:8443/`);
      const page = fetchInNs(`https://${HOST}:8443/`);
      assert.equal(page.status, 200);
      assert.equal(page.authorized, true);
    });
  },
);
