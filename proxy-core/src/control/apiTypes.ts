import type { AcmeStatus } from '../acme/acmeSetup';
import type { CertMeta } from '../certs/certStore';
import type { RouteView } from '../routes/types';

/** Shapes of the control API's JSON (design §4). Stable: clients and `--json` output use them. */
export interface DaemonStatus {
  version: string;
  pid: number;
  stateDir: string;
  startedAt: string;
  /** workers: the proxy worker processes (configured, ready now, their pids). */
  https: { bind: string; port: number; workers?: { configured: number; ready: number; pids: number[] } };
  http: { bind: string; port: number } | null;
  ca: { certFile: string; fingerprint256: string; permittedSuffixes: string[] };
  docker: {
    enabled: boolean;
    labels: boolean;
    connected: boolean;
    endpoint?: string;
    error?: string;
    /** How the endpoint was chosen: "--docker-host", "DOCKER_HOST", "context NAME", "default socket", "Podman socket". */
    endpointSource?: string;
    /** The negotiated Engine API version. */
    apiVersion?: string;
    /** The --docker-address setting, and what "auto" means for this engine. */
    addressMode?: 'auto' | 'ip' | 'published';
    address?: 'ip' | 'published';
  };
  /** ACME (Let's Encrypt) settings and renewal schedule; see AcmeStatus. */
  acme: AcmeStatus;
  problems: string[];
}

export interface RoutesResponse {
  routes: RouteView[];
}

export interface CertsResponse {
  certs: CertMeta[];
}

export interface ExposeRequest {
  target: string;
  tls?: 'local' | 'acme';
}

/** Events on GET /v1/events. */
export type DaemonEvent =
  | { event: 'routes'; data: RoutesResponse }
  | { event: 'certs'; data: CertsResponse }
  | { event: 'status'; data: DaemonStatus }
  | { event: 'containers'; data: ContainersResponse }
  | { event: 'log'; data: { line: string; at: string } }
  | { event: 'ca'; data: CaStatus };

/**
 * GET /v1/ca, POST /v1/ca/check (verifies again, then answers the same) and event 'ca' (sent on
 * subscribe and whenever ca/trust.json changes, e.g. after `container-https ca trust`).
 */
export interface CaStatus {
  certFile: string;
  fingerprint256: string;
  permittedSuffixes: string[];
  permittedIpRanges: string[];
  /** The line for users' own Node scripts: `NODE_EXTRA_CA_CERTS=<certFile>`. */
  nodeExtraCaCerts: string;
  /**
   * True when the last verification (for this CA) found it trusted in at least one store and in
   * no store that `ca trust` added was it "not-trusted". The status bar shows "CA not trusted"
   * while this is false.
   */
  trusted: boolean;
  /** Stores `ca trust` added the CA to (from ca/trust.json); `ca untrust` removes exactly these. */
  added: Array<{ id: string; kind: 'system' | 'nss' | 'java'; label: string; at: string }>;
  /** Per store: trusted / not-trusted / unknown (could not check), with what was checked. */
  lastCheck: null | {
    at: string;
    stores: Array<{ id: string; kind: 'system' | 'nss' | 'java'; label: string; result: 'trusted' | 'not-trusted' | 'unknown'; detail: string }>;
  };
  /** Set when ca/trust.json could not be used (corrupt, or from an earlier CA). */
  problem?: string;
}

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
}

export interface ContainersResponse {
  /** False when discovery is off or the engine is unreachable; `error` says why. */
  connected: boolean;
  endpoint?: string;
  error?: string;
  containers: ContainerInfo[];
}
