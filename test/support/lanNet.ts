import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { NOBODY } from './asUser';
import { cleanupOnExit } from './cleanupOnExit';
import { namespaces } from './netns';

/** Why the LAN namespaces cannot be made here (not root, no ip/nsenter/setpriv), or undefined. */
export function lanNetMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'the test network namespaces need root';
  for (const tool of ['ip', 'nsenter', 'setpriv'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  return undefined;
}

/**
 * Two network namespaces of the test's own, "laptop" and "phone", joined by a veth pair on a
 * /24 of their own: the LAN of test/lan/lanNetns.test.ts. The laptop has a default route over
 * the veth (so `--lan-interface auto` finds it), the phone a multicast route for mDNS. Nothing
 * touches the machine's own interfaces; remove() deletes both namespaces (and with them the
 * veth and whatever still runs in them), also when the process exits first.
 */
export class LanNet {
  readonly id = crypto.randomBytes(3).toString('hex');
  readonly laptop = namespaces.ownedName(`chs-lan-${this.id}-l`);
  readonly phone = namespaces.ownedName(`chs-lan-${this.id}-p`);
  readonly laptopIf = `chl${this.id}`;
  readonly phoneIf = `chp${this.id}`;
  readonly subnet = 100 + (parseInt(this.id.slice(0, 2), 16) % 100);
  readonly laptopIp = `10.${this.subnet}.77.1`;
  readonly phoneIp = `10.${this.subnet}.77.2`;
  private readonly children = new Set<ChildProcess>();
  private disarm?: () => void;

  up(): void {
    const run = (...args: string[]) => {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
    };
    this.disarm = cleanupOnExit(() => this.removeSync());
    // A run of this test that was killed before its cleanup left its namespaces behind.
    namespaces.sweepOrphans('chs-lan-');
    namespaces.createNamespace(this.laptop);
    namespaces.createNamespace(this.phone);
    run(
      'link',
      'add',
      this.laptopIf,
      'netns',
      this.laptop,
      'type',
      'veth',
      'peer',
      'name',
      this.phoneIf,
      'netns',
      this.phone,
    );
    for (const [ns, ifname, ip] of [
      [this.laptop, this.laptopIf, this.laptopIp],
      [this.phone, this.phoneIf, this.phoneIp],
    ]) {
      run('-n', ns, 'addr', 'add', `${ip}/24`, 'dev', ifname);
      run('-n', ns, 'link', 'set', ifname, 'up');
    }
    run('-n', this.laptop, 'route', 'add', 'default', 'via', this.phoneIp);
    run('-n', this.phone, 'route', 'add', '224.0.0.0/4', 'dev', this.phoneIf);
  }

  /** Moves the laptop to another address on the same /24 (DHCP giving it a new lease), default route again. */
  moveLaptop(from: string, to: string): void {
    for (const args of [
      ['addr', 'del', `${from}/24`, 'dev', this.laptopIf],
      ['addr', 'add', `${to}/24`, 'dev', this.laptopIf],
      ['route', 'replace', 'default', 'via', this.phoneIp],
    ]) {
      const r = spawnSync('ip', ['-n', this.laptop, ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip -n ${this.laptop} ${args.join(' ')}: ${r.stderr.trim()}`);
    }
  }

  /** argv for a command in a namespace (nsenter --net: the mount namespace stays ours); as nobody when asked. */
  argv(ns: 'laptop' | 'phone', cmd: string[], asNobody = false): string[] {
    const user = asNobody ? ['setpriv', `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups'] : [];
    return [...namespaces.inNamespace(ns === 'laptop' ? this.laptop : this.phone), ...user, ...cmd];
  }

  /** A long-running process in a namespace, stopped by remove() if the test does not. */
  start(ns: 'laptop' | 'phone', cmd: string[], asNobody = false, env: NodeJS.ProcessEnv = {}): ChildProcess {
    const [file, ...args] = this.argv(ns, cmd, asNobody);
    const child = spawn(file, args, { env: { ...process.env, ...env }, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs a command in a namespace to its end. */
  run(ns: 'laptop' | 'phone', cmd: string[], asNobody = false, env: NodeJS.ProcessEnv = {}) {
    const [file, ...args] = this.argv(ns, cmd, asNobody);
    return spawnSync(file, args, { encoding: 'utf8', env: { ...process.env, ...env }, cwd: '/', timeout: 60_000 });
  }

  /** One action of test/support/lanPhone.ts in the phone namespace, its JSON answer. */
  phoneDo<T = Record<string, unknown>>(...args: string[]): T {
    const r = this.run('phone', [process.execPath, path.join(__dirname, 'lanPhone.js'), ...args]);
    const line = r.stdout.trim().split('\n').pop();
    if (!line) throw new Error(`lanPhone ${args.join(' ')} printed nothing: ${r.stderr}`);
    return JSON.parse(line) as T;
  }

  async remove(): Promise<void> {
    for (const child of this.children) {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    }
    this.removeSync();
  }

  private removeSync(): void {
    this.disarm?.();
    for (const child of this.children) child.kill('SIGKILL');
    // Only what this test started runs in its own namespaces.
    for (const ns of [this.laptop, this.phone]) namespaces.deleteNamespace(ns);
  }
}
