// What the proxy benchmarks share (proxy.bench.mjs, routing.bench.mjs): the process harness
// (temp dir, children started and stopped by pid), the nginx backend and nginx fronts, ours
// (`dist/cli.js serve`), verified HTTPS probes, the load generators with CPU per request from
// /proc, and the small statistics and printing helpers. Not a benchmark itself: run.mjs only
// picks up `*.bench.mjs` files.
//
// Each benchmark is its own process, so the state here (one temp dir, the children) is per run.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeMissing, ensurePackages } from '../../services/packages.mjs';

export const ROOT = new URL('../../..', import.meta.url).pathname;
export const CLI = process.env.CHS_BENCH_CLI ?? path.join(ROOT, 'dist', 'cli.js');
/** The host of the single-route case, and the name on the certificate every front serves there. */
export const HOST = 'bench.localhost';
export const BODY = 'hello from the benchmark backend\n';

/**
 * The environment the extension starts its daemon with (DAEMON_ENV in extension/daemonLauncher.ts:
 * glibc's malloc settings): the benchmarks that weigh memory start ours, and the bare Node proxy,
 * with it too.
 */
export const DAEMON_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '65536' };

/** This run's scratch dir: configs, logs, state dirs. Removed at the end of a successful run. */
export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chs-bench-'));
// A script that imports this module but never runs a benchmark in this process (one that re-runs
// itself with other node flags, or only reads the helpers) would leave the dir behind, empty.
process.on('exit', () => {
  try {
    fs.rmdirSync(tmp);
  } catch {
    // not empty: a failed run's logs, kept on purpose (runBenchmark)
  }
});
const children = new Set();

// ---------------------------------------------------------------------------------------------
// Options, tools and processes

/**
 * `--flag value` pairs into `opts`: flags in `numeric` (flag → key) become numbers, the others
 * go to `handlers[flag](value)`. Throws on an unknown flag or a missing value.
 */
export function parseFlags(argv, opts, { numeric = {}, handlers = {} }) {
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (numeric[flag]) {
      opts[numeric[flag]] = Number(value);
      if (!Number.isFinite(opts[numeric[flag]])) throw new Error(`${flag} needs a number, not "${value}"`);
    } else if (handlers[flag]) handlers[flag](value);
    else throw new Error(`unknown option ${flag}`);
  }
  return opts;
}

/** The benchmarks' tools come from the one package list (test/services/packages.mjs). */
export function ensureTools() {
  const missing = ensurePackages('bench');
  if (missing.length) throw new Error(`the benchmark needs these Debian packages:\n${describeMissing(missing)}`);
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build.mjs first (npm run bench does).`);
}

export function start(name, cmd, args, env = {}) {
  const log = fs.openSync(path.join(tmp, `${name}.log`), 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
  child.benchName = name;
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

function stopAll() {
  return Promise.all([...children].map(stop));
}

/**
 * Runs a benchmark's main: stops exactly the processes it started (also on SIGINT/SIGTERM),
 * removes the temp dir when it succeeded and keeps it (with the logs) when it failed, and exits.
 */
export async function runBenchmark(main) {
  let code = 0;
  const onSignal = () => void stopAll().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await main();
  } catch (err) {
    console.error(`benchmark failed: ${err.message}`);
    code = 1;
  } finally {
    await stopAll();
    if (code === 0) fs.rmSync(tmp, { recursive: true, force: true });
    else console.error(`logs kept in ${tmp}`);
  }
  process.exit(code);
}

/** A process and all its descendants (from /proc), the process first. */
export function treePids(pid) {
  const out = [pid];
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const kids = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const c of kids ? kids.split(' ') : []) out.push(...treePids(Number(c)));
    }
  } catch {
    // gone
  }
  return out;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function logOf(name) {
  try {
    return fs
      .readFileSync(path.join(tmp, `${name}.log`), 'utf8')
      .trim()
      .split('\n')
      .slice(-15)
      .join('\n');
  } catch {
    return '';
  }
}

export async function waitFor(what, name, fn, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await fn().catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${ms / 1000} s:\n${logOf(name)}`);
    await sleep(30);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One verified HTTPS request (TLS checked against our CA, SNI and Host = host); resolves to the
 * status, the leaf's fingerprint and the body.
 */
