import { ROUTER, middlewareKey, routerKey } from '../traefik/labelKeys';
import { DASHBOARD_SERVICE, ENTRY_DASHBOARD, RESOLVER, entryPointName } from '../traefik/names';
import { hostsRule } from '../traefik/rules';
import { parseToml, tomlWithComments } from './tomlText';
import { Unmapped } from './types';

/**
 * Traefik v1 static configuration → v3 (the facts are in shared/reference/traefik-v1-to-v3.md).
 * v1 read its TOML case-insensitively (the blog writes `OnHostRule`, `exposedbydefault`), so
 * the input is flattened to leaves keyed by lower-case path. Every leaf is either consumed by
 * a mapping or reported in `unmapped` with a reason: nothing is dropped silently.
 */

interface Leaf {
  path: string;
  value: unknown;
  used: boolean;
}

const GENERIC = "no Traefik v3 equivalent that container-https maps; see Traefik's v1→v2 and v2→v3 migration guides";

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

class V1Config {
  private leaves = new Map<string, Leaf>();
  readonly unmapped: Unmapped[] = [];

  constructor(data: Record<string, unknown>) {
    const walk = (obj: Record<string, unknown>, prefix: string[]) => {
      for (const [k, v] of Object.entries(obj)) {
        const p = [...prefix, k];
        if (isTable(v) && Object.keys(v).length) walk(v, p);
        else this.leaves.set(p.join('.').toLowerCase(), { path: p.join('.'), value: v, used: false });
      }
    };
    walk(data, []);
  }

  private under(prefix: string): Leaf[] {
    const l = prefix.toLowerCase();
    return [...this.leaves.entries()].filter(([k]) => k === l || k.startsWith(l + '.')).map(([, v]) => v);
  }

  has(prefix: string): boolean {
    return this.under(prefix).length > 0;
  }

  /** The original spelling of a path (for messages). */
  spelling(prefix: string): string {
    const leaf = this.under(prefix)[0];
    return leaf ? leaf.path.split('.').slice(0, prefix.split('.').length).join('.') : prefix;
  }

  take(path: string): unknown {
    const leaf = this.leaves.get(path.toLowerCase());
    if (!leaf) return undefined;
    leaf.used = true;
    return leaf.value;
  }

  /** Names of the tables (or keys) directly under `prefix`, in their original spelling. */
  children(prefix: string): string[] {
    const depth = prefix ? prefix.split('.').length : 0;
    const names = new Map<string, string>();
    for (const leaf of this.under(prefix)) {
      const seg = leaf.path.split('.')[depth];
      if (seg !== undefined && !names.has(seg.toLowerCase())) names.set(seg.toLowerCase(), seg);
    }
    return [...names.values()];
  }

  /** Marks everything under `prefix` as handled by a report with `reason`. */
  report(prefix: string, reason: string): void {
    const leaves = this.under(prefix).filter((l) => !l.used);
    if (!leaves.length) return;
    leaves.forEach((l) => (l.used = true));
    this.unmapped.push({ key: this.spelling(prefix), reason });
  }

  note(key: string, reason: string): void {
    this.unmapped.push({ key, reason });
  }

  rest(): void {
    for (const leaf of this.leaves.values()) if (!leaf.used) this.unmapped.push({ key: leaf.path, reason: GENERIC });
  }
}

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

function list(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.map(String) : String(v).split(',')).map((s) => s.trim()).filter(Boolean);
}

function set(obj: Record<string, unknown>, path: string, value: unknown): void {
  if (value === undefined) return;
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}

function portOf(address: string | undefined, fallback: number): number {
  const m = /:(\d+)$/.exec(address ?? '');
  return m ? Number(m[1]) : fallback;
}

