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
const { existsSync, readdirSync, readFileSync } = require('node:fs');

/** Creates the namespace `name` with loopback up, or throws with `ip`'s own words. */
function createNamespace(name) {
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip netns add ${name}: ${(add.stderr || add.error?.message || '').trim()}`);
  spawnSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/** Creates `<prefix><6 hex>` with loopback up; returns its name, or throws with `ip`'s own words. */
function addNamespace(prefix) {
  return createNamespace(`${prefix}${randomBytes(3).toString('hex')}`);
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
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
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

module.exports = { createNamespace, addNamespace, inNamespace, namespacePids, killNamespace, deleteNamespace };
