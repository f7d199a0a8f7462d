import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import type { DaemonStatus } from '../../proxy-core/src/control/apiTypes';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startDaemon } from '../support/daemon';
import { serviceMissing } from '../support/env';
import { httpsGet } from '../support/https';
import { IMAGE } from './engine';
import { until } from '../support/wait';

/**
 * A second, private dockerd that this test starts, restarts and stops itself — the shared engine
 * other tests use is never touched. It has its own data root, exec root, socket, config file,
 * containerd namespace and bridge, and no iptables rules; its container uses the host network.
 *
 * Never `--bridge none`: a dockerd started that way deletes the host's docker0 interface,
 * which the shared engine needs. A bridge of our own keeps docker0 alone.
 */
class PrivateEngine {
  readonly dir = fs.mkdtempSync('/tmp/chs-dkr-');
  readonly socket = path.join(this.dir, 'docker.sock');
  readonly bridge = `chs${randomBytes(3).toString('hex')}`;
  private child?: ChildProcess;
  private bridgeUp = false;

  private makeBridge(): void {
    if (this.bridgeUp) return;
    const subnet = `10.${240 + Math.floor(Math.random() * 10)}.${Math.floor(Math.random() * 256)}`;
    const r = spawnSync(
      'sh',
      [
        '-c',
        `ip link add name ${this.bridge} type bridge && ip addr add ${subnet}.1/24 dev ${this.bridge} && ip link set ${this.bridge} up`,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`creating bridge ${this.bridge}: ${r.stderr}`);
    this.bridgeUp = true;
  }

  async start(): Promise<void> {
    this.makeBridge();
    fs.writeFileSync(path.join(this.dir, 'daemon.json'), '{}');
    const log = fs.openSync(path.join(this.dir, 'dockerd.log'), 'a');
    this.child = spawn(
      'dockerd',
      [
        '--data-root',
        path.join(this.dir, 'data'),
        '--exec-root',
        path.join(this.dir, 'exec'),
        '--pidfile',
        path.join(this.dir, 'dockerd.pid'),
        '--host',
        `unix://${this.socket}`,
        '--config-file',
        path.join(this.dir, 'daemon.json'),
        '--bridge',
        this.bridge,
        '--iptables=false',
        '--ip-masq=false',
        '--ip-forward=false',
        '--containerd-namespace',
        'chs-private',
        '--containerd-plugins-namespace',
        'chs-private-plugins',
      ],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const docker = new Docker({ socketPath: this.socket });
    await until('private dockerd answers', async () => !!(await docker.ping()), 30_000);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
    this.child = undefined;
  }

  async remove(): Promise<void> {
    await this.stop();
    // dockerd leaves its default netns bind-mounted under the exec root.
    spawnSync('umount', [path.join(this.dir, 'exec', 'netns', 'default')], { stdio: 'ignore' });
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (this.bridgeUp) spawnSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
  }

  log(): string {
    return fs.readFileSync(path.join(this.dir, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n');
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The shared engine's bridge, by interface index: it must be the same one after this test. */
function docker0(): string | undefined {
  const r = spawnSync('ip', ['-o', 'link', 'show', 'docker0'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(':')[0] : undefined;
}

const cannot =
  serviceMissing('docker') ??
  (process.getuid?.() !== 0
    ? 'starting a private dockerd needs root'
    : spawnSync('sh', ['-c', 'command -v dockerd']).status !== 0
      ? 'dockerd is not installed'
      : undefined);

describe(
  'engine restart under a running daemon (a real dockerd restart: a private engine this test starts itself)',
  { skip: cannot },
  () => {
    const engine = new PrivateEngine();
    let daemon: Daemon;
    let ca: string;
    let started = false;
    const bridgeBefore = docker0();

    before(async () => {
      await engine.start();
      started = true;
      // No registry here: copy the test image from the shared engine.
      const copy = spawnSync('sh', ['-c', `docker save ${IMAGE} | docker -H unix://${engine.socket} load`], {
        encoding: 'utf8',
      });
      assert.equal(copy.status, 0, copy.stderr);
    });
    after(async () => {
      await daemon?.close();
      if (started) await engine.remove();
      assert.equal(docker0(), bridgeBefore, "the shared engine's docker0 bridge is untouched");
    });

    it('reports the engine gone, reconnects when it is back, and the restarted container serves again', async () => {
      const port = await freePort();
      const host = 'engine-restart.localhost';
      const docker = new Docker({ socketPath: engine.socket });
      const c = await docker.createContainer({
        name: 'chs-restart-web',
        Image: IMAGE,
        Cmd: ['/bin/sh', '-c', `exec httpd -f -p 127.0.0.1:${port} -h /www`],
        Labels: { 'container-https.host': host, 'container-https.port': String(port) },
        StopTimeout: 1,
        HostConfig: { NetworkMode: 'host', RestartPolicy: { Name: 'always' } },
      });
      await c.start();

      ({ daemon, ca } = await startDaemon({ docker: { labels: true, host: `unix://${engine.socket}` } }));
      const statuses: DaemonStatus['docker'][] = [];
      daemon.docker!.on('status', () => statuses.push(daemon.docker!.status()));
      const https = daemon.httpsPort;
      await until(
        'label route serves through the private engine',
        async () => (await httpsGet({ host, port: https, ca })).status === 200,
      );
      assert.match(
        daemon.routes.view().routes.find((r) => r.host === host)!.detail!,
        new RegExp(`uses the host network: 127\\.0\\.0\\.1:${port}`),
      );

      await engine.stop();
      const down = await until('disconnected status', () => statuses.find((s) => !s.connected));
      assert.match(down.error!, /closed the events stream|is not reachable/);

      await engine.start().catch((err) => {
        throw new Error(`${err.message}\n${engine.log()}`);
      });
      await until('reconnected', () => daemon.status().docker.connected, 30_000);
      await until(
        'the container restarted by the engine serves again',
        async () => (await httpsGet({ host, port: https, ca })).status === 200,
        30_000,
      );
      assert.equal(daemon.docker!.containers().containers.find((x) => x.name === 'chs-restart-web')?.state, 'running');
      await c.remove({ force: true });
    });
  },
);
