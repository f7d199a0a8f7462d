import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './env';

/**
 * Which of `pids` holds the server end of a loopback TCP connection (server port, client port),
 * read from /proc the way `ss -tnp` does: the connection's inode in /proc/net/tcp, then the
 * process whose file descriptors include that socket. Linux only.
 */
export function serverSocketOwner(serverPort: number, clientPort: number, pids: number[]): number | undefined {
  const hexPort = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  const local = `0100007F:${hexPort(serverPort)}`;
  const remote = `0100007F:${hexPort(clientPort)}`;
  let inode: string | undefined;
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[1] === local && cols[2] === remote) inode = cols[9];
  }
  if (!inode || inode === '0') return undefined;
  const wanted = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === wanted) return pid;
      } catch {
        // The descriptor closed while we looked.
      }
    }
  }
  return undefined;
}

// Loaded from the source tree, as test/support/netns.ts loads netns.cjs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proc = require(path.join(ROOT, 'test/services/procStat.cjs')) as { running(pid: number): boolean };

/** Whether a process exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  return proc.running(pid);
}
