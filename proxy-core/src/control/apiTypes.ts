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
