// Proxy benchmark: our daemon (dist/cli.js serve) against nginx and Caddy from Debian's
// packages, side by side in one run, all three in front of the same backend with the same
// ECDSA P-256 certificate (issued by our local CA), over loopback with TLS 1.3.
//
//   node test/bench/proxy.bench.mjs [--rounds 3] [--duration 10] [--connections 32]
//                                   [--expose-runs 15] [--proxies ours,caddy,nginx] [--json FILE]
//                                   [--compare LABEL=PATH/TO/cli.js]   (another build of ours, side by side)
//                                   [--variant LABEL="SERVE ARGS" | --variant none]
//                                       (this build with other serve flags; by default
//                                        ours-1proc="--workers 0": the daemon without its worker,
//                                        and ours-nocapture="--no-capture": no request capture)
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
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CLI,
  HOST,
  NGINX_ROOT_LOCATION,
  cli,
  ensureTools,
  fmt,
  freePort,
  h2load as h2loadRun,
  httpsGet,
  load,
  machineLine,
  median,
  parseFlags,
  printTable as printRows,
  runBenchmark,
  serve,
  startBackend,
  startCaddy,
  startNginx as startNginxFront,
  tmp,
  wrk as wrkRun,
} from './lib/harness.mjs';

let opts;
try {
  opts = parseOptions(process.argv.slice(2));
} catch (err) {
  console.error(
    `${err.message}. Options: --rounds N --duration S --warmup S --connections N --streams N --expose-runs N --proxies ours,caddy,nginx --compare LABEL=CLI --variant LABEL=ARGS|none --json FILE`,
  );
  process.exit(2);
}

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
  // ours-nocapture: the request inspector off, to price capture (on by default) side by side.
  let variants = [
    ['ours-1proc', ['--workers', '0']],
    ['ours-nocapture', ['--no-capture']],
  ];
  parseFlags(argv, o, {
    numeric: {
      '--rounds': 'rounds',
      '--duration': 'duration',
      '--warmup': 'warmup',
      '--connections': 'connections',
      '--streams': 'h2Streams',
      '--expose-runs': 'exposeRuns',
    },
    handlers: {
      '--proxies': (v) => (o.proxies = v.split(',')),
      '--json': (v) => (o.json = v),
      '--compare': (v) => o.compare.push([...v.split('='), []]),
      '--variant': (v) => {
        if (v === 'none') return (variants = []);
        const [label, ...rest] = v.split('=');
        variants.push([label, rest.join('=').split(/\s+/).filter(Boolean)]);
      },
    },
  });
  // Variants run this build (CLI) with extra serve flags, on the same footing as --compare builds.
  o.compare.push(...variants.map(([label, args]) => [label, CLI, args]));
  return o;
}

// ---------------------------------------------------------------------------------------------
// The contestants (the backend and the nginx front are in lib/harness.mjs)

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

const startNginx = (backendPort, { cert, key, ca }) =>
  startNginxFront('nginx', backendPort, [{ name: HOST, cert, key, body: NGINX_ROOT_LOCATION }], { ca });

const wrk = (port, seconds, pids = []) => wrkRun({ port, seconds, pids, connections: opts.connections });
const h2load = (port, seconds) =>
  h2loadRun({ port, seconds, connections: opts.connections, streams: opts.h2Streams, warmup: opts.warmup });

// ---------------------------------------------------------------------------------------------
// expose → first response

/**
 * Two views: the CLI as a user runs it (node start-up + PUT + its own verified probe), and the
 * daemon's part alone (PUT over the control socket until a verified HTTPS request answers 200).
 */
