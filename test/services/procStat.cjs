// What /proc/PID/stat says of a process: the one reader of it for the test harness (network
// namespaces, interrupted runs) and the compiled tests (test/support/sockets.ts). CommonJS, so
// both the harness's ES modules, which run before anything is compiled, and the tests can load it.
'use strict';
const { readdirSync, readFileSync } = require('node:fs');

/** State (R, S, Z…), parent and process group of `pid`; undefined once it has gone. */
function procStat(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces or parentheses itself.
  const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state, ppid: Number(ppid), pgrp: Number(pgrp) };
}

/** Whether the process runs: a zombie (exited, its parent not yet told) has gone for this purpose. */
function running(pid) {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** The pids of every process there is now. */
function allPids() {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

module.exports = { procStat, running, allPids };
