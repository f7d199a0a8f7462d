/**
 * Docker's own shapes: what discovery reports. The control API re-exports them as part of its
 * contract (control/apiTypes.ts), so they live here and not there: docker/ never imports control/.
 */

/** A container as the editor's tree and the CLI see it (GET /v1/containers, event 'containers'). */
export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  state: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  health?: 'starting' | 'healthy' | 'unhealthy';
  /** Docker's human text, e.g. "Up 3 minutes". */
  status: string;
  compose?: { project: string; service: string; workingDir?: string; configFiles?: string };
  networks: Array<{ name: string; ip?: string; ipv6?: string }>;
  ports: Array<{ containerPort: number; protocol: 'tcp' | 'udp'; hostIp?: string; hostPort?: number }>;
  labels: Record<string, string>;
  /** Routing labels that could not be used (unsupported rule, host claimed twice, bad port). */
  problems?: string[];
  /** The container's automatic name (serve --auto-domains), present for every container the mode covers. */
  autoDomain?: AutoDomain;
}

/**
 * A container's automatic name (docker/autoDomains.ts): `host` when it has one, else `reason`.
 * Both can be present (a name, and why one of its ports got none). While its ports are first
 * being probed, `pending` is true and `reason` says so.
 */
export interface AutoDomain {
  /** `web.shop.localhost` (compose service and project) or `name.localhost` (--auto-domains all). */
  host?: string;
  /** The container port `host` routes to. */
  port?: number;
  /** How that port was chosen: the container-https.port label, the only exposed TCP port, or the lowest that answered HTTP. */
  portFrom?: 'label' | 'only' | 'probe';
  /** Every other port that answered HTTP: `9000.web.shop.localhost`. */
  others?: Array<{ host: string; port: number }>;
  /** Why there is no name (or no name yet, or not for every port), one sentence. */
  reason?: string;
  pending?: true;
}

export interface ContainersResponse {
  /** False when discovery is off or the engine is unreachable; `error` says why. */
  connected: boolean;
  endpoint?: string;
  error?: string;
  containers: ContainerInfo[];
}

/** Docker discovery's state: the `docker` field of GET /v1/status. */
export interface DockerStatus {
  enabled: boolean;
  labels: boolean;
  /** serve --auto-domains: which containers get automatic names. */
  autoDomains?: 'off' | 'compose' | 'all';
  connected: boolean;
  endpoint?: string;
  error?: string;
  /** How the endpoint was chosen: "--docker-host", "DOCKER_HOST", "context NAME", "default socket", "Podman socket". */
  endpointSource?: string;
  /** The negotiated Engine API version. */
  apiVersion?: string;
  /** The --docker-address setting, and what "auto" means for this engine. */
  addressMode?: 'auto' | 'ip' | 'published';
  /** How container targets and automatic names reach containers now: their IPs, or published host ports. */
  address?: 'ip' | 'published';
  /** Why `address` is in force, one sentence: the flag, or what --docker-address auto found about the engine. */
  addressWhy?: string;
}
