// A real rootful Podman for the tests: `podman system service` (the Docker-compatible API) in a
// temp dir and a network namespace of its own, so that nothing it does reaches the machine or the
// shared dockerd: its storage, run dir, network configs, events log and API socket live in the
// temp dir; its bridge, netavark's firewall rules and sysctls live in the namespace. The suites
// that run against it (test/docker/podman.test.ts) run in the same namespace, where the
// containers' IPs are reachable, and reach the API through the unix socket (the file system is shared).
//
// Env for the tests: CHS_TEST_PODMAN_HOST (unix://…/podman.sock), CHS_TEST_PODMAN_NETNS, and
// CHS_TEST_PODMAN_DIR (its containers.conf and storage.conf, for the podman CLI that podman-compose runs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_IMAGE, TEST_IMAGE_CHANGES, makeTestRootfs } from './docker.mjs';
import { addNamespace, deleteNamespace, inNamespace } from './netns.cjs';
import { hasPackage } from './packages.mjs';
import { log, missing, waitFor } from './util.mjs';

/** This process's hard limit for one resource (prlimit names), from /proc/self/limits. */
function hardLimit(title) {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(title));
  const value = line?.slice(26).trim().split(/\s+/)[1];
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Podman gives rootful containers nofile and nproc limits of 1048576 unless told otherwise, and
 * here (no CAP_SYS_RESOURCE beyond the hard limits) runc cannot raise them: "setrlimit
 * RLIMIT_NOFILE: Operation not permitted". The service lowers its own nproc limit to 32768.
 */
function ulimits() {
  const nofile = hardLimit('Max open files') ?? 1024;
  const nproc = Math.min(hardLimit('Max processes') ?? 4096, 32768);
  return [`nofile=${nofile}:${nofile}`, `nproc=${nproc}:${nproc}`];
}

function writeConfig(dir) {
  // runc, not crun: Debian 12's crun refuses cgroup v1 hybrid hierarchies ("cgroups in hybrid mode not supported").
  // cgroupfs and a file events log: there is no systemd or journald here.
  writeFileSync(
    join(dir, 'containers.conf'),
    [
      '[containers]',
      `default_ulimits = [${ulimits()
        .map((u) => JSON.stringify(u))
        .join(', ')}]`,
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(dir, 'events.log')}"`,
      'runtime = "runc"',
      `tmp_dir = "${join(dir, 'tmp')}"`,
      '[network]',
      'network_backend = "netavark"',
      `network_config_dir = "${join(dir, 'networks')}"`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'storage.conf'),
    [
      '[storage]',
      'driver = "overlay"',
      `graphroot = "${join(dir, 'root')}"`,
      `runroot = "${join(dir, 'run')}"`,
      '',
    ].join('\n'),
  );
}

export async function setup() {
  if (!hasPackage('podman')) return missing('podman', 'podman is not installed');
  if (!hasPackage('netavark')) return missing('podman', "netavark (Podman's network backend) is not installed");
  if (process.getuid?.() !== 0)
    return missing('podman', 'a rootful podman service (and its network namespace) needs root');
  // Podman keeps a few things at fixed paths whatever its config says (its shared-memory locks,
  // netavark's run dir, the blob-info cache): those that were not there before are removed after.
  const fixedPaths = ['/dev/shm/libpod_lock', '/run/containers', '/var/lib/containers'].filter((p) => !existsSync(p));
  const dir = mkdtempSync('/tmp/chs-pm-');
  let netns;
  const socket = join(dir, 'podman.sock');
  writeConfig(dir);
  const env = {
    ...process.env,
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
  };
  const podman = (args, opts = {}) =>
    spawnSync('podman', ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), ...args], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
      ...opts,
    });
  let child;
  const cleanup = () => {
    podman(['rm', '--all', '--force', '--time', '0']);
    if (child && child.exitCode === null) child.kill('SIGTERM');
    // conmon and anything else the service left in the namespace go with it.
    const deleted = deleteNamespace(netns);
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((m) => m && m.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    for (const p of fixedPaths) rmSync(p, { recursive: true, force: true });
    return deleted;
  };

  try {
    netns = addNamespace('chs-pm-');
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return missing('podman', err.message);
  }
  log(`starting podman system service in network namespace ${netns} (${dir})`);
  const out = openSync(join(dir, 'service.log'), 'a');
  const [nsenter, ...nsArgs] = inNamespace(netns);
  child = spawn(
    nsenter,
    [
      ...nsArgs,
      'podman',
      '--root',
      join(dir, 'root'),
      '--runroot',
      join(dir, 'run'),
      'system',
      'service',
      '--time=0',
      `unix://${socket}`,
    ],
    // Its own dir as the working directory: conmon inherits it, and fails if it is gone ("Failed to get working directory").
    { env, cwd: dir, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  const answers = () =>
    spawnSync('curl', ['-sf', '--unix-socket', socket, 'http://podman/_ping'], { stdio: 'ignore' }).status === 0;
  if (!(await waitFor(answers, { timeoutMs: 30000, intervalMs: 200 }))) {
    const why = `podman system service did not answer within 30 s: ${readFileSync(join(dir, 'service.log'), 'utf8').slice(-500)}`;
    cleanup();
    return missing('podman', why);
  }
  const root = makeTestRootfs();
  const changes = TEST_IMAGE_CHANGES.flatMap((c) => ['--change', c]);
  const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
  const imported = podman(['import', ...changes, '-', TEST_IMAGE], { input: tar.stdout, encoding: undefined });
  rmSync(root, { recursive: true, force: true });
  if (imported.status !== 0) {
    const why = `podman import of ${TEST_IMAGE} failed: ${String(imported.stderr).trim()}`;
    cleanup();
    throw new Error(why);
  }
  return {
    env: { CHS_TEST_PODMAN_HOST: `unix://${socket}`, CHS_TEST_PODMAN_NETNS: netns, CHS_TEST_PODMAN_DIR: dir },
    stop: async () => {
      log('stopping podman system service');
      if (!cleanup()) log(`network namespace ${netns} is still there`);
    },
  };
}
