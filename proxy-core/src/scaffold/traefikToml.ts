import { isIP } from 'node:net';
import { UserError } from '../errors';
import { normalizeHost } from '../routes/hostName';
import { ENABLE } from '../traefik/labelKeys';
import { DASHBOARD_SERVICE, ENTRY_DASHBOARD, ENTRY_WEB, ENTRY_WEBSECURE, RESOLVER } from '../traefik/names';
import { hostsRule } from '../traefik/rules';
import { DEFAULT_NETWORK, checkNetwork } from './dockerNetwork';
import { tomlWithComments } from './tomlText';
import { DashboardOptions, TraefikTomlOptions } from './types';

export const DEFAULT_STORAGE = '/etc/traefik/acme/acme.json';
export const DEFAULT_DYNAMIC_DIR = '/etc/traefik/dynamic';
export const DOCKER_ENDPOINT = 'unix:///var/run/docker.sock';
export const LE_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
/** A placeholder no password can match: basic auth stays closed until the user puts a real hash in. */
export const PLACEHOLDER_USER = 'admin:REPLACE-WITH-OUTPUT-OF-htpasswd-nB-admin';

export function checkEmail(email: string | undefined): string {
  const e = String(email ?? '').trim();
  if (!/^[^\s@"]+@[^\s@"]+\.[^\s@"]+$/.test(e)) {
    throw new UserError(
      `"${e}" is not an email address; Let's Encrypt needs one for expiry notices (--email you@example.com).`,
      'EUSAGE',
    );
  }
  return e;
}

function isLoopbackAddress(address: string): boolean {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!m) return false;
  const host = m[1];
  return host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
}

/**
 * Traefik v3 static configuration (docs/scaffolding.md). The dashboard never runs `insecure` on a public
 * address: `loopback` binds it to 127.0.0.1 (or to ":8080" only when the caller publishes the
 * port on the host's loopback, as the stack does), `basic-auth` serves it through a router with
 * basic auth defined in the file provider's directory (see generateDashboardConfig).
 */
