// Where an idle TLS connection's memory goes (issue 18): ours against the bare Node proxy, side by
// side in one run, split into what V8 holds and what the rest of the process holds.
//
//   node test/bench/connMemory.bench.mjs [--from 1000] [--conns 1000] [--fronts ours,w0,node] [--objects 1]
//
// Each front in turn: FROM keep-alive TLS connections are opened (each after one request, in
// batches of 50, as footprint.bench.mjs does), then CONNS more. Every process of the front has
// lib/memoryProbe.cjs preloaded; at both points it runs a full collection and reports. For each
// process that gained connections in between, per connection: RSS; V8's old space in use (the
// JavaScript objects a connection keeps alive, the stable part); V8's young generation (it grows
// in steps with the allocation rate, so it lands in one window or another: a one-time cost, not a
// connection's); and the rest of RSS (malloc: OpenSSL's per-connection state, Node's native
// wraps, libuv). Starting FROM connections in keeps the workers' start and the first growth out.
//
// Fronts: ours (`serve`, --workers auto: on-demand workers hold most connections), w0 (ours with
// --workers 0: all in the daemon), node (lib/nodeFloorProxy.mjs). All run with the daemon's
// malloc environment. --objects 1 also diffs two heap snapshots of the process that gained most
// connections and prints what grew most per connection, by kind and constructor.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import {
  CLI,
  DAEMON_ENV,
  HOST,
  cli,
  ensureTools,
  fmt,
  freePort,
  machineLine,
  parseFlags,
  printTable,
  runBenchmark,
  serve,
  sleep,
  startBackend,
  startNodeFloor,
  tmp,
  treePids,
} from './lib/harness.mjs';

const opts = { from: 1000, conns: 1000, fronts: ['ours', 'w0', 'node'], objects: 0 };
try {
  parseFlags(process.argv.slice(2), opts, {
    numeric: { '--from': 'from', '--conns': 'conns', '--objects': 'objects' },
    handlers: { '--fronts': (v) => (opts.fronts = v.split(',')) },
  });
  const unknown = opts.fronts.filter((f) => !['ours', 'w0', 'node'].includes(f));
  if (unknown.length) throw new Error(`--fronts takes ours, w0 and node, not ${unknown.join(', ')}`);
} catch (err) {
  console.error(`connMemory.bench.mjs: ${err.message}`);
  process.exit(2);
}

const probeDir = path.join(tmp, 'probe');
fs.mkdirSync(probeDir);
const env = {
  ...DAEMON_ENV,
  NODE_OPTIONS: `--require ${new URL('./lib/memoryProbe.cjs', import.meta.url).pathname}`,
  CHS_PROBE_DIR: probeDir,
};

/** Every process of the front reports (memoryProbe.cjs); by pid. `snapshot`: a tag for heap snapshots. */
async function probe(pid, snapshot) {
  fs.writeFileSync(path.join(probeDir, 'ask'), snapshot ? `snapshot:${snapshot}` : 'stats');
  const pids = treePids(pid);
  for (const p of pids) fs.rmSync(path.join(probeDir, `${p}.json`), { force: true });
  for (const p of pids) process.kill(p, 'SIGUSR2');
  const out = new Map();
  for (let waited = 0; out.size < pids.length && waited < 60000; waited += 100) {
    await sleep(100);
    for (const p of pids) {
      const file = path.join(probeDir, `${p}.json`);
      if (!out.has(p) && fs.existsSync(file)) out.set(p, JSON.parse(fs.readFileSync(file, 'utf8')));
    }
  }
  return out;
}

function connect(port, ca) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: HOST, ca, ALPNProtocols: ['http/1.1'] }, () => {
      s.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
      // The response is small: its end is the blank line and the body of the backend.
      s.once('data', () => resolve(s));
    });
    s.on('error', reject);
  });
}

async function openTo(sockets, port, ca, n) {
  while (sockets.length < n)
    sockets.push(
      ...(await Promise.all(Array.from({ length: Math.min(50, n - sockets.length) }, () => connect(port, ca)))),
    );
}

/** Heap snapshot → Map of "kind: constructor" → [count, bytes]. */
function heapByConstructor(file) {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const kinds = snap.snapshot.meta.node_types[0];
  const [t, n, s] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const kind = kinds[snap.nodes[i + t]];
    const name = /string/.test(kind) ? '' : snap.strings[snap.nodes[i + n]].slice(0, 50);
    const key = `${kind}: ${name}`;
    const e = out.get(key) ?? [0, 0];
    e[0]++;
    e[1] += snap.nodes[i + s];
    out.set(key, e);
  }
  fs.rmSync(file);
  return out;
}

