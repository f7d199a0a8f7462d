import { Resolution, RouteLookup, RouteRecord } from './types';

/** Every route with where it goes right now: plain data, so it can cross to a worker process. */
export type RouteSnapshot = Array<{ record: RouteRecord; resolution: Resolution }>;

/** Resolves every route of a lookup once (container targets included) into plain data. */
export function snapshotRoutes(lookup: RouteLookup): RouteSnapshot {
  const snapshot: RouteSnapshot = [];
  for (const record of lookup.list()) {
    const found = lookup.resolve(record.host);
    if (found) snapshot.push(found);
  }
  return snapshot;
}

/**
 * A proxy worker's copy of the route table. The daemon sends a new snapshot whenever the table
 * or a container behind it changes, so a lookup here answers what the table would answer.
 */
export class SnapshotLookup implements RouteLookup {
  private byHost = new Map<string, RouteSnapshot[number]>();
  private records: RouteRecord[] = [];

  replace(snapshot: RouteSnapshot): void {
    this.byHost = new Map(snapshot.map((entry) => [entry.record.host, entry]));
    this.records = snapshot.map((entry) => entry.record);
  }

  resolve(host: string): RouteSnapshot[number] | undefined {
    return this.byHost.get(host);
  }

  list(): RouteRecord[] {
    return this.records;
  }
}
