// code-server (VS Code's server + web workbench, published on npm) installed outside the
// project's dependencies and cached between runs, plus a way to start a throwaway server.
// @vscode/test-electron cannot download VS Code here; this is the workbench the e2e tests use.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, rmSync, copyFileSync, openSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3'; // VS Code 1.100.3, the newest that runs on Node 20
const RIPGREP = { version: '1.15.11', asset: 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz' };

export function cacheRoot() {
  if (process.env.CHS_E2E_CACHE) return process.env.CHS_E2E_CACHE;
  if (process.getuid?.() === 0) return '/var/cache/container-https-test';
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'container-https-test');
}

function log(msg) {
  process.stderr.write(`[e2e] ${msg}\n`);
}

/** Returns the path of the code-server launcher, installing it on first use (~1 min). */
export function ensureCodeServer() {
  const dir = join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`);
  const bin = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (existsSync(join(dir, '.complete')) && existsSync(bin)) return { bin, dir };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'chs-code-server', private: true }));
  // @vscode/ripgrep downloads a binary from GitHub at install time; no GitHub here, so seed its
  // cache with a tarball of Debian's rg (same command-line interface).
  const tmp = mkdtempSync(join(tmpdir(), 'chs-cs-install-'));
  const rgCache = join(tmp, `vscode-ripgrep-cache-${RIPGREP.version}`);
  mkdirSync(join(rgCache, 'bin'), { recursive: true });
  const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
  if (!rg)
    throw new Error(
      'ripgrep is needed to install code-server offline (Debian package ripgrep, listed in test/services/packages.mjs)',
    );
  if (!existsSync('/usr/include/gssapi/gssapi.h'))
    throw new Error(
      "code-server's kerberos module needs gssapi/gssapi.h (Debian package libkrb5-dev, listed in test/services/packages.mjs)",
    );
  copyFileSync(rg, join(rgCache, 'bin', 'rg'));
  spawnSync('tar', ['-czf', join(rgCache, RIPGREP.asset), '-C', join(rgCache, 'bin'), 'rg'], { stdio: 'inherit' });
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (once per machine, ~1 min)`);
  // code-server's postinstall runs a nested `npm install` in lib/vscode that builds native
  // modules (node-pty, kerberos, ...); npm 11 blocks dependency scripts unless allowed, and the
  // nested install only sees settings passed through the environment. This folder is a
  // throwaway install of one known package, outside the project.
  const env = {
    ...process.env,
    TMPDIR: tmp,
    npm_config_unsafe_perm: 'true',
    npm_config_yes: 'true',
    npm_config_update_notifier: 'false',
    npm_config_dangerously_allow_all_scripts: 'true',
  };
  const r = spawnSync(
    'npm',
    ['install', '--no-save', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`],
    { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  rmSync(tmp, { recursive: true, force: true });
  if (r.status !== 0 || !existsSync(bin))
    throw new Error(`installing code-server ${CODE_SERVER_VERSION} failed (npm exit ${r.status})`);
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
  return { bin, dir };
}

/**
 * Starts a fresh code-server on a free port with its own profile, extensions dir and home.
 * Returns its URL and a stop() that kills its whole process group.
 */
// `wrap`: a command prefix code-server runs under, e.g. ['nsenter', '--net=/run/netns/X'] to put it
// (and the extension host, the daemon, its terminals) in a network namespace of a test's own.
export async function startCodeServer({ bin, extensionsDir, userSettings = {}, folder, env = {}, wrap = [] }) {
  const home = mkdtempSync(join(tmpdir(), 'chs-cs-home-'));
  const userData = join(home, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        ...userSettings,
      },
      null,
      2,
    ),
  );
  const port = await freePort();
  const config = join(home, 'config.yaml');
  writeFileSync(config, 'auth: none\ncert: false\n');
  const logFile = join(home, 'code-server.log');
  const out = openSync(logFile, 'a');
  const argv = [
    process.execPath,
    bin,
    '--config',
    config,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir',
    userData,
    '--extensions-dir',
    extensionsDir,
    '--bind-addr',
    `127.0.0.1:${port}`,
    folder,
  ];
  const [command, ...args] = [...wrap, ...argv];
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local/share'),
      XDG_CACHE_HOME: join(home, '.cache'),
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; log: ${logFile}`);
    const ok = wrap.length ? healthyVia(wrap, `${url}/healthz`) : await healthy(`${url}/healthz`);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`code-server did not answer within 30 s; log: ${logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(home, { recursive: true, force: true });
  };
  return { url, port, logFile, home, stop };
}

/** The health check from inside the wrapper's namespace (curl, test/services/packages.mjs). */
function healthyVia(wrap, url) {
  return spawnSync(wrap[0], [...wrap.slice(1), 'curl', '-sf', '-o', '/dev/null', '--max-time', '2', url]).status === 0;
}

function healthy(url) {
  return new Promise((resolve) => {
    const req = httpGet(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

export async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(ensureCodeServer());
}