async function measure(label, front, ca) {
  const sockets = [];
  await openTo(sockets, front.port, ca, opts.from);
  await sleep(2000);
  const before = await probe(front.pid, opts.objects && 'a');
  await openTo(sockets, front.port, ca, opts.from + opts.conns);
  await sleep(2000);
  const after = await probe(front.pid, opts.objects && 'b');
  const rows = [];
  for (const [pid, b] of after) {
    const a = before.get(pid);
    const conns = a ? b.sockets - a.sockets : 0;
    if (!a || conns < 10) continue;
    const per = (f) => (f(b) - f(a)) / conns / 1024;
    rows.push({
      label,
      pid,
      conns,
      rss: per((r) => r.rss),
      live: per((r) => r.oldUsed),
      young: per((r) => r.young),
      otherHeap: per((r) => r.heapTotal - r.young - r.oldUsed),
      rest: per((r) => r.rss - r.heapTotal),
      snapshots: [a.snapshot, b.snapshot],
    });
  }
  for (const s of sockets) s.destroy();
  return rows;
}

function printObjects(row) {
  const [a, b] = row.snapshots.map((f) => (f ? heapByConstructor(f) : new Map()));
  const grew = [...b].map(([k, [c, bytes]]) => [
    k,
    (c - (a.get(k)?.[0] ?? 0)) / row.conns,
    (bytes - (a.get(k)?.[1] ?? 0)) / row.conns,
  ]);
  const total = grew.reduce((sum, g) => sum + g[2], 0);
  console.log(`\n${row.label} (pid ${row.pid}): ${fmt(total)} bytes of V8 heap per connection, by what grew most`);
  printTable([
    ['kind: constructor', 'bytes/conn', 'objects/conn'],
    ...grew
      .sort((x, y) => y[2] - x[2])
      .slice(0, 15)
      .map(([k, c, bytes]) => [k, fmt(bytes), fmt(c, 2)]),
  ]);
}

async function main() {
  ensureTools();
  console.log(
    `connection memory: ${opts.from} connections in, then ${opts.conns} more, per front: ${opts.fronts.join(', ')}`,
  );
  console.log(machineLine());
  // Every process started from here on has the probe and the daemon's malloc settings.
  Object.assign(process.env, env);
  const backend = await startBackend();
  const fronts = {};
  let certs;
  for (const [label, extra] of [
    ['ours', []],
    ['w0', ['--workers', '0']],
  ]) {
    // The bare Node proxy serves a daemon's CA and certificate: ours starts for them if need be.
    const needed = opts.fronts.includes(label) || (label === 'ours' && !opts.fronts.includes('w0'));
    if (!needed) continue;
    const stateDir = path.join(tmp, `state-${label}`);
    fs.mkdirSync(stateDir, { mode: 0o700 });
    // One CA for every front: the second daemon starts with the first one's.
    if (certs)
      for (const part of ['ca', 'certs'])
        fs.cpSync(path.join(certs.stateDir, part), path.join(stateDir, part), { recursive: true });
    const port = await freePort();
    const child = await serve(label, CLI, stateDir, port, extra);
    const r = cli(['expose', HOST, `http://127.0.0.1:${backend.port}`, '--state-dir', stateDir]);
    if (r.status !== 0) throw new Error(`expose ${HOST} (${label}) failed: ${r.stderr || r.stdout}`);
    certs ??= {
      stateDir,
      ca: fs.readFileSync(path.join(stateDir, 'ca', 'root.pem')),
      cert: path.join(stateDir, 'certs', `${HOST}.pem`),
      key: path.join(stateDir, 'certs', `${HOST}.key`),
    };
    fronts[label] = { port, pid: child.pid };
  }
  if (opts.fronts.includes('node')) fronts.node = await startNodeFloor('node', backend.port, certs);
  const rows = [];
  for (const label of opts.fronts) rows.push(...(await measure(label, fronts[label], certs.ca)));

  console.log('');
  printTable([
    ['front', 'process', 'conns', 'RSS KB/conn', 'live JS', 'young gen', 'other V8', 'rest (malloc)'],
    ...rows.map((r) => [
      r.label,
      String(r.pid),
      String(r.conns),
      fmt(r.rss, 1),
      fmt(r.live, 1),
      fmt(r.young, 1),
      fmt(r.otherHeap, 1),
      fmt(r.rest, 1),
    ]),
  ]);
  const live = (label) => {
    const mine = rows.filter((r) => r.label === label);
    return mine.reduce((s, r) => s + r.live * r.conns, 0) / mine.reduce((s, r) => s + r.conns, 0);
  };
  if (rows.some((r) => r.label === 'node'))
    for (const label of opts.fronts.filter((f) => f !== 'node'))
      console.log(`${label}/node live JS per connection: ${(live(label) / live('node')).toFixed(2)} (lower is better)`);
  if (opts.objects) {
    console.log('(--objects: the heap snapshots themselves take memory; read RSS and malloc from a run without it)');
    for (const label of opts.fronts) {
      const top = rows.filter((r) => r.label === label).sort((x, y) => y.conns - x.conns)[0];
      if (top) printObjects(top);
    }
  }
}

await runBenchmark(main);
