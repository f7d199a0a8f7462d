// Footprint benchmark (issue 18): what the proxy adds to one request, how fast big bodies flow,
// and what it weighs while idle — ours against nginx, side by side in one run, ratios printed.
//
//   node test/bench/footprint.bench.mjs [--rounds 3] [--seconds 5] [--warmup 1] [--transfers 3] [--mb 64]
//                                       [--conns 2000]
//                                       [--quiet S] [--settle S] [--proxies ours,nginx,node,caddy] [--compare LABEL=PATH/cli.js]
//                                       [--daemon-env KEY=V,...] [--json FILE]
//
// Ours runs with the environment the extension starts its daemon with (DAEMON_ENV in
// extension/daemonLauncher.ts; --daemon-env overrides it, `--daemon-env none` drops it). A compare
// build may add its own: --compare LABEL=PATH/cli.js,KEY=V,... (KEY= removes KEY), so one run can
// compare settings of one build too.
//
// Behind every front the same Node backend (a child process, plain HTTP on loopback):
//   GET /      1 KB body          GET /big   MB megabytes          POST /up   counts and discards
//
// 1. c=1 latency: one keep-alive TLS 1.3 connection, sequential `GET /` for SECONDS per round, sent
//    by wrk -c1 (a C client: no GC pauses of its own in the numbers), p50, p99, p99.9 from wrk's
//    histogram. "direct" is the same client over plain HTTP to the backend; each front's
//    *added* latency is its percentile minus direct's of the same round. On a shared machine the
//    direct tail alone is milliseconds (scheduling), so tails are compared as totals (p99 ours ÷
//    p99 nginx) and only the median as an added figure.
// 2. Streaming: curl downloads /big and uploads a MB file to /up (HTTPS, verified against our CA),
//    over HTTP/2 (what curl and browsers pick) and HTTP/1.1, --transfers of each a round; MB/s from
//    curl's own speed figures.
//    nginx relays with proxy_request_buffering off and proxy_max_temp_file_size 0: streaming
//    with backpressure through its memory buffers, as ours does, instead of spooling to disk.
// 3. Idle RSS of the front's whole process tree (from /proc): SETTLE s after start with a few routes
//    (ours also with Docker discovery on when an engine answers on /var/run/docker.sock), after a
//    wrk burst, and again after the quiet period (--quiet S) — does it come back down?
// 4. Per idle connection: CONNS keep-alive TLS connections, each having done one request, held
//    open; RSS of the tree before and after per connection, and per process that held them (its
//    growth over its new sockets, counted in /proc/PID/fd), an on-demand worker that started
//    meanwhile reported whole beside it; and the marginal cost, the second half's growth over its
//    connections in the processes there at half time (no one-time start costs in it).
//
// "node" is a bare Node HTTPS proxy (lib/nodeFloorProxy.mjs: Node's HTTP/2+1.1 server and an undici
// Pool, nothing else) with the daemon's environment: ours ÷ node is what our own code adds, node ÷
// nginx what Node's TLS, HTTP server and client cost before any of it. "caddy" (Debian's, Go,
// `reverse_proxy`) is what a proxy in a compiled, garbage-collected language reaches beside both.
//
// Before its measurements in each round, every front (and direct) gets a warm-up: --warmup S of
// the same c=1 load and one transfer of each kind, not counted (0: none). Without it the first
// round measured our JavaScript while V8 was still compiling it, which nginx never does.
//
// Every round rotates the order of the fronts; the tables show medians over rounds. The machine
// is shared, so read the ratios of one run, not absolute numbers.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import {
  CLI,
  DAEMON_ENV,
  HOST,
  ensureTools,
  fmt,
  freePort,
  httpsGet,
  load,
  machineLine,
  median,
  parseFlags,
  printTable,
  runBenchmark,
  sleep,
  start,
  startNginx,
  startNodeFloor,
  startCaddy,
  treePids,
  tmp,
  waitFor,
  logOf,
  run,
  withHost,
  cpuSeconds,
  wrk,
} from './lib/harness.mjs';

