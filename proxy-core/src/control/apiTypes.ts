import type { CertMeta } from '../certs/certStore';
import type { RouteView } from '../routes/types';

/** Shapes of the control API's JSON (design §4). Stable: clients and `--json` output use them. */
export interface DaemonStatus {
  version: string;
  pid: number;
  stateDir: string;
  startedAt: string;
  https: { bind: string; port: number };
  http: { bind: string; port: number } | null;
  ca: { certFile: string; fingerprint256: string; permittedSuffixes: string[] };
  docker: { enabled: boolean; labels: boolean; connected: boolean; endpoint?: string; error?: string };
  acme: { enabled: boolean; directory?: string; email?: string; challenge?: string };
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
  | { event: 'containers'; data: unknown }
  | { event: 'log'; data: { line: string; at: string } };

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
}

export interface ContainersResponse {
  /** False when discovery is off or the engine is unreachable; `error` says why. */
  connected: boolean;
  endpoint?: string;
  error?: string;
  containers: ContainerInfo[];
}
