import {
  DOCKER_NETWORK,
  ENABLE,
  LabelPair,
  ROUTER,
  SERVICE,
  SWARM_NETWORK,
  middlewareLabels,
  routerKey,
  serviceKey,
} from '../../traefik/labelKeys';
import { canonicalMiddlewareType } from '../../traefik/middlewareTypes';
import { ENTRY_WEBSECURE, RESOLVER } from '../../traefik/names';
import { ASSUMED_PORT, ExportPlan, PlannedRouter } from './exportPlan';

/**
 * The plan as Traefik labels, per workload: what compose puts under `labels` and a Swarm stack
 * under `deploy.labels`. Every key comes from traefik/labelKeys.ts, the vocabulary the label
 * reader (docker/labels.ts) reads with, so the production labels say what the laptop ran.
 */

export interface LabelFlavor {
  provider: 'docker' | 'swarm';
  network: string;
  /**
   * Swarm: `loadbalancer.server.port` on every service, because the Swarm provider cannot
   * take a port from the container (it reads services, not their tasks' exposed ports).
   */
  alwaysPort: boolean;
}

/**
 * The Traefik service behind a router: its workload's (with the port, when the workload is
 * reached on several), or one of the router's own when it balances over several workloads, named
 * apart so a router to one of those workloads alone never shares its servers.
 */
export function traefikServiceName(plan: ExportPlan, router: PlannedRouter): string {
  if (router.backends.length > 1) return `${router.name}-servers`;
  const b = router.backends[0];
  const w = plan.workloads.get(b.workload)!;
  return w.ports.length > 1 && b.port !== undefined ? `${w.name}-${b.port}` : w.name;
}

/** One router's own labels: what both `scaffold labels` (composeLabels.ts) and the exporters write. */
export interface RouterLabelSpec {
  name: string;
  rule: string;
  ruleSyntax?: 'v2';
  /** Absent: Traefik's default (the rule's length). */
  priority?: number;
  /** Default: websecure, the HTTPS entry point of the generated static configuration. */
  entrypoints?: string;
  /** A certificates resolver (Let's Encrypt) for public names; absent: `tls=true`, Traefik's default certificate. */
  certResolver?: string;
  /** References, in order (`auth`, `auth@file`). */
  middlewares: string[];
  /** Absent: Traefik links the router to the container's only service. */
  service?: string;
}

/** The labels of one router, in a fixed order: rule, rule syntax, priority, entry points, TLS, middlewares, service. */
export function routerLabels(r: RouterLabelSpec): LabelPair[] {
  const at = (option: string) => routerKey(r.name, option);
  const pairs: LabelPair[] = [[at(ROUTER.rule), r.rule]];
  if (r.ruleSyntax) pairs.push([at(ROUTER.ruleSyntax), r.ruleSyntax]);
  if (r.priority) pairs.push([at(ROUTER.priority), String(r.priority)]);
  pairs.push([at(ROUTER.entrypoints), r.entrypoints ?? ENTRY_WEBSECURE]);
  pairs.push(r.certResolver ? [at(ROUTER.certResolver), r.certResolver] : [at(ROUTER.tls), 'true']);
  if (r.middlewares.length) pairs.push([at(ROUTER.middlewares), r.middlewares.join(',')]);
  if (r.service) pairs.push([at(ROUTER.service), r.service]);
  return pairs;
}

export function workloadLabels(
  plan: ExportPlan,
  flavor: LabelFlavor,
): { labels: Map<string, LabelPair[]>; notes: string[] } {
  const notes: string[] = [];
  const byWorkload = new Map<string, Map<string, string>>();
  const put = (workload: string, [key, value]: LabelPair) => byWorkload.get(workload)!.set(key, value);
  for (const w of plan.workloads.values())
    byWorkload.set(
      w.name,
      new Map([
        [ENABLE, 'true'],
        [flavor.provider === 'swarm' ? SWARM_NETWORK : DOCKER_NETWORK, flavor.network],
      ]),
    );

  const definedOn = new Map<string, string>();
  for (const r of plan.routers) {
    const home = r.backends[0].workload;
    const service = traefikServiceName(plan, r);
    const own = routerLabels({
      name: r.name,
      rule: r.rule,
      ruleSyntax: r.ruleSyntax,
      priority: r.priority,
      // A local name gets TLS with Traefik's default certificate: Let's Encrypt would refuse it.
      certResolver: r.publicTls ? RESOLVER : undefined,
      middlewares: r.middlewares,
      service,
    });
    for (const p of own) put(home, p);
    for (const b of r.backends) {
      let port = b.port;
      if (port === undefined && flavor.alwaysPort) {
        port = ASSUMED_PORT;
        notes.push(
          `service ${b.workload}: no port is known (the target names none, the container exposes none); port ${port} is written, change it if the app listens elsewhere.`,
        );
      }
      if (port !== undefined) put(b.workload, [serviceKey(service, SERVICE.port), String(port)]);
    }
    for (const m of r.middlewares) if (!definedOn.has(m)) definedOn.set(m, home);
  }

  for (const [name, home] of definedOn) {
    const m = plan.middlewares.get(name)!;
    if (!canonicalMiddlewareType(m.type))
      notes.push(`middleware ${name}: Traefik v3 has no middleware type "${m.type}"; written as it was, check it.`);
    const { pairs, problems } = middlewareLabels(name, m.type, m.options);
    if (problems.length) {
      // Left out whole: routers that use it then fail to start, rather than run without it.
      notes.push(
        `middleware ${name} (${m.type}) cannot be written as labels (${problems.join('; ')}); it is left out, so its routers will not start until you define it (a file provider, for example).`,
      );
      continue;
    }
    for (const p of pairs) put(home, p);
  }

  const labels = new Map<string, LabelPair[]>();
  for (const [w, pairs] of byWorkload) labels.set(w, [...pairs.entries()]);
  return { labels, notes: [...new Set(notes)] };
}

/** Text as a compose file holds it: `$` doubled, or compose reads it as a variable. */
export function composeEscape(text: string): string {
  return text.replace(/\$/g, '$$$$');
}

/** A label as compose writes it in list form (`key=value`, `$` doubled). */
export function composeLabel([key, value]: LabelPair): string {
  return composeEscape(`${key}=${value}`);
}
