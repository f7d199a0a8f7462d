import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startDaemon } from '../support/daemon';
import { NOBODY } from '../support/asUser';
import { serviceMissing } from '../support/env';
import { until } from '../support/wait';

/**
 * A real rootless Podman (`podman system service` run as the unprivileged user nobody, in a temp
 * HOME and XDG_RUNTIME_DIR): its containers live in its own network namespace, so
 * --docker-address auto must choose published ports, and say it is because the engine is
 * rootless. The daemon runs as root here, so only Podman's own answer (libpod info) can tell:
 * its Docker-compatible /info does not. Containers are not started: rootless networking needs
 * more of the machine than this sandbox gives ("failed to mount runtime directory for rootless netns").
 */
const skip =
  serviceMissing('podman') ??
  (process.getuid?.() !== 0 ? 'running podman as nobody needs root' : undefined) ??
  (spawnSync('sh', ['-c', 'command -v podman']).status !== 0 ? 'podman is not installed' : undefined);

/** SIGTERM to a whole process group, then SIGKILL to what is left of it after 10 s. */
async function stopGroup(pgid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  for (const deadline = Date.now() + 10_000; alive() && Date.now() < deadline;)
    await new Promise((r) => setTimeout(r, 100));
  signal('SIGKILL');
}

describe(
  'rootless Podman: --docker-address auto uses published ports, and says why (real podman as nobody)',
  { skip },
  () => {
    let dir: string;
    let socket: string;
    let service: ChildProcess;
    let daemon: Daemon;

    // Rootless Podman's shared-memory locks, at a fixed path per user: removed after if this made them.
    let lock: string | undefined;

    before(async () => {
      const lockFile = `/dev/shm/libpod_rootless_lock_${NOBODY.uid}`;
      if (!fs.existsSync(lockFile)) lock = lockFile;
      dir = fs.mkdtempSync('/tmp/chs-rl-');
      fs.chmodSync(dir, 0o755);
      for (const d of ['home', 'run']) {
        fs.mkdirSync(path.join(dir, d), { mode: 0o700 });
        fs.chownSync(path.join(dir, d), NOBODY.uid, NOBODY.gid);
      }
      fs.writeFileSync(
        path.join(dir, 'containers.conf'),
        '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n',
      );
      socket = path.join(dir, 'run', 'podman.sock');
      service = spawn(
        'setpriv',
        [
          '--reuid=nobody',
          '--regid=nogroup',
          '--clear-groups',
          'env',
          `HOME=${path.join(dir, 'home')}`,
          `XDG_RUNTIME_DIR=${path.join(dir, 'run')}`,
          `CONTAINERS_CONF=${path.join(dir, 'containers.conf')}`,
          'podman',
          'system',
          'service',
          '--time=0',
          `unix://${socket}`,
        ],
        // Its own process group: rootless Podman re-executes itself inside a user namespace, and
        // that second process outlives a signal sent to the first alone.
        { cwd: dir, stdio: 'ignore', detached: true },
      );
      await until('the rootless podman service answers', () => fs.existsSync(socket), 30_000);
      ({ daemon } = await startDaemon({ docker: { labels: true, host: `unix://${socket}` }, autoDomains: 'compose' }));
    });
    after(async () => {
      await daemon?.close();
      if (service?.pid) await stopGroup(service.pid);
      // Rootless Podman keeps its user namespace alive with a pause process of its own.
      const pauseFile = path.join(dir, 'run', 'libpod', 'tmp', 'pause.pid');
      if (fs.existsSync(pauseFile)) {
        try {
          process.kill(Number(fs.readFileSync(pauseFile, 'utf8').trim()), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
      if (lock) fs.rmSync(lock, { force: true });
    });

    it('the status names published ports and the rootless engine', async () => {
      const d = await until('connected', () => (daemon.status().docker.connected ? daemon.status().docker : undefined));
      assert.equal(d.addressMode, 'auto');
      assert.equal(d.address, 'published');
      assert.match(
        d.addressWhy!,
        /^The engine is rootless \(its containers live in its own network namespace\), so container IPs are not reachable from here/,
      );
    });
  },
);
