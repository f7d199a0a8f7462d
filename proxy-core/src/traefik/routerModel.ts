import { errorMessage } from '../errors';
import { checkMiddleware } from '../middlewares/buildMiddleware';
import type { MiddlewareSpec } from '../middlewares/types';
import { normalizeHost } from '../routes/hostName';
import { ANY_HOST } from '../routes/routerIndex';
import type { RouteRecord } from '../routes/types';
import type { HttpConfig, MiddlewareConfig, RouterConfig, ServiceConfig } from './dynamic';
import { linkDockerServices } from './labelConfig';
import { compileRule } from './matcher';

/**
 * Traefik's HTTP routing model built from its providers, as Traefik builds it: each container's
 * labels completed by the Docker provider's rules and merged across containers (same-named
 * services load-balance: that is how `--scale` works; same-named routers and middlewares must
 * agree), the file provider's configuration beside it, names qualified `@docker` / `@file`, then
 * every router checked the way Traefik checks it before serving. What Traefik would refuse (an
 * invalid rule, a missing middleware or service) is refused here too, with the reason.
 */

export const PUBLIC_HOSTS = ['alias', 'acme', 'off'] as const;
export type PublicHosts = (typeof PUBLIC_HOSTS)[number];

/** One container as the Docker provider sees it. */
export interface ProviderContainer {
  name: string;
  /** Seconds since the epoch: the older container's definition wins a conflict. */
  created: number;
  /** Traefik's name for the service it creates when the labels declare none (labelConfig.ts defaultServiceName). */
  serviceName: string;
  /** The container's decoded `traefik.http.*` labels. */
  config: HttpConfig;
}

export interface RouterModelOptions {
  /** True when the local CA may issue for a host. */
  permits: (host: string) => boolean;
  suffixes: string[];
  /** What to do with a router for a public name (serve --public-hosts). */
  publicHosts: PublicHosts;
}

/** A router we list but do not serve (a public name with --public-hosts off), and why. */
export interface HeldRouter {
  record: RouteRecord;
  detail: string;
}

export interface RouterModel {
  label: RouteRecord[];
  file: RouteRecord[];
  held: HeldRouter[];
  /** Per container name; the file provider's under FILE_PROBLEMS. */
  problems: Map<string, string[]>;
}

export const FILE_PROBLEMS = '@file';

type Provider = 'docker' | 'file';

interface Merged {
  routers: Map<string, { config: RouterConfig; owners: string[] }>;
  services: Map<string, { config: ServiceConfig; servers: string[]; owners: string[] }>;
  middlewares: Map<string, { config: MiddlewareConfig; owners: string[] }>;
}

export function buildRouterModel(
  containers: ProviderContainer[],
  file: HttpConfig | undefined,
  opts: RouterModelOptions,
): RouterModel {
  const model: RouterModel = { label: [], file: [], held: [], problems: new Map() };
  const report = (owner: string, line: string) => {
    const list = model.problems.get(owner) ?? [];
    if (!list.includes(line)) list.push(line);
    model.problems.set(owner, list);
  };
  const sorted = [...containers].sort((a, b) => a.created - b.created || a.name.localeCompare(b.name));
  const docker = mergeDocker(sorted, report);
  const files = fromFile(file ?? { routers: {}, services: {}, middlewares: {} });
  const providers: Record<Provider, Merged> = { docker, file: files };
  const createdOf = new Map(sorted.map((c) => [c.name, c.created]));

  for (const provider of ['docker', 'file'] as const) {
    for (const [name, { config, owners }] of [...providers[provider].routers].sort(([a], [b]) => a.localeCompare(b))) {
      const qualified = `${name}@${provider}`;
      const fail = (why: string) => {
        for (const owner of owners) report(owner, `router ${qualified}: ${why}: not served.`);
      };
      const note = (what: string) => {
        for (const owner of owners) report(owner, `router ${qualified}: ${what}.`);
      };
      const built = buildRouter(qualified, provider, config, providers, fail, note);
      if (!built) continue;
      const container = provider === 'docker' ? owners[0] : undefined;
      const createdAt = new Date((container ? (createdOf.get(container) ?? 0) : 0) * 1000).toISOString();
      const base: Omit<RouteRecord, 'host'> = {
        target: built.servers[0],
        // tls.certResolver is production's: a local name gets the local CA, a public one what --public-hosts says.
        tls: 'local',
        source: provider === 'docker' ? 'label' : 'file',
        createdAt,
        rule: config.rule!,
        router: qualified,
      };
      if (container) base.container = container;
      if (config.ruleSyntax === 'v2') base.ruleSyntax = 'v2';
      if (config.priority) base.priority = config.priority;
      if (built.middlewares.length) base.middlewares = built.middlewares;
      if (built.servers.length > 1) base.servers = built.servers;
      const out = provider === 'docker' ? model.label : model.file;
      if (!built.hosts) {
        out.push({ ...base, host: ANY_HOST });
        continue;
      }
      for (const host of built.hosts) {
        const placed = placeHost(host, base, opts);
        if ('held' in placed) model.held.push(placed.held);
        else out.push(placed.record);
      }
    }
  }
  return model;
}

