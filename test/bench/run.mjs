// `npm run bench`: runs every test/bench/*.bench.mjs in sequence (each a standalone script that
// prints its own table), passing the arguments through. Benchmarks are never part of `npm test`.
//   node test/bench/run.mjs [--only SUBSTRING] [args...]
// The remaining args go to every selected script, so pair them with --only, e.g.
//   npm run bench -- --only proxy --rounds 5 --duration 15
//   npm run bench -- --only routing --rounds 1 --duration 3   (routing cost: 200 routers vs 1)
// Scripts: docker.bench.mjs (discovery), proxy.bench.mjs (ours vs nginx and Caddy),
// routing.bench.mjs (200 routers on 50 hosts vs one, ours and nginx), lan.bench.mjs (a request
// from the LAN vs one from loopback; root, network namespaces), footprint.bench.mjs (c=1 latency,
// 64 MB streaming, idle RSS and per-connection memory, ours vs nginx and a bare Node proxy),
// connMemory.bench.mjs (what an idle TLS connection holds once collected, ours vs a bare Node
// proxy), capture.bench.mjs (request capture on vs --no-capture, daemons alone), captureRecord.bench.mjs
// (capture's own CPU and heap per record, no network; needs `npx tsc` output in out/); shared
// code in lib/.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('.', import.meta.url).pathname;
const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt === -1 ? undefined : argv.splice(onlyAt, 2)[1];

const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs') && (!only || f.includes(only)))
  .sort();
if (!scripts.length) {
  console.error(`no benchmark scripts in ${dir}${only ? ` matching "${only}"` : ''}`);
  process.exit(1);
}

let failed = 0;
for (const script of scripts) {
  console.log(`\n=== ${script} ===`);
  const r = spawnSync(process.execPath, [join(dir, script), ...argv], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${script} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