export function httpsGet(port, ca, host = HOST, { path: urlPath = '/', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        servername: host,
        headers: { host: `${host}:${port}`, ...headers },
        ca,
        agent: false,
        timeout: 5000,
      },
      (res) => {
        const fingerprint = res.socket.getPeerCertificate().fingerprint256;
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, fingerprint, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function httpGetOk(port) {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      })
      .on('error', () => resolve(false));
  });
}

export function cli(args) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
}

// ---------------------------------------------------------------------------------------------
// The contestants

function nginxCommonHttp() {
  const t = (n) => path.join(tmp, `nginx-${n}`);
  return `access_log off;
  client_body_temp_path ${t('body')}; proxy_temp_path ${t('proxy')}; fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')}; scgi_temp_path ${t('scgi')};
  keepalive_requests 1000000; keepalive_timeout 120s;`;
}

/**
 * The backend every front proxies to: one nginx worker answering `return 200` with BODY. It needs
 * ~7 µs of CPU per request, so one core serves ~140 000 req/s: never the bottleneck.
 */
export async function startBackend() {
  const port = await freePort();
  const conf = path.join(tmp, 'backend.conf');
  fs.writeFileSync(
    conf,
    `worker_processes 1; daemon off; pid ${tmp}/backend.pid; error_log ${tmp}/backend.err warn;
events { worker_connections 4096; }
http { ${nginxCommonHttp()}
  server { listen 127.0.0.1:${port}; location / { default_type text/plain; return 200 ${JSON.stringify(BODY)}; } }
}
`,
  );
  const { pid } = start('backend', 'nginx', ['-p', tmp, '-e', `${tmp}/backend.err`, '-c', conf]);
  await waitFor('backend nginx', 'backend', () => httpGetOk(port));
  return { port, pid };
}

/** `container-https serve` of a build (cliPath) on a state dir, HTTPS only, no Docker; resolves to the child. */
export async function serve(name, cliPath, stateDir, port, extraArgs = []) {
  const child = start(name, process.execPath, [
    cliPath,
    'serve',
    '--state-dir',
    stateDir,
    '--https-port',
    String(port),
    '--no-http',
    '--no-docker',
    '--bind',
    '127.0.0.1',
    ...extraArgs,
  ]);
  await waitFor(`container-https serve (${name})`, name, async () => /listening on https:/.test(logOf(name)));
  return child;
}

/**
 * The bare Node proxy (lib/nodeFloorProxy.mjs), what Node itself costs, as a reference: on a free
 * port, serving `certs` ({ cert, key }: files), in front of the backend on `backendPort`.
 */
export async function startNodeFloor(name, backendPort, certs, env = {}) {
  const port = await freePort();
  const script = new URL('./nodeFloorProxy.mjs', import.meta.url).pathname;
  const child = start(name, process.execPath, [script, String(port), certs.cert, certs.key, String(backendPort)], env);
  await waitFor('the bare Node proxy', name, async () => /listening on https:/.test(logOf(name)));
  return { port, pid: child.pid };
}

/**
 * A Caddy front (Debian's): TLS 1.3 with our certificate (`certs`: { cert, key } files, `ca` to
 * check it by), HTTP/2 and 1.1, `reverse_proxy` to the backend, which streams bodies both ways.
 */
export async function startCaddy(name, backendPort, certs) {
  const port = await freePort();
  const conf = path.join(tmp, `${name}.Caddyfile`);
  fs.writeFileSync(
    conf,
    `{
	admin off
	auto_https off
	storage file_system ${tmp}/${name}-data
	servers {
		protocols h1 h2
	}
}
https://${HOST}:${port} {
	bind 127.0.0.1
	tls ${certs.cert} ${certs.key} {
		protocols tls1.3
	}
	reverse_proxy 127.0.0.1:${backendPort}
}
`,
  );
  const home = path.join(tmp, `${name}-home`);
  fs.mkdirSync(home, { recursive: true });
  const { pid } = start(name, 'caddy', ['run', '--config', conf, '--adapter', 'caddyfile'], {
    HOME: home,
    XDG_DATA_HOME: home,
    XDG_CONFIG_HOME: home,
  });
  await waitFor(name, name, async () => (await httpsGet(port, certs.ca)).status === 200);
  return { port, pid };
}