/** Where a router's host is served: itself, its `.localhost` alias, via ACME, or held back. */
export function placeHost(
  host: string,
  base: Omit<RouteRecord, 'host'>,
  opts: RouterModelOptions,
): { record: RouteRecord } | { held: HeldRouter } {
  if (base.tls === 'acme' || opts.permits(host)) return { record: { ...base, host } };
  if (opts.publicHosts === 'acme') return { record: { ...base, host, tls: 'acme' } };
  const alias = `${host}.localhost`;
  if (opts.publicHosts === 'alias' && opts.permits(alias))
    return { record: { ...base, host: alias, publicHost: host } };
  const where = base.container ? ` on container ${base.container}` : '';
  const origin = base.router ? `router ${base.router}` : 'a Traefik v1 frontend';
  return {
    held: {
      record: { ...base, host },
      detail: `${host} (${origin}${where}) is outside the local CA's names (${opts.suffixes.join(', ')}), so it is not served. Serve it as ${alias} (serve --public-hosts alias, the default), ask Let's Encrypt for it (serve --public-hosts acme, or the label container-https.tls=acme), or route a local name.`,
    },
  };
}

function buildRouter(
  qualified: string,
  provider: Provider,
  config: RouterConfig,
  providers: Record<Provider, Merged>,
  fail: (why: string) => void,
  note: (what: string) => void,
): { hosts: string[] | undefined; middlewares: MiddlewareSpec[]; servers: string[] } | undefined {
  if (!config.rule) {
    fail(`it has no rule (Traefik's default rule is not applied here); add a rule such as Host(\`app.localhost\`)`);
    return undefined;
  }
  const syntax = config.ruleSyntax ?? 'v3';
  if (syntax !== 'v3' && syntax !== 'v2') {
    fail(`ruleSyntax "${syntax}" is neither v3 nor v2`);
    return undefined;
  }
  const compiled = compileRule(config.rule, { syntax });
  if (!compiled.ok) {
    fail(compiled.reason);
    return undefined;
  }
  let hosts: string[] | undefined;
  if (compiled.hosts) {
    if (!compiled.hosts.length) {
      fail(`rule ${JSON.stringify(config.rule)} can match no host (two different Host matchers joined by &&)`);
      return undefined;
    }
    hosts = [];
    for (const raw of compiled.hosts) {
      try {
        hosts.push(normalizeHost(raw));
      } catch (err) {
        fail(errorMessage(err));
        return undefined;
      }
    }
  }
  const middlewares: MiddlewareSpec[] = [];
  for (const ref of config.middlewares ?? []) {
    const expanded = expandMiddleware(ref, provider, providers, []);
    if (typeof expanded === 'string') {
      fail(expanded);
      return undefined;
    }
    middlewares.push(...expanded);
  }
  if (!config.service) {
    fail('it names no service');
    return undefined;
  }
  const service = lookup(config.service, provider, providers, 'services');
  if (typeof service === 'string') {
    fail(service);
    return undefined;
  }
  const kinds = Object.keys(service.entry.config).filter((k) => k !== 'loadBalancer');
  if (kinds.length) {
    fail(
      `service ${service.name} is a ${kinds[0]} service, which the local proxy does not implement (loadBalancer only)`,
    );
    return undefined;
  }
  if (!service.entry.servers.length) {
    fail(`service ${service.name} has no servers`);
    return undefined;
  }
  const lb = service.entry.config.loadBalancer ?? {};
  // Options that change how servers are picked or checked, not whether a request is allowed:
  // locally the router is served without them, and says so.
  const ignored = Object.keys(lb).filter((k) => k !== 'servers' && !(k === 'passHostHeader' && lb[k] !== false));
  if (ignored.length)
    note(
      `service ${service.name}: loadBalancer.${ignored.join(', loadBalancer.')} ${ignored.length > 1 ? 'are' : 'is'} not implemented by the local proxy (round robin, the client's Host passed on): served without ${ignored.length > 1 ? 'them' : 'it'}`,
    );
  const scheme = lb.servers?.find((s) => s.scheme && s.scheme.toLowerCase() !== 'http')?.scheme;
  if (scheme) {
    fail(`service ${service.name} uses scheme ${scheme}, which container targets do not support (plain HTTP only)`);
    return undefined;
  }
  return { hosts, middlewares, servers: service.entry.servers };
}

