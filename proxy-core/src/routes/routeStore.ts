import * as fs from 'node:fs';
import { readFileIfExists, writeFileAtomic } from '../fsUtil';
import { normalizeHost } from './hostName';
import { parseTarget } from './target';
import { RouteRecord } from './types';

export interface LoadResult {
  routes: RouteRecord[];
  /** Set when the file could not be used; the file was moved aside to `movedTo`. */
  problem?: string;
  movedTo?: string;
}

const FORMAT = 1;

/**
 * The user's routes on disk (labels are re-derived from Docker, never stored). A file we cannot
 * read is moved aside, never silently dropped or overwritten.
 */
export class RouteStore {
  private writing = Promise.resolve();

  constructor(private readonly file: string) {}

  load(now = new Date()): LoadResult {
    const text = readFileIfExists(this.file);
    if (text === undefined) return { routes: [] };
    try {
      const data = JSON.parse(text) as { version?: number; routes?: unknown };
      if (!data || !Array.isArray(data.routes)) throw new Error('it has no "routes" array');
      const routes = data.routes.map((r, i) => validate(r, i));
      return { routes };
    } catch (err) {
      const movedTo = `${this.file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(this.file, movedTo);
      return {
        routes: [],
        problem: `routes.json could not be read (${(err as Error).message}); it was moved to ${movedTo} and the daemon started with no saved routes. Fix that file and move it back, or expose the routes again.`,
        movedTo,
      };
    }
  }

  /** Saves are serialised so concurrent changes never interleave on disk. */
  save(routes: RouteRecord[]): Promise<void> {
    const snapshot = JSON.stringify({ version: FORMAT, routes }, null, 2) + '\n';
    this.writing = this.writing.then(() => writeFileAtomic(this.file, snapshot, 0o600));
    return this.writing;
  }
}

function validate(value: unknown, index: number): RouteRecord {
  const r = value as Partial<RouteRecord>;
  if (!r || typeof r.host !== 'string' || typeof r.target !== 'string') {
    throw new Error(`route #${index + 1} needs "host" and "target" strings`);
  }
  const host = normalizeHost(r.host);
  parseTarget(r.target);
  const tls = r.tls === 'acme' ? 'acme' : 'local';
  return { host, target: r.target, tls, source: 'user', createdAt: typeof r.createdAt === 'string' ? r.createdAt : new Date(0).toISOString() };
}
