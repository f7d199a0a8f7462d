// Proxy benchmark: our daemon (dist/cli.js serve) against nginx and Caddy from Debian's
// packages, side by side in one run, all three in front of the same backend with the same
// ECDSA P-256 certificate (issued by our local CA), over loopback with TLS 1.3.
//
//   node test/bench/proxy.bench.mjs [--rounds 3] [--duration 10] [--connections 32]
//                                   [--expose-runs 15] [--proxies ours,caddy,nginx] [--json FILE]
//                                   [--compare LABEL=PATH/TO/cli.js]   (another build of ours, side by side)
//                                   [--variant LABEL="SERVE ARGS" | --variant none]
//                                       (this build with other serve flags; by default
//                                        ours-1proc="--workers 0": the daemon without its worker)
//
// Measures: HTTP/1.1 keep-alive requests/s and p50/p99 latency (wrk), HTTP/2 requests/s (h2load),
// and the time from `container-https expose` to the first successful HTTPS response. Prints a
// table of medians over the rounds and the ratios ours/caddy and ours/nginx.
//
// Backend: one nginx worker answering `return 200` with a small static body. It needs ~7 µs of
// CPU per request (the `cpu` figures below measure it too), so one core would serve ~140 000
// req/s, more than twice what the fastest proxy here passes through: never the bottleneck.
//
// It starts everything it needs with its own temp config, pid and log files on free ports and
// stops exactly those processes at the end; system services are never touched.
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { describeMissing, ensurePackages } from '../services/packages.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = process.env.CHS_BENCH_CLI ?? path.join(ROOT, 'dist', 'cli.js');
const HOST = 'bench.localhost';
const BODY = 'hello from the benchmark backend\n';

let opts;
try {
  opts = parseOptions(process.argv.slice(2));
} catch (err) {
  console.error(
    `${err.message}. Options: --rounds N --duration S --warmup S --connections N --streams N --expose-runs N --proxies ours,caddy,nginx --compare LABEL=CLI --variant LABEL=ARGS|none --json FILE`,
  );
  process.exit(2);
}
const children = new Set();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chs-bench-'));

function parseOptions(argv) {
  const o = {
    rounds: 3,
    duration: 10,
    warmup: 3,
    connections: 32,
    h2Streams: 10,
    exposeRuns: 15,
    proxies: ['ours', 'caddy', 'nginx'],
    json: undefined,
    compare: [],
  };
  let variants = [['ours-1proc', ['--workers', '0']]];
  const numeric = {
    '--rounds': 'rounds',
    '--duration': 'duration',
    '--warmup': 'warmup',
    '--connections': 'connections',
    '--streams': 'h2Streams',
    '--expose-runs': 'exposeRuns',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (numeric[flag]) o[numeric[flag]] = Number(value);
    else if (flag === '--proxies') o.proxies = value.split(',');
    else if (flag === '--json') o.json = value;
    else if (flag === '--compare') o.compare.push([...value.split('='), []]);
    else if (flag === '--variant' && value === 'none') variants = [];
    else if (flag === '--variant') {
      const [label, ...rest] = value.split('=');
      variants.push([label, rest.join('=').split(/\s+/).filter(Boolean)]);
    } else throw new Error(`unknown option ${flag}`);
  }
  // Variants run this build (CLI) with extra serve flags, on the same footing as --compare builds.
  o.compare.push(...variants.map(([label, args]) => [label, CLI, args]));
  return o;
}

// ---------------------------------------------------------------------------------------------
// Tools and processes

/** The benchmark's tools come from the one package list (test/services/packages.mjs). */
function ensureTools() {
  const missing = ensurePackages('bench');
  if (missing.length) throw new Error(`the benchmark needs these Debian packages:\n${describeMissing(missing)}`);
}

