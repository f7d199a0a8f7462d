import * as fs from 'node:fs';
import { UserError } from '../errors';
import { privateDirProblem, socketDirError } from '../privateDir';

/**
 * Before a client talks to the control socket: it must be a socket owned by this user, in a
 * private directory when it is the per-user fallback (paths.ts). Anyone else's socket could show
 * fake routes and status and would see every expose, so it is refused, never trusted. Missing
 * files are left to the connection, which reports "no daemon". Windows named pipes are not
 * checked here (paths.ts leaves them as they are).
 */
export function assertOwnSocket(socketPath: string, socketDir: string | undefined, uid: number): void {
  if (process.platform === 'win32') return;
  if (socketDir) {
    const problem = ifExists(() => privateDirProblem(socketDir, uid));
    if (problem) throw socketDirError(socketDir, problem);
  }
  const st = ifExists(() => fs.lstatSync(socketPath));
  if (!st) return;
  if (!st.isSocket()) {
    throw new UserError(
      `Refusing the control socket ${socketPath}: it is not a socket. Remove it and start the daemon again (container-https serve).`,
      'ESOCKETOWNER',
      403,
    );
  }
  if (st.uid !== uid) {
    throw new UserError(
      `Refusing the control socket ${socketPath}: it is owned by uid ${st.uid}, not by you (uid ${uid}), so it is not your daemon. Remove it (as root or as uid ${st.uid}) and start your own: container-https serve`,
      'ESOCKETOWNER',
      403,
    );
  }
}

function ifExists<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw err;
  }
}
