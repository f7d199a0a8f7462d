import { EventEmitter } from 'node:events';
import { parseTarget, Target } from './target';
import { ContainerResolver, Resolution, RouteLookup, RouteRecord, RouteSource } from './types';

const noDocker: ContainerResolver = (container) => ({
  kind: 'unavailable',
  status: 503,
  title: 'Docker discovery is off',
  detail: `The route points at container "${container}", but this daemon runs without Docker discovery (serve --no-docker).`,
});

interface Entry {
  record: RouteRecord;
  target: Target;
}

// User routes win over label routes for the same host, and label routes over the demo route:
// an explicit action in the editor or CLI always beats what a container advertises.
const PRIORITY: Record<RouteSource, number> = { user: 4, label: 3, file: 2, demo: 1 };

/**
 * The merged view of all route sources. Plain data in, one lookup out; the proxy only reads it.
 * Emits 'changed' whenever the effective set of routes changes.
 */
export class RouteTable extends EventEmitter implements RouteLookup {
  private readonly bySource = new Map<RouteSource, Map<string, Entry>>();
  private effective = new Map<string, Entry>();
  private resolver: ContainerResolver = noDocker;

  setContainerResolver(resolver: ContainerResolver | undefined): void {
    this.resolver = resolver ?? noDocker;
  }

  /** Replaces every route of one source (labels are re-derived as a whole). */
  replaceSource(source: RouteSource, records: RouteRecord[]): void {
    const map = new Map<string, Entry>();
    for (const record of records) map.set(record.host, { record, target: parseTarget(record.target) });
    this.bySource.set(source, map);
    this.recompute();
  }

  upsert(record: RouteRecord): void {
    const target = parseTarget(record.target);
    let map = this.bySource.get(record.source);
    if (!map) this.bySource.set(record.source, (map = new Map()));
    map.set(record.host, { record, target });
    this.recompute();
  }

  remove(source: RouteSource, host: string): boolean {
    const removed = this.bySource.get(source)?.delete(host) ?? false;
    if (removed) this.recompute();
    return removed;
  }

  get(host: string): RouteRecord | undefined {
    return this.effective.get(host)?.record;
  }

  list(): RouteRecord[] {
    return [...this.effective.values()].map((e) => e.record).sort((a, b) => a.host.localeCompare(b.host));
  }

  recordsOf(source: RouteSource): RouteRecord[] {
    return [...(this.bySource.get(source)?.values() ?? [])].map((e) => e.record);
  }

  /** Hot path: called for every proxied request. */
  resolve(host: string): { record: RouteRecord; resolution: Resolution } | undefined {
    const entry = this.effective.get(host);
    if (!entry) return undefined;
    return { record: entry.record, resolution: this.resolveTarget(entry.target) };
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

  private recompute(): void {
    const next = new Map<string, Entry>();
    for (const [source, map] of this.bySource) {
      for (const [host, entry] of map) {
        const current = next.get(host);
        if (!current || PRIORITY[source] > PRIORITY[current.record.source]) next.set(host, entry);
      }
    }
    this.effective = next;
    this.emit('changed');
  }
}
