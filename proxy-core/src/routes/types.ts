import type { Middleware, MiddlewareSpec } from '../middlewares/types';
import type { MatchRequest } from '../traefik/matcher';

/**
 * Route records are plain data: every source produces them, the table merges them. `auto`: a
 * container's automatic name (serve --auto-domains, docker/autoDomains.ts).
 */
export type RouteSource = 'user' | 'label' | 'file' | 'auto' | 'demo';
export type TlsMode = 'local' | 'acme';

export interface RouteRecord {
  host: string;
  /** Target as text: http://127.0.0.1:5000, container:web:5000, builtin:demo. */
  target: string;
  tls: TlsMode;
  source: RouteSource;
  /** For label routes: the container that carried the labels; for automatic names: the container named. */
  container?: string;
  createdAt: string;
  /**
   * User routes: the path prefix they take (`/api`), without a trailing slash; absent: the
   * whole host. Label and file routers say this in their rule instead.
   */
  path?: string;
  /** User routes: remove `path` before forwarding (a stripPrefix middleware). */
  stripPrefix?: boolean;
  /** Traefik rule (label and file routers); absent: Host(`host`), plus PathPrefix(`path`). */
  rule?: string;
  /** 'v2' when the router asks for Traefik v2's rule syntax. */
  ruleSyntax?: 'v2';
  /** The router's own priority; absent or 0: the rule's length, as Traefik. */
  priority?: number;
  /** Router name as Traefik qualifies it (`web@docker`, `api@file`); user routes have none. */
  router?: string;
  /** The middlewares, in order, chains flattened. */
  middlewares?: MiddlewareSpec[];
  /** Every server of the router's service when it has several (round robin); `target` is the first. */
  servers?: string[];
  /** When `host` is the local alias of a production name (`shop.example.com.localhost`): that name. */
  publicHost?: string;
}

/** Where a request for a host goes right now. */
export type Upstream = { protocol: 'http:' | 'https:'; hostname: string; port: number; href: string };

export type Resolution =
  | { kind: 'upstream'; upstream: Upstream; via?: string }
  | { kind: 'builtin'; name: 'demo' }
  | { kind: 'unavailable'; status: number; title: string; detail: string };

/** The router that takes a request, where its service is, and what runs in between. */
export interface Routed {
  record: RouteRecord;
  resolution: Resolution;
  middlewares: Middleware[];
}

/** What the HTTPS listener reads for each request: the route table, or a worker's copy of it. */
export interface RouteLookup {
  /** `request` is called (once) only when a router's rule needs more than the host. */
  route(host: string, request: () => MatchRequest): Routed | undefined;
  /** The first route tried for a host, if any (the HTTP listener's "is this host ours?"). */
  get(host: string): RouteRecord | undefined;
  list(): RouteRecord[];
}

/**
 * Supplied by the Docker side: turns `container:NAME[:PORT]` into an address or a reason.
 * It runs for every proxied request to a container route (and for every route in each worker
 * snapshot), so it only looks up state kept current by events: nothing is parsed or fetched
 * here (docker/discovery.ts).
 */
export type ContainerResolver = (container: string, port: number | undefined) => Resolution;

export interface RouteView extends RouteRecord {
  /** Includes the route's path (`https://app.localhost:8443/api/`) when it has one. */
  url: string;
  /** The rule it routes by (its own, or the one its host and path stand for). */
  effectiveRule: string;
  /** The priority it is tried with among the routes of its host (its own, else the rule's length). */
  effectivePriority: number;
  status: 'ready' | 'unavailable' | 'pending';
  detail?: string;
  upstream?: string;
  /** Set while the route is shared on the LAN (`share HOST`, docs/lan.md): its `.local` name and URL. */
  lan?: { name: string; url: string; authUser?: string };
}
