import type { RouteRecord } from '../routes/types';
import type { HttpConfig } from '../traefik/dynamic';
import { FILE_PROBLEMS, HeldRouter, PublicHosts, buildRouterModel, placeHost } from '../traefik/routerModel';
import { ModeledContainer } from './containerModel';

/** A host a container's labels (or the file provider) ask for that we list but do not serve, and why. */
export type HeldRoute = HeldRouter;

export interface LabelRoutes {
  /** Routes for the table's 'label' source. */
  records: RouteRecord[];
  /** Routes for the table's 'file' source (serve --traefik-dynamic). */
  fileRecords: RouteRecord[];
  /** Hosts outside the local CA's names: listed, not served. */
  held: HeldRoute[];
  /** Per container name: labels we could not turn into routes. */
  problems: Map<string, string[]>;
  /** The file provider's routers that are not served, and why. */
  fileProblems: string[];
}

export interface LabelSourceOptions {
  /** True when the local CA may issue for host. */
  permits: (host: string) => boolean;
  suffixes: string[];
  publicHosts: PublicHosts;
}

/**
 * Derives label (and file-provider) routes from the whole container model (routes are
 * re-derived, never stored; each container's labels were parsed once, when it was modeled).
 * Traefik v2/v3 routers are Traefik's model (traefik/routerModel.ts). Our own
 * `container-https.host` and Traefik v1 frontends are host routes: older containers win a host
 * two of those claim, so a new container cannot take over a route silently; the loser is reported.
 */
export function deriveLabelRoutes(
  containers: ModeledContainer[],
  file: HttpConfig | undefined,
  opts: LabelSourceOptions,
): LabelRoutes {
  const sorted = [...containers].sort((a, b) => a.created - b.created || a.info.name.localeCompare(b.info.name));
  const model = buildRouterModel(
    sorted.flatMap((c) =>
      c.routing.traefik
        ? [
            {
              name: c.info.name,
              created: c.created,
              serviceName: c.serviceName,
              config: c.routing.traefik,
            },
          ]
        : [],
    ),
    file,
    opts,
  );
  const out: LabelRoutes = {
    records: model.label,
    fileRecords: model.file,
    held: model.held,
    problems: new Map(),
    fileProblems: model.problems.get(FILE_PROBLEMS) ?? [],
  };
  const owner = new Map<string, string>();
  for (const c of sorted) {
    const { info } = c;
    const problems = [...c.routing.problems, ...(model.problems.get(info.name) ?? [])];
    for (const route of c.routing.routes) {
      const taken = owner.get(route.host);
      if (taken) {
        problems.push(`${route.host} (${route.origin}) is already routed to container ${taken}: not routed here.`);
        continue;
      }
      owner.set(route.host, info.name);
      const record: RouteRecord = {
        host: route.host,
        target: `container:${info.name}${route.port ? `:${route.port}` : ''}`,
        tls: route.tls ?? 'local',
        source: 'label',
        container: info.name,
        createdAt: new Date(c.created * 1000).toISOString(),
      };
      if (record.tls === 'local' && !opts.permits(route.host)) {
        // A v1 frontend is production's routing like a v3 router: its public host gets the same treatment.
        if (route.origin.startsWith('traefik v1')) {
          const placed = placeHost(route.host, record, opts);
          if ('held' in placed) out.held.push(placed.held);
          else out.records.push(placed.record);
          continue;
        }
        out.held.push({
          record,
          detail: `${route.host} (${route.origin} on container ${info.name}) is outside the local CA's names (${opts.suffixes.join(', ')}), so it is not served. Pick Let's Encrypt (container-https expose ${route.host} ${record.target} --acme, or the label container-https.tls=acme) or a local alias (the label container-https.host=${route.host.split('.')[0]}.localhost).`,
        });
        continue;
      }
      out.records.push(record);
    }
    if (problems.length) out.problems.set(info.name, problems);
  }
  return out;
}

/** Order-insensitive equality, so an unrelated event does not rebuild the table. */
export function sameRecords(a: RouteRecord[], b: RouteRecord[]): boolean {
  if (a.length !== b.length) return false;
  const key = (r: RouteRecord) => JSON.stringify(r);
  const set = new Set(a.map(key));
  return b.every((r) => set.has(key(r)));
}
