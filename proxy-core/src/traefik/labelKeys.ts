/**
 * Traefik's container label keys, v1 and v3, for both directions: docker/labels.ts reads them
 * off containers, scaffold/ writes and migrates them. Keys are built and taken apart here only,
 * so a key the reader understands is spelled the same as the one the generators write.
 */

/** One label, as compose and the engine hold it. */
export type LabelPair = [key: string, value: string];

export const TRAEFIK_PREFIX = 'traefik.';
export const ENABLE = 'traefik.enable';
/** The network Traefik (and the local proxy) reaches the container on. */
export const DOCKER_NETWORK = 'traefik.docker.network';
/** The same for Traefik's Swarm provider, which reads labels off services (`deploy.labels`). */
export const SWARM_NETWORK = 'traefik.swarm.network';

/** Options of a v3 router, below `traefik.http.routers.<name>.`. */
export const ROUTER = {
  rule: 'rule',
  entrypoints: 'entrypoints',
  certResolver: 'tls.certresolver',
  service: 'service',
  middlewares: 'middlewares',
  priority: 'priority',
  /** `true`: TLS with the default certificate, for routers that get no certificate resolver. */
  tls: 'tls',
  ruleSyntax: 'rulesyntax',
} as const;

/** Options of a v3 service, below `traefik.http.services.<name>.`. */
export const SERVICE = {
  port: 'loadbalancer.server.port',
  scheme: 'loadbalancer.server.scheme',
  passHostHeader: 'loadbalancer.passhostheader',
  stickyCookie: 'loadbalancer.sticky.cookie',
  stickyCookieName: 'loadbalancer.sticky.cookie.name',
  healthcheck: (option: string) => `loadbalancer.healthcheck.${option}`,
} as const;

/** v3 HTTP routers, services and middlewares live below this. */
export const HTTP_PREFIX = 'traefik.http.';

export type HttpKind = 'routers' | 'services' | 'middlewares';

export function httpKey(kind: HttpKind, name: string, option: string): string {
  return `${HTTP_PREFIX}${kind}.${name}.${option}`;
}

export const routerKey = (router: string, option: string): string => httpKey('routers', router, option);
export const serviceKey = (service: string, option: string): string => httpKey('services', service, option);
export const middlewareKey = (middleware: string, option: string): string => httpKey('middlewares', middleware, option);

/**
 * The labels that define one middleware: `traefik.http.middlewares.<name>.<type>.<option>=value`,
 * with Traefik's own label encoding (its paerser package): nested options as dotted keys, lists
 * of values comma-joined, lists of objects as `option[0].field`, and a middleware without
 * options as `<type>=true`. A value that this encoding cannot carry (a list item holding a
 * comma) is returned as a problem instead of a label that would read back differently.
 */
export function middlewareLabels(
  name: string,
  type: string,
  options: Record<string, unknown>,
): { pairs: LabelPair[]; problems: string[] } {
  const pairs: LabelPair[] = [];
  const problems: string[] = [];
  const visit = (key: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== 'object' || v === null)) {
        const items = value.filter((v) => v !== null && v !== undefined).map(String);
        const bad = items.find((v) => v.includes(','));
        if (bad !== undefined)
          problems.push(`${key}: the list item "${bad}" holds a comma, which labels use to separate items`);
        else if (items.length) pairs.push([key, items.join(',')]);
      } else value.forEach((v, i) => visit(`${key}[${i}]`, v));
      return;
    }
    if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (!entries.length) pairs.push([key, 'true']);
      for (const [k, v] of entries) visit(`${key}.${k}`, v);
      return;
    }
    pairs.push([key, String(value)]);
  };
  visit(middlewareKey(name, type), options);
  return { pairs, problems };
}