export function generateTraefikToml(opts: TraefikTomlOptions): string {
  const email = checkEmail(opts.email);
  const network = checkNetwork(opts.network ?? DEFAULT_NETWORK);
  const challenge = opts.challenge ?? 'http';
  if (challenge !== 'http' && challenge !== 'tls')
    throw new UserError(`Unknown ACME challenge "${challenge}": use http or tls.`, 'EUSAGE');
  const dashboard = opts.dashboard ?? 'off';
  if (!['off', 'loopback', 'basic-auth'].includes(dashboard))
    throw new UserError(`Unknown dashboard mode "${dashboard}": use off, loopback or basic-auth.`, 'EUSAGE');
  const logLevel = (opts.logLevel ?? 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(logLevel))
    throw new UserError(`Unknown log level "${opts.logLevel}": use one of ${LOG_LEVELS.join(', ')}.`, 'EUSAGE');
  const storage = opts.storage ?? DEFAULT_STORAGE;

  const entryPoints: Record<string, unknown> = {
    [ENTRY_WEB]: {
      address: ':80',
      http: { redirections: { entryPoint: { to: ENTRY_WEBSECURE, scheme: 'https', permanent: true } } },
    },
    [ENTRY_WEBSECURE]: { address: ':443', http: { tls: { certResolver: RESOLVER } } },
  };
  const dashboardAddress = opts.dashboardAddress ?? '127.0.0.1:8080';
  if (dashboard === 'loopback') {
    if (!isLoopbackAddress(dashboardAddress) && dashboardAddress !== ':8080') {
      throw new UserError(
        `The dashboard address ${dashboardAddress} is not a loopback address; use 127.0.0.1:PORT, or --dashboard basic-auth to reach it from elsewhere.`,
        'EUSAGE',
      );
    }
    entryPoints[ENTRY_DASHBOARD] = { address: dashboardAddress };
    // Routers without entrypoints attach to the default ones: keep them off the dashboard's.
    for (const ep of [ENTRY_WEB, ENTRY_WEBSECURE]) (entryPoints[ep] as Record<string, unknown>).asDefault = true;
  }

  const acme: Record<string, unknown> = { email, storage };
  if (opts.staging) acme.caServer = LE_STAGING;
  if (challenge === 'http') acme.httpChallenge = { entryPoint: ENTRY_WEB };
  else acme.tlsChallenge = {};

  const provider = opts.provider ?? 'docker';
  if (provider !== 'docker' && provider !== 'swarm')
    throw new UserError(`Unknown Traefik provider "${provider}": use docker or swarm.`, 'EUSAGE');
  // Both read the same labels the same way; swarm reads them off services instead of containers.
  const providers: Record<string, unknown> = {
    [provider]: { endpoint: opts.dockerEndpoint ?? DOCKER_ENDPOINT, exposedByDefault: false, network },
  };
  if (dashboard === 'basic-auth') providers.file = { directory: opts.dynamicDir ?? DEFAULT_DYNAMIC_DIR, watch: true };

  const data: Record<string, unknown> = {
    log: { level: logLevel },
    entryPoints,
    certificatesResolvers: { [RESOLVER]: { acme } },
    providers,
  };
  if (dashboard === 'loopback') data.api = { dashboard: true, insecure: true };
  if (dashboard === 'basic-auth') data.api = { dashboard: true };

  return tomlWithComments(
    data,
    {
      [`[entryPoints.${ENTRY_WEB}.http.redirections.entryPoint]`]: [
        'Every plain-HTTP request is sent to HTTPS (ACME HTTP challenges are answered first).',
      ],
      [`[entryPoints.${ENTRY_WEBSECURE}.http.tls]`]: [
        `Routers on ${ENTRY_WEBSECURE} get TLS with certificates from the ${RESOLVER} resolver.`,
      ],
      [`[entryPoints.${ENTRY_DASHBOARD}]`]: [
        'The dashboard, on loopback only: `insecure` below is safe because nothing else reaches this address.',
        ...(dashboardAddress === ':8080'
          ? ['Publish it on the host as "127.0.0.1:8080:8080", never "8080:8080".']
          : ['Reach it from your machine with: ssh -L 8080:127.0.0.1:8080 <server>']),
      ],
      [`[certificatesResolvers.${RESOLVER}.acme]`]: [
        "Let's Encrypt. Traefik creates the storage file itself; if you create it, it must be mode 600",
        `(chmod 600 acme.json) or Traefik refuses it. Keep it on a volume so certificates survive restarts.`,
        ...(opts.staging
          ? ['caServer: the staging CA (untrusted certificates, generous rate limits). Remove it to go live.']
          : []),
      ],
      [`[certificatesResolvers.${RESOLVER}.acme.httpChallenge]`]: [
        "HTTP-01: Let's Encrypt must reach port 80 of this host.",
      ],
      [`[certificatesResolvers.${RESOLVER}.acme.tlsChallenge]`]: [
        "TLS-ALPN-01: Let's Encrypt must reach port 443 of this host.",
      ],
      '[providers.docker]': [`Only containers labelled ${ENABLE}=true are routed, over this network.`],
      '[providers.swarm]': [
        `Only services labelled ${ENABLE}=true (under deploy.labels) are routed, over this overlay network.`,
        "The socket is a manager's: the stack keeps Traefik on a manager node.",
      ],
      '[providers.file]': ['Holds the dashboard router with basic auth (dashboard.toml).'],
      '[api]':
        dashboard === 'basic-auth' ? ['Served only through the basic-auth router in the file provider directory.'] : [],
    },
    ['Traefik v3 static configuration, generated by container-https (scaffold traefik).'],
  );
}

/** Dynamic configuration (file provider) that serves the dashboard behind basic auth over HTTPS. */
export function generateDashboardConfig(opts: DashboardOptions): string {
  const host = normalizeHost(opts.host);
  const users = opts.users?.length ? opts.users : [PLACEHOLDER_USER];
  for (const u of users) {
    if (!/^[^:\s]+:\S+$/.test(u))
      throw new UserError(
        `Dashboard user "${u}" is not an htpasswd line (user:hash); create one with: htpasswd -nB admin`,
        'EUSAGE',
      );
  }
  const data = {
    http: {
      routers: {
        dashboard: {
          rule: hostsRule([host]),
          entryPoints: [ENTRY_WEBSECURE],
          service: DASHBOARD_SERVICE,
          middlewares: ['dashboard-auth'],
          tls: { certResolver: opts.certResolver ?? RESOLVER },
        },
      },
      middlewares: { 'dashboard-auth': { basicAuth: { users } } },
    },
  };
  return tomlWithComments(
    data,
    {
      '[http.middlewares.dashboard-auth.basicAuth]': [
        opts.users?.length
          ? 'htpasswd lines (user:hash).'
          : 'Replace the placeholder with a line from: htpasswd -nB admin  (until then nobody can log in).',
      ],
    },
    ['Traefik v3 dynamic configuration: the dashboard behind basic auth, generated by container-https.'],
  );
}
