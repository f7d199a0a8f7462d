import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where the daemon keeps its state, per design §2. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CONTAINER_HTTPS_STATE_DIR) return path.resolve(env.CONTAINER_HTTPS_STATE_DIR);
  const home = env.HOME || os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'container-https');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'container-https');
  return path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'container-https');
}

export function resolveStateDir(flag?: string): string {
  return flag ? path.resolve(flag) : defaultStateDir();
}

// Unix socket paths are limited to ~104-108 bytes. Long state dirs get a short, deterministic
// socket path in the temp dir so client and daemon agree without a pointer file.
const MAX_SOCKET_PATH = 100;

export function controlSocketPath(stateDir: string, platform: NodeJS.Platform = process.platform): string {
  const digest = crypto.createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 16);
  if (platform === 'win32') return `\\\\.\\pipe\\container-https-${digest}`;
  const inDir = path.join(stateDir, 'control.sock');
  if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) return inDir;
  return path.join(os.tmpdir(), `container-https-${digest}.sock`);
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
  pidFile: string;
  logFile: string;
}

export function statePaths(stateDir: string): StatePaths {
  return {
    stateDir,
    caDir: path.join(stateDir, 'ca'),
    caCert: path.join(stateDir, 'ca', 'root.pem'),
    caKey: path.join(stateDir, 'ca', 'root.key'),
    certsDir: path.join(stateDir, 'certs'),
    acmeDir: path.join(stateDir, 'acme'),
    routesFile: path.join(stateDir, 'routes.json'),
    socket: controlSocketPath(stateDir),
    pidFile: path.join(stateDir, 'daemon.pid'),
    logFile: path.join(stateDir, 'daemon.log'),
  };
}