function start(name, cmd, args, env = {}) {
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

async function stopAll() {
  await Promise.all([...children].map(stop));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function logOf(name) {
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

async function waitFor(what, name, fn, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await fn().catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${ms / 1000} s:\n${logOf(name)}`);
    await sleep(30);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One verified HTTPS request (TLS checked against our CA); resolves to status and the leaf's fingerprint. */
function httpsGet(port, ca, host = HOST) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: host,
        headers: { host: `${host}:${port}` },
        ca,
        agent: false,
        timeout: 5000,
      },
      (res) => {
        const fingerprint = res.socket.getPeerCertificate().fingerprint256;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, fingerprint }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
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

async function startBackend() {
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

async function startOurs(backendPort) {
  const port = await freePort();
  const stateDir = path.join(tmp, 'state');
  const { pid } = await serve('ours', CLI, stateDir, port);
  const r = cli(['expose', HOST, `http://127.0.0.1:${backendPort}`, '--state-dir', stateDir]);
  if (r.status !== 0) throw new Error(`expose failed: ${r.stderr || r.stdout}`);
  const ca = fs.readFileSync(path.join(stateDir, 'ca', 'root.pem'), 'utf8');
  return {
    port,
    pid,
    stateDir,
    ca,
    cert: path.join(stateDir, 'certs', `${HOST}.pem`),
    key: path.join(stateDir, 'certs', `${HOST}.key`),
  };
}

async function serve(name, cliPath, stateDir, port, extraArgs = []) {
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

/** Another build of ours on a copy of the state dir: same CA, same certificate, same route. */
async function startOtherBuild(name, cliPath, ours, extraArgs) {
  if (!fs.existsSync(cliPath)) throw new Error(`--compare ${name}=${cliPath}: no such file`);
  const port = await freePort();
  const stateDir = path.join(tmp, `state-${name}`);
  fs.mkdirSync(stateDir, { mode: 0o700 });
  for (const part of ['ca', 'certs', 'routes.json'])
    fs.cpSync(path.join(ours.stateDir, part), path.join(stateDir, part), { recursive: true });
  const { pid } = await serve(name, cliPath, stateDir, port, extraArgs);
  return { port, pid, stateDir, cliPath, ca: ours.ca };
}

function cli(args) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
}

function nginxVersion() {
  const out = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr;
  const [maj, min, patch] = (out.match(/nginx\/(\d+)\.(\d+)\.(\d+)/) ?? [0, 0, 0, 0]).slice(1).map(Number);
  return { text: `${maj}.${min}.${patch}`, h2Directive: maj > 1 || min > 25 || (min === 25 && patch >= 1) };
}

async function startNginx(backendPort, certs) {
  const port = await freePort();
  const { h2Directive } = nginxVersion();
  const conf = path.join(tmp, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `worker_processes 1; daemon off; pid ${tmp}/nginx.pid; error_log ${tmp}/nginx.err warn;
events { worker_connections 4096; }
http { ${nginxCommonHttp()}
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} ssl${h2Directive ? '' : ' http2'}; ${h2Directive ? 'http2 on;' : ''}
    server_name ${HOST};
    ssl_certificate ${certs.cert}; ssl_certificate_key ${certs.key};
    ssl_protocols TLSv1.3; ssl_session_cache shared:SSL:1m;
    location / {
      proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $http_host; proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto https; proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Port $server_port;
    }
  }
}
`,
  );
  const { pid } = start('nginx', 'nginx', ['-p', tmp, '-e', `${tmp}/nginx.err`, '-c', conf]);
  await waitFor('nginx', 'nginx', async () => (await httpsGet(port, certs.ca)).status === 200);
  return { port, pid };
}

async function startCaddy(backendPort, certs) {
  const port = await freePort();
  const conf = path.join(tmp, 'Caddyfile');
  fs.writeFileSync(
    conf,
    `{
	admin off
	auto_https off
	storage file_system ${tmp}/caddy-data
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
  const home = path.join(tmp, 'caddy-home');
  fs.mkdirSync(home, { recursive: true });
  const { pid } = start('caddy', 'caddy', ['run', '--config', conf, '--adapter', 'caddyfile'], {
    HOME: home,
    XDG_DATA_HOME: home,
    XDG_CONFIG_HOME: home,
  });
  await waitFor('caddy', 'caddy', async () => (await httpsGet(port, certs.ca)).status === 200);
  return { port, pid };
}

// ---------------------------------------------------------------------------------------------
// Load generators. wrk takes the host from the URL for DNS, SNI and Host; *.localhost does not
// resolve through this machine's /etc/hosts, so wrk runs in a private mount namespace that sees
// a hosts file mapping the bench host to 127.0.0.1 (h2load has --connect-to instead).

let wrapForHosts;
function hostsWrapper() {
  if (wrapForHosts) return wrapForHosts;
  const hosts = path.join(tmp, 'hosts');
  fs.writeFileSync(hosts, `127.0.0.1 localhost ${HOST}\n`);
  if (spawnSync('unshare', ['-m', 'true'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      'wrk needs bench.localhost to resolve to 127.0.0.1; `unshare -m` (to give it a private /etc/hosts) is not available here. Run as root or add the name to /etc/hosts.',
    );
  }
  wrapForHosts = (cmd, args) => [
    'unshare',
    ['-m', 'sh', '-c', `mount --bind ${hosts} /etc/hosts && exec "$0" "$@"`, cmd, ...args],
  ];
  return wrapForHosts;
}

function run(cmd, args) {
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

function toMs(value, unit) {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60000 }[unit] ?? NaN);
}

/**
 * CPU seconds (user + system) used so far by a process and its descendants (nginx's worker,
 * Go's threads are in the process itself), from /proc. Linux only; NaN elsewhere.
 */
function cpuSeconds(pid) {
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

async function wrk(port, seconds, pids = []) {
  const before = pids.map(cpuSeconds);
  const [cmd, args] = hostsWrapper()('wrk', [
    '-t1',
    `-c${opts.connections}`,
    `-d${seconds}s`,
    '--latency',
    `https://${HOST}:${port}/`,
  ]);
  const out = await run(cmd, args);
  const cpu = pids.map((p, i) => cpuSeconds(p) - before[i]);
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const requests = Number(out.match(/(\d+) requests in/)?.[1]);
  // CPU microseconds per request of each process tree in `pids` (the proxy, the backend).
  const usPerReq = cpu.map((c) => (c * 1e6) / requests);
  const pct = (p) => {
    const m = out.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm'));
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const errors = out.match(/Non-2xx or 3xx responses: (\d+)|Socket errors: .*/g);
  if (errors) throw new Error(`wrk against port ${port} saw errors: ${errors.join('; ')}`);
  return { rps, p50: pct(50), p99: pct(99), usPerReq };
}

async function h2load(port, seconds) {
  const out = await run('h2load', [
    '-t1',
    `-c${opts.connections}`,
    `-m${opts.h2Streams}`,
    `-D${seconds}`,
    `--warm-up-time=${Math.min(opts.warmup, 2)}`,
    `--connect-to=127.0.0.1:${port}`,
    `https://${HOST}:${port}/`,
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
// expose → first response

/**
 * Two views: the CLI as a user runs it (node start-up + PUT + its own verified probe), and the
 * daemon's part alone (PUT over the control socket until a verified HTTPS request answers 200).
 */
async function exposeTimes(ours, backendPort, cliPath = CLI) {
  const cliMs = [];
  const apiMs = [];
  const socketPath = path.join(ours.stateDir, 'control.sock');
  for (let i = 0; i < opts.exposeRuns; i++) {
    const host = `e${i}-${crypto.randomBytes(3).toString('hex')}.localhost`;
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [cliPath, 'expose', host, `http://127.0.0.1:${backendPort}`, '--state-dir', ours.stateDir],
      { encoding: 'utf8' },
    );
    const t1 = performance.now();
    if (r.status !== 0) throw new Error(`expose ${host} failed: ${r.stderr}`);
    if ((await httpsGet(ours.port, ours.ca, host)).status !== 200)
      throw new Error(`${host} did not answer 200 after expose`);
    cliMs.push(t1 - t0);

    const host2 = `a${i}-${crypto.randomBytes(3).toString('hex')}.localhost`;
    const t2 = performance.now();
    await controlPut(socketPath, `/v1/routes/${host2}`, { target: `http://127.0.0.1:${backendPort}` });
    for (const deadline = Date.now() + 10000; ;) {
      const res = await httpsGet(ours.port, ours.ca, host2).catch(() => undefined);
      if (res?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`${host2} did not answer 200 within 10 s of PUT /v1/routes`);
    }
    apiMs.push(performance.now() - t2);
  }
  const timeOf = (args) => {
    const t0 = performance.now();
    spawnSync(process.execPath, args);
    return performance.now() - t0;
  };
  const nodeStart = median(Array.from({ length: 5 }, () => timeOf(['-e', '0'])));
  const cliLoad = median(Array.from({ length: 5 }, () => timeOf([cliPath, '--version'])));
  return { cli: median(cliMs), api: median(apiMs), nodeStart, cliLoad, cliAll: cliMs, apiAll: apiMs };
}

function controlPut(socketPath, urlPath, body) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        path: urlPath,
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          res.statusCode < 300
            ? resolve(JSON.parse(text))
            : reject(new Error(`PUT ${urlPath}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

// ---------------------------------------------------------------------------------------------

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');

function printTable(results) {
  const rows = [['proxy', 'h1 req/s', 'h1 p50 ms', 'h1 p99 ms', 'h1 CPU µs/req', 'h2 req/s', 'h2 mean ms']];
  for (const [name, r] of Object.entries(results))
    rows.push([
      name,
      fmt(r.h1.rps),
      fmt(r.h1.p50, 2),
      fmt(r.h1.p99, 2),
      fmt(r.h1.cpu, 1),
      fmt(r.h2.rps),
      fmt(r.h2.mean, 2),
    ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) console.log(row.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  '));
}

async function main() {
  ensureTools();
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build.mjs first (npm run bench does).`);
  console.log(
    `proxy benchmark: ${opts.rounds} rounds × ${opts.duration}s, ${opts.connections} connections (h2: ×${opts.h2Streams} streams), loopback, TLS 1.3, ECDSA P-256`,
  );
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model}; node ${process.version}; nginx ${nginxVersion().text}; ${spawnSync('caddy', ['version'], { encoding: 'utf8' }).stdout.trim().split(' ')[0]}; load at start ${load()}`,
  );

  const backend = await startBackend();
  const backendPort = backend.port;
  const ours = await startOurs(backendPort);
  const certs = { cert: ours.cert, key: ours.key, ca: ours.ca };
  const fronts = { ours: { port: ours.port, pid: ours.pid } };
  if (opts.proxies.includes('nginx')) fronts.nginx = await startNginx(backendPort, certs);
  if (opts.proxies.includes('caddy')) fronts.caddy = await startCaddy(backendPort, certs);
  for (const [name, cliPath, extraArgs] of opts.compare)
    fronts[name] = await startOtherBuild(name, cliPath, ours, extraArgs);
  if (!opts.proxies.includes('ours')) delete fronts.ours;

  // Same certificate everywhere, verified against our CA.
  const prints = new Set();
  for (const f of Object.values(fronts)) prints.add((await httpsGet(f.port, ours.ca)).fingerprint);
  if (prints.size !== 1) throw new Error('the proxies do not serve the same certificate');

  const samples = Object.fromEntries(Object.keys(fronts).map((n) => [n, { h1: [], h2: [] }]));
  const names = Object.keys(fronts);
  for (let round = 0; round < opts.rounds; round++) {
    // Rotate the order so no proxy always runs first (or right after the busiest).
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const { port, pid } = fronts[name];
      await wrk(port, opts.warmup);
      const h1 = await wrk(port, opts.duration, [pid, backend.pid]);
      const h2 = await h2load(port, opts.duration);
      samples[name].h1.push(h1);
      samples[name].h2.push(h2);
      console.log(
        `round ${round + 1} ${name.padEnd(10)}  h1 ${fmt(h1.rps)} req/s p50 ${fmt(h1.p50, 2)} ms p99 ${fmt(h1.p99, 2)} ms cpu ${fmt(h1.usPerReq[0], 1)} µs/req | h2 ${fmt(h2.rps)} req/s mean ${fmt(h2.mean, 2)} ms | load ${load()}`,
      );
    }
  }

  const results = {};
  for (const [name, s] of Object.entries(samples)) {
    results[name] = {
      h1: {
        rps: median(s.h1.map((x) => x.rps)),
        p50: median(s.h1.map((x) => x.p50)),
        p99: median(s.h1.map((x) => x.p99)),
        cpu: median(s.h1.map((x) => x.usPerReq[0])),
        backendCpu: median(s.h1.map((x) => x.usPerReq[1])),
      },
      h2: { rps: median(s.h2.map((x) => x.rps)), mean: median(s.h2.map((x) => x.mean)) },
    };
  }

  console.log(`\nmedians of ${opts.rounds} rounds (load at end ${load()}):`);
  printTable(results);
  console.log(
    `backend CPU µs/req (1 nginx worker, return 200): ${Object.entries(results)
      .map(([n, r]) => `${fmt(r.h1.backendCpu, 1)} behind ${n}`)
      .join(', ')}`,
  );
  const checks = [];
  for (const mine of ['ours', ...opts.compare.map(([name]) => name)]) {
    for (const other of ['caddy', 'nginx']) {
      if (!results[mine] || !results[other]) continue;
      const h1 = results[mine].h1.rps / results[other].h1.rps;
      const h2 = results[mine].h2.rps / results[other].h2.rps;
      const p99 = results[mine].h1.p99 / results[other].h1.p99;
      console.log(
        `${mine}/${other}: h1 throughput ${h1.toFixed(2)}, h1 p99 ${p99.toFixed(2)} (lower is better), h2 throughput ${h2.toFixed(2)}`,
      );
    }
  }
  if (results.ours) {
    if (results.caddy)
      checks.push([`h1 throughput ours/caddy >= 1.0`, results.ours.h1.rps / results.caddy.h1.rps >= 1.0]);
    if (results.nginx)
      checks.push([`h1 throughput ours/nginx >= 0.6`, results.ours.h1.rps / results.nginx.h1.rps >= 0.6]);
    if (results.caddy) checks.push([`h1 p99 ours <= caddy`, results.ours.h1.p99 <= results.caddy.h1.p99]);
  }
  const expose = fronts.ours && opts.exposeRuns > 0 ? await exposeTimes(ours, backendPort) : undefined;
  if (expose) {
    console.log(`expose → first HTTPS 200, median of ${opts.exposeRuns} (load ${load()}):`);
    console.log(
      `  CLI end to end ${fmt(expose.cli, 1)} ms; of which starting node ${fmt(expose.nodeStart, 1)} ms and loading the CLI bundle ${fmt(expose.cliLoad - expose.nodeStart, 1)} ms (\`cli.js --version\` takes ${fmt(expose.cliLoad, 1)} ms)`,
    );
    console.log(`  daemon part (PUT /v1/routes → first verified HTTPS 200, no process start) ${fmt(expose.api, 1)} ms`);
    checks.push([`expose → first response < 100 ms (CLI, end to end)`, expose.cli < 100]);
    // The same measurement for each --compare build, right after: absolute times drift with the
    // machine, the ratio to ours does not (as much).
    for (const [name] of opts.compare) {
      const other = await exposeTimes(fronts[name], backendPort, fronts[name].cliPath);
      console.log(
        `  ${name}: CLI end to end ${fmt(other.cli, 1)} ms, daemon part ${fmt(other.api, 1)} ms (ours/${name}: ${(expose.cli / other.cli).toFixed(2)} end to end, ${(expose.api / other.api).toFixed(2)} daemon part)`,
      );
    }
  }
  for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'MISS'}  ${what}`);
  if (opts.json)
    fs.writeFileSync(
      opts.json,
      JSON.stringify({ at: new Date().toISOString(), opts, results, samples, expose, load: os.loadavg() }, null, 2),
    );
}

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