/** Traefik v1 TOML → v3 TOML; everything not mapped is listed with its reason. */
export function migrateTraefikV1(
  tomlText: string,
  what = 'The Traefik v1 configuration',
): { toml: string; unmapped: Unmapped[] } {
  const v1 = new V1Config(parseToml(tomlText, what));
  const out: Record<string, unknown> = {};

  // ---- logs and globals
  const debug = bool(v1.take('debug')); // v1's shorthand for logLevel = "DEBUG"
  const level = str(v1.take('logLevel')) ?? (debug ? 'DEBUG' : undefined);
  set(out, 'log.level', level?.toUpperCase());
  set(out, 'log.filePath', str(v1.take('traefikLogsFile')) ?? str(v1.take('traefikLog.filePath')));
  set(out, 'log.format', str(v1.take('traefikLog.format')));
  set(out, 'accessLog.filePath', str(v1.take('accessLogsFile')) ?? str(v1.take('accessLog.filePath')));
  set(out, 'accessLog.format', str(v1.take('accessLog.format')));
  if (v1.has('accessLog') && !(out.accessLog as object | undefined)) set(out, 'accessLog', {});
  v1.take('accessLog'); // an empty [accessLog] table: access logs on stdout, as above
  set(out, 'global.checkNewVersion', bool(v1.take('checkNewVersion')));
  set(out, 'global.sendAnonymousUsage', bool(v1.take('sendAnonymousUsage')));
  set(out, 'serversTransport.insecureSkipVerify', bool(v1.take('insecureSkipVerify')));
  const idle = v1.take('maxIdleConnsPerHost');
  set(out, 'serversTransport.maxIdleConnsPerHost', idle === undefined ? undefined : Number(idle));
  set(out, 'serversTransport.rootCAs', list(v1.take('rootCAs')));
  v1.report('retry', `retries are a retry middleware on the routers now (${middlewareKey('<m>', 'retry.attempts')})`);
  v1.report('graceTimeOut', 'now per entry point: entryPoints.<name>.transport.lifeCycle.graceTimeOut');

  // ---- entry points
  const entryPoints: Record<string, Record<string, unknown>> = {};
  const v1Names = v1.children('entryPoints');
  const acmeEntry = str(v1.take('acme.entryPoint'));
  const hasAcme = v1.has('acme');
  for (const name of v1Names) {
    const p = `entryPoints.${name}`;
    const ep: Record<string, unknown> = {};
    const v3name = entryPointName(name);
    set(ep, 'address', str(v1.take(`${p}.address`)));
    const to = str(v1.take(`${p}.redirect.entryPoint`));
    if (to) {
      const target = v1Names.find((n) => n.toLowerCase() === to.toLowerCase());
      const scheme = target && v1.has(`entryPoints.${target}.tls`) ? 'https' : 'http';
      const permanent = bool(v1.take(`${p}.redirect.permanent`)) ?? true;
      set(ep, 'http.redirections.entryPoint', { to: entryPointName(to), scheme, permanent });
    }
    v1.report(
      `${p}.redirect`,
      'regex redirects are a redirectregex middleware on the routers now (dynamic configuration)',
    );
    if (v1.has(`${p}.tls`)) {
      // TLS moved to routers; entry-point defaults make every router on it TLS, as v1 did.
      const tls: Record<string, unknown> = {};
      if (hasAcme && (acmeEntry ? acmeEntry.toLowerCase() === name.toLowerCase() : true)) tls.certResolver = RESOLVER;
      set(ep, 'http.tls', tls);
      v1.take(`${p}.tls`);
      v1.report(
        `${p}.tls.certificates`,
        'certificates moved to dynamic configuration: [[tls.certificates]] certFile/keyFile in a file-provider file',
      );
      v1.report(
        `${p}.tls`,
        'TLS versions, ciphers and client CAs moved to dynamic configuration: [tls.options.default]',
      );
    }
    for (const k of ['trustedIPs', 'insecure']) {
      const v = v1.take(`${p}.proxyProtocol.${k}`);
      set(ep, `proxyProtocol.${k}`, k === 'insecure' ? bool(v) : list(v));
      const f = v1.take(`${p}.forwardedHeaders.${k}`);
      set(ep, `forwardedHeaders.${k}`, k === 'insecure' ? bool(f) : list(f));
    }
    v1.report(
      `${p}.auth`,
      'authentication is a middleware now (basicauth, digestauth or forwardauth), attached with entryPoints.<name>.http.middlewares',
    );
    v1.report(`${p}.compress`, 'compression is a compress middleware on the routers now');
    v1.report(`${p}.whiteList`, 'IP allow lists are an ipallowlist middleware now');
    v1.report(`${p}.whitelistSourceRange`, 'IP allow lists are an ipallowlist middleware now');
    entryPoints[v3name] = ep;
  }
  const defaults = list(v1.take('defaultEntryPoints'));
  for (const d of defaults ?? []) {
    const ep = entryPoints[entryPointName(d)];
    if (ep) ep.asDefault = true;
    else v1.note(`defaultEntryPoints.${d}`, 'names an entry point the file does not define');
  }

  // ---- dashboard: v1 served it (and the API) on every interface, without auth unless asked.
  const webAddress = str(v1.take('web.address'));
  const isWeb = v1.has('web');
  const apiEntry = str(v1.take('api.entryPoint'));
  if (isWeb || v1.has('api')) {
    const epName = apiEntry ?? ENTRY_DASHBOARD;
    if (epName.toLowerCase() === ENTRY_DASHBOARD) {
      const declared = entryPoints[ENTRY_DASHBOARD]?.address as string | undefined;
      const port = portOf(webAddress ?? declared, 8080);
      entryPoints[ENTRY_DASHBOARD] = { address: `127.0.0.1:${port}` };
      const dashboard = bool(v1.take('api.dashboard')) ?? true;
      set(out, 'api', { dashboard, insecure: true });
      set(out, 'api.debug', bool(v1.take('api.debug')));
      v1.note(
        isWeb ? '[web] address' : '[api] entryPoint',
        `the dashboard/API was reachable on :${port} from anywhere; v3 serves it on 127.0.0.1:${port} only (api.insecure is safe there). To reach it remotely use an SSH tunnel, or container-https scaffold traefik --dashboard basic-auth`,
      );
      if (defaults === undefined)
        for (const [n, ep] of Object.entries(entryPoints)) if (n !== ENTRY_DASHBOARD) ep.asDefault = true;
    } else {
      set(out, 'api', { dashboard: bool(v1.take('api.dashboard')) ?? true });
      v1.note(
        'api.entryPoint',
        `the dashboard was on entry point "${apiEntry}"; v3 serves it through a router: rule ${hostsRule(['...'])}, service ${DASHBOARD_SERVICE}, with a basicauth middleware (dynamic configuration)`,
      );
    }
    v1.report('web.readOnly', 'the v3 API is always read-only');
    v1.report(
      'web.auth',
      'protect the dashboard with a basicauth middleware on its router: container-https scaffold traefik --dashboard basic-auth',
    );
    v1.report('web.statistics', 'statistics are gone; use metrics (e.g. [metrics.prometheus])');
    v1.report('web.metrics', 'metrics are configured under [metrics] in v3, with different options');
    v1.report('web.path', 'use api.basePath');
  }

  // ---- ACME → certificates resolver
  if (hasAcme) {
    const acme: Record<string, unknown> = {};
    set(acme, 'email', str(v1.take('acme.email')));
    const storageFile = str(v1.take('acme.storageFile'));
    set(acme, 'storage', str(v1.take('acme.storage')) ?? storageFile);
    set(acme, 'caServer', str(v1.take('acme.caServer')));
    set(acme, 'keyType', str(v1.take('acme.keyType')));
    if (acme.storage)
      v1.note(
        'acme.storage',
        'the acme.json format changed after v1: start v3 with a new, empty file (mode 600); it requests certificates again',
      );
    if (acmeEntry)
      v1.note(
        'acme.entryPoint',
        `v3 has no acme.entryPoint; entryPoints.${entryPointName(acmeEntry)}.http.tls.certResolver = "${RESOLVER}" attaches the resolver instead`,
      );
    if (v1.take('acme.onHostRule') !== undefined)
      v1.note(
        'acme.onHostRule',
        `implicit in v3: routers with ${ROUTER.certResolver}=${RESOLVER} get certificates for their Host rules`,
      );
    const onDemand = bool(v1.take('acme.onDemand'));
    if (onDemand !== undefined)
      v1.note(
        'acme.onDemand',
        onDemand
          ? 'on-demand certificates do not exist in v3; certificates come from router Host rules'
          : 'gone in v3 (it was off)',
      );
    v1.report('acme.acmeLogging', 'gone; ACME details are logged at log.level DEBUG');
    v1.report('acme.domains', `set domains on routers: ${routerKey('<r>', 'tls.domains[0].main')} / .sans`);
    const httpEntry = str(v1.take('acme.httpChallenge.entryPoint'));
    const dnsProvider = str(v1.take('acme.dnsChallenge.provider'));
    if (httpEntry) set(acme, 'httpChallenge.entryPoint', entryPointName(httpEntry));
    if (v1.has('acme.tlsChallenge')) {
      v1.take('acme.tlsChallenge');
      set(acme, 'tlsChallenge', {});
    }
    if (dnsProvider) {
      set(acme, 'dnsChallenge.provider', dnsProvider);
      set(acme, 'dnsChallenge.resolvers', list(v1.take('acme.dnsChallenge.resolvers')));
      const delay = v1.take('acme.dnsChallenge.delayBeforeCheck');
      set(
        acme,
        'dnsChallenge.propagation.delayBeforeChecks',
        delay === undefined ? undefined : /^\d+$/.test(String(delay)) ? `${delay}s` : String(delay),
      );
      set(acme, 'dnsChallenge.propagation.disableChecks', bool(v1.take('acme.dnsChallenge.disablePropagationCheck')));
    }
    if (!acme.httpChallenge && !acme.tlsChallenge && !acme.dnsChallenge) {
      // v1 then used TLS-SNI-01, which Let's Encrypt retired: pick the challenge that works.
      const http = Object.entries(entryPoints).find(([, ep]) => portOf(ep.address as string, 0) === 80);
      if (http) set(acme, 'httpChallenge.entryPoint', http[0]);
      else set(acme, 'tlsChallenge', {});
      v1.note(
        'acme (challenge)',
        `no challenge was set, so v1 used TLS-SNI-01, which Let's Encrypt retired; the v3 config uses ${http ? `the HTTP-01 challenge on entry point ${http[0]}` : 'the TLS-ALPN-01 challenge'}`,
      );
    }
    set(out, `certificatesResolvers.${RESOLVER}.acme`, acme);
  }

  // ---- Docker provider
  if (v1.has('docker')) {
    const swarm = bool(v1.take('docker.swarmMode'));
    const d: Record<string, unknown> = {};
    set(d, 'endpoint', str(v1.take('docker.endpoint')));
    const domain = str(v1.take('docker.domain'));
    if (domain) set(d, 'defaultRule', hostsRule([`{{ normalize .Name }}.${domain}`]));
    set(d, 'watch', bool(v1.take('docker.watch')));
    set(d, 'exposedByDefault', bool(v1.take('docker.exposedByDefault')));
    set(d, 'network', str(v1.take('docker.network')));
    set(d, 'useBindPortIP', bool(v1.take('docker.useBindPortIP')));
    for (const k of ['ca', 'cert', 'key']) set(d, `tls.${k}`, str(v1.take(`docker.tls.${k}`)));
    set(d, 'tls.insecureSkipVerify', bool(v1.take('docker.tls.insecureSkipVerify')));
    const refresh = v1.take('docker.swarmModeRefreshSeconds');
    if (swarm && refresh !== undefined) set(d, 'refreshSeconds', `${refresh}s`);
    v1.report('docker.swarmModeRefreshSeconds', 'only applies to swarm mode');
    v1.report('docker.constraints', 'constraints are one expression now, e.g. constraints = "Label(`a`, `b`)"');
    v1.report('docker.filename', 'frontend/backend templates are gone; use labels or a file provider');
    v1.report('docker.templateVersion', 'templates are gone');
    set(out, swarm ? 'providers.swarm' : 'providers.docker', d);
    if (swarm) v1.note('docker.swarmMode', 'Swarm has its own provider in v3: [providers.swarm]');
  }

  // ---- file provider and inline dynamic configuration
  if (v1.has('file')) {
    const f: Record<string, unknown> = {};
    set(f, 'filename', str(v1.take('file.filename')));
    set(f, 'directory', str(v1.take('file.directory')));
    set(f, 'watch', bool(v1.take('file.watch')));
    set(out, 'providers.file', f);
    v1.note(
      'file',
      'the provider is kept, but the files it reads use v1 frontends/backends: rewrite them as v3 http.routers/services',
    );
  }
  v1.report(
    'frontends',
    'dynamic configuration (routers in v3) cannot live in the static file; move it to a file-provider file',
  );
  v1.report(
    'backends',
    'dynamic configuration (services in v3) cannot live in the static file; move it to a file-provider file',
  );

  if (v1.has('ping')) {
    v1.take('ping');
    set(out, 'ping', {});
    const pe = str(v1.take('ping.entryPoint'));
    if (pe) set(out, 'ping.entryPoint', entryPointName(pe));
  }

  if (Object.keys(entryPoints).length) out.entryPoints = entryPoints;
  v1.rest();

  const ordered = orderKeys(out, [
    'global',
    'log',
    'accessLog',
    'entryPoints',
    'certificatesResolvers',
    'providers',
    'api',
    'ping',
    'serversTransport',
  ]);
  const header = ['Traefik v3 static configuration, migrated from Traefik v1 by container-https (migrate).'];
  let toml = tomlWithComments(ordered, {}, header);
  if (v1.unmapped.length) {
    toml +=
      '\n# Not carried over as-is (review before deploying):\n' +
      v1.unmapped.map((u) => `#   ${u.key}: ${u.reason}`).join('\n') +
      '\n';
  }
  return { toml, unmapped: v1.unmapped };
}

function orderKeys(obj: Record<string, unknown>, order: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of order) if (k in obj) out[k] = obj[k];
  for (const k of Object.keys(obj)) if (!(k in out)) out[k] = obj[k];
  return out;
}
