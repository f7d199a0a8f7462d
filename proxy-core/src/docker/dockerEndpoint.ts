import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../errors';

/** Where the Docker engine is and how to talk to it, resolved the way the `docker` CLI does. */
export interface DockerEndpoint {
  /** What a person sees: unix:///var/run/docker.sock, tcp://host:2376. */
  url: string;
  /** Why this endpoint: "--docker-host", "DOCKER_HOST", "context desktop-linux", "default socket", "Podman socket". */
  source: string;
  /** Options for docker-modem; every transport key is set so DOCKER_HOST in the environment cannot leak in. */
  modem: {
    socketPath?: string;
    host?: string;
    port?: number;
    protocol?: 'http' | 'https' | 'ssh';
    username?: string;
    ca?: string;
    cert?: string;
    key?: string;
    sshOptions?: { agent?: string };
  };
  /** True for a unix socket or npipe on this machine: container IPs may then be reachable. */
  local: boolean;
}

export interface EndpointEnv {
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** An explicit choice (--docker-host, containerHttps.docker.host); wins over everything. */
  override?: string;
  platform?: NodeJS.Platform;
  exists?: (p: string) => boolean;
}

/**
 * Order as in the docker CLI: explicit host, DOCKER_HOST, DOCKER_CONTEXT, config.json's
 * currentContext, then the default socket. We add the sockets Docker Desktop and Podman use
 * when the default one is absent, so an editor started outside a login shell still finds them.
 */
export function resolveDockerEndpoint(opts: EndpointEnv = {}): DockerEndpoint {
  const env = opts.env ?? process.env;
  const home = opts.home ?? env.HOME ?? os.homedir();
  const platform = opts.platform ?? process.platform;
  const exists = opts.exists ?? ((p: string) => fs.existsSync(p));
  const tls = {
    verify: env.DOCKER_TLS_VERIFY === '1' || env.DOCKER_TLS_VERIFY === 'true',
    certPath: env.DOCKER_CERT_PATH,
  };

  if (opts.override?.trim()) return fromHost(opts.override.trim(), '--docker-host', tls, env);
  if (env.DOCKER_HOST?.trim()) return fromHost(env.DOCKER_HOST.trim(), 'DOCKER_HOST', tls, env);

  const configDir = env.DOCKER_CONFIG || path.join(home, '.docker');
  const contextName = env.DOCKER_CONTEXT?.trim() || currentContext(configDir);
  if (contextName && contextName !== 'default') return fromContext(configDir, contextName, env);

  if (platform === 'win32') {
    return {
      url: 'npipe:////./pipe/docker_engine',
      source: 'default pipe',
      modem: unixModem('//./pipe/docker_engine'),
      local: true,
    };
  }
  const candidates: Array<[string, string]> = [
    ['/var/run/docker.sock', 'default socket'],
    [path.join(home, '.docker', 'run', 'docker.sock'), 'Docker Desktop socket'],
    ...(env.XDG_RUNTIME_DIR
      ? [[path.join(env.XDG_RUNTIME_DIR, 'docker.sock'), 'rootless Docker socket'] as [string, string]]
      : []),
    ...(env.XDG_RUNTIME_DIR
      ? [[path.join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock'), 'Podman socket'] as [string, string]]
      : []),
    ['/run/podman/podman.sock', 'Podman socket'],
  ];
  const found = candidates.find(([p]) => exists(p)) ?? candidates[0];
  return { url: `unix://${found[0]}`, source: found[1], modem: unixModem(found[0]), local: true };
}

function unixModem(socketPath: string): DockerEndpoint['modem'] {
  return {
    socketPath,
    host: undefined,
    port: undefined,
    protocol: 'http',
    ca: undefined,
    cert: undefined,
    key: undefined,
  };
}

function currentContext(configDir: string): string | undefined {
  const file = path.join(configDir, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = (JSON.parse(text) as { currentContext?: unknown }).currentContext;
    return typeof value === 'string' && value ? value : undefined;
  } catch {
    throw new UserError(
      `${file} is not valid JSON, so the current Docker context is unknown: fix the file, or set DOCKER_HOST.`,
      'EDOCKERCONFIG',
    );
  }
}

/** Context metadata lives under a directory named by the SHA-256 of the context name. */
function fromContext(configDir: string, name: string, env: NodeJS.ProcessEnv): DockerEndpoint {
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  let meta: { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } };
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : 'it is not valid JSON';
    throw new UserError(
      `Docker context "${name}" is selected, but ${metaFile} cannot be read (${why}): run "docker context use default", or set DOCKER_HOST.`,
      'EDOCKERCONTEXT',
    );
  }
  const host = meta.Endpoints?.docker?.Host;
  if (!host)
    throw new UserError(
      `Docker context "${name}" has no Docker endpoint in ${metaFile}: run "docker context inspect ${name}".`,
      'EDOCKERCONTEXT',
    );
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  const hasTls = fs.existsSync(path.join(tlsDir, 'ca.pem')) || fs.existsSync(path.join(tlsDir, 'cert.pem'));
  return fromHost(
    host,
    `context ${name}`,
    {
      verify: hasTls && !meta.Endpoints?.docker?.SkipTLSVerify,
      certPath: hasTls ? tlsDir : undefined,
      tlsImplied: hasTls,
    },
    env,
  );
}