/** A middleware reference, chains flattened in order; a string says why it cannot be used. */
function expandMiddleware(
  ref: string,
  provider: Provider,
  providers: Record<Provider, Merged>,
  seen: string[],
): MiddlewareSpec[] | string {
  const found = lookup(ref, provider, providers, 'middlewares');
  if (typeof found === 'string') return found;
  if (seen.includes(found.name)) return `middleware chain ${[...seen, found.name].join(' → ')} loops`;
  const types = Object.keys(found.entry.config);
  if (types.length !== 1)
    return `middleware ${found.name} declares ${types.length ? types.join(' and ') : 'no type'}; a middleware has exactly one type`;
  const [type] = types;
  const options = found.entry.config[type] ?? {};
  if (type === 'chain') {
    const list = (options as { middlewares?: unknown }).middlewares;
    const names = Array.isArray(list) ? list.map(String) : typeof list === 'string' ? list.split(',') : [];
    if (!names.length) return `middleware ${found.name} is a chain of no middlewares`;
    const out: MiddlewareSpec[] = [];
    for (const name of names) {
      const inner = expandMiddleware(name.trim(), found.provider, providers, [...seen, found.name]);
      if (typeof inner === 'string') return inner;
      out.push(...inner);
    }
    return out;
  }
  const spec: MiddlewareSpec = { name: found.name, type, options };
  const why = checkMiddleware(spec);
  return why ?? [spec];
}

type Entry<K extends 'services' | 'middlewares'> = K extends 'services'
  ? { config: ServiceConfig; servers: string[]; owners: string[] }
  : { config: MiddlewareConfig; owners: string[] };

/** `name`, `name@docker` or `name@file` (a bare name is the referring router's provider, as in Traefik). */
function lookup<K extends 'services' | 'middlewares'>(
  ref: string,
  provider: Provider,
  providers: Record<Provider, Merged>,
  kind: K,
): { name: string; provider: Provider; entry: Entry<K> } | string {
  const at = ref.lastIndexOf('@');
  const bare = at === -1 ? ref : ref.slice(0, at);
  const named = at === -1 ? provider : ref.slice(at + 1);
  const what = kind === 'services' ? 'service' : 'middleware';
  if (named === 'internal') return `${what} ${ref} is Traefik's own (@internal), which the local proxy does not have`;
  if (named !== 'docker' && named !== 'file')
    return `${what} ${ref} names provider "${named}"; the local proxy reads @docker (labels) and @file (serve --traefik-dynamic)`;
  const entry = (providers[named][kind] as Map<string, Entry<K>>).get(bare);
  if (!entry)
    return `${what} ${bare}@${named} does not exist${named === 'file' ? ' in the --traefik-dynamic configuration' : ' on any container'}; declare it or fix the name`;
  return { name: `${bare}@${named}`, provider: named, entry };
}

