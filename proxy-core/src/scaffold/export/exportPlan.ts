import type { ContainerInfo } from '../../docker/types';
import { errorMessage } from '../../errors';
import type { MiddlewareSpec } from '../../middlewares/types';
import { parseTarget } from '../../routes/target';
import type { RouteRecord } from '../../routes/types';
import { canonicalMiddlewareType } from '../../traefik/middlewareTypes';
import { traefikName } from '../../traefik/names';
import { hostPathNode, printRule } from '../../traefik/rules';
import { isLocalName, localSuffixOf, mapRule } from './domainMap';
import type { DomainMapping, ExportInput } from './types';

/**
 * The routes as production routers, once, before any target is written: names made unique and
 * valid, hosts mapped, user routes' host and path turned into the rule Traefik reads, middlewares
 * deduplicated by name, targets resolved to the containers (workloads) behind them. Each target
 * (toCompose.ts, toSwarm.ts, toKubernetes.ts) only spells this plan in its own format, so all
 * three carry the same rules, priorities and middlewares.
 */

/** A container the routes reach, as the service (compose, swarm) or Deployment (k8s) that runs it. */
export interface Workload {
  /** Unique in the plan: the compose service name, or the container's name. */
  name: string;
  /** The compose project (else the workload's own name): one Kubernetes namespace and YAML stream each. */
  app: string;
  /** undefined when the container is not running here, so its image is unknown. */
  image?: string;
  /** The local container's name, for notes. */
  container: string;
  /** Ports routers reach it on, ascending. */
  ports: number[];
}

export interface Backend {
  workload: string;
  /** undefined: the target names none and the container exposes none. */
  port?: number;
}

export interface PlannedMiddleware {
  /** Unique in the plan, a valid Traefik name. */
  name: string;
  /** Traefik's spelling (`stripPrefix`), or as given when Traefik v3 has no such type. */
  type: string;
  options: Record<string, unknown>;
}

export interface PlannedRouter {
  name: string;
  rule: string;
  ruleSyntax?: 'v2';
  /** The router's own priority; absent: Traefik's default (the rule's length) applies. */
  priority?: number;
  /** Names of plan middlewares, in order. */
  middlewares: string[];
  backends: Backend[];
  /** The names in the rule's Host matchers, mapped. */
  hosts: string[];
  /** Every host is a public name: the router asks Let's Encrypt for its certificate. */
  publicTls: boolean;
  /** Where it came from (`app.localhost/api`, `web@docker`), for notes. */
  from: string;
}

export interface ExportPlan {
  routers: PlannedRouter[];
  middlewares: Map<string, PlannedMiddleware>;
  workloads: Map<string, Workload>;
  notes: string[];
}

/** The port written where a target requires one and the routes name none (Swarm, Kubernetes). */
export const ASSUMED_PORT = 80;

/** Names the generated files define themselves. */
const RESERVED = new Set(['traefik']);

/** JSON with sorted keys: two middlewares are the same when their type and options are. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** Hands out unique names: the wanted one, else with a suffix. */
class Names {
  private readonly taken = new Set<string>(RESERVED);
  take(wanted: string, fallback?: string): string {
    const lower = (n: string) => n.toLowerCase();
    const free = (n: string) => !this.taken.has(lower(n));
    let name = free(wanted) ? wanted : fallback && free(fallback) ? fallback : undefined;
    for (let i = 2; !name; i++) if (free(`${wanted}-${i}`)) name = `${wanted}-${i}`;
    // Lower case compared: Kubernetes names are lower case, and Traefik's labels ignore case.
    this.taken.add(lower(name));
    return name;
  }
}

function findContainer(containers: ContainerInfo[], name: string): ContainerInfo | undefined {
  return (
    containers.find((c) => c.name === name || c.name === `/${name}`) ?? containers.find((c) => c.id.startsWith(name))
  );
}

