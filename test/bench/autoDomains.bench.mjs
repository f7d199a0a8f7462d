// Automatic container names (serve --auto-domains compose) against the real engine:
//   1. `docker start` (the API call) of a new compose container → its automatic name
//      https://<service>.<project>.localhost answering 200 through `container-https serve`
//      (dist/cli.js), TLS verified against its CA; a new container (and name, and certificate)
//      every run. Once with one exposed port (no probe), once with two HTTP ports (probed).
//      Also when the route and its certificate appeared, as seen on the control API.
//      Side by side, the same for a label route (container-https.host), which the automatic
//      names are held to ("< 250 ms, as for label routes"), and the ratio.
//   2. `docker-compose up -d` of a project of 20 services (one HTTP port each) → every automatic
//      name answering 200 over verified HTTPS: the time per service, its distribution, and the
//      last one (target < 2 s), next to the time the compose command itself took.
//   3. Local CA certificate issuance (LocalCa.issueLeaf, bundled from source), the time a name
//      waits for its certificate at most.
//
//   node test/bench/autoDomains.bench.mjs [--runs 10] [--services 20] [--json FILE]
//
// It creates its containers from the test image (chs-test/busybox:1) with a unique name and
// compose project prefix and removes exactly those.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  Docker,
  IMAGE,
  ROOT,
  control,
  esbuild,
  median,
  parseOptions,
  pct,
  require,
  sleep,
  startServe as startEngineServe,
  statusOf,
} from './lib/engineBench.mjs';

const opts = parseOptions(process.argv.slice(2), { runs: 10, services: 20, json: '' });