const opts = {
  rounds: 3,
  seconds: 5,
  warmup: 1,
  transfers: 3,
  mb: 64,
  conns: 2000,
  quiet: 35,
  settle: 15,
  proxies: ['ours', 'nginx', 'node', 'caddy'],
  compare: [],
  daemonEnv: Object.entries(DAEMON_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(','),
  json: undefined,
};
try {
  parseFlags(process.argv.slice(2), opts, {
    numeric: {
      '--rounds': 'rounds',
      '--seconds': 'seconds',
      '--warmup': 'warmup',
      '--transfers': 'transfers',
      '--mb': 'mb',
      '--conns': 'conns',
      '--quiet': 'quiet',
      '--settle': 'settle',
    },
    handlers: {
      '--proxies': (v) => (opts.proxies = v.split(',')),
      '--compare': (v) => opts.compare.push([v.slice(0, v.indexOf('=')), ...v.slice(v.indexOf('=') + 1).split(',')]),
      '--daemon-env': (v) => (opts.daemonEnv = v === 'none' ? '' : v),
      '--json': (v) => (opts.json = v),
    },
  });
} catch (err) {
  console.error(
    `${err.message}. Options: --rounds N --seconds S --warmup S --transfers N --mb N --conns N --quiet S --settle S --proxies ours,nginx,node,caddy --compare LABEL=CLI[,KEY=V] --daemon-env KEY=V,... --json FILE`,
  );
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The backend: a Node HTTP server in its own process.

const BACKEND = `
const http = require('node:http');
const one = Buffer.alloc(1024, 'x');
const chunk = Buffer.alloc(256 * 1024, 'y');
const mb = Number(process.argv[2]);
http.createServer((req, res) => {
  if (req.url === '/big') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': mb * 1048576 });
    let left = mb * 4;
    const more = () => { while (left > 0) { left--; if (!res.write(chunk)) return res.once('drain', more); } res.end(); };
    return more();
  }
  if (req.url === '/up') {
    let n = 0;
    req.on('data', (d) => (n += d.length));
    return req.on('end', () => res.end(String(n)));
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': one.length });
  res.end(one);
}).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('backend up'));
`;

async function startNodeBackend() {
  const port = await freePort();
  const { pid } = start('node-backend', process.execPath, ['-e', BACKEND, String(port), String(opts.mb)]);
  await waitFor('node backend', 'node-backend', async () => /backend up/.test(logOf('node-backend')));
  return { port, pid };
}

// ---------------------------------------------------------------------------------------------
// /proc

const rssKb = (pid) => {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
  } catch {
    return NaN;
  }
};
/** Open sockets of a process (its connections, listeners and IPC channels). */
const socketCount = (pid) => {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return NaN;
  }
};
/** RSS (KB) and open sockets of each process of a tree, by pid. */
const perProcess = (pid) => new Map(treePids(pid).map((p) => [p, { rss: rssKb(p), sockets: socketCount(p) }]));

/** A perProcess() reading as treeRss() gives it: MB of the whole tree, and its process count. */
const treeOf = (readings) => ({
  mb: [...readings.values()].reduce((a, r) => a + r.rss, 0) / 1024,
  procs: readings.size,
});

/**
 * RSS growth per new socket from one perProcess() reading to a later one, over the processes
 * of the first; processes that started in between are summed whole (MB).
 */
function growthPerSocket(from, to) {
  let grew = 0;
  let sockets = 0;
  let startedMb = 0;
  for (const [p, now] of to) {
    const was = from.get(p);
    if (!was) {
      startedMb += now.rss / 1024;
      continue;
    }
    grew += now.rss - was.rss;
    sockets += now.sockets - was.sockets;
  }
  return { perKb: sockets > 0 ? grew / sockets : NaN, sockets, startedMb };
}

/** RSS of a process tree, MB, and how many processes it has. */
const treeRss = (pid) => {
  const pids = treePids(pid);
  return { mb: pids.map(rssKb).reduce((a, b) => a + b, 0) / 1024, procs: pids.length };
};

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client on one socket: send, read the head, read content-length bytes.

function connectTo(port, secure, ca) {
  return new Promise((resolve, reject) => {
    const s = secure
      ? tls.connect({ host: '127.0.0.1', port, servername: HOST, ca, minVersion: 'TLSv1.3' }, () => resolve(s))
      : net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** Resolves after one full response; its status and body length. */
function oneRequest(socket, request) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let need = -1;
    let status = 0;
    const onData = (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      if (need < 0) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        status = Number(head.slice(9, 12));
        const m = head.match(/\r\ncontent-length:\s*(\d+)/i);
        if (!m) return done(new Error(`no content-length in:\n${head}`));
        need = end + 4 + Number(m[1]);
      }
      if (buf.length >= need) done();
    };
    const onClose = () => done(new Error('connection closed mid-response'));
    const done = (err) => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', done);
      if (err) reject(err);
      else resolve({ status, bytes: buf.length });
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', done);
    socket.write(request);
  });
}

