// Automatic container names (serve --auto-domains compose) against the real engine:
//   1. `docker start` (the API call) of a new compose container → its automatic name
//      https://<service>.<project>.localhost answering 200 through `container-https serve`
//      (dist/cli.js), TLS verified against its CA; a new container (and name, and certificate)
//      every run. Once with one exposed port (no probe), once with two HTTP ports (probed).
//      Also when the route and its certificate appeared, as seen on the control API.
//   2. Local CA certificate issuance (LocalCa.issueLeaf, bundled from source), the time a name
//      waits for its certificate at most.
//
//   node test/bench/autoDomains.bench.mjs [--runs 10] [--json FILE]
//
// It creates its containers from the test image (chs-test/busybox:1) with a unique name and
// compose project prefix and removes exactly those.
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

const opts = parseOptions(process.argv.slice(2), { runs: 10, json: '' });

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
async function when(t0, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return performance.now() - t0;
    await sleep(5);
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
      Labels: { 'com.docker.compose.project': prefix, 'com.docker.compose.service': service },
      ...(kind === 'two' ? { Cmd: TWO_PORTS, ExposedPorts: { '8000/tcp': {}, '9000/tcp': {} } } : {}),
    });
    created.push(c.id);
    const t0 = performance.now();
    await c.start();
    out.api.push(performance.now() - t0);
    const [route, cert, ok] = await Promise.all([
      when(t0, async () =>
        (await control(server.stateDir, 'GET', '/v1/routes')).routes.some(
          (r) => r.host === host && r.source === 'auto',
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
  const one = await startToName(server, 'one', opts.runs);
  const two = await startToName(server, 'two', opts.runs);
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  serve = undefined;
  const leaf = await issuance(Math.max(20, opts.runs));
  const rows = [
    ['docker start -> HTTPS 200, one port (no probe)', one.https, 250],
    ['  of which the engine start API call', one.api],
    ['  route listed (GET /v1/routes)', one.route],
    ['  certificate stored (GET /v1/certs)', one.cert],
    ['docker start -> HTTPS 200, two HTTP ports (probed)', two.https, 1000],
    ['  of which the engine start API call', two.api],
    ['  route listed (GET /v1/routes)', two.route],
    ['  certificate stored (GET /v1/certs)', two.cert],
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
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ one, two, issuance: leaf }, null, 2));
} catch (err) {
  console.error(err instanceof Error ? err.stack : err);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
