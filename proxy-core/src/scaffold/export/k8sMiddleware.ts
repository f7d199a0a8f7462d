import type { PlannedMiddleware } from './exportPlan';

/**
 * One middleware as the `spec` of Traefik's Middleware CRD (traefik.io/v1alpha1). Most types
 * take the same options as in labels and files (Traefik's CRD provider passes them through,
 * pkg/provider/kubernetes/crd/kubernetes.go); the ones that point at files or at Traefik
 * services point at Kubernetes objects instead: users move into a Secret, an error page names
 * a Kubernetes Service, forwardAuth's client certificate would be a Secret.
 */

const SAME_OPTIONS = new Set([
  'addPrefix',
  'stripPrefix',
  'stripPrefixRegex',
  'replacePath',
  'replacePathRegex',
  'redirectScheme',
  'redirectRegex',
  'headers',
  'ipAllowList',
  'ipWhiteList',
  'encodedCharacters',
  'inFlightReq',
  'passTLSClientCert',
  'contentType',
  'grpcWeb',
  'buffering',
  'compress',
  'retry',
  'circuitBreaker',
  'plugin',
]);

/** A placeholder no password matches: auth stays closed until real users are put in the Secret. */
const PLACEHOLDER_USER = 'REPLACE-ME:REPLACE-WITH-OUTPUT-OF-htpasswd-nB-USER';

export interface CrdMiddleware {
  /** The Middleware's spec; undefined when it cannot be written (see problems). */
  spec?: Record<string, unknown>;
  /** A Secret the spec refers to (basicAuth, digestAuth users): its name and one `users` value. */
  secret?: { name: string; users: string };
  problems: string[];
}

export interface CrdNames {
  /** The Kubernetes name of another plan middleware (chain). */
  middleware(name: string): string | undefined;
  /** The Kubernetes Service and port serving a Traefik service name (errors), if the export has one. */
  service(name: string): { name: string; port: number } | undefined;
  /** Name for this middleware's Secret. */
  secret: string;
}

function without(options: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const out = { ...options };
  for (const k of keys) delete out[k];
  return out;
}

export function crdMiddleware(m: PlannedMiddleware, names: CrdNames): CrdMiddleware {
  const o = m.options;
  if (SAME_OPTIONS.has(m.type)) return { spec: { [m.type]: o }, problems: [] };
  if (m.type === 'rateLimit') {
    if (o.redis === undefined) return { spec: { rateLimit: o }, problems: [] };
    return {
      spec: { rateLimit: without(o, 'redis') },
      problems: ['its redis store is left out (the CRD takes its credentials from a Secret): add spec.rateLimit.redis'],
    };
  }
  if (m.type === 'basicAuth' || m.type === 'digestAuth') {
    const users = Array.isArray(o.users) ? o.users.map(String) : [];
    const problems: string[] = [];
    if (o.usersFile !== undefined)
      problems.push(
        `its users file (${String(o.usersFile)}) is not here: put its lines into Secret ${names.secret} (until then nobody can log in)`,
      );
    return {
      spec: { [m.type]: { ...without(o, 'users', 'usersFile'), secret: names.secret } },
      secret: { name: names.secret, users: (users.length ? users : [PLACEHOLDER_USER]).join('\n') + '\n' },
      problems,
    };
  }
  if (m.type === 'forwardAuth') {
    const tls = o.tls as Record<string, unknown> | undefined;
    if (!tls) return { spec: { forwardAuth: o }, problems: [] };
    const keep = without(tls, 'ca', 'cert', 'key');
    const files = ['ca', 'cert', 'key'].filter((k) => tls[k] !== undefined);
    return {
      spec: { forwardAuth: { ...without(o, 'tls'), ...(Object.keys(keep).length ? { tls: keep } : {}) } },
      problems: files.length
        ? [
            `its TLS files (${files.join(', ')}) are left out: put them in Secrets and set tls.caSecret / tls.certSecret`,
          ]
        : [],
    };
  }
  if (m.type === 'errors') {
    const service = typeof o.service === 'string' ? names.service(o.service.replace(/@[^@]*$/, '')) : undefined;
    if (!service)
      return {
        problems: [
          `its error pages come from the Traefik service "${String(o.service)}", which is not among the exported apps: write spec.errors.service ({name, port} of a Kubernetes Service)`,
        ],
      };
    return { spec: { errors: { ...o, service } }, problems: [] };
  }
  if (m.type === 'chain') {
    const listed = Array.isArray(o.middlewares) ? o.middlewares.map(String) : [];
    const refs = listed.map((n) => names.middleware(n.replace(/@[^@]*$/, '')));
    const missing = listed.filter((_, i) => !refs[i]);
    if (missing.length) return { problems: [`it chains middlewares that are not exported: ${missing.join(', ')}`] };
    return { spec: { chain: { middlewares: refs.map((name) => ({ name })) } }, problems: [] };
  }
  return { problems: [`Traefik's Middleware CRD has no type "${m.type}"`] };
}