const latencyLua = path.join(tmp, 'latency.lua');
fs.writeFileSync(
  latencyLua,
  `done = function(summary, latency, requests)
  io.write(string.format("LAT %d %d %d %d %d %d\\n", latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max, summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`,
);

/**
 * One connection, one request at a time, for SECONDS (wrk -t1 -c1, C: the client adds no GC of its
 * own); percentiles in µs from wrk's histogram.
 */
async function latency(port, secure, seconds) {
  const url = secure ? `https://${HOST}:${port}/` : `http://127.0.0.1:${port}/`;
  const [cmd, args] = withHost(HOST, 'wrk', ['-t1', '-c1', `-d${seconds}s`, '-s', latencyLua, url]);
  const out = await run(cmd, args);
  const m = out.match(/LAT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/);
  if (!m) throw new Error(`wrk printed no latency for port ${port}:\n${out}`);
  const [p50, p99, p999, max, requests, errors] = m.slice(1).map(Number);
  if (errors) throw new Error(`wrk saw ${errors} errors against port ${port}`);
  return { p50, p99, p999, max, requests };
}

// ---------------------------------------------------------------------------------------------
// Streaming with curl

const upFile = path.join(tmp, 'upload.bin');
function curlSpeed(port, caFile, mode, proto) {
  const url = `https://${HOST}:${port}/${mode === 'down' ? 'big' : 'up'}`;
  const args = [
    proto === 'h1' ? '--http1.1' : '--http2',
    '-sS',
    '--fail',
    '--cacert',
    caFile,
    '--resolve',
    `${HOST}:${port}:127.0.0.1`,
    '-o',
    '/dev/null',
  ];
  if (mode === 'up') args.push('--data-binary', `@${upFile}`, '-H', 'content-type: application/octet-stream');
  args.push('-w', mode === 'down' ? '%{speed_download} %{size_download}' : '%{speed_upload} %{size_upload}', url);
  const r = spawnSync('curl', args, { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`curl ${mode} through port ${port} failed: ${r.stderr}`);
  const [speed, size] = r.stdout.trim().split(' ').map(Number);
  if (size !== opts.mb * 1048576) throw new Error(`curl ${mode} through port ${port} moved ${size} bytes`);
  return speed / 1048576;
}

// ---------------------------------------------------------------------------------------------
// Idle connections

/** Opens n connections, one request each, and keeps them; `atHalf` runs once half of them are open. */
async function holdConnections(port, ca, n, atHalf) {
  const sockets = [];
  const request = `GET / HTTP/1.1\r\nHost: ${HOST}:${port}\r\n\r\n`;
  // In batches: a burst of 2000 handshakes at once would measure the accept queue, not memory.
  for (let i = 0; i < n; i += 50) {
    if (atHalf && i >= n / 2) {
      await atHalf();
      atHalf = undefined;
    }
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async () => {
        const s = await connectTo(port, true, ca);
        await oneRequest(s, request);
        return s;
      }),
    );
    sockets.push(...batch);
  }
  return sockets;
}

// ---------------------------------------------------------------------------------------------

/** KEY=V pairs into an env object; KEY= marks KEY for removal (undefined). */
const envPairs = (pairs) =>
  Object.fromEntries(
    pairs.filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1) || undefined]),
  );

async function startOurs(label, cliPath, backendPort, stateDir, { docker, env }) {
  const port = await freePort();
  const args = [cliPath, 'serve', '--state-dir', stateDir, '--https-port', String(port), '--no-http'];
  args.push('--bind', '127.0.0.1', ...(docker ? [] : ['--no-docker']));
  const child = start(label, process.execPath, args, env);
  await waitFor(`serve (${label})`, label, async () => /listening on https:/.test(logOf(label)));
  return { port, pid: child.pid, stateDir, cliPath };
}

function expose(front, host, backendPort) {
  const r = spawnSync(
    process.execPath,
    [front.cliPath, 'expose', host, `http://127.0.0.1:${backendPort}`, '--state-dir', front.stateDir],
    { encoding: 'utf8', timeout: 60000 },
  );
  if (r.status !== 0) throw new Error(`expose ${host} failed: ${r.stderr || r.stdout}`);
}

