/**
 * Traefik's dynamic HTTP configuration as plain data: what its Docker provider reads off labels
 * and its file provider reads from YAML or TOML. Both decoders (traefik/labelConfig.ts,
 * traefik/fileConfig.ts) produce this shape with Traefik's option names (camelCase as in its
 * docs), so the route model reads one vocabulary whatever the source.
 */

export interface RouterConfig {
  rule?: string;
  /** 'v2' asks for Traefik v2's rule syntax (Traefik v3's ruleSyntax option). */
  ruleSyntax?: string;
  priority?: number;
  service?: string;
  /** Names as written: `auth`, `auth@docker`, `auth@file`. */
  middlewares?: string[];
  entryPoints?: string[];
  tls?: { certResolver?: string; options?: string; domains?: Array<{ main?: string; sans?: string[] }> };
}

export interface ServerConfig {
  /** File provider: `http://10.0.0.5:8080`. */
  url?: string;
  /** Docker provider: the container port (`loadbalancer.server.port`). */
  port?: number;
  /** Docker provider: `loadbalancer.server.scheme`. */
  scheme?: string;
}

export interface ServiceConfig {
  loadBalancer?: {
    servers?: ServerConfig[];
    passHostHeader?: boolean;
    /** Anything else Traefik's loadBalancer takes (sticky, healthCheck…): kept as written, reported. */
    [option: string]: unknown;
  };
  /** weighted, mirroring, failover: kept as written so they can be reported by name. */
  [kind: string]: unknown;
}

/** One middleware: exactly one key, its type (`stripPrefix`, `basicAuth`…), holding its options. */
export type MiddlewareConfig = Record<string, Record<string, unknown>>;

export interface HttpConfig {
  routers: Record<string, RouterConfig>;
  services: Record<string, ServiceConfig>;
  middlewares: Record<string, MiddlewareConfig>;
}

/** A decoder's answer: what it could read, and one line per thing it could not. */
export interface Decoded {
  config: HttpConfig;
  problems: string[];
}

export const emptyConfig = (): HttpConfig => ({ routers: {}, services: {}, middlewares: {} });
