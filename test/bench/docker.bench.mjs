// Docker discovery benchmark against the real engine:
//   1. time from `docker start` (the API call) to the container's label route answering over
//      HTTPS through `container-https serve` (dist/cli.js), verified against its CA — target < 250 ms;
//   2. time to list and model N running containers (default 200) — target < 1 s.
//
//   node test/bench/docker.bench.mjs [--runs 15] [--containers 200 | 0 to skip] [--json FILE]
//
// It creates its containers from the test image (chs-test/busybox:1, built by the test
// services) with a unique name prefix and removes exactly those at the end.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
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

const opts = parseOptions(process.argv.slice(2), { runs: 15, containers: 200, json: '' });

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const prefix = `chs-bench-${randomBytes(3).toString('hex')}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chs-bench-docker-'));
const created = [];
let serve;

async function startServe() {
  const started = await startEngineServe(tmp);
  serve = started.child;
  return started;
}

async function until(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(5);
  }
  throw new Error(`timed out: ${what}`);
}

async function startToHttps() {
  const { stateDir, port, ca } = await startServe();
  const host = `${prefix}.localhost`;
  const c = await docker.createContainer({
    name: `${prefix}-start`,
    Image: IMAGE,
    Labels: { 'container-https.host': host, 'container-https.port': '8000' },
  });
  created.push(c.id);
  // The route and its certificate exist before the first start (created container → 503).
  await until('label route with certificate', async () =>
    (await control(stateDir, 'GET', '/v1/certs')).certs.some((x) => x.hosts?.includes(host) || x.host === host),
  );
  const agent = new https.Agent({ keepAlive: true, ca, maxSockets: 1 });
  await until('503 before start', async () => (await statusOf(host, port, agent)) === 503);
  const times = [];
  const api = [];
  for (let i = 0; i < opts.runs; i++) {
    const t0 = performance.now();
    await c.start();
    api.push(performance.now() - t0);
    await until('route answers 200', async () => (await statusOf(host, port, agent)) === 200);
    times.push(performance.now() - t0);
    await c.stop({ t: 0 });
    await until('503 after stop', async () => (await statusOf(host, port, agent)) === 503);
  }
  agent.destroy();
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  serve = undefined;
  return { times, api };
}

async function listAndModel() {
  // The watcher and model exactly as the daemon runs them, bundled from source.
  const out = path.join(tmp, 'watcher.cjs');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'proxy-core/src/docker/dockerWatcher.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: out,
    logLevel: 'warning',
    external: ['cpu-features', '*.node'],
  });
  const { DockerWatcher } = require(out);

  process.stdout.write(`creating and starting ${opts.containers} containers `);
  const tCreate = performance.now();
  const queue = Array.from({ length: opts.containers }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const c = await docker.createContainer({
          name: `${prefix}-n${i}`,
          Image: IMAGE,
          Labels: {
            'com.docker.compose.project': prefix,
            'com.docker.compose.service': `s${i % 10}`,
            'container-https.host': `n${i}.${prefix}.localhost`,
          },
        });
        created.push(c.id);
        await c.start();
        if (i % 20 === 0) process.stdout.write('.');
      }
    }),
  );
  console.log(` ${((performance.now() - tCreate) / 1000).toFixed(1)} s`);
  const running = (await docker.listContainers({ filters: { name: [prefix] } })).length;

  const endpoint = {
    url: 'unix:///var/run/docker.sock',
    source: 'bench',
    local: true,
    modem: { socketPath: '/var/run/docker.sock', host: undefined, port: undefined, protocol: 'http' },
  };
  const connectListModel = [];
  for (let i = 0; i < 5; i++) {
    const w = new DockerWatcher({ endpoint, log: () => undefined });
    const t0 = performance.now();
    await w.start();
    connectListModel.push(performance.now() - t0);
    if (!w.status.connected) throw new Error(w.status.error);
    const mine = w.list().filter((c) => c.info.compose?.project === prefix && c.info.state === 'running').length;
    if (mine !== opts.containers) throw new Error(`modelled ${mine} of ${opts.containers} containers`);
    await w.close();
  }
  return { running, connectListModel };
}

async function cleanup() {
  if (serve && serve.exitCode === null) serve.kill('SIGTERM');
  const ids = created.splice(0);
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let id = queue.shift(); id; id = queue.shift())
        await docker
          .getContainer(id)
          .remove({ force: true })
          .catch(() => undefined);
    }),
  );
  fs.rmSync(tmp, { recursive: true, force: true });
}

process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

let code = 0;
try {
  const version = await docker.version();
  console.log(`engine ${version.Version}, API ${version.ApiVersion}; ${os.cpus().length} CPUs`);
  const { times: start, api } = await startToHttps();
  const rows = [
    [
      'docker start -> HTTPS 200 (label route)',
      `${opts.runs} runs`,
      median(start),
      pct(start, 90),
      Math.max(...start),
      250,
    ],
    [
      "  of which the engine's start API call",
      `${opts.runs} runs`,
      median(api),
      pct(api, 90),
      Math.max(...api),
      undefined,
    ],
  ];
  let connectListModel = [];
  if (opts.containers > 0) {
    const listed = await listAndModel();
    connectListModel = listed.connectListModel;
    rows.push([
      `connect + list + model ${opts.containers} running`,
      `5 runs, ${listed.running} of ours running`,
      median(connectListModel),
      pct(connectListModel, 90),
      Math.max(...connectListModel),
      1000,
    ]);
  }
  console.log('\n| measurement | runs | median ms | p90 ms | max ms | target ms | |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, runs, med, p90, max, target] of rows) {
    const verdict = target === undefined ? '' : med < target ? 'ok' : 'MISSED';
    console.log(
      `| ${name} | ${runs} | ${med.toFixed(1)} | ${p90.toFixed(1)} | ${max.toFixed(1)} | ${target === undefined ? '' : `< ${target}`} | ${verdict} |`,
    );
  }
  if (opts.json)
    fs.writeFileSync(opts.json, JSON.stringify({ start, api, connectListModel, containers: opts.containers }, null, 2));
} catch (err) {
  console.error(err instanceof Error ? err.stack : err);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
