// Network namespaces of the test run's own (`ip netns`), with only loopback up: what runs in one
// (an engine's bridge, its firewall rules and sysctls) never reaches the machine's own network,
// and goes when the namespace is deleted.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';

/** Creates `<prefix><6 hex>` with loopback up; returns its name, or throws with `ip`'s own words. */
export function addNamespace(prefix) {
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip netns add ${name}: ${(add.stderr || add.error?.message || '').trim()}`);
  spawnSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/**
 * The command prefix that runs a program in the namespace: `nsenter --net`, not `ip netns exec`,
 * which also remounts /sys without the cgroup mounts that dockerd, podman and runc need.
 */
export function inNamespace(name) {
  return ['nsenter', `--net=/run/netns/${name}`];
}

/** Kills whatever still runs in the namespace, then deletes it; false if it is still there. */
export function deleteNamespace(name) {
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  return !(existsSync('/run/netns') && readdirSync('/run/netns').includes(name));
}