/** `traefik.http.routers.r.rule` → { kind: 'routers', name: 'r', option: 'rule' } (case as written). */
export function parseHttpKey(
  key: string,
  ignoreCase = false,
): { kind: HttpKind; name: string; option: string } | undefined {
  const m = (
    ignoreCase
      ? /^traefik\.http\.(routers|services|middlewares)\.([^.]+)\.(.+)$/i
      : /^traefik\.http\.(routers|services|middlewares)\.([^.]+)\.(.+)$/
  ).exec(key);
  return m ? { kind: m[1].toLowerCase() as HttpKind, name: m[2], option: m[3] } : undefined;
}

/** Router (or service) names the keys use, in order of first use. */
export function httpNames(keys: string[], kind: HttpKind, ignoreCase = false): string[] {
  const names = new Set<string>();
  for (const k of keys) {
    const parsed = parseHttpKey(k, ignoreCase);
    if (parsed?.kind === kind) names.add(parsed.name);
  }
  return [...names];
}

/** TCP and UDP routers and services, which only Traefik itself serves. */
export function isTcpUdpKey(key: string): boolean {
  return /^traefik\.(tcp|udp)\./.test(key);
}

/** A key that asks for a route (a v3 router, or a v1 frontend rule): worth a hint when traefik.enable is missing. */
export function isRoutingKey(key: string): boolean {
  return /^traefik\.(http\.routers|frontend\.rule|[^.]+\.frontend\.rule)/.test(key);
}

// ---- Traefik v1 -------------------------------------------------------------------------

/** v1 keys of the unnamed frontend; a named segment puts its name after `traefik.`. */
export const V1 = {
  frontendRule: 'frontend.rule',
  entrypoints: 'frontend.entrypoints',
  port: 'port',
  protocol: 'protocol',
  backend: 'backend',
} as const;

/** Words that follow `traefik.` (or `traefik.<segment>.`) in v1 keys. */
const V1_WORDS = new Set(['frontend', 'backend', 'port', 'protocol', 'weight', 'tags']);
/** Words after `traefik.` that never name a v1 segment: v1's own words, v3's, and provider-wide ones. */
const NOT_SEGMENTS = new Set([...V1_WORDS, 'http', 'tcp', 'udp', 'docker', 'enable', 'domain']);

/** `traefik.frontend.rule`, or `traefik.<segment>.frontend.rule` for a named segment. */
export function v1Key(segment: string, rest: string): string {
  return `traefik.${segment ? segment + '.' : ''}${rest}`;
}

/**
 * The segment ('' for the unnamed frontend) and option of a v1 routing key the reader uses:
 * frontend.rule, port or protocol. Anything else is undefined.
 */
export function parseV1RoutingKey(
  key: string,
): { segment: string; option: 'frontend.rule' | 'port' | 'protocol' } | undefined {
  if (key === v1Key('', V1.frontendRule)) return { segment: '', option: 'frontend.rule' };
  if (key === v1Key('', V1.port)) return { segment: '', option: 'port' };
  if (key === v1Key('', V1.protocol)) return { segment: '', option: 'protocol' };
  const m = /^traefik\.([^.]+)\.(frontend\.rule|port|protocol)$/.exec(key);
  if (!m || NOT_SEGMENTS.has(m[1])) return undefined;
  return { segment: m[1], option: m[2] as 'frontend.rule' | 'port' | 'protocol' };
}

const SAME_IN_V3 = /^traefik\.(enable|docker\.|http\.|tcp\.|udp\.|tls\.)/i;

/** True for a v1-style traefik label (one v3 does not read the same way). */
export function isV1Label(key: string): boolean {
  return /^traefik\./i.test(key) && !SAME_IN_V3.test(key);
}

/** A v1 label's segment ('' = the unnamed frontend) and the rest of its key, as written. */
export function splitV1Key(key: string): { segment: string; rest: string } {
  const parts = key.split('.');
  const segment =
    parts.length > 2 && !V1_WORDS.has(parts[1].toLowerCase()) && V1_WORDS.has(parts[2].toLowerCase()) ? parts[1] : '';
  return { segment, rest: parts.slice(segment ? 2 : 1).join('.') };
}
