import type { AcmeStatus } from '../acme/acmeService';
import type { CaptureRecord, CaptureSummary } from '../capture/types';
import type { CertMeta } from '../certs/certStore';
import type { DockerStatus } from '../docker/types';
import type { PortsStatus } from '../ports/types';
import type { LanStatus } from '../lan/types';
import type { RouteView } from '../routes/types';

// The domain types are declared in their domains (which never import control/) and re-exported
// here, so this file and protocol.ts are the whole contract clients import (docs/architecture.md).
export type { AcmeStatus } from '../acme/acmeService';
export type { CertMeta } from '../certs/certStore';
export type { AutoDomain, ContainerInfo, ContainersResponse, DockerStatus } from '../docker/types';
export type { RouteView } from '../routes/types';
export type { ProbeRequest, ProbeResult } from '../probe/routeProbe';
export type { CaStatus } from '../trust/types';
export type { PortHolder, PortsMode, PortsStatus } from '../ports/types';
export type { CaShareInfo, CaShareRequest, LanInterface, LanShareRequest, LanShareView, LanStatus } from '../lan/types';
export type {
  CaptureRecord,
  CaptureSummary,
  CapturedBody,
  CaptureError,
  CaptureTimings,
  WebSocketCapture,
  WebSocketFrame,
} from '../capture/types';
export type { ReplayEdits } from '../capture/replay';

/** Shapes of the control API's JSON (docs/architecture.md). Stable: clients and `--json` output use them. */
export interface DaemonStatus {
  version: string;
  pid: number;
  stateDir: string;
  startedAt: string;
  /** workers: the proxy worker processes (configured, ready now, their pids). */
  https: { bind: string; port: number; workers?: { configured: number; ready: number; pids: number[] } };
  http: { bind: string; port: number } | null;
  ca: { certFile: string; fingerprint256: string; permittedSuffixes: string[] };
  docker: DockerStatus;
  /** ACME (Let's Encrypt) settings and renewal schedule; see AcmeStatus. */
  acme: AcmeStatus;
  /** Whether URLs carry a port: the 443/80 redirect of `ports setup`, or who holds 443 (docs/ports.md). */
  ports: PortsStatus;
  /** Routes and the CA shared with the LAN, and the interface it listens on (docs/lan.md). */
  lan?: LanStatus;
  problems: string[];
}

export interface RoutesResponse {
  routes: RouteView[];
}

export interface CertsResponse {
  certs: CertMeta[];
}

/** GET /v1/certs/:host: one certificate with its PEM chain (never the key), for clients to show. */
export interface CertResponse {
  meta: CertMeta;
  certPem: string;
}

export interface ExposeRequest {
  target: string;
  tls?: 'local' | 'acme';
  /** Route only this path and below it (`/api`); left out: the whole host. */
  path?: string;
  /** Remove `path` before forwarding (the backend sees `/x` for `/api/x`). */
  stripPrefix?: boolean;
  /** Tried before routes of lower priority for the same host; default: the rule's length, as Traefik. */
  priority?: number;
}

/** GET /v1/requests: the newest first, filtered; `stored` and `bytes` tell how full the buffer is. */
export interface RequestsResponse {
  requests: CaptureSummary[];
  capture: { stored: number; bytes: number; maxRequests: number; maxBytes: number; bodyBytes: number };
}

/** GET /v1/requests/:id (`?secrets=1` unmasks credentials). */
export interface RequestResponse {
  request: CaptureRecord;
}

/** POST /v1/requests/:id/replay: the new request's record (itself linked by `replayOf`). */
export interface ReplayResponse {
  id: string;
  replayOf: string;
  status: number;
  request?: CaptureSummary;
}