export function nginxVersion() {
  const out = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr;
  const [maj, min, patch] = (out.match(/nginx\/(\d+)\.(\d+)\.(\d+)/) ?? [0, 0, 0, 0]).slice(1).map(Number);
  return { text: `${maj}.${min}.${patch}`, h2Directive: maj > 1 || min > 25 || (min === 25 && patch >= 1) };
}

/** The `location /` every nginx front has: proxy to the backend with the X-Forwarded-* headers we set. */
export const NGINX_ROOT_LOCATION = 'location / { proxy_pass http://backend; }';

/**
 * An nginx front: one worker, TLS 1.3, an upstream keep-alive pool to the backend, the
 * X-Forwarded-* headers we set (inherited by every location), and one `server` per entry of
 * `servers`: `{ name, cert, key, body }`, `body` being the server's locations (and whatever
 * else it routes by). `check` is a host to probe (verified against `ca`) before it counts as up.
 */
export async function startNginx(name, backendPort, servers, { ca, check = servers[0].name }) {
  const port = await freePort();
  const { h2Directive } = nginxVersion();
  const conf = path.join(tmp, `${name}.conf`);
  const blocks = servers.map(
    (s) => `  server {
    listen 127.0.0.1:${port} ssl${h2Directive ? '' : ' http2'}; ${h2Directive ? 'http2 on;' : ''}
    server_name ${s.name};
    ssl_certificate ${s.cert}; ssl_certificate_key ${s.key};
    ${s.body.trim().split('\n').join('\n    ')}
  }`,
  );
  fs.writeFileSync(
    conf,
    `worker_processes 1; daemon off; pid ${tmp}/${name}.pid; error_log ${tmp}/${name}.err warn;
events { worker_connections 4096; }
http { ${nginxCommonHttp()}
  ssl_protocols TLSv1.3; ssl_session_cache shared:SSL-${name}:1m;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }
  proxy_http_version 1.1; proxy_set_header Connection "";
  proxy_set_header Host $http_host; proxy_set_header X-Forwarded-For $remote_addr;
  proxy_set_header X-Forwarded-Proto https; proxy_set_header X-Forwarded-Host $http_host;
  proxy_set_header X-Forwarded-Port $server_port;
${blocks.join('\n')}
}
`,
  );
  const { pid } = start(name, 'nginx', ['-p', tmp, '-e', `${tmp}/${name}.err`, '-c', conf]);
  await waitFor(name, name, async () => (await httpsGet(port, ca, check)).status === 200);
  return { port, pid };
}

// ---------------------------------------------------------------------------------------------
// Load generators. wrk takes the host from the URL for DNS, SNI and Host; *.localhost does not
// resolve through this machine's /etc/hosts, so wrk runs in a private mount namespace that sees
// a hosts file mapping the hosts it is pointed at to 127.0.0.1 (h2load has --connect-to instead).

const hostsFile = path.join(tmp, 'hosts');
const resolved = new Set(['localhost', HOST]);
let unshareChecked = false;

/** [cmd, args] running cmd where `host` (and every host before it) resolves to 127.0.0.1. */
export function withHost(host, cmd, args) {
  if (!unshareChecked) {
    if (spawnSync('unshare', ['-m', 'true'], { stdio: 'ignore' }).status !== 0) {
      throw new Error(
        `wrk needs ${host} to resolve to 127.0.0.1; \`unshare -m\` (to give it a private /etc/hosts) is not available here. Run as root or add the name to /etc/hosts.`,
      );
    }
    unshareChecked = true;
  }
  // Rewritten only when a name is new: wrk runs started side by side bind the same file, and a
  // rewrite truncates it for a moment.
  if (!resolved.has(host) || !fs.existsSync(hostsFile)) {
    resolved.add(host);
    fs.writeFileSync(hostsFile, `127.0.0.1 ${[...resolved].join(' ')}\n`);
  }
  return ['unshare', ['-m', 'sh', '-c', `mount --bind ${hostsFile} /etc/hosts && exec "$0" "$@"`, cmd, ...args]];
}

