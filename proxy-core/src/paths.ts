import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { isPrivateDir } from './privateDir';

/** Where the daemon keeps its state (README.md, "Files"). */
export function defaultStateDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.CONTAINER_HTTPS_STATE_DIR) return path.resolve(env.CONTAINER_HTTPS_STATE_DIR);
  const home = env.HOME || os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'container-https');
  if (platform === 'win32')
    return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'container-https');
  return path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'container-https');
}

export function resolveStateDir(flag?: string): string {
  return flag ? path.resolve(flag) : defaultStateDir();
}

// Unix socket paths are limited to ~104-108 bytes. Long state dirs get a short, deterministic
// socket path (a hash of the state dir) in a private per-user directory, so client and daemon
// agree without a pointer file and no other local user can take the name first (a shared /tmp
// name could be: privateDir.ts checks the directory, control/socketOwner.ts the socket).
const MAX_SOCKET_PATH = 100;

export interface ControlSocket {
  path: string;
  /** Set when the socket lives in the per-user fallback directory, which must be private (privateDir.ts). */
  dir?: string;
}

export function controlSocket(
  stateDir: string,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): ControlSocket {
  const digest = crypto.createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 16);
  // Windows named pipes are left as they are: they live in the pipe namespace, not in a shared
  // directory, and are not checked by privateDir.ts or control/socketOwner.ts.
  if (platform === 'win32') return { path: `\\\\.\\pipe\\container-https-${digest}` };
  const inDir = path.join(stateDir, 'control.sock');
  if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) return { path: inDir };
  const dir = fallbackSocketDir(`${digest}.sock`, env);
  return { path: path.join(dir, `${digest}.sock`), dir };
}

/**
 * `$XDG_RUNTIME_DIR/container-https` when XDG_RUNTIME_DIR is a private directory of ours (as
 * systemd makes it), else `container-https-<uid>` in the temp dir. Either is created 0700 by the
 * daemon and refused by daemon and client unless it is private (privateDir.ts).
 */
export function fallbackSocketDir(
  socketName: string,
  env: NodeJS.ProcessEnv = process.env,
  uid = currentUid(),
): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && path.isAbsolute(runtime) && isPrivateDir(runtime, uid)) {
    const dir = path.join(runtime, 'container-https');
    if (Buffer.byteLength(path.join(dir, socketName)) <= MAX_SOCKET_PATH) return dir;
  }
  return path.join(tempBase(env), `container-https-${uid}`);
}

/** os.tmpdir()'s rule on POSIX, read from `env` so tests can point it elsewhere. */
function tempBase(env: NodeJS.ProcessEnv): string {
  const dir = env.TMPDIR || env.TMP || env.TEMP || '/tmp';
  return dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
}

export function currentUid(): number {
  return process.getuid?.() ?? 0;
}

export interface StatePaths {
  stateDir: string;
  caDir: string;
  caCert: string;
  caKey: string;
  certsDir: string;
  acmeDir: string;
  routesFile: string;
  socket: string;
  /** The private per-user directory holding `socket`, when the state dir's path is too long for it. */
  socketDir?: string;
  pidFile: string;
  logFile: string;
}

export function statePaths(stateDir: string): StatePaths {
  const socket = controlSocket(stateDir);
  return {
    stateDir,
    caDir: path.join(stateDir, 'ca'),
    caCert: path.join(stateDir, 'ca', 'root.pem'),
    caKey: path.join(stateDir, 'ca', 'root.key'),
    certsDir: path.join(stateDir, 'certs'),
    acmeDir: path.join(stateDir, 'acme'),
    routesFile: path.join(stateDir, 'routes.json'),
    socket: socket.path,
    socketDir: socket.dir,
    pidFile: path.join(stateDir, 'daemon.pid'),
    logFile: path.join(stateDir, 'daemon.log'),
  };
}