async function main() {
  ensureTools();
  const dockerOn = fs.existsSync('/var/run/docker.sock');
  console.log(
    `footprint benchmark: ${opts.rounds} rounds; c=1 latency for ${opts.seconds} s per front, 1 KB responses; ${opts.mb} MB down/up with curl; ${opts.conns} idle TLS connections; Docker discovery ${dockerOn ? 'on' : 'off (no /var/run/docker.sock)'} for ours`,
  );
  console.log(machineLine());
  const backend = await startNodeBackend();
  fs.writeFileSync(upFile, Buffer.alloc(opts.mb * 1048576, 'u'));

  // ours first: its CA and certificate are the ones every front serves.
  const builds = [...(opts.proxies.includes('ours') ? [['ours', CLI]] : []), ...opts.compare];
  const fronts = {};
  let certs;
  for (const [label, cliPath, ...extraEnv] of builds) {
    const env = envPairs([...opts.daemonEnv.split(','), ...extraEnv]);
    const set = Object.entries(env).filter(([, v]) => v !== undefined);
    console.log(
      `${label}: ${cliPath}, env ${set.length ? set.map(([k, v]) => `${k}=${v}`).join(' ') : '(none added)'}`,
    );
    const stateDir = path.join(tmp, `state-${label}`);
    fs.mkdirSync(stateDir, { mode: 0o700 });
    if (certs)
      for (const part of ['ca', 'certs'])
        fs.cpSync(path.join(certs.stateDir, part), path.join(stateDir, part), { recursive: true });
    const f = await startOurs(label, cliPath, backend.port, stateDir, { docker: dockerOn, env });
    for (const h of [HOST, 'app.localhost', 'api.localhost']) expose(f, h, backend.port);
    if (!certs) {
      certs = {
        stateDir,
        caFile: path.join(stateDir, 'ca', 'root.pem'),
        ca: fs.readFileSync(path.join(stateDir, 'ca', 'root.pem'), 'utf8'),
        cert: path.join(stateDir, 'certs', `${HOST}.pem`),
        key: path.join(stateDir, 'certs', `${HOST}.key`),
      };
    }
    fronts[label] = f;
  }
  if (!certs) throw new Error('--proxies must include ours, or give a --compare build');
  if (opts.proxies.includes('nginx')) {
    const body =
      'client_max_body_size 0; proxy_request_buffering off; proxy_max_temp_file_size 0;\nlocation / { proxy_pass http://backend; }';
    fronts.nginx = await startNginx('nginx', backend.port, [{ name: HOST, cert: certs.cert, key: certs.key, body }], {
      ca: certs.ca,
    });
  }
  if (opts.proxies.includes('node'))
    fronts.node = await startNodeFloor('node', backend.port, certs, envPairs(opts.daemonEnv.split(',')));
  if (opts.proxies.includes('caddy')) fronts.caddy = await startCaddy('caddy', backend.port, certs);
  const prints = new Set();
  for (const f of Object.values(fronts)) prints.add((await httpsGet(f.port, certs.ca)).fingerprint);
  if (prints.size !== 1) throw new Error('the fronts do not serve the same certificate');

  const names = Object.keys(fronts);
  const idle = {};
  // Idle means idle for a while: V8 shrinks its young generation only after some seconds
  // without allocation, and our daemon compacts its heap once 10 s after start
  // (daemon/idleCompaction.ts; docs/performance.md, "Footprint").
  await sleep(opts.settle * 1000);
  for (const n of names) idle[n] = { start: treeRss(fronts[n].pid) };

  // Idle keep-alive connections.
  const perConn = {};
  for (const n of names) {
    const atStart = perProcess(fronts[n].pid);
    const before = treeOf(atStart);
    let atHalf;
    const sockets = await holdConnections(fronts[n].port, certs.ca, opts.conns, async () => {
      await sleep(1000);
      atHalf = perProcess(fronts[n].pid);
    });
    await sleep(1000);
    const atEnd = perProcess(fronts[n].pid);
    const held = treeOf(atEnd);
    // Over all the connections, per process that existed before: a process that started meanwhile
    // (an on-demand worker) is reported whole, its start being no per-connection cost.
    const whole = growthPerSocket(atStart, atEnd);
    // The second half alone, per process that was there at half time: the marginal cost of one
    // more connection, without what starting cost once (a worker's spawn, its copy of the routes
    // and certificates, the handover channel).
    const late = atHalf ? growthPerSocket(atHalf, atEnd) : { perKb: NaN };
    perConn[n] = {
      before: before.mb,
      held: held.mb,
      procs: held.procs,
      kbPer: ((held.mb - before.mb) * 1024) / opts.conns,
      perKb: whole.perKb,
      heldBy: whole.sockets,
      started: whole.startedMb,
      marginal: late.perKb,
    };
    for (const s of sockets) s.destroy();
    await sleep(500);
  }

  const lat = Object.fromEntries(['direct', ...names].map((n) => [n, []]));
  const stream = Object.fromEntries(names.map((n) => [n, { down: [], up: [], down1: [], up1: [] }]));
  const streamCpu = Object.fromEntries(names.map((n) => [n, { down: [], up: [], down1: [], up1: [] }]));
  /** MB/s of one transfer, and the CPU ms the front's process tree spent on it (robust to a busy machine). */
  // --transfers of each kind per round, all kept: the tables' medians are over every transfer.
  const transfer = (n, key, mode, proto) => {
    for (let i = 0; i < opts.transfers; i++) {
      const before = cpuSeconds(fronts[n].pid);
      stream[n][key].push(curlSpeed(fronts[n].port, certs.caFile, mode, proto));
      streamCpu[n][key].push((cpuSeconds(fronts[n].pid) - before) * 1000);
    }
  };
  for (let round = 0; round < opts.rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    if (opts.warmup > 0) await latency(backend.port, false, opts.warmup);
    const direct = await latency(backend.port, false, opts.seconds);
    lat.direct.push(direct);
    for (const n of order) {
      if (opts.warmup > 0) {
        await latency(fronts[n].port, true, opts.warmup);
        for (const [mode, proto] of [
          ['down', 'h2'],
          ['up', 'h2'],
          ['down', 'h1'],
          ['up', 'h1'],
        ])
          curlSpeed(fronts[n].port, certs.caFile, mode, proto);
      }
      // Which processes serve it: after the idle-connection step, on-demand workers may still be up.
      const procs = treePids(fronts[n].pid).length;
      const l = await latency(fronts[n].port, true, opts.seconds);
      l.added = { p50: l.p50 - direct.p50, p99: l.p99 - direct.p99, p999: l.p999 - direct.p999 };
      lat[n].push(l);
      transfer(n, 'down', 'down', 'h2');
      transfer(n, 'up', 'up', 'h2');
      transfer(n, 'down1', 'down', 'h1');
      transfer(n, 'up1', 'up', 'h1');
      console.log(
        `round ${round + 1} ${n.padEnd(8)} (${procs} proc${procs > 1 ? 's' : ''}) c=1 p50 ${fmt(l.p50)} µs p99 ${fmt(l.p99)} p99.9 ${fmt(l.p999)} (direct ${fmt(direct.p50)}/${fmt(direct.p99)}/${fmt(direct.p999)}) | MB/s h2 down ${fmt(stream[n].down.at(-1))} up ${fmt(stream[n].up.at(-1))}, h1 down ${fmt(stream[n].down1.at(-1))} up ${fmt(stream[n].up1.at(-1))} | load ${load()}`,
      );
    }
  }

  // Load burst, then idle again.
  for (const n of names) {
    await wrk({ port: fronts[n].port, seconds: 3, connections: 32 });
    idle[n].burst = treeRss(fronts[n].pid);
  }
  console.log(`waiting ${opts.quiet} s of quiet…`);
  await sleep(opts.quiet * 1000);
  for (const n of names) idle[n].quiet = treeRss(fronts[n].pid);

  // Report
  const m = (n, f) => median(lat[n].map(f));
  console.log(`\nc=1 keep-alive latency of a 1 KB response, µs, median of ${opts.rounds} rounds (load ${load()}):`);
  const rows = [['front', 'p50', 'p99', 'p99.9', 'added p50', 'added p99', 'added p99.9']];
  rows.push([
    'direct (HTTP)',
    fmt(m('direct', (x) => x.p50)),
    fmt(m('direct', (x) => x.p99)),
    fmt(m('direct', (x) => x.p999)),
    '',
    '',
    '',
  ]);
  for (const n of names)
    rows.push([
      n,
      fmt(m(n, (x) => x.p50)),
      fmt(m(n, (x) => x.p99)),
      fmt(m(n, (x) => x.p999)),
      fmt(m(n, (x) => x.added.p50)),
      fmt(m(n, (x) => x.added.p99)),
      fmt(m(n, (x) => x.added.p999)),
    ]);
  printTable(rows);
  console.log(
    `\nstreaming ${opts.mb} MB with curl: MB/s, and CPU ms of the front's processes per transfer, median of ${opts.rounds * opts.transfers} (${opts.transfers} a round):`,
  );
  const kinds = ['down', 'up', 'down1', 'up1'];
  const srows = [['front', 'h2 down', 'h2 up', 'h1 down', 'h1 up', 'CPU ms h2 down', 'h2 up', 'h1 down', 'h1 up']];
  for (const n of names)
    srows.push([n, ...kinds.map((k) => fmt(median(stream[n][k]))), ...kinds.map((k) => fmt(median(streamCpu[n][k])))]);
  printTable(srows);
  console.log(`\nresident memory of the process tree, MB (processes):`);
  const irows = [
    [
      'front',
      `idle ${opts.settle} s after start`,
      'after burst',
      `after ${opts.quiet} s quiet`,
      `${opts.conns} idle conns`,
      'tree KB/conn',
      'KB/conn in the processes that held them',
      'KB/conn, second half',
      'process started',
    ],
  ];
  for (const n of names) {
    const i = idle[n];
    irows.push([
      n,
      `${fmt(i.start.mb, 1)} (${i.start.procs})`,
      `${fmt(i.burst.mb, 1)} (${i.burst.procs})`,
      `${fmt(i.quiet.mb, 1)} (${i.quiet.procs})`,
      `${fmt(perConn[n].held, 1)} (${perConn[n].procs})`,
      fmt(perConn[n].kbPer, 1),
      `${fmt(perConn[n].perKb, 1)} (${perConn[n].heldBy} conns)`,
      fmt(perConn[n].marginal, 1),
      perConn[n].started ? `${fmt(perConn[n].started, 1)} MB` : '',
    ]);
  }
  printTable(irows);

  const sr = (n, k, ref = 'nginx') => (median(stream[n][k]) / median(stream[ref][k])).toFixed(2);
  const ratioLine = (n, ref) => {
    const r = (f) => m(n, f) / m(ref, f);
    console.log(
      `${n}/${ref}: added latency p50 ${r((x) => x.added.p50).toFixed(2)}; p99 ${r((x) => x.p99).toFixed(2)}, p99.9 ${r((x) => x.p999).toFixed(2)} (lower is better); h2 download ${sr(n, 'down', ref)}, upload ${sr(n, 'up', ref)}; h1 download ${sr(n, 'down1', ref)}, upload ${sr(n, 'up1', ref)} (higher is better)`,
    );
  };
  // ours ÷ node is what our own code adds on top of what Node's HTTPS server and undici cost.
  if (fronts.node && fronts.ours) {
    console.log('');
    for (const n of names.filter((x) => !['nginx', 'node', 'caddy'].includes(x))) ratioLine(n, 'node');
  }
  if (fronts.nginx) {
    console.log('');
    for (const n of names.filter((x) => x !== 'nginx')) ratioLine(n, 'nginx');
    if (fronts.ours) {
      const r = (f) => m('ours', f) / m('nginx', f);
      const checks = [
        ['added p50 ≤ 1.5× nginx', r((x) => x.added.p50) <= 1.5],
        ['p99 ≤ 2× nginx (the tail is mostly the machine: see direct)', r((x) => x.p99) <= 2],
        ...['down', 'up', 'down1', 'up1'].map((k) => [
          `${k.startsWith('down') ? 'download' : 'upload'} (${k.endsWith('1') ? 'HTTP/1.1' : 'HTTP/2'}) ≥ 0.9× nginx`,
          Number(sr('ours', k)) >= 0.9,
        ]),
        ['idle (after start) ≤ 80 MB', idle.ours.start.mb <= 80],
        ['idle (after quiet) ≤ 80 MB', idle.ours.quiet.mb <= 80],
        ['≤ 30 KB per idle TLS connection (second half)', perConn.ours.marginal <= 30],
      ];
      for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'MISS'}  ${what}`);
    }
  }
  if (opts.json)
    fs.writeFileSync(
      opts.json,
      JSON.stringify({ at: new Date().toISOString(), opts, lat, stream, streamCpu, idle, perConn }, null, 2),
    );
}

await runBenchmark(main);
