// Network namespaces of the test run's own (`ip netns`), with only loopback up: what runs in one
// (an engine's bridge, its firewall rules and sysctls) never reaches the machine's own network,
// and goes when the namespace is deleted. The one home for them: the harness (scripts/test.mjs,
// test/services/podman.mjs) and the tests' own namespaces (test/support/netns.ts, which types
// this module for the compiled tests) all make, enter and delete them here. CommonJS, so that
// both the ES modules of the harness, which run before anything is compiled, and the compiled
// tests can load it.
'use strict';
const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, readdirSync } = require('node:fs');
const { allPids, procStat, running } = require('./procStat.cjs');

/** Creates the namespace `name` with loopback up, or throws with `ip`'s own words. */
function createNamespace(name) {
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip netns add ${name}: ${(add.stderr || add.error?.message || '').trim()}`);
  spawnSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/**
 * `<name>-p<pid>`: a name that says which process the namespace belongs to. A test file killed
 * before its cleanup could run (SIGKILL, or a crash while writing to a runner that had gone) leaves
 * its namespaces behind; with the owner in the name, sweepOrphans finds them once the owner is gone.
 */
function ownedName(name, owner = process.pid) {
  return `${name}-p${owner}`;
}

/** Creates `<prefix><6 hex>-p<owner>` with loopback up; returns its name, or throws with `ip`'s own words. */
function addNamespace(prefix, owner = process.pid) {
  return createNamespace(ownedName(`${prefix}${randomBytes(3).toString('hex')}`, owner));
}

/**
 * The command prefix that runs a program in the namespace: `nsenter --net`, not `ip netns exec`,
 * which also remounts /sys without the cgroup mounts that dockerd, podman and runc need.
 */
function inNamespace(name) {
  return ['nsenter', `--net=/run/netns/${name}`];
}

/** The processes in the namespace (none if it is not there). */
function namespacePids(name) {
  const r = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' });
  return (r.status === 0 ? r.stdout : '').split('\n').filter(Boolean).map(Number);
}

/**
 * SIGKILLs what runs in the namespace and everything those started, wherever it runs: an engine's
 * containers are in namespaces of their own, below its shims. Returns how many it signalled.
 */
function killNamespace(name) {
  const pids = new Set(namespacePids(name));
  if (pids.size === 0) return 0;
  const parents = new Map();
  for (const pid of allPids()) {
    const stat = procStat(pid); // undefined: exited meanwhile
    if (stat) parents.set(pid, stat.ppid);
  }
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parents)
      if (pids.has(ppid) && !pids.has(pid)) {
        pids.add(pid);
        grew = true;
      }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids.size;
}

/** Kills whatever still runs in the namespace (killNamespace), then deletes it; false if it is still there. */
function deleteNamespace(name) {
  killNamespace(name);
  spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  return !(existsSync('/run/netns') && readdirSync('/run/netns').includes(name));
}

/**
 * Deletes the namespaces named `<prefix>…-p<pid>` whose owner has gone (deleteNamespace, so what
 * still ran in them goes too) and returns their names. A namespace with a live owner, or without
 * an owner in its name, is left alone: another run may be using it.
 */
function sweepOrphans(prefix = 'chs-') {
  if (!existsSync('/run/netns')) return [];
  const swept = [];
  for (const name of readdirSync('/run/netns')) {
    const owner = name.startsWith(prefix) ? /-p(\d+)$/.exec(name) : null;
    if (!owner || running(Number(owner[1]))) continue;
    if (deleteNamespace(name)) swept.push(name);
  }
  return swept;
}

module.exports = {
  createNamespace,
  ownedName,
  addNamespace,
  inNamespace,
  namespacePids,
  killNamespace,
  deleteNamespace,
  sweepOrphans,
};
