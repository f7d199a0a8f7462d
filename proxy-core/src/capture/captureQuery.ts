import { UserError } from '../errors';
import type { StoredRecord } from './types';

/** GET /v1/requests' filters, as the query string gives them (the CLI and the editor send the same). */
export interface CaptureQuery {
  host?: string;
  /** `500`, `5xx`, `4xx,5xx`; `0` or `err`: no response / failed. */
  status?: string;
  method?: string;
  /** Free text: found in the method, host, URL or status. */
  q?: string;
  limit?: number;
  /** Only records older than this id (paging back). */
  before?: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

/** Reads and checks the query string; a bad value is a one-line error naming it. */
export function parseCaptureQuery(params: URLSearchParams): CaptureQuery {
  const q: CaptureQuery = {};
  for (const key of ['host', 'status', 'method', 'q', 'before'] as const) {
    const v = params.get(key);
    if (v) q[key] = v;
  }
  const limit = params.get('limit');
  if (limit !== null) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT)
      throw new UserError(`limit must be a whole number from 1 to ${MAX_LIMIT}, not "${limit}".`, 'EQUERY');
    q.limit = Number(limit);
  }
  if (q.status) statusMatcher(q.status);
  return q;
}

/** What the filters read: a whole record or its summary (the CLI's --follow filters the `request` events too). */
export type Filterable = Pick<StoredRecord, 'host' | 'method' | 'status' | 'url' | 'error'>;

/** The predicate for a query's filters. */
export function captureFilter(query: CaptureQuery): (r: Filterable) => boolean {
  const host = query.host?.toLowerCase().replace(/\.$/, '');
  const method = query.method?.toUpperCase();
  const status = query.status ? statusMatcher(query.status) : undefined;
  const text = query.q?.toLowerCase();
  return (r) =>
    (!host || r.host === host) &&
    (!method || r.method === method) &&
    (!status || status(r)) &&
    (!text || `${r.method} ${r.host}${r.url} ${r.status}`.toLowerCase().includes(text));
}

function statusMatcher(spec: string): (r: Filterable) => boolean {
  const tests = spec.split(',').map((part) => {
    const p = part.trim().toLowerCase();
    if (p === 'err' || p === 'error') return (r: Filterable) => !!r.error;
    if (/^[1-5]xx$/.test(p)) {
      const cls = Number(p[0]);
      return (r: Filterable) => Math.floor(r.status / 100) === cls;
    }
    if (/^\d{1,3}$/.test(p)) {
      const n = Number(p);
      return (r: Filterable) => r.status === n;
    }
    throw new UserError(`status must be a code (404), a class (5xx) or err, comma-separated, not "${spec}".`, 'EQUERY');
  });
  return (r) => tests.some((t) => t(r));
}
