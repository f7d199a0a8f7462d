import Docker from 'dockerode';
import { DockerEndpoint } from './dockerEndpoint';

/** The newest Engine API version this code has been written against. */
export const CLIENT_API_VERSION = '1.47';

export interface EngineFacts {
  apiVersion: string;
  /** Engine version text ("20.10.24", "Docker Desktop 4.x" hosts report theirs, Podman "5.0"). */
  version: string;
  /** Docker Desktop (macOS/Windows/Linux VM) or rootless: container IPs are not reachable from here. */
  ipsUnreachable: boolean;
  why?: string;
  /** Podman's API serves containers and events like Docker's, with differences docker/dockerWatcher.ts evens out. */
  engine: 'docker' | 'podman';
  /** Docker's container list includes exposed, unpublished ports; Podman's only published ones. */
  listsExposedPorts: boolean;
}

export interface Engine {
  docker: Docker;
  facts: EngineFacts;
}

/**
 * Connects and negotiates the API version like the docker CLI: ask the engine (unversioned
 * /version), then use the lower of its version and ours — but never below its minimum, which
 * Engine 29 raised to 1.44 and which a fixed old client version would fail against.
 */
export async function connectEngine(endpoint: DockerEndpoint, timeoutMs = 5000): Promise<Engine> {
  const probe = new Docker({ ...endpoint.modem, timeout: timeoutMs } as Docker.DockerOptions);
  let version: {
    ApiVersion?: string;
    MinAPIVersion?: string;
    Version?: string;
    Os?: string;
    Components?: Array<{ Name?: string; Version?: string }>;
  };
  try {
    version = (await probe.version()) as typeof version;
  } catch (err) {
    throw new Error(describeConnectError(endpoint, err));
  }
  const apiVersion = negotiate(version.ApiVersion, version.MinAPIVersion);
  const docker = new Docker({ ...endpoint.modem, version: `v${apiVersion}` } as Docker.DockerOptions);
  let info: { OperatingSystem?: string; SecurityOptions?: string[]; Name?: string } = {};
  try {
    info = (await docker.info()) as typeof info;
  } catch {
    // Facts only refine the address choice; the engine answered, so carry on.
  }
  const podman = (version.Components ?? []).some((c) => /podman/i.test(c.Name ?? ''));
  const { ipsUnreachable, why } = reachability({
    local: endpoint.local,
    operatingSystem: info.OperatingSystem,
    securityOptions: info.SecurityOptions,
    podman,
    podmanRootless: podman ? await podmanRootless(probe) : undefined,
    uid: process.getuid?.(),
    platform: process.platform,
  });
  return {
    docker,
    facts: {
      apiVersion,
      version: version.Version ?? '',
      ipsUnreachable,
      why,
      engine: podman ? 'podman' : 'docker',
      listsExposedPorts: !podman,
    },
  };
}

/**
 * Podman's own API says whether it runs rootless (`GET /v4.0.0/libpod/info`,
 * host.security.rootless); its Docker-compatible /info does not (4.3 lists no name=rootless).
 * undefined when it cannot be asked.
 */
async function podmanRootless(probe: Docker): Promise<boolean | undefined> {
  try {
    const info = await new Promise<{ host?: { security?: { rootless?: boolean } } }>((resolve, reject) =>
      probe.modem.dial(
        { path: '/v4.0.0/libpod/info', method: 'GET', options: {}, statusCodes: { 200: true } },
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as never)),
      ),
    );
    const rootless = info.host?.security?.rootless;
    return typeof rootless === 'boolean' ? rootless : undefined;
  } catch {
    return undefined;
  }
}

/** What decides whether container IPs can be reached from this process. */
export interface ReachabilityInput {
  /** A unix socket or pipe on this machine (docker/dockerEndpoint.ts). */
  local: boolean;
  /** GET /info's OperatingSystem: "Docker Desktop" for Desktop's VM. */
  operatingSystem?: string;
  /** GET /info's SecurityOptions: rootless Docker and rootless Podman both list "name=rootless". */
  securityOptions?: string[];
  podman: boolean;
  /** Podman's libpod info: true when it runs rootless (podmanRootless). */
  podmanRootless?: boolean;
  uid?: number;
  platform: NodeJS.Platform;
}

/**
 * Whether container IPs are reachable from here, and if not why, for --docker-address auto:
 * a remote engine, Docker Desktop's VM, a rootless engine's own network namespace (rootless
 * Docker's RootlessKit, Podman's slirp4netns/pasta) and any engine on macOS or Windows keep
 * container IPs where the host cannot route; then routes and automatic names use published ports.
 */
export function reachability(f: ReachabilityInput): { ipsUnreachable: boolean; why?: string } {
  if (!f.local) return { ipsUnreachable: true, why: 'the engine is remote' };
  if (/Docker Desktop/i.test(f.operatingSystem ?? ''))
    return { ipsUnreachable: true, why: 'Docker Desktop runs containers in a VM' };
  const rootless = (f.securityOptions ?? []).some((o) => /name=rootless/.test(o));
  // When Podman cannot be asked (podmanRootless undefined), a daemon running as a user is taken
  // to be talking to that user's rootless Podman.
  const podmanRootless = f.podman && (f.podmanRootless ?? (f.uid !== undefined && f.uid !== 0));
  if (rootless || podmanRootless)
    return { ipsUnreachable: true, why: 'the engine is rootless (its containers live in its own network namespace)' };
  if (f.platform !== 'linux') return { ipsUnreachable: true, why: `this is ${f.platform}, containers run in a VM` };
  return { ipsUnreachable: false };
}

export function negotiate(server: string | undefined, serverMin: string | undefined): string {
  if (!server) return CLIENT_API_VERSION;
  let chosen = compareVersions(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
  if (serverMin && compareVersions(chosen, serverMin) < 0) chosen = serverMin;
  return chosen;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Names the endpoint, how it was chosen, and the likely fix. */
export function describeConnectError(endpoint: DockerEndpoint, err: unknown): string {
  const e = err as NodeJS.ErrnoException & { statusCode?: number };
  const where = `Docker engine at ${endpoint.url} (${endpoint.source})`;
  switch (e?.code) {
    case 'ENOENT':
      return `${where} is not reachable: the socket does not exist. Is Docker running? Otherwise set DOCKER_HOST or --docker-host.`;
    case 'ECONNREFUSED':
      return `${where} refused the connection. Is Docker running? Otherwise set DOCKER_HOST or --docker-host.`;
    case 'EACCES':
      return `${where} is not reachable: permission denied on the socket. Add your user to the "docker" group (then log in again).`;
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return `${where} did not answer in time. Check the host and any firewall, or set DOCKER_HOST.`;
    case 'ENOTFOUND':
      return `${where} is not reachable: host name not found. Check DOCKER_HOST or the Docker context.`;
  }
  const message = e instanceof Error ? e.message : String(err);
  return `${where} is not reachable: ${message.trim() || 'no answer'}.`;
}
