import * as fs from 'node:fs';
import { errorMessage } from '../errors';
import { readFileIfExists, writeFileAtomic } from '../fsUtil';
import { normalizeHost } from './hostName';
import { checkRouteRequest, describe, userRecord } from './routeRequest';
import { RouteRecord } from './types';

export interface LoadResult {
  routes: RouteRecord[];
  /**
   * Set when the file could not be used as it was. A file that is not JSON or has no routes array
   * was moved aside to `movedTo`; a file with some invalid records was copied to `movedTo`, its
   * valid records kept (and written back alone), the invalid ones named here.
   */
  problem?: string;
  movedTo?: string;
}

const FORMAT = 1;
/** What a stored record holds besides the request fields that routes/routeRequest.ts checks. */
const RECORD_FIELDS = ['host', 'source', 'createdAt'];

/**
 * The user's routes on disk (labels are re-derived from Docker, never stored). No data is lost:
 * a file we cannot read is moved aside, never silently dropped or overwritten; a record we cannot
 * use is reported and the original file kept aside, while the other records still load.
 */
export class RouteStore {
  private writing = Promise.resolve();

  constructor(private readonly file: string) {}

  load(now = new Date()): LoadResult {
    const text = readFileIfExists(this.file);
    if (text === undefined) return { routes: [] };
    let records: unknown[];
    try {
      const data = JSON.parse(text) as { version?: number; routes?: unknown };
      if (!data || !Array.isArray(data.routes)) throw new Error('it has no "routes" array');
      records = data.routes;
    } catch (err) {
      const movedTo = this.asideName('corrupt', now);
      fs.renameSync(this.file, movedTo);
      return {
        routes: [],
        problem: `routes.json could not be read (${(err as Error).message}); it was moved to ${movedTo} and the daemon started with no saved routes. Fix that file and move it back, or expose the routes again.`,
        movedTo,
      };
    }
    const routes: RouteRecord[] = [];
    const invalid: string[] = [];
    records.forEach((r, i) => {
      const checked = checkRecord(r);
      if (typeof checked === 'string') invalid.push(`route #${i + 1}${hostOf(r)}: ${checked}`);
      else routes.push(checked);
    });
    if (!invalid.length) return { routes };
    // Keep the original as it was, then store the valid records alone, so the next start is clean.
    const movedTo = this.asideName('invalid', now);
    fs.copyFileSync(this.file, movedTo);
    writeFileAtomic(this.file, serialise(routes), 0o600);
    return {
      routes,
      problem: `routes.json has ${invalid.length} invalid route${invalid.length > 1 ? 's' : ''}, not loaded: ${invalid.join('; ')}. The other ${routes.length} loaded; the original file is kept at ${movedTo}. Expose those routes again, or fix that file and move it back while the daemon is stopped.`,
      movedTo,
    };
  }

  /** Saves are serialised so concurrent changes never interleave on disk. */
  save(routes: RouteRecord[]): Promise<void> {
    const snapshot = serialise(routes);
    this.writing = this.writing.then(() => writeFileAtomic(this.file, snapshot, 0o600));
    return this.writing;
  }

  private asideName(why: string, now: Date): string {
    return `${this.file}.${why}-${now.toISOString().replace(/[:.]/g, '-')}`;
  }
}

function serialise(routes: RouteRecord[]): string {
  return JSON.stringify({ version: FORMAT, routes }, null, 2) + '\n';
}

function hostOf(value: unknown): string {
  const host = (value as { host?: unknown } | null)?.host;
  return typeof host === 'string' ? ` (${host.slice(0, 80).replace(/\p{Cc}/gu, '?')})` : '';
}

/** A stored user route, checked like a PUT body (routes/routeRequest.ts) plus its own fields; a string says why not. */
function checkRecord(value: unknown): RouteRecord | string {
  const r = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  let host: string | undefined;
  if (r.host !== undefined && typeof r.host !== 'string') return `"host" must be a string, not ${describe(r.host)}.`;
  if (typeof r.host === 'string') {
    try {
      host = normalizeHost(r.host);
    } catch (err) {
      return errorMessage(err);
    }
  }
  const checked = checkRouteRequest(value, RECORD_FIELDS);
  if (!checked.ok) return checked.reason;
  if (host === undefined) return '"host" is missing.';
  if (r.source !== undefined && r.source !== 'user')
    return `"source" must be "user" (only user routes are stored), not ${describe(r.source)}.`;
  if (r.createdAt !== undefined && typeof r.createdAt !== 'string')
    return `"createdAt" must be a string, not ${describe(r.createdAt)}.`;
  return userRecord(
    host,
    checked.value,
    r.target as string,
    (r.createdAt as string | undefined) ?? new Date(0).toISOString(),
  );
}
