// What request capture costs, A/B in one run: the daemon alone (`--workers 0`, so all the work is
// in one process whose CPU /proc reports) with capture on (the default) and with `--no-capture`,
// `--rounds` times. By default (`--mode together`) each round loads every daemon at once, one wrk
// each started together, so a change in the machine's speed hits all of them alike; `--mode
// turns` loads them one after the other, alternating which goes first. Prints each round, then
// the medians and the ratios on/off of requests/s, p99 and daemon CPU per request, and the median
// of each round's own CPU ratio (the headline: it cancels out the drift between rounds).
//
//   node test/bench/capture.bench.mjs [--rounds 4] [--duration 6] [--warmup 1] [--connections 32] [--mode together|turns]
//     [--variant LABEL=ARGS]   (another daemon with extra serve flags, e.g.
//                               'keep1=--capture-max-requests 1'; compared against nocapture too)
//     [--compare LABEL=CLI]    (another build's dist/cli.js with capture on, e.g. a baseline)
//
// Starts its own backend and daemons on free ports with temp state and stops exactly those.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CLI,
  HOST,
  cli,
  ensureTools,
  fmt,
  freePort,
  load,
  machineLine,
  median,
  parseFlags,
  printTable,
  runBenchmark,
  serve,
  startBackend,
  tmp,
  wrk,
} from './lib/harness.mjs';

const opts = { rounds: 4, duration: 6, warmup: 1, connections: 32, mode: 'together' };
const extra = [];
parseFlags(process.argv.slice(2), opts, {
  numeric: { '--rounds': 'rounds', '--duration': 'duration', '--warmup': 'warmup', '--connections': 'connections' },
  handlers: {
    '--mode': (v) => {
      if (v !== 'together' && v !== 'turns') throw new Error(`--mode is together or turns, not "${v}"`);
      opts.mode = v;
    },
    '--variant': (v) => {
      const [label, ...rest] = v.split('=');
      extra.push([label, CLI, rest.join('=').split(/\s+/).filter(Boolean)]);
    },
    '--compare': (v) => {
      const [label, cliPath] = v.split('=');
      extra.push([label, cliPath, []]);
    },
  },
});

async function startDaemon(name, cliPath, args, backendPort, seed) {
  const port = await freePort();
  const stateDir = path.join(tmp, `state-${name}`);
  if (seed) {
    fs.mkdirSync(stateDir, { mode: 0o700 });
    for (const part of ['ca', 'certs', 'routes.json'])
      fs.cpSync(path.join(seed, part), path.join(stateDir, part), { recursive: true });
  }
  const { pid } = await serve(name, cliPath, stateDir, port, ['--workers', '0', ...args]);
  if (!seed) {
    const r = cli(['expose', HOST, `http://127.0.0.1:${backendPort}`, '--state-dir', stateDir]);
    if (r.status !== 0) throw new Error(`expose failed: ${r.stderr || r.stdout}`);
  }
  return { port, pid, stateDir };
}

await runBenchmark(async () => {
  ensureTools();
  console.log(machineLine());
  const backend = await startBackend();
  const on = await startDaemon('capture', CLI, [], backend.port);
  const daemons = {
    capture: on,
    nocapture: await startDaemon('nocapture', CLI, ['--no-capture'], backend.port, on.stateDir),
  };
  for (const [label, cliPath, args] of extra)
    daemons[label] = await startDaemon(label, cliPath, args, backend.port, on.stateDir);
  const names = Object.keys(daemons);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const measure = async (name) => {
    const { port, pid } = daemons[name];
    await wrk({ port, seconds: opts.warmup, connections: opts.connections });
    return wrk({ port, seconds: opts.duration, connections: opts.connections, pids: [pid] });
  };
  for (let round = 0; round < opts.rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    const results = {};
    if (opts.mode === 'turns') for (const name of order) results[name] = await measure(name);
    else await Promise.all(order.map(async (name) => (results[name] = await measure(name))));
    for (const name of order) {
      const r = results[name];
      samples[name].push(r);
      console.log(
        `round ${round + 1} ${name.padEnd(10)} ${fmt(r.rps)} req/s p99 ${fmt(r.p99, 2)} ms daemon cpu ${fmt(r.usPerReq[0], 1)} µs/req | load ${load()}`,
      );
    }
  }
  const med = (name, f) => median(samples[name].map(f));
  const off = {
    rps: med('nocapture', (s) => s.rps),
    p99: med('nocapture', (s) => s.p99),
    cpu: med('nocapture', (s) => s.usPerReq[0]),
  };
  // The machine's speed drifts between rounds (other guests on the host): a ratio taken within
  // each round, between daemons measured seconds apart, drifts far less than the medians do.
  const paired = (name, f = (s) => s.usPerReq[0]) =>
    median(samples[name].map((s, i) => f(s) / f(samples.nocapture[i])));
  const rows = [
    [
      'daemon',
      'req/s',
      'p99 ms',
      'cpu µs/req',
      'req/s ÷ off',
      'p99 ÷ off',
      'cpu ÷ off',
      'p99 ÷ off per round',
      'cpu ÷ off per round',
    ],
  ];
  for (const name of names) {
    const rps = med(name, (s) => s.rps);
    const p99 = med(name, (s) => s.p99);
    const cpu = med(name, (s) => s.usPerReq[0]);
    rows.push([
      name,
      fmt(rps),
      fmt(p99, 2),
      fmt(cpu, 1),
      fmt(rps / off.rps, 2),
      fmt(p99 / off.p99, 2),
      fmt(cpu / off.cpu, 2),
      fmt(
        paired(name, (s) => s.p99),
        2,
      ),
      fmt(paired(name), 2),
    ]);
  }
  console.log(
    `\nmedians of ${opts.rounds} rounds (wrk ${opts.duration} s, ${opts.connections} connections each, --workers 0, ${opts.mode === 'turns' ? 'one daemon at a time' : 'all daemons at once'}):`,
  );
  printTable(rows);
  const cpuRatio = paired('capture');
  console.log(
    `capture costs ${fmt((cpuRatio - 1) * 100, 0)} % more daemon CPU per request (median of the rounds' ratios; target ≤ 10 %)`,
  );
});
