import type { RouteRecord } from '../routes/types';
import { ModeledContainer } from './containerModel';

/** A host a container's labels ask for that we list but do not serve, and why. */
export interface HeldRoute {
  record: RouteRecord;
  detail: string;
}

export interface LabelRoutes {
  /** Routes for the table's 'label' source. */
  records: RouteRecord[];
  /** Hosts outside the local CA's names: listed, not served until the user picks ACME or an alias. */
  held: HeldRoute[];
  /** Per container name: labels we could not turn into routes. */
  problems: Map<string, string[]>;
}

export interface LabelSourceOptions {
  /** True when the local CA may issue for host. */
  permits: (host: string) => boolean;
  suffixes: string[];
}

/**
 * Derives label routes from the whole container model (routes are re-derived, never stored;
 * each container's labels were parsed once, when it was modeled).
 * Older containers win a host two containers claim, so a new container cannot take over a
 * route silently; the loser is reported.
 */
export function deriveLabelRoutes(containers: ModeledContainer[], opts: LabelSourceOptions): LabelRoutes {
  const out: LabelRoutes = { records: [], held: [], problems: new Map() };
  const owner = new Map<string, string>();
  const sorted = [...containers].sort((a, b) => a.created - b.created || a.info.name.localeCompare(b.info.name));
  for (const c of sorted) {
    const { info } = c;
    const problems = [...c.routing.problems];
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
  const key = (r: RouteRecord) => `${r.host}|${r.target}|${r.tls}|${r.container}|${r.createdAt}`;
  const set = new Set(a.map(key));
  return b.every((r) => set.has(key(r)));
}
