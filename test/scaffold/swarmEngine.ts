import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PrivateDockerd } from '../support/privateDockerd';

/**
 * A private dockerd in Swarm mode for the stack-deploy test, started and removed by the test:
 * test/support/privateDockerd.ts (a network namespace of its own, where Swarm's docker_gwbridge,
 * ingress and overlay networks are made and die with it), plus `docker swarm init`.
 */
export class SwarmEngine extends PrivateDockerd {
  private must(args: string[]): string {
    const r = this.cli(args);
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  override async start(): Promise<void> {
    await super.start();
    this.must(['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:0']);
  }

  /** The test image: copied from the shared engine when it has it, else built as test/services/docker.mjs builds it. */
  loadImage(image: string): void {
    if (this.cli(['image', 'inspect', image]).status === 0) return;
    if (spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore', timeout: 10_000 }).status === 0) {
      this.copyImage(image);
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

  /** Leaves the swarm (its overlay networks go first), then removes the engine. */
  override async remove(): Promise<void> {
    if (this.running) this.cli(['swarm', 'leave', '--force']);
    await super.remove();
  }
}