function fromHost(
  raw: string,
  source: string,
  tls: { verify: boolean; certPath?: string; tlsImplied?: boolean },
  env: NodeJS.ProcessEnv,
): DockerEndpoint {
  const bad = (why: string) =>
    new UserError(
      `${source} "${raw}" is not a Docker endpoint (${why}): use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://USER@HOST.`,
      'EDOCKERHOST',
    );
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length) || '/var/run/docker.sock';
    return { url: `unix://${socketPath}`, source, modem: unixModem(socketPath), local: true };
  }
  if (raw.startsWith('npipe://')) {
    const pipe = raw.slice('npipe://'.length) || '//./pipe/docker_engine';
    return { url: `npipe://${pipe}`, source, modem: unixModem(pipe), local: true };
  }
  if (raw.startsWith('/')) return { url: `unix://${raw}`, source, modem: unixModem(raw), local: true };
  let url: URL;
  try {
    url = new URL(raw.includes('://') ? raw : `tcp://${raw}`);
  } catch {
    throw bad('not a URL');
  }
  if (!url.hostname) throw bad('no host');
  if (url.protocol === 'ssh:') {
    return {
      url: raw,
      source,
      modem: {
        socketPath: undefined,
        host: url.hostname,
        port: url.port ? Number(url.port) : 22,
        protocol: 'ssh',
        username: url.username || undefined,
        sshOptions: { agent: env.SSH_AUTH_SOCK },
        ca: undefined,
        cert: undefined,
        key: undefined,
      },
      local: false,
    };
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:')
    throw bad(`unsupported scheme ${url.protocol}`);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 2376 : 2375;
  const secure = tls.verify || tls.tlsImplied || url.protocol === 'https:' || port === 2376 || !!tls.certPath;
  const modem: DockerEndpoint['modem'] = {
    socketPath: undefined,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    protocol: secure ? 'https' : 'http',
    ca: undefined,
    cert: undefined,
    key: undefined,
  };
  if (secure && tls.certPath) {
    const read = (name: string) => {
      const file = path.join(tls.certPath!, name);
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    };
    modem.ca = read('ca.pem');
    modem.cert = read('cert.pem');
    modem.key = read('key.pem');
    if (!modem.cert !== !modem.key)
      throw new UserError(
        `${tls.certPath} has only one of cert.pem and key.pem: the Docker TLS client needs both (DOCKER_CERT_PATH).`,
        'EDOCKERTLS',
      );
  }
  return { url: `tcp://${url.host}`, source, modem, local: false };
}
