import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { until } from '../support/wait';

/**
 * A private dockerd in Swarm mode for the stack-deploy test, started and removed by the test:
 * its own data root, exec root, socket, containerd namespace, bridge and docker_gwbridge (named
 * by us, so the host's docker0 and any other engine's bridges are left alone), no iptables
 * rules, a private address pool and data-path port. The way test/docker/engineRestart.test.ts
 * runs its engine, plus `docker swarm init`.
 */
export class SwarmEngine {
  readonly dir = fs.mkdtempSync('/tmp/chs-swm-');
  readonly socket = path.join(this.dir, 'docker.sock');
  private readonly id = randomBytes(3).toString('hex');
  private readonly bridges = [`chs${this.id}`, `chsg${this.id}`];
  private readonly net = 240 + Math.floor(Math.random() * 10);
  private readonly sub = Math.floor(Math.random() * 250);
  /** Overlay subnets: a /16 away from the bridges' 10.240-249 range. */
  private readonly pool = `10.${200 + Math.floor(Math.random() * 30)}.0.0/16`;
  private child?: ChildProcess;
  private bridgeUp = false;

  docker(
    args: string[],
    opts: { cwd?: string; input?: string } = {},
  ): { status: number; stdout: string; stderr: string } {
    const r = spawnSync('docker', ['-H', `unix://${this.socket}`, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      ...opts,
    });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
  }

  private must(args: string[], opts: { cwd?: string } = {}): string {
    const r = this.docker(args, opts);
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  async start(): Promise<void> {
    const [bridge, gateway] = this.bridges;
    const ip = spawnSync(
      'sh',
      [
        '-c',
        `ip link add name ${bridge} type bridge && ip addr add 10.${this.net}.${this.sub}.1/24 dev ${bridge} && ip link set ${bridge} up`,
      ],
      { encoding: 'utf8' },
    );
    if (ip.status !== 0) throw new Error(`creating bridge ${bridge}: ${ip.stderr}`);
    this.bridgeUp = true;
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
        bridge,
        '--iptables=false',
        '--ip-masq=false',
        '--ip-forward=false',
        '--containerd-namespace',
        `chs-swarm-${this.id}`,
        '--containerd-plugins-namespace',
        `chs-swarm-${this.id}-plugins`,
      ],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const docker = new Docker({ socketPath: this.socket });
    await until('private dockerd answers', async () => !!(await docker.ping().catch(() => false)), 30_000);
    // Swarm's gateway bridge, created before `swarm init` so it has our name, not docker_gwbridge's.
    this.must([
      'network',
      'create',
      '--subnet',
      `10.${this.net}.${(this.sub + 1) % 250}.0/24`,
      '-o',
      `com.docker.network.bridge.name=${gateway}`,
      '-o',
      'com.docker.network.bridge.enable_icc=false',
      '-o',
      'com.docker.network.bridge.enable_ip_masquerade=false',
      'docker_gwbridge',
    ]);
    this.must([
      'swarm',
      'init',
      '--advertise-addr',
      '127.0.0.1',
      '--listen-addr',
      '127.0.0.1:0',
      '--data-path-port',
      String(40000 + Math.floor(Math.random() * 9000)),
      '--default-addr-pool',
      this.pool,
    ]);
  }

  /** The test image: copied from the shared engine when it has it, else built as test/services/docker.mjs builds it. */
  loadImage(image: string): void {
    if (this.docker(['image', 'inspect', image]).status === 0) return;
    const shared = spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore', timeout: 10_000 }).status === 0;
    if (shared) {
      const copy = spawnSync('sh', ['-c', `docker save ${image} | docker -H unix://${this.socket} load`], {
        encoding: 'utf8',
      });
      if (copy.status !== 0) throw new Error(`copying ${image}: ${copy.stderr}`);
      return;
    }
    const root = fs.mkdtempSync(path.join(this.dir, 'rootfs-'));
    for (const d of ['bin', 'www', 'tmp', 'etc']) fs.mkdirSync(path.join(root, d));
    fs.copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
    for (const applet of ['sh', 'httpd', 'sleep', 'wget']) fs.symlinkSync('busybox', path.join(root, 'bin', applet));
    fs.writeFileSync(path.join(root, 'www', 'index.html'), 'hello from the test container\n');
    fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    const tar = spawnSync(
      'sh',
      [
        '-c',
        `tar -C ${root} -c . | docker -H unix://${this.socket} import -c 'CMD ["/bin/httpd","-f","-p","8000","-h","/www"]' -c 'EXPOSE 8000' - ${image}`,
      ],
      { encoding: 'utf8' },
    );
    fs.rmSync(root, { recursive: true, force: true });
    if (tar.status !== 0) throw new Error(`building ${image}: ${tar.stderr}`);
  }

  async remove(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      this.docker(['swarm', 'leave', '--force']);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // dockerd leaves namespaces bind-mounted under its exec and data roots.
    const mounts = fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((m) => m?.startsWith(this.dir))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', [m], { stdio: 'ignore' });
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (this.bridgeUp) for (const b of this.bridges) spawnSync('ip', ['link', 'del', b], { stdio: 'ignore' });
  }

  log(): string {
    return fs.readFileSync(path.join(this.dir, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n');
  }
}