function lowestTcpPort(c: ContainerInfo | undefined): { port?: number; several: boolean } {
  const ports = [...new Set((c?.ports ?? []).filter((p) => p.protocol === 'tcp').map((p) => p.containerPort))].sort(
    (a, b) => a - b,
  );
  return { port: ports[0], several: ports.length > 1 };
}

function describe(r: RouteRecord): string {
  return r.router ?? `${r.host}${r.path ?? ''}`;
}

/** The rule of a route without one: Host, plus PathPrefix for a user route's path. */
/** The rule a route is served by here (a user route's path with its segment boundary, as routes/routerIndex.ts ruleOf). */
export function routeRule(r: RouteRecord): string {
  return r.rule ?? printRule(hostPathNode([r.host], r.path));
}

interface RawBackend {
  key: string;
  container: string;
  info?: ContainerInfo;
  port?: number;
}

export function planExport(input: ExportInput, mappings: DomainMapping[]): ExportPlan {
  const notes: string[] = [];
  const routes = [...input.routes].sort(
    (a, b) =>
      a.host.localeCompare(b.host) ||
      (a.path ?? '').localeCompare(b.path ?? '') ||
      (a.router ?? '').localeCompare(b.router ?? ''),
  );

  // Targets first: workload names depend on every container the routes reach.
  const resolved: Array<{ route: RouteRecord; backends: RawBackend[] }> = [];
  for (const route of routes) {
    const backends: RawBackend[] = [];
    for (const server of route.servers?.length ? route.servers : [route.target]) {
      let target;
      try {
        target = parseTarget(server);
      } catch (err) {
        notes.push(`route ${describe(route)}: ${errorMessage(err)} Left out.`);
        continue;
      }
      if (target.kind === 'builtin') {
        notes.push(`route ${describe(route)}: the built-in demo page has no production counterpart; left out.`);
        continue;
      }
      if (target.kind === 'url') {
        notes.push(
          `route ${describe(route)}: ${target.href} is a process on this machine, not a container; left out. Run it in a container (expose it as container:NAME), or route it by hand.`,
        );
        continue;
      }
      const info = findContainer(input.containers, target.container);
      const key = info?.compose
        ? `${info.compose.project}/${info.compose.service}`
        : `/${info?.name.replace(/^\//, '') ?? target.container}`;
      let port = target.port;
      if (port === undefined) {
        const lowest = lowestTcpPort(info);
        port = lowest.port;
        if (lowest.several)
          notes.push(
            `route ${describe(route)}: container ${target.container} exposes several ports and the target names none; port ${port} (the lowest, as Traefik picks) is used.`,
          );
      }
      if (!backends.some((b) => b.key === key && b.port === port))
        backends.push({ key, container: target.container, info, port });
    }
    if (backends.length) resolved.push({ route, backends });
  }

  const workloads = new Map<string, Workload>();
  const byKey = new Map<string, Workload>();
  const workloadNames = new Names();
  const baseName = (b: RawBackend) => traefikName(b.info?.compose?.service ?? b.info?.name ?? b.container);
  const baseCounts = new Map<string, Set<string>>();
  for (const { backends } of resolved)
    for (const b of backends) {
      const n = baseName(b).toLowerCase();
      baseCounts.set(n, (baseCounts.get(n) ?? new Set()).add(b.key));
    }
  for (const { backends } of resolved)
    for (const b of backends) {
      let w = byKey.get(b.key);
      if (!w) {
        const base = baseName(b);
        const project = b.info?.compose?.project;
        // Two projects with a service of the same name: the project tells them apart.
        let wanted = project && baseCounts.get(base.toLowerCase())!.size > 1 ? traefikName(`${project}-${base}`) : base;
        if (RESERVED.has(wanted.toLowerCase())) wanted = `${wanted}-app`;
        const name = workloadNames.take(wanted);
        if (RESERVED.has(base.toLowerCase()))
          notes.push(
            `container ${b.container}: "${base}" is the Traefik service of the generated files; the app is called ${name} there.`,
          );
        w = {
          name,
          app: traefikName(project ?? name),
          image: b.info?.image,
          container: b.info?.name.replace(/^\//, '') ?? b.container,
          ports: [],
        };
        if (!b.info)
          notes.push(
            `container ${b.container} is not running here, so its image is unknown: set the image of ${name} in the generated files.`,
          );
        byKey.set(b.key, w);
        workloads.set(name, w);
      }
      if (b.port !== undefined && !w.ports.includes(b.port)) w.ports.push(b.port);
    }
  for (const w of workloads.values()) w.ports.sort((a, b) => a - b);

  const routerNames = new Names();
  const middlewares = new Map<string, PlannedMiddleware>();
  const middlewareNames = new Names();
  // One middleware per name and definition: routers that share one keep sharing it.
  const defined = new Map<string, string>();
  const addMiddleware = (
    wanted: string,
    fallback: string | undefined,
    type: string,
    options: Record<string, unknown>,
  ): string => {
    const id = `${wanted}\n${stableJson({ type, options })}`;
    let name = defined.get(id);
    if (!name) {
      name = middlewareNames.take(wanted, fallback);
      middlewares.set(name, { name, type, options });
      defined.set(id, name);
    }
    return name;
  };

  const routers: PlannedRouter[] = [];
  for (const { route, backends } of resolved) {
    const from = describe(route);
    const mapped = mapRule(
      routeRule(route),
      mappings,
      route.publicHost ? { host: route.host, publicHost: route.publicHost } : undefined,
    );
    const firstLabel = (mapped.hosts[0] ?? route.host).split('.')[0].replace(/^\*$/, 'wildcard');
    const wantedName = route.router
      ? traefikName(route.router.replace(/@[^@]*$/, ''))
      : traefikName(`${firstLabel}-${route.path ?? ''}`.replace(/[^A-Za-z0-9_]+/g, '-'));
    const name = routerNames.take(wantedName);
    for (const p of mapped.problems) notes.push(`router ${name} (${from}): ${p}.`);

    const names: string[] = [];
    for (const spec of route.middlewares ?? []) names.push(addSpec(spec));
    if (route.stripPrefix && route.path)
      names.push(addMiddleware(`${name}-stripprefix`, undefined, 'stripPrefix', { prefixes: [route.path] }));

    const local = mapped.hosts.filter((h) => isLocalName(h, input.localSuffixes));
    if (local.length) {
      const suffix = localSuffixOf(local[0], input.localSuffixes);
      notes.push(
        `router ${name} (${from}): ${[...new Set(local)].join(', ')} needs a public name (Let's Encrypt cannot issue for a local one); map it, e.g. --domain-map .${suffix}=example.com`,
      );
    }
    for (const h of new Set(mapped.hosts.filter((h) => h.startsWith('*.') && !local.includes(h))))
      notes.push(
        `router ${name} (${from}): ${h} is a wildcard; Let's Encrypt issues wildcards only over the DNS-01 challenge, which the generated files do not set up.`,
      );
    if (!local.length && !mapped.hosts.length)
      notes.push(
        `router ${name} (${from}): its rule names no host, so no certificate can be requested for it; add a Host matcher.`,
      );
    routers.push({
      name,
      rule: mapped.rule,
      ...(route.ruleSyntax === 'v2' ? { ruleSyntax: 'v2' as const } : {}),
      ...(route.priority ? { priority: route.priority } : {}),
      middlewares: names,
      backends: backends.map((b) => ({ workload: byKey.get(b.key)!.name, port: b.port })),
      hosts: [...new Set(mapped.hosts)],
      publicTls: mapped.hosts.length > 0 && !local.length,
      from,
    });
  }
  return { routers, middlewares, workloads, notes };

  function addSpec(spec: MiddlewareSpec): string {
    const [base, provider] = spec.name.split('@');
    const type = canonicalMiddlewareType(spec.type) ?? spec.type;
    const wanted = traefikName(base || type);
    return addMiddleware(wanted, provider ? traefikName(`${wanted}-${provider}`) : undefined, type, spec.options ?? {});
  }
}
