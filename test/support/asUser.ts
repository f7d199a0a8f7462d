import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './env';

/** The unprivileged account tests run code as (Debian's `nobody`). */
export const NOBODY = { uid: 65534, gid: 65534 };

/**
 * A copy of the built CLI bundles (dist/) that another user can read, in a fresh temp dir.
 * The checkout may sit in a private directory (a home, or `mktemp -d`, both 0700), so code run
 * as another user must never be loaded from it. Call remove() when done.
 */
export function readableCliCopy(dist = path.join(ROOT, 'dist')): { cli: string; dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chs-cli-copy-'));
  fs.cpSync(dist, path.join(dir, 'dist'), { recursive: true });
  const open = (p: string) => {
    fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) open(path.join(p, e));
  };
  open(dir);
  return { cli: path.join(dir, 'dist', 'cli.js'), dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a command as another user (setpriv, from util-linux), from `/` so no cwd is needed. */
export function runAsUser(
  user: { uid: number; gid: number },
  cmd: string[],
  env: NodeJS.ProcessEnv = {},
): SpawnSyncReturns<string> {
  return spawnSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', ...cmd], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd: '/',
    timeout: 60_000,
  });
}

/**
 * Runs `node <a readable copy of dist/cli.js> ...args` as another user. Fails with what to do
 * when that user cannot run Node itself (a node installed under a private home, say).
 */
export function cliAsUser(
  user: { uid: number; gid: number },
  args: string[],
  env: NodeJS.ProcessEnv = {},
  dist?: string,
): SpawnSyncReturns<string> {
  const asUser = (cmd: string[]) => runAsUser(user, cmd, env);
  const probe = asUser([process.execPath, '-e', '0']);
  if (probe.status !== 0)
    throw new Error(
      `uid ${user.uid} cannot run ${process.execPath} (${(probe.stderr || probe.error?.message || '').trim()}): install Node where every user can read it`,
    );
  const copy = readableCliCopy(dist);
  try {
    return asUser([process.execPath, copy.cli, ...args]);
  } finally {
    copy.remove();
  }
}
