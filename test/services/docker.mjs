// A real Docker engine for the tests: use one that answers, else (docker.io installed by
// test/services/packages.mjs) start dockerd in the background and stop it afterwards. Also builds the local test images
// (no registry is reachable here): busybox httpd from Debian's busybox-static.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, rmSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPackage } from './packages.mjs';
import { log, missing, waitFor } from './util.mjs';

export const TEST_IMAGE = 'chs-test/busybox:1';

/** Whether a Docker engine answers on DOCKER_HOST (or the default socket). */
export function engineAnswers() {
  return (
    spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'ignore', timeout: 5000 }).status === 0
  );
}

export async function setup() {
  let started;
  if (!engineAnswers()) {
    if (!hasPackage('docker.io')) return missing('docker', 'no Docker engine answers and docker.io is not installed');
    if (process.getuid?.() !== 0) return missing('docker', 'no Docker engine answers and starting dockerd needs root');
    log('starting dockerd');
    const out = openSync(join(tmpdir(), 'chs-dockerd.log'), 'a');
    started = spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] });
    started.unref();
    if (!(await waitFor(engineAnswers, { timeoutMs: 30000, intervalMs: 250 }))) {
      try {
        process.kill(-started.pid);
      } catch {
        /* gone */
      }
      return missing('docker', `dockerd did not answer within 30 s (log: ${join(tmpdir(), 'chs-dockerd.log')})`);
    }
  }
  buildTestImages();
  return {
    env: { CHS_TEST_IMAGE: TEST_IMAGE },
    stop: async () => {
      if (!started) return;
      log('stopping dockerd');
      try {
        process.kill(started.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      // Wait for the process itself, not just the socket: it still unmounts and stops containerd after.
      const gone = () => {
        try {
          process.kill(started.pid, 0);
          return false;
        } catch {
          return true;
        }
      };
      if (!(await waitFor(gone, { timeoutMs: 20000 })))
        log(`dockerd (pid ${started.pid}) still running 20 s after SIGTERM`);
    },
  };
}

/** The image's CMD and EXPOSE, for `docker import` and `podman import` alike. */
export const TEST_IMAGE_CHANGES = ['CMD ["/bin/httpd","-f","-p","8000","-h","/www"]', 'EXPOSE 8000'];

/** The test image's root filesystem in a new temp dir (the caller removes it): busybox-static and its applets. */
export function makeTestRootfs() {
  if (!hasPackage('busybox-static')) throw new Error('busybox-static is needed to build the test image');
  const root = mkdtempSync(join(tmpdir(), 'chs-rootfs-'));
  for (const d of ['bin', 'www', 'tmp', 'etc']) mkdirSync(join(root, d));
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  for (const applet of [
    'sh',
    'httpd',
    'ls',
    'cat',
    'echo',
    'sleep',
    'nc',
    'hostname',
    'ip',
    'ifconfig',
    'printf',
    'env',
    'wget',
  ])
    symlinkSync('busybox', join(root, 'bin', applet));
  writeFileSync(join(root, 'www', 'index.html'), 'hello from the test container\n');
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  return root;
}

function buildTestImages() {
  if (spawnSync('docker', ['image', 'inspect', TEST_IMAGE], { stdio: 'ignore' }).status === 0) return;
  const root = makeTestRootfs();
  log(`building ${TEST_IMAGE} with docker import`);
  const changes = TEST_IMAGE_CHANGES.map((c) => `-c '${c}'`).join(' ');
  const tar = spawnSync('sh', ['-c', `tar -C ${root} -c . | docker import ${changes} - ${TEST_IMAGE}`], {
    stdio: 'inherit',
  });
  rmSync(root, { recursive: true, force: true });
  if (tar.status !== 0) throw new Error(`docker import of ${TEST_IMAGE} failed`);
}