const TWO_PORTS = [
  '/bin/sh',
  '-c',
  'mkdir -p /w9 && echo nine > /w9/index.html && httpd -p 9000 -h /w9 && exec httpd -f -p 8000 -h /www',
];

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const prefix = `chs-bench-${randomBytes(3).toString('hex')}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chs-bench-auto-'));
const created = [];
let serve;

async function startServe() {
  const started = await startEngineServe(tmp, ['--auto-domains', 'compose']);
  serve = started.child;
  return started;
}

/** Polls until check() is true; returns the time it first was, relative to t0. */
async function when(t0, check, timeoutMs = 30_000, intervalMs = 5) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return performance.now() - t0;
    await sleep(intervalMs);
  }
  throw new Error('timed out');
}

async function startToName(server, kind, runs) {
  const out = { api: [], route: [], cert: [], https: [] };
  for (let i = 0; i < runs; i++) {
    const service = `${kind}${i}`;
    const host = `${service}.${prefix}.localhost`;
    const c = await docker.createContainer({
      name: `${prefix}-${service}`,
      Image: IMAGE,
      Labels:
        kind === 'label'
          ? { 'container-https.host': host }
          : { 'com.docker.compose.project': prefix, 'com.docker.compose.service': service },
      ...(kind === 'two' ? { Cmd: TWO_PORTS, ExposedPorts: { '8000/tcp': {}, '9000/tcp': {} } } : {}),
    });
    created.push(c.id);
    const t0 = performance.now();
    await c.start();
    out.api.push(performance.now() - t0);
    const [route, cert, ok] = await Promise.all([
      when(t0, async () =>
        (await control(server.stateDir, 'GET', '/v1/routes')).routes.some(
          (r) => r.host === host && r.source === (kind === 'label' ? 'label' : 'auto'),
        ),
      ),
      when(t0, async () => (await control(server.stateDir, 'GET', '/v1/certs')).certs.some((x) => x.host === host)),
      when(t0, async () => (await statusOf(host, server.port, server.ca)) === 200),
    ]);
    out.route.push(route);
    out.cert.push(cert);
    out.https.push(ok);
    await c.remove({ force: true });
  }
  return out;
}

/** Runs a command to its end; resolves with its exit code and output. */
function run(cmd, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

let composeDir;
let composeProject;

/** `docker-compose up -d` of `count` services → each automatic name answering 200; ms per service from the command's start. */
async function composeUp(server, count) {
  composeProject = `${prefix}c`;
  composeDir = path.join(tmp, 'compose');
  fs.mkdirSync(composeDir);
  const services = Array.from({ length: count }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
  fs.writeFileSync(
    path.join(composeDir, 'docker-compose.yml'),
    `version: "3"\nservices:\n${services.map((s) => `  ${s}:\n    image: ${IMAGE}\n`).join('')}`,
  );
  // Each container's start as the engine reports it (epoch ms), to tell our part from compose's.
  const started = new Map();
  const events = await docker.getEvents({
    filters: { type: ['container'], event: ['start'], label: [`com.docker.compose.project=${composeProject}`] },
  });
  let buffer = '';
  events.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const ev = JSON.parse(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      started.set(ev.Actor.Attributes['com.docker.compose.service'], ev.timeNano / 1e6);
    }
  });
  const t0 = performance.now();
  const up = run('docker-compose', ['-p', composeProject, 'up', '-d', '--no-color'], composeDir).then((r) => ({
    ...r,
    ms: performance.now() - t0,
  }));
  // 20 pollers each opening a TLS connection every few ms would load the 2 cores they measure:
  // one control-API poll says which names are routed, and only those are asked over HTTPS.
  const routed = new Set();
  let polling = true;
  const routesPoll = (async () => {
    while (polling) {
      const { routes } = await control(server.stateDir, 'GET', '/v1/routes');
      for (const r of routes) if (r.source === 'auto') routed.add(r.host);
      await sleep(10);
    }
  })();
  const perService = await Promise.all(
    services.map((s) => {
      const host = `${s}.${composeProject}.localhost`;
      return when(t0, async () => routed.has(host) && (await statusOf(host, server.port, server.ca)) === 200, 60_000);
    }),
  );
  polling = false;
  await routesPoll;
  const done = await up;
  events.destroy();
  if (done.code !== 0) throw new Error(`docker-compose up failed: ${done.out}`);
  const fromStart = services.map((s, i) => performance.timeOrigin + t0 + perService[i] - started.get(s));
  return { services, perService, fromStart, composeMs: done.ms };
}

function composeDown() {
  if (!composeDir) return;
  spawnSync('docker-compose', ['-p', composeProject, 'down', '-t', '0'], { cwd: composeDir, stdio: 'ignore' });
  composeDir = undefined;
}

async function issuance(runs) {
  const file = path.join(tmp, 'localCa.cjs');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'proxy-core/src/certs/localCa.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: file,
    logLevel: 'warning',
  });
  const { LocalCa } = require(file);
  const { ca } = await LocalCa.loadOrCreate(path.join(tmp, 'ca'));
  await ca.issueLeaf(`warm.${prefix}.localhost`);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await ca.issueLeaf(`n${i}.${prefix}.localhost`);
    times.push(performance.now() - t0);
  }
  return times;
}

async function cleanup() {
  if (serve && serve.exitCode === null) serve.kill('SIGTERM');
  composeDown();
  for (const id of created.splice(0))
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
}

process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

let code = 0;
try {
  const version = await docker.version();
  console.log(`engine ${version.Version}, API ${version.ApiVersion}; ${os.cpus().length} CPUs`);
  const server = await startServe();
  const label = await startToName(server, 'label', opts.runs);
  const one = await startToName(server, 'one', opts.runs);
  const two = await startToName(server, 'two', opts.runs);
  const compose = await composeUp(server, opts.services);
  composeDown();
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  serve = undefined;
  const leaf = await issuance(Math.max(20, opts.runs));
  const rows = [
    ['docker start -> HTTPS 200, label route (container-https.host), for comparison', label.https],
    ['  of which the engine start API call', label.api],
    ['docker start -> HTTPS 200, one port (no probe)', one.https, 250],
    ['  of which the engine start API call', one.api],
    ['  route listed (GET /v1/routes)', one.route],
    ['  certificate stored (GET /v1/certs)', one.cert],
    ['docker start -> HTTPS 200, two HTTP ports (probed)', two.https, 1000],
    ['  of which the engine start API call', two.api],
    ['  route listed (GET /v1/routes)', two.route],
    ['  certificate stored (GET /v1/certs)', two.cert],
    [`docker-compose up -d of ${opts.services} services -> each name HTTPS 200`, compose.perService],
    ['  the last name answering (all of them)', [Math.max(...compose.perService)], 2000],
    ['  the docker-compose command itself', [compose.composeMs]],
    ["  each container's start event -> its name HTTPS 200", compose.fromStart, 250],
    ['local CA issuance (issueLeaf, in process)', leaf],
  ];
  console.log('\n| measurement | runs | median ms | p90 ms | max ms | target ms | |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, xs, target] of rows) {
    const med = median(xs);
    const verdict = target === undefined ? '' : med < target ? 'ok' : 'MISSED';
    console.log(
      `| ${name} | ${xs.length} | ${med.toFixed(1)} | ${pct(xs, 90).toFixed(1)} | ${Math.max(...xs).toFixed(1)} | ${target === undefined ? '' : `< ${target}`} | ${verdict} |`,
    );
  }
  const ratio = median(one.https) / median(label.https);
  const overhead = (xs) => median(xs.https.map((v, i) => v - xs.api[i]));
  console.log(
    `\nautomatic name (one port) / label route, start -> HTTPS 200: ${ratio.toFixed(2)}x; after the start call returned: ${overhead(one).toFixed(1)} ms vs ${overhead(label).toFixed(1)} ms (medians)`,
  );
  console.log(
    `\ndocker-compose up of ${opts.services} services, ms from the command's start to each name's first HTTPS 200:`,
  );
  console.log(compose.services.map((s, i) => `${s} ${compose.perService[i].toFixed(0)}`).join(', '));
  console.log("and from each container's start event:");
  console.log(compose.services.map((s, i) => `${s} ${compose.fromStart[i].toFixed(0)}`).join(', '));
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ label, one, two, compose, issuance: leaf }, null, 2));
} catch (err) {
  console.error(err instanceof Error ? err.stack : err);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