// ---- providers -----------------------------------------------------------------------------

/**
 * Containers merged as Traefik's Docker provider does: every container contributes its routers,
 * services and middlewares; same-named services add their servers (replicas), while a name
 * defined differently by two containers is a conflict and, as in Traefik, not used at all.
 */
function mergeDocker(containers: ProviderContainer[], report: (owner: string, line: string) => void): Merged {
  const merged = emptyMerged();
  const conflicts = { routers: new Set<string>(), services: new Set<string>(), middlewares: new Set<string>() };
  for (const c of containers) {
    const linked = linkDockerServices(c.config, c.serviceName);
    for (const line of linked.problems) report(c.name, line);
    const { routers, services, middlewares } = linked.config;
    for (const [name, config] of Object.entries(routers))
      mergeNamed(merged.routers, conflicts.routers, name, c.name, { config, owners: [c.name] }, (seen) =>
        same(seen.config, config),
      );
    for (const [name, config] of Object.entries(services)) {
      const servers = serversOf(config, c.name);
      mergeNamed(
        merged.services,
        conflicts.services,
        name,
        c.name,
        { config, servers, owners: [c.name] },
        (seen) => same(withoutServers(seen.config), withoutServers(config)),
        (seen) => seen.servers.push(...servers),
      );
    }
    for (const [name, config] of Object.entries(middlewares))
      mergeNamed(merged.middlewares, conflicts.middlewares, name, c.name, { config, owners: [c.name] }, (seen) =>
        same(seen.config, config),
      );
  }
  for (const kind of ['routers', 'services', 'middlewares'] as const) {
    for (const name of conflicts[kind]) {
      const owners = merged[kind].get(name)!.owners;
      for (const owner of owners)
        report(
          owner,
          `${kind.slice(0, -1)} ${name}@docker is defined differently on containers ${owners.join(', ')}: as in Traefik, it is not used; give each its own name or the same definition.`,
        );
      merged[kind].delete(name);
    }
  }
  return merged;
}

/** One container's definition of a name: the first, the same again (joined), or a conflict. */
function mergeNamed<T extends { owners: string[] }>(
  map: Map<string, T>,
  conflicts: Set<string>,
  name: string,
  owner: string,
  entry: T,
  agrees: (seen: T) => boolean,
  join?: (seen: T) => void,
): void {
  const seen = map.get(name);
  if (!seen) return void map.set(name, entry);
  if (agrees(seen)) join?.(seen);
  else conflicts.add(name);
  seen.owners.push(owner);
}

function fromFile(config: HttpConfig): Merged {
  const merged = emptyMerged();
  for (const [name, c] of Object.entries(config.routers))
    merged.routers.set(name, { config: c, owners: [FILE_PROBLEMS] });
  for (const [name, c] of Object.entries(config.services))
    merged.services.set(name, { config: c, servers: serversOf(c, undefined), owners: [FILE_PROBLEMS] });
  for (const [name, c] of Object.entries(config.middlewares))
    merged.middlewares.set(name, { config: c, owners: [FILE_PROBLEMS] });
  return merged;
}

function emptyMerged(): Merged {
  return { routers: new Map(), services: new Map(), middlewares: new Map() };
}

/** Targets of a service's servers: a container's port, or a file provider's URL. */
function serversOf(config: ServiceConfig, container: string | undefined): string[] {
  const out: string[] = [];
  for (const server of config.loadBalancer?.servers ?? []) {
    if (server.url) out.push(server.url.replace(/\/+$/, ''));
    else if (container) out.push(`container:${container}${server.port ? `:${server.port}` : ''}`);
  }
  return out;
}

function withoutServers(config: ServiceConfig): unknown {
  const { loadBalancer, ...rest } = config;
  if (!loadBalancer) return rest;
  const { servers: _servers, ...lb } = loadBalancer;
  return { ...rest, loadBalancer: lb };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
