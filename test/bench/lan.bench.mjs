// LAN sharing benchmark (issue 16): what a request from the LAN costs against one from this
// machine, side by side in one run. Needs root (two network namespaces, test/support/lanNet.ts).
//
//   node test/bench/lan.bench.mjs [--rounds 3] [--duration 5] [--connections 16]
//   npm run bench -- --only lan [same options]
//
// One daemon (`serve --workers 0`, so every request below is served by the same process) runs in
// a namespace "laptop" with a backend; wrk (HTTP/1.1 keep-alive, one thread) runs per case:
//   loopback  in "laptop", https://app.localhost:8443/: the path every local request takes
//             (the LAN gate is one isLoopback() check for it)
//   lan       in "phone", over the veth, https://app.local:8443/: LAN listener, gate admits the
//             shared route (app.local → app.localhost), the certificate carrying both names
//   lan-auth  in "phone", https://secret.local:8443/ with the right Authorization header: the
//             share's basic auth too (bcrypt once, then remembered by the header's hash)
// Each wrk sees its name in a private /etc/hosts (unshare -m), so SNI and Host are real names.
// Printed: requests/s, p50/p99 and the daemon's CPU µs per request, with ratios to loopback per
// round (load drift between rounds cancels), medians over the rounds. The veth adds a little
// latency of its own, so `lan` against `loopback` is an upper bound on what the gate costs.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, ROOT, cpuSeconds, fmt, median, parseFlags, printTable, sleep, toMs } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const opts = parseFlags(
  process.argv.slice(2),
  { rounds: 3, duration: 5, connections: 16 },
  { numeric: { '--rounds': 'rounds', '--duration': 'duration', '--connections': 'connections' } },
);

const lanNetFile = path.join(ROOT, 'out/test/support/lanNet.js');
if (!fs.existsSync(lanNetFile)) throw new Error(`${lanNetFile} is missing: run npx tsc -p tsconfig.json first`);
const { LanNet, lanNetMissing } = require(lanNetFile);
const missing =
  lanNetMissing() ?? (spawnSync('sh', ['-c', 'command -v wrk']).status ? 'wrk is not installed' : undefined);
if (missing) {
  console.error(`lan benchmark cannot run: ${missing}`);
  process.exit(1);
}

const net = new LanNet();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'chs-bench-lan-'));
const stateDir = path.join(work, 'state');
const children = [];

function inNs(ns, cmd, args, opts2 = {}) {
  const child = spawn('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts2,
  });
  children.push(child);
  return child;
}

function runIn(ns, cmd, args) {
  return new Promise((resolve, reject) => {
    const child = inNs(ns, cmd, args);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: ${out}`))));
  });
}

const cli = (...args) => runIn(net.laptop, process.execPath, [CLI, ...args, '--state-dir', stateDir]);

/** wrk in a namespace with `name` resolving to `ip` there (a private /etc/hosts). */
async function wrk(ns, name, ip, seconds, daemonPid, headers = {}) {
  const hosts = path.join(work, `hosts-${name}`);
  fs.writeFileSync(hosts, `${ip} ${name}\n`);
  const before = cpuSeconds(daemonPid);
  const out = await runIn(ns, 'unshare', [
    '-m',
    'sh',
    '-c',
    `mount --bind ${hosts} /etc/hosts && exec "$0" "$@"`,
    'wrk',
    '-t1',
    `-c${opts.connections}`,
    `-d${seconds}s`,
    '--latency',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    `https://${name}:8443/`,
  ]);
  const cpu = cpuSeconds(daemonPid) - before;
  const errors = out.match(/Non-2xx or 3xx responses: (\d+)|Socket errors: .*/g);
  if (errors) throw new Error(`wrk ${name}: ${errors.join('; ')}`);
  const requests = Number(out.match(/(\d+) requests in/)?.[1]);
  const pct = (p) => {
    const m = out.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm'));
    return m ? toMs(m[1], m[2]) : NaN;
  };
  return {
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]),
    p50: pct(50),
    p99: pct(99),
    usPerReq: (cpu * 1e6) / requests,
  };
}

async function main() {
  net.up();
  const backend = path.join(work, 'backend.js');
  fs.writeFileSync(
    backend,
    `require('http').createServer((q, s) => s.end('hello from the LAN benchmark backend\\n')).listen(5000, '127.0.0.1');`,
  );
  inNs(net.laptop, process.execPath, [backend]);
  const serve = inNs(
    net.laptop,
    process.execPath,
    [
      CLI,
      'serve',
      '--state-dir',
      stateDir,
      '--no-docker',
      '--workers',
      '0',
      '--https-port',
      '8443',
      '--http-port',
      '8080',
    ],
    { env: { ...process.env, HOME: work } },
  );
  for (let i = 0; ; i++) {
    if (
      await cli('share').then(
        () => true,
        () => false,
      )
    )
      break;
    if (i > 100) throw new Error('the daemon did not start');
    await sleep(100);
  }
  await cli('expose', 'app.localhost', 'http://127.0.0.1:5000');
  await cli('expose', 'secret.localhost', 'http://127.0.0.1:5000');
  await cli('share', 'app.localhost');
  await cli('share', 'secret.localhost', '--lan-auth', 'bench:pass');
  const auth = { Authorization: `Basic ${Buffer.from('bench:pass').toString('base64')}` };
  const cases = [
    ['loopback', () => wrk(net.laptop, 'app.localhost', '127.0.0.1', opts.duration, serve.pid)],
    ['lan', () => wrk(net.phone, 'app.local', net.laptopIp, opts.duration, serve.pid)],
    ['lan-auth', () => wrk(net.phone, 'secret.local', net.laptopIp, opts.duration, serve.pid, auth)],
  ];
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model}; node ${process.version}; load at start ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `${opts.rounds} rounds × ${opts.duration} s per case, ${opts.connections} connections, wrk -t1, daemon --workers 0`,
  );
  // Warm-up: TLS sessions, the JIT, the basic-auth check remembered.
  for (const [, run] of cases) await run().catch((err) => Promise.reject(err));
  const results = Object.fromEntries(cases.map(([name]) => [name, []]));
  for (let round = 0; round < opts.rounds; round++) for (const [name, run] of cases) results[name].push(await run());
  const rows = [['case', 'req/s', 'vs loopback', 'p50 ms', 'p99 ms', 'daemon CPU µs/req', 'vs loopback']];
  for (const [name] of cases) {
    const r = results[name];
    const ratio = (key) => median(r.map((x, i) => x[key] / results.loopback[i][key]));
    rows.push([
      name,
      fmt(median(r.map((x) => x.rps))),
      fmt(ratio('rps'), 2),
      fmt(median(r.map((x) => x.p50)), 2),
      fmt(median(r.map((x) => x.p99)), 2),
      fmt(median(r.map((x) => x.usPerReq))),
      fmt(ratio('usPerReq'), 2),
    ]);
  }
  printTable(rows);
}

let code = 0;
try {
  await main();
} catch (err) {
  console.error(`benchmark failed: ${err.message}`);
  code = 1;
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await sleep(300);
  await net.remove();
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(code);
