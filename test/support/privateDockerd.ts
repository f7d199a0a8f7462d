import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import Docker from 'dockerode';
import { serviceMissing } from './env';
import { cleanupOnExit } from './cleanupOnExit';
import { namespaces } from './netns';
import { until } from './wait';

export interface PrivateDockerdOptions {
  /**
   * dockerd flags besides the ones every private engine has (roots, socket, config file, bridge,
   * containerd namespaces). Default: no iptables rules, no masquerading, no ip_forward. Inside
   * the namespace those would only change the namespace's own tables and sysctls, but iptables
   * makes the kernel load netfilter modules (br_netfilter among them), which is the machine's.
   */
  flags?: string[];
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

const DEFAULT_FLAGS = ['--iptables=false', '--ip-masq=false', '--ip-forward=false'];

/** Why a private dockerd cannot run here (no Docker service, not root, no dockerd), or undefined. */
export function privateDockerdMissing(): string | undefined {
  return (
    serviceMissing('docker') ??
    (process.getuid?.() !== 0
      ? 'a private dockerd (and its network namespace) needs root'
      : spawnSync('sh', ['-c', 'command -v dockerd']).status !== 0
        ? 'dockerd is not installed'
        : undefined)
  );
}

/** Mount points at or under dir in this process's mount namespace, deepest first. */
function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
}

/** Runs in the namespace: a unix socket (reachable from the host) onto the namespace's 127.0.0.1:port. */
const FORWARDER = `const net = require('node:net');
const [socket, port] = process.argv.slice(2);
net.createServer((c) => {
  const u = net.connect(Number(port), '127.0.0.1');
  u.on('error', () => c.destroy());
  c.on('error', () => u.destroy());
  c.pipe(u).pipe(c);
}).listen(socket);
`;

/**
 * A dockerd of a test's own, in a network namespace of its own (`chs-<random>`), so that nothing
 * it does to interfaces, routes, iptables or sysctls reaches the machine: its bridge, veths,
 * docker_gwbridge, overlay and ingress networks all live and die in the namespace. The shared
 * engine on /var/run/docker.sock is never touched.
 *
 * It has its own temp dir under /tmp (short: the sockets' paths must fit) with the data root,
 * exec root, pid file, config file, log and API socket, a containerd of its own (dockerd starts
 * one under the exec root) with containerd namespaces named for this instance, and a bridge
 * (`chs0`) created in the namespace. The API socket is a unix socket in the temp dir: reachable
 * from the host's namespace, as `socket`, `docker` (dockerode) and `cli()`.
 *
 * `start()` starts dockerd (creating the namespace and bridge the first time), `stop()` stops
 * it and keeps everything for another `start()`, `remove()` stops it and removes everything:
 * whatever still runs in the namespace, mounts under the temp dir, the temp dir, the namespace.
 * The same cleanup runs when the process exits or is interrupted before `remove()`.
 *
 * A container on this engine's host network is on the namespace's network: `forward(port)` makes
 * its 127.0.0.1:port answer on the host's 127.0.0.1:port.
 */
export class PrivateDockerd {
  readonly id = randomBytes(4).toString('hex');
  readonly netns = namespaces.ownedName(`chs-${this.id}`);
  readonly bridge = 'chs0';
  readonly dir = fs.mkdtempSync('/tmp/chs-dkr-');
  readonly socket = path.join(this.dir, 'docker.sock');
  readonly docker = new Docker({ socketPath: this.socket });
  private readonly flags: string[];
  private child?: ChildProcess;
  private netnsUp = false;
  private removed = false;
  private readonly servers: net.Server[] = [];
  private readonly disarm = cleanupOnExit(() => this.cleanupSync());

  constructor(opts: PrivateDockerdOptions = {}) {
    this.flags = opts.flags ?? DEFAULT_FLAGS;
  }