export function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`)),
    );
  });
}

export function toMs(value, unit) {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60000 }[unit] ?? NaN);
}

/**
 * CPU seconds (user + system) used so far by a process and its descendants (nginx's worker,
 * our proxy worker; Go's threads are in the process itself), from /proc. Linux only; NaN elsewhere.
 */
export function cpuSeconds(pid) {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  const visit = (p) => {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / tick;
    for (const task of fs.readdirSync(`/proc/${p}/task`)) {
      const children = fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
      for (const c of children ? children.split(' ') : []) visit(c);
    }
  };
  try {
    visit(pid);
    return total;
  } catch {
    return NaN;
  }
}

/**
 * HTTP/1.1 keep-alive load with wrk (one thread) on https://host:port/path with extra request
 * headers. Resolves to requests/s, p50/p99 in ms and the CPU µs per request of each process tree
 * in `pids`. Any non-2xx response or socket error fails the run.
 */
export async function wrk({ port, seconds, connections, pids = [], host = HOST, urlPath = '/', headers = {} }) {
  const before = pids.map(cpuSeconds);
  const [cmd, args] = withHost(host, 'wrk', [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    `https://${host}:${port}${urlPath}`,
  ]);
  const out = await run(cmd, args);
  const cpu = pids.map((p, i) => cpuSeconds(p) - before[i]);
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const requests = Number(out.match(/(\d+) requests in/)?.[1]);
  const usPerReq = cpu.map((c) => (c * 1e6) / requests);
  const pct = (p) => {
    const m = out.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm'));
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const errors = out.match(/Non-2xx or 3xx responses: (\d+)|Socket errors: .*/g);
  if (errors) throw new Error(`wrk against port ${port} saw errors: ${errors.join('; ')}`);
  return { rps, requests, p50: pct(50), p99: pct(99), usPerReq };
}

/** HTTP/2 load with h2load (one thread, `streams` per connection); requests/s and mean request time. */
export async function h2load({ port, seconds, connections, streams, warmup, host = HOST }) {
  const out = await run('h2load', [
    '-t1',
    `-c${connections}`,
    `-m${streams}`,
    `-D${seconds}`,
    `--warm-up-time=${Math.min(warmup, 2)}`,
    `--connect-to=127.0.0.1:${port}`,
    `https://${host}:${port}/`,
  ]);
  if (!/Application protocol: h2/.test(out)) throw new Error(`h2load did not negotiate h2 with port ${port}:\n${out}`);
  const failed = Number(out.match(/(\d+) failed/)?.[1] ?? 0);
  // Status counts include the warm-up; any 3xx-5xx at all is a failure.
  const codes = out.match(/status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/);
  const non2xx = codes ? Number(codes[1]) + Number(codes[2]) + Number(codes[3]) : NaN;
  if (failed || non2xx !== 0)
    throw new Error(`h2load against port ${port}: ${failed} failed, ${non2xx} not 2xx:\n${out}`);
  const rps = Number(out.match(/finished in [\d.]+\w+, ([\d.]+) req\/s/)?.[1]);
  const mean = out.match(/time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/);
  return { rps, mean: mean ? toMs(mean[1], mean[2]) : NaN };
}

// ---------------------------------------------------------------------------------------------
// Statistics and printing

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');

/** The machine line every benchmark prints first. */
export function machineLine(extra = '') {
  return `machine: ${os.cpus().length} × ${os.cpus()[0]?.model}; node ${process.version}; nginx ${nginxVersion().text}${extra}; load at start ${load()}`;
}

/** Rows of strings as aligned columns: the first `left` left-aligned (text), the others right-aligned. */
export function printTable(rows, { left = 1 } = {}) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows)
    console.log(
      row
        .map((c, i) => (i >= left ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    );
}
