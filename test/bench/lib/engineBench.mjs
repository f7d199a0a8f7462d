// What the benchmarks against the real Docker engine share: the engine and test image, a
// `container-https serve` of their own on the real engine, its control socket, and the status
// of one HTTPS request (verified against the serve's CA, or through a given agent).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export const ROOT = new URL('../../..', import.meta.url).pathname;
/** For CommonJS files: dockerode, esbuild, and the bundles the benchmarks build from source. */
export const require = createRequire(import.meta.url);
export const Docker = require(path.join(ROOT, 'node_modules', 'dockerode'));
export const esbuild = require(path.join(ROOT, 'node_modules', 'esbuild'));
export const CLI = process.env.CHS_BENCH_CLI ?? path.join(ROOT, 'dist', 'cli.js');
export const IMAGE = process.env.CHS_TEST_IMAGE ?? 'chs-test/busybox:1';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

/** `--name value` flags into `defaults` (numbers stay numbers); anything else is an error. */
export function parseOptions(argv, defaults) {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(name in defaults)) throw new Error(`unknown option ${argv[i]}`);
    opts[name] = typeof defaults[name] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return opts;
}

/** One control API call over the serve's socket; rejects on a non-200 answer. */
export function control(stateDir, method, p) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: path.join(stateDir, 'control.sock'), path: p, method }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${p}: ${res.statusCode} ${body}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** `serve` on the real engine with a state dir under `tmp`; resolves once it answers and is connected. */
export async function startServe(tmp, extraArgs = []) {
  const stateDir = path.join(tmp, 'state');
  let output = '';
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--state-dir', stateDir, '--https-port', '0', '--no-http', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  for (let i = 0; i < 300; i++) {
    const status = await control(stateDir, 'GET', '/v1/status').catch(() => undefined);
    if (status) {
      if (!status.docker.connected) throw new Error(`serve is not connected to Docker: ${status.docker.error}`);
      const ca = fs.readFileSync(path.join(stateDir, 'ca', 'root.pem'), 'utf8');
      return { child, stateDir, port: status.https.port, ca };
    }
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`serve did not start: ${output}`);
}

/** The status of GET / for `host` (0 when the request fails); `tls` is an agent or a CA to verify against. */
export function statusOf(host, port, tls) {
  const verify = typeof tls === 'string' ? { ca: tls, agent: false } : { agent: tls };
  return new Promise((resolve) => {
    const req = https.request(
      { host: '127.0.0.1', port, servername: host, path: '/', headers: { host: `${host}:${port}` }, ...verify },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}
