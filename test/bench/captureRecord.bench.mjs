// Request capture's own work, without a network: drives capture/exchangeCapture.ts as
// proxy/httpsProxy.ts does for one GET (a wrk-like request, nginx-like response headers, a
// 33-byte body) into a CaptureBuffer of 1000, and prints the CPU per request (all threads of
// this process, the garbage collector's included) and the heap each kept record holds.
// Steadier than the daemon A/B (capture.bench.mjs) on a busy machine; compare builds by
// passing another checkout's compiled out/ directory:
//
//   npx tsc -p tsconfig.json && node test/bench/captureRecord.bench.mjs [OUT_DIR] [--requests N]
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v8 from 'node:v8';
import { ROOT } from './lib/harness.mjs';

const args = process.argv.slice(2);
const at = args.indexOf('--requests');
const N = at === -1 ? 200_000 : Number(args.splice(at, 2)[1]);
const out = path.resolve(args[0] ?? path.join(ROOT, 'out'));
if (typeof globalThis.gc !== 'function') {
  // `npm run bench` starts every script without flags: run again with the collector exposed.
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}
const require = createRequire(import.meta.url);
const { ExchangeCapture } = require(path.join(out, 'proxy-core/src/capture/exchangeCapture.js'));
const { CaptureBuffer } = require(path.join(out, 'proxy-core/src/capture/captureBuffer.js'));

const buffer = new CaptureBuffer({ maxRequests: 1000, maxBytes: 32 << 20 });
const sink = { bodyBytes: 64 * 1024, publish: (r) => buffer.add(r) };
const socket = { remoteAddress: '127.0.0.1', remotePort: 40000 };
const hostHeader = 'bench.localhost:8443';
const upstreamHead = ['Server', 'nginx/1.22.1', 'Date', 'Wed, 02 Dec 2026 03:00:00 GMT', 'Content-Type', 'text/plain']
  .concat(['Content-Length', '33', 'Connection', 'keep-alive'])
  .map((s) => Buffer.from(s));
const body = Buffer.from('hello from the benchmark backend\n');

function one(i) {
  // Fresh per request, as Node's parser and undici make them.
  const req = {
    headers: { host: hostHeader },
    rawHeaders: ['Host', `${hostHeader}`, 'User-Agent', 'wrk', 'Accept', '*/*'],
    socket,
    method: 'GET',
    url: `/item/${i % 7}`,
    httpVersionMajor: 1,
  };
  const res = Object.assign(new EventEmitter(), { writableFinished: true, headersSent: true, statusCode: 200 });
  const cap = new ExchangeCapture(sink, req, res, hostHeader.slice(0, 15).toLowerCase(), undefined);
  cap.routed('web@docker', 'http://127.0.0.1:5000', 'http://127.0.0.1:5000/');
  cap.onDispatch();
  cap.onConnect();
  cap.onResponseHead(
    200,
    upstreamHead.map((b) => Buffer.from(b)),
  );
  cap.onResponseData(Buffer.from(body));
  res.emit('close');
}

for (let i = 0; i < 20_000; i++) one(i);
const cpu0 = process.cpuUsage();
for (let i = 0; i < N; i++) one(i);
const cpu = process.cpuUsage(cpu0);
globalThis.gc();
globalThis.gc();
const held = v8.getHeapStatistics().used_heap_size;
const kept = buffer.clear();
globalThis.gc();
globalThis.gc();
const freed = held - v8.getHeapStatistics().used_heap_size;
console.log(
  `${path.relative(process.cwd(), out) || out}: ${((cpu.user + cpu.system) / N).toFixed(2)} µs CPU per request, ${(freed / kept).toFixed(0)} bytes of heap per kept record (${N} requests, ${kept} kept)`,
);
