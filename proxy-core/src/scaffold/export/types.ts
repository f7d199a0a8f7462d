import type { ContainerInfo } from '../../docker/types';
import type { RouteRecord } from '../../routes/types';

/**
 * What `scaffold export` works from: the running proxy's state as its control API returns it
 * (GET /v1/routes, GET /v1/containers, GET /v1/status), plain data, so the CLI, the editor and
 * the tests build it the same way and the generators never talk to the daemon.
 */
export interface ExportInput {
  /** GET /v1/routes (route views are records plus status; the status is ignored). */
  routes: RouteRecord[];
  /** GET /v1/containers: images, compose project and service, ports. */
  containers: ContainerInfo[];
  /**
   * The local CA's name suffixes (GET /v1/status `ca.permittedSuffixes`): a name under one of
   * them cannot get a public certificate, so it needs a public name before production.
   */
  localSuffixes: string[];
}

export type ExportTarget = 'compose' | 'swarm' | 'k8s';
export const EXPORT_TARGETS: readonly ExportTarget[] = ['compose', 'swarm', 'k8s'];

/** Kubernetes only: Traefik's CRDs (IngressRoute, Middleware) or a standard Ingress with cert-manager. */
export type IngressKind = 'traefik' | 'standard';
export const INGRESS_KINDS: readonly IngressKind[] = ['traefik', 'standard'];

/** One rewrite of host names: a whole name (`app.localhost`) or a suffix (`.localhost`). */
export interface DomainMapping {
  from: string;
  to: string;
  /** true: `from` is a suffix (written with a leading dot); it replaces the end of the name. */
  suffix: boolean;
}

export interface ExportOptions {
  to: ExportTarget;
  /** `.localhost=example.com[,app.localhost=shop.example.com]`, or already parsed. */
  domainMap?: string | DomainMapping[];
  /** Kubernetes only; default `traefik`. */
  ingress?: IngressKind;
  /** Let's Encrypt contact; without it a placeholder is written and a note says so. */
  email?: string;
  /** Let's Encrypt's staging CA (untrusted certificates, generous rate limits). */
  staging?: boolean;
  /** Docker network (compose) or overlay network (swarm) Traefik reaches the apps on; default `proxy`. */
  network?: string;
  /** Directory the files are meant for: prefixed to every file's path and named in the notes. */
  out?: string;
}

export interface ExportFile {
  /** Relative to `out` (or prefixed with it when given), `/`-separated. */
  path: string;
  text: string;
}

export interface ExportResult {
  files: ExportFile[];
  /** One line each: what needs a person (a local name left, a middleware a target cannot carry), then what to run. */
  notes: string[];
}
