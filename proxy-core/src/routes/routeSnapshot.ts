import type { MatchRequest } from '../traefik/matcher';
import { RouterIndex } from './routerIndex';
import { Resolution, RouteLookup, RouteRecord, Routed } from './types';

/**
 * Every route with where each of its servers is right now: plain data, so it can cross to a
 * worker process (which compiles the rules and middlewares again from the records).
 */
export type RouteSnapshot = Array<{ record: RouteRecord; servers: Resolution[] }>;

/** What a snapshot needs of the route table. */
export interface SnapshotSource {
  list(): RouteRecord[];
  resolveServers(record: RouteRecord): Resolution[];
}

/** Resolves every server of every route once (container targets included) into plain data. */
export function snapshotRoutes(table: SnapshotSource): RouteSnapshot {
  return table.list().map((record) => ({ record, servers: table.resolveServers(record) }));
}

/**
 * Round robin from `start`, skipping servers that are down; the first failure when all are.
 * `resolve` runs only for the servers tried (the route table resolves containers per request).
 */
export function pickServer<T>(servers: T[], start: number, resolve: (server: T) => Resolution): Resolution {
  if (servers.length === 1) return resolve(servers[0]);
  let firstFailure: Resolution | undefined;
  for (let i = 0; i < servers.length; i++) {
    const resolution = resolve(servers[(start + i) % servers.length]);
    if (resolution.kind !== 'unavailable') return resolution;
    firstFailure ??= resolution;
  }
  return firstFailure!;
}

const resolved = (r: Resolution): Resolution => r;

/**
 * A proxy worker's copy of the route table. The daemon sends a new snapshot whenever the table
 * or a container behind it changes, so a lookup here answers what the table would answer.
 */
export class SnapshotLookup implements RouteLookup {
  private index = new RouterIndex([]);
  private servers = new Map<RouteRecord, Resolution[]>();
  private records: RouteRecord[] = [];

  replace(snapshot: RouteSnapshot): void {
    this.servers = new Map(snapshot.map((entry) => [entry.record, entry.servers]));
    this.records = snapshot.map((entry) => entry.record);
    this.index = new RouterIndex(this.records);
  }

  route(host: string, request: () => MatchRequest): Routed | undefined {
    const found = this.index.find(host, request);
    if (!found) return undefined;
    const servers = this.servers.get(found.record)!;
    return {
      record: found.record,
      resolution: pickServer(servers, found.turn++, resolved),
      middlewares: found.middlewares,
    };
  }

  get(host: string): RouteRecord | undefined {
    return this.index.first(host)?.record;
  }

  list(): RouteRecord[] {
    return this.records;
  }
}