  /** The namespace with its loopback up and the bridge dockerd is given, made once. */
  private makeNetns(): void {
    if (this.netnsUp) return;
    const ns = namespaces.createNamespace(this.netns);
    this.netnsUp = true;
    for (const args of [
      ['link', 'add', 'name', this.bridge, 'type', 'bridge'],
      ['addr', 'add', '10.99.0.1/24', 'dev', this.bridge],
      ['link', 'set', this.bridge, 'up'],
    ]) {
      const r = spawnSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip -n ${ns} ${args.join(' ')}: ${r.stderr}`);
    }
  }

  async start(): Promise<void> {
    if (this.removed) throw new Error('this private dockerd was removed');
    this.makeNetns();
    fs.writeFileSync(path.join(this.dir, 'daemon.json'), '{}');
    const log = fs.openSync(path.join(this.dir, 'dockerd.log'), 'a');
    // `nsenter --net` execs dockerd (the child's pid is dockerd's) in the namespace. Not
    // `ip netns exec`: that also gives it a mount namespace with a new /sys, without the cgroup
    // mounts under it ("Devices cgroup isn't mounted").
    const [nsenter, ...inNs] = namespaces.inNamespace(this.netns);
    const child = spawn(
      nsenter,
      [
        ...inNs,
        'dockerd',
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
        '--containerd-namespace',
        `chs-${this.id}`,
        '--containerd-plugins-namespace',
        `chs-${this.id}-plugins`,
        ...this.flags,
      ],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    this.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`dockerd exited (${code ?? signal})`))),
    );
    try {
      await Promise.race([until('private dockerd answers', async () => !!(await this.docker.ping()), 30_000), exited]);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.log()}`);
    }
  }

  /** dockerd is started and has not exited. */
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops dockerd (SIGTERM, then SIGKILL after 30 s); the namespace and the data stay for start(). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    this.child = undefined;
  }

  /** Stops dockerd and removes all of it: nothing of it is left on the machine. */
  async remove(): Promise<void> {
    await this.stop();
    this.killNetns();
    await until('the namespace is empty', () => this.netnsPids().length === 0, 10_000).catch(() => undefined);
    this.cleanupSync();
  }

  /** The docker CLI against this engine. */
  cli(args: string[], opts: { cwd?: string; input?: string } = {}): CliResult {
    const r = spawnSync('docker', ['-H', `unix://${this.socket}`, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      ...opts,
    });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
  }

  /** Copies an image from the shared engine (there is no registry here). */
  copyImage(image: string): void {
    const r = spawnSync('sh', ['-c', `docker save ${image} | docker -H unix://${this.socket} load`], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`copying ${image} from the shared engine: ${r.stderr}`);
  }

  /**
   * The namespace's 127.0.0.1:port (a container on this engine's host network) on the host's
   * 127.0.0.1:port, until remove(): a forwarder in the namespace listens on a unix socket in the
   * temp dir, and a server in this process on the host's port pipes each connection to it.
   */
  async forward(port: number): Promise<void> {
    this.makeNetns();
    const script = path.join(this.dir, 'forward.js');
    fs.writeFileSync(script, FORWARDER);
    const socket = path.join(this.dir, `forward-${port}.sock`);
    const [nsenter, ...inNs] = namespaces.inNamespace(this.netns);
    const child = spawn(nsenter, [...inNs, process.execPath, script, socket, String(port)], { stdio: 'ignore' });
    child.unref();
    await until(`the forwarder for port ${port}`, () => fs.existsSync(socket), 10_000);
    const server = net.createServer((c) => {
      const u = net.connect(socket);
      u.on('error', () => c.destroy());
      c.on('error', () => u.destroy());
      c.pipe(u).pipe(c);
    });
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    server.unref();
  }

  /** The last lines of dockerd's log. */
  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '(no dockerd log)';
    }
  }

  private netnsPids(): number[] {
    return this.netnsUp ? namespaces.namespacePids(this.netns) : [];
  }

  /**
   * Whatever still runs in the namespace (containerd, shims, forwarders) and their descendants
   * (containers in namespaces of their own): all started by this engine.
   */
  private killNetns(): void {
    if (this.netnsUp) namespaces.killNamespace(this.netns);
  }

  /** Everything remove() does, synchronously (for the exit handler): dockerd is killed, not stopped. */
  private cleanupSync(): void {
    if (this.removed) return;
    this.removed = true;
    this.disarm();
    for (const s of this.servers) s.close();
    if (this.running) this.child!.kill('SIGKILL');
    this.killNetns();
    // dockerd leaves namespaces bind-mounted under its exec root (netns/default: the namespace).
    for (const m of mountsUnder(this.dir)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (this.netnsUp) namespaces.deleteNamespace(this.netns);
  }
}