async function exposeTimes(ours, backendPort, cliPath = CLI) {
  const cliMs = [];
  const apiMs = [];
  // Node reads NODE_EXTRA_CA_CERTS, and with it sets up TLS, before any script runs: with the
  // system bundle there, that is 50–80 ms of every start on this machine, which the CLI cannot
  // avoid. When it is set, the CLI is timed without it too, as a machine without it runs it.
  const { NODE_EXTRA_CA_CERTS: extraCa, ...env } = process.env;
  const withoutExtraCa = extraCa ? env : undefined;
  const cliNoExtraCaMs = [];
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
    if (withoutExtraCa) {
      const h = `n${i}-${crypto.randomBytes(3).toString('hex')}.localhost`;
      const t = performance.now();
      const r2 = spawnSync(
        process.execPath,
        [cliPath, 'expose', h, `http://127.0.0.1:${backendPort}`, '--state-dir', ours.stateDir],
        { encoding: 'utf8', env: withoutExtraCa },
      );
      if (r2.status !== 0) throw new Error(`expose ${h} failed: ${r2.stderr}`);
      cliNoExtraCaMs.push(performance.now() - t);
    }

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
  const timeOf = (args, env = process.env) => {
    const t0 = performance.now();
    spawnSync(process.execPath, args, { env });
    return performance.now() - t0;
  };
  const nodeStart = median(Array.from({ length: 5 }, () => timeOf(['-e', '0'])));
  const cliLoad = median(Array.from({ length: 5 }, () => timeOf([cliPath, '--version'])));
  const nodeStartNoExtraCa = withoutExtraCa
    ? median(Array.from({ length: 5 }, () => timeOf(['-e', '0'], withoutExtraCa)))
    : undefined;
  return {
    cli: median(cliMs),
    api: median(apiMs),
    nodeStart,
    cliLoad,
    extraCa,
    nodeStartNoExtraCa,
    cliNoExtraCa: withoutExtraCa ? median(cliNoExtraCaMs) : undefined,
    cliAll: cliMs,
    apiAll: apiMs,
  };
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

/** The process's peak resident memory so far (Linux /proc), in MB; undefined elsewhere. */
function peakRssMb(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

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
  printRows(rows);
}

async function main() {
  ensureTools();
  console.log(
    `proxy benchmark: ${opts.rounds} rounds × ${opts.duration}s, ${opts.connections} connections (h2: ×${opts.h2Streams} streams), loopback, TLS 1.3, ECDSA P-256`,
  );
  console.log(machineLine(`; ${spawnSync('caddy', ['version'], { encoding: 'utf8' }).stdout.trim().split(' ')[0]}`));

  const backend = await startBackend();
  const backendPort = backend.port;
  const ours = await startOurs(backendPort);
  const certs = { cert: ours.cert, key: ours.key, ca: ours.ca };
  const fronts = { ours: { port: ours.port, pid: ours.pid } };
  if (opts.proxies.includes('nginx')) fronts.nginx = await startNginx(backendPort, certs);
  if (opts.proxies.includes('caddy')) fronts.caddy = await startCaddy('caddy', backendPort, certs);
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
      // Two warm-ups: on-demand workers start during the first, whose connections the daemon
      // accepted and serves until each one's next response moves it to them, so the second is
      // the one that warms the workers' code.
      await wrk(port, opts.warmup);
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
      peakMb: peakRssMb(fronts[name].pid),
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
  // What the request inspector costs (capture is on by default): ours against ours-nocapture.
  if (results.ours && results['ours-nocapture']) {
    const off = results['ours-nocapture'];
    const h1 = results.ours.h1.rps / off.h1.rps;
    const p99 = results.ours.h1.p99 / off.h1.p99;
    const h2 = results.ours.h2.rps / off.h2.rps;
    console.log(
      `capture on/off (ours/ours-nocapture): h1 throughput ${h1.toFixed(2)}, h1 p99 ${p99.toFixed(2)} (lower is better), h2 throughput ${h2.toFixed(2)}; daemon peak RSS ${fmt(results.ours.peakMb, 1)} MB with capture, ${fmt(off.peakMb, 1)} MB without (capture limit 32 MB)`,
    );
    checks.push([`capture costs <= 10% h1 throughput`, h1 >= 0.9]);
    checks.push([`capture costs <= 10% h1 p99`, p99 <= 1.1]);
    checks.push([`capture costs <= 10% h2 throughput`, h2 >= 0.9]);
    checks.push([
      `daemon memory with capture <= without + 32 MB + 32 MB margin`,
      results.ours.peakMb <= off.peakMb + 64,
    ]);
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
    if (expose.extraCa)
      console.log(
        `  NODE_EXTRA_CA_CERTS=${expose.extraCa} is set here: without it, CLI end to end ${fmt(expose.cliNoExtraCa, 1)} ms, node starts in ${fmt(expose.nodeStartNoExtraCa, 1)} ms (${fmt(expose.nodeStart - expose.nodeStartNoExtraCa, 1)} ms of each start is that file)`,
      );
    console.log(`  daemon part (PUT /v1/routes → first verified HTTPS 200, no process start) ${fmt(expose.api, 1)} ms`);
    checks.push([`expose → first response < 100 ms (CLI, end to end)`, expose.cli < 100]);
    if (expose.extraCa)
      checks.push([
        `expose → first response < 100 ms (CLI, end to end, without NODE_EXTRA_CA_CERTS)`,
        expose.cliNoExtraCa < 100,
      ]);
    // The same measurement for each --compare build, right after: absolute times drift with the
    // machine, the ratio to ours does not (as much).
    for (const [name] of opts.compare) {
      const other = await exposeTimes(fronts[name], backendPort, fronts[name].cliPath);
      console.log(
        `  ${name}: CLI end to end ${fmt(other.cli, 1)} ms${other.extraCa ? ` (${fmt(other.cliNoExtraCa, 1)} without NODE_EXTRA_CA_CERTS)` : ''}, daemon part ${fmt(other.api, 1)} ms (ours/${name}: ${(expose.cli / other.cli).toFixed(2)} end to end${other.extraCa ? `, ${(expose.cliNoExtraCa / other.cliNoExtraCa).toFixed(2)} without NODE_EXTRA_CA_CERTS` : ''}, ${(expose.api / other.api).toFixed(2)} daemon part)`,
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

await runBenchmark(main);
