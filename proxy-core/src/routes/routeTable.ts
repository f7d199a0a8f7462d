import { EventEmitter } from 'node:events';
import type { MatchRequest } from '../traefik/matcher';
import { ANY_HOST, IndexedRoute, RouterIndex, routeKey } from './routerIndex';
import { pickServer } from './routeSnapshot';
import { parseTarget, Target } from './target';
import { ContainerResolver, Resolution, RouteLookup, RouteRecord, RouteSource, Routed } from './types';

const noDocker: ContainerResolver = (container) => ({
  kind: 'unavailable',
  status: 503,
  title: 'Docker discovery is off',
  detail: `The route points at container "${container}", but this daemon runs without Docker discovery (serve --no-docker).`,
});

interface Entry {
  record: RouteRecord;
  /** The service's servers: the target, or every server of a load-balanced service. */
  targets: Target[];
}

/**
 * The merged view of all route sources. Plain data in, one lookup out; the proxy only reads it.
 * Which router takes a request is the router index's business (routes/routerIndex.ts); where its
 * service is right now is asked of the container resolver on every request, so a container that
 * restarts with a new address needs no new table. Emits 'changed' whenever the routes change.
 */
export class RouteTable extends EventEmitter implements RouteLookup {
  private readonly bySource = new Map<RouteSource, Map<string, Entry>>();
  private entries = new Map<RouteRecord, Entry>();
  private index = new RouterIndex([]);
  private resolver: ContainerResolver = noDocker;
  private readonly resolveOne = (target: Target): Resolution => this.resolveTarget(target);

  setContainerResolver(resolver: ContainerResolver | undefined): void {
    this.resolver = resolver ?? noDocker;
  }

  /** Replaces every route of one source (labels are re-derived as a whole). */
  replaceSource(source: RouteSource, records: RouteRecord[]): void {
    const map = new Map<string, Entry>();
    for (const record of records) map.set(routeKey(record), entryOf(record));
    this.bySource.set(source, map);
    this.recompute();
  }

  upsert(record: RouteRecord): void {
    const entry = entryOf(record);
    let map = this.bySource.get(record.source);
    if (!map) this.bySource.set(record.source, (map = new Map()));
    map.set(routeKey(record), entry);
    this.recompute();
  }

  /** Removes one route: a user route by host and path, other sources by their key. */
  remove(source: RouteSource, host: string, path?: string): boolean {
    const map = this.bySource.get(source);
    const key = routeKey({ source, host, path } as RouteRecord);
    const removed = map?.delete(key) ?? false;
    if (removed) this.recompute();
    return removed;
  }

  /** The first route tried for a host (whatever the request), if any takes it. */
  get(host: string): RouteRecord | undefined {
    return this.index.first(host)?.record;
  }

  /** The user route for exactly this host and path. */
  userRoute(host: string, path?: string): RouteRecord | undefined {
    return this.bySource.get('user')?.get(routeKey({ source: 'user', host, path } as RouteRecord))?.record;
  }

  /** Every route that can take requests, sorted by host then path. */
  list(): RouteRecord[] {
    return [...this.index.reachable].sort(
      (a, b) => a.host.localeCompare(b.host) || (a.path ?? '').localeCompare(b.path ?? ''),
    );
  }

  /**
   * The routes whose host is a name, for certificates: a router that fixes no host (HostRegexp,
   * PathPrefix alone) is served with the on-demand certificate of whatever name it is asked for.
   */
  namedRoutes(): RouteRecord[] {
    return this.list().filter((r) => r.host !== ANY_HOST);
  }

  recordsOf(source: RouteSource): RouteRecord[] {
    return [...(this.bySource.get(source)?.values() ?? [])].map((e) => e.record);
  }

  /** Hot path: called for every proxied request. */
  route(host: string, request: () => MatchRequest): Routed | undefined {
    const found = this.index.find(host, request);
    if (!found) return undefined;
    return { record: found.record, resolution: this.pick(found), middlewares: found.middlewares };
  }

  /** Where a route's service is right now (the first server that is up, for status views). */
  resolveRecord(record: RouteRecord): Resolution {
    return pickServer(this.targetsOf(record), 0, this.resolveOne);
  }

  /** Where each of a route's servers is right now. */
  resolveServers(record: RouteRecord): Resolution[] {
    return this.targetsOf(record).map(this.resolveOne);
  }

  private targetsOf(record: RouteRecord): Target[] {
    return (this.entries.get(record) ?? entryOf(record)).targets;
  }

  resolveTarget(target: Target): Resolution {
    switch (target.kind) {
      case 'url':
        return { kind: 'upstream', upstream: target };
      case 'builtin':
        return { kind: 'builtin', name: target.name };
      case 'container':
        return this.resolver(target.container, target.port);
    }
  }

  /** Lets the container side announce that addresses or states changed. */
  notifyTargetsChanged(): void {
    this.emit('changed');
  }

  /** Round robin over the servers, skipping those that are down (a stopped replica). */
  private pick(route: IndexedRoute): Resolution {
    const targets = this.targetsOf(route.record);
    return pickServer(targets, targets.length === 1 ? 0 : route.turn++, this.resolveOne);
  }

  private recompute(): void {
    const entries = new Map<RouteRecord, Entry>();
    for (const map of this.bySource.values()) for (const entry of map.values()) entries.set(entry.record, entry);
    this.entries = entries;
    this.index = new RouterIndex(entries.keys());
    this.emit('changed');
  }
}

function entryOf(record: RouteRecord): Entry {
  const servers = record.servers?.length ? record.servers : [record.target];
  return { record, targets: servers.map(parseTarget) };
}
