// Preloaded (node --require) into every process of a front by connMemory.bench.mjs: on SIGUSR2 it
// runs a full collection, then writes what the process holds to CHS_PROBE_DIR/<pid>.json, and, when
// the bench asks for it in CHS_PROBE_DIR/ask, a heap snapshot beside it. Nothing else changes.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

const dir = process.env.CHS_PROBE_DIR;
if (dir) {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  process.on('SIGUSR2', () => {
    gc();
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s]));
    const sockets = fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
    const m = process.memoryUsage();
    const report = {
      rss: m.rss,
      heapTotal: m.heapTotal,
      oldUsed: spaces.old_space.space_used_size,
      young: spaces.new_space.space_size,
      external: m.external,
      sockets,
    };
    let ask = '';
    try {
      ask = fs.readFileSync(path.join(dir, 'ask'), 'utf8').trim();
    } catch {
      // stats only
    }
    if (ask.startsWith('snapshot:'))
      report.snapshot = v8.writeHeapSnapshot(path.join(dir, `${process.pid}-${ask.slice(9)}.heapsnapshot`));
    fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(report));
  });
}
