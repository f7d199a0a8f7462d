import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PortHolder } from './types';

/** One listening TCP socket from /proc/net/tcp or /proc/net/tcp6. */
export interface ListeningSocket {
  address: string;
  port: number;
  uid: number;
  inode: number;
}

const TCP_LISTEN = '0A';

/** /proc/net/tcp prints each 32-bit word of an address in host order (little-endian here). */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // Shorten the longest run of zero groups, as inet_ntop does.
  const joined = groups.join(':');
  const runs = joined.match(/(^|:)0(:0)+(:|$)/g);
  if (!runs) return joined;
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a));
  return joined.replace(longest, '::');
}

/** The listening sockets in the text of /proc/net/tcp or /proc/net/tcp6. */
export function parseProcNetTcp(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
    const [addr, portHex] = f[1].split(':');
    out.push({ address: decodeAddress(addr), port: parseInt(portHex, 16), uid: Number(f[7]), inode: Number(f[9]) });
  }
  return out;
}

/** Addresses a connection to 127.0.0.1 or ::1 reaches: loopback and the wildcards. */
function takesLoopback(address: string): boolean {
  return (
    address === '0.0.0.0' ||
    address === '::' ||
    address === '::1' ||
    address.startsWith('127.') ||
    address.startsWith('::ffff:127.')
  );
}

export interface HolderLookup {
  /** Where /proc is (tests give a fixture tree). */
  procRoot?: string;
  /** Where /etc/passwd is. */
  etcRoot?: string;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function userName(uid: number, etcRoot: string): string | undefined {
  for (const line of readOr(path.join(etcRoot, 'passwd')).split('\n')) {
    const f = line.split(':');
    if (f.length > 2 && Number(f[2]) === uid && f[2] !== '') return f[0];
  }
  return undefined;
}

/** The process with an open fd on socket `inode`; undefined when no readable /proc/PID/fd has it. */
function pidOfSocket(inode: number, procRoot: string): number | undefined {
  const want = `socket:[${inode}]`;
  let pids: string[];
  try {
    pids = fs.readdirSync(procRoot).filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(path.join(procRoot, pid, 'fd'));
    } catch {
      continue; // another user's process: only root may look
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(path.join(procRoot, pid, 'fd', fd)) === want) return Number(pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/**
 * Who listens on `port` where a loopback client would reach it, from /proc (Linux; this network
 * namespace's view). The uid is always known (the kernel lists it); the pid and command only when
 * this user may read that process's fds (its own, or any as root).
 */
export function findPortHolder(port: number, opts: HolderLookup = {}): PortHolder | undefined {
  const procRoot = opts.procRoot ?? '/proc';
  const etcRoot = opts.etcRoot ?? '/etc';
  const sockets = [
    ...parseProcNetTcp(readOr(path.join(procRoot, 'net', 'tcp'))),
    ...parseProcNetTcp(readOr(path.join(procRoot, 'net', 'tcp6'))),
  ].filter((s) => s.port === port && takesLoopback(s.address));
  if (!sockets.length) return undefined;
  const s = sockets[0];
  const holder: PortHolder = {
    address: s.address.includes(':') ? `[${s.address}]:${port}` : `${s.address}:${port}`,
    uid: s.uid,
    user: userName(s.uid, etcRoot),
  };
  const pid = pidOfSocket(s.inode, procRoot);
  if (pid !== undefined) {
    holder.pid = pid;
    holder.command = readOr(path.join(procRoot, String(pid), 'comm')).trim() || undefined;
  }
  return holder;
}

/** "nginx (pid 812, user www-data) on 0.0.0.0:443", or what can be said without the pid. */
export function describeHolder(h: PortHolder): string {
  const user = h.user ?? `uid ${h.uid}`;
  if (h.pid !== undefined) return `${h.command ?? 'a process'} (pid ${h.pid}, user ${user}) on ${h.address}`;
  return `a process of user ${user} on ${h.address} (its name is visible to root only: sudo ss -ltnp 'sport = :${h.address.split(':').pop()}')`;
}
