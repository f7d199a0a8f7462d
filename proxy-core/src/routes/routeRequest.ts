import { errorMessage } from '../errors';
import { MAX_PRIORITY } from '../traefik/priority';
import { normalizeRoutePath } from './routePath';
import { Target, parseTarget } from './target';
import { RouteRecord, TlsMode } from './types';

/** The TLS modes a route can ask for (`TlsMode` in routes/types.ts). */
export const TLS_MODES: readonly TlsMode[] = ['local', 'acme'];

/** The fields of a route request (PUT /v1/routes/:host body, one record of routes.json). */
const FIELDS: readonly string[] = ['target', 'tls', 'path', 'stripPrefix', 'priority'];

export interface RouteRequest {
  target: Target;
  tls: TlsMode;
  /** Normalised (routes/routePath.ts); undefined: the whole host. */
  path?: string;
  stripPrefix?: boolean;
  priority?: number;
}

/** `reason` is one line: for ETARGET a whole sentence (parseTarget's), for EBODY one that follows a prefix such as "Invalid request body: ". */
export type Checked<T> = { ok: true; value: T } | { ok: false; code: 'EBODY' | 'ETARGET'; reason: string };

/**
 * Checks the JSON types of a route request and parses its target, with nothing coerced: a number
 * is not a port, an array is not a string, and an unknown `tls` or a misspelt field (`"tsl"`) is
 * refused rather than read as the default. `extraFields` names fields the caller checks itself
 * (routes.json records also carry host, source and createdAt); any other field is refused.
 */
export function checkRouteRequest(value: unknown, extraFields: readonly string[] = []): Checked<RouteRequest> {
  if (value === undefined)
    return refuse('the body is empty: send a JSON object such as {"target": "http://127.0.0.1:5000", "tls": "local"}.');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse(
      `expected a JSON object such as {"target": "http://127.0.0.1:5000", "tls": "local"}, not ${describe(value)}.`,
    );
  }
  const record = value as Record<string, unknown>;
  const known = [...FIELDS, ...extraFields];
  const unknown = Object.keys(record).find((k) => !known.includes(k));
  if (unknown !== undefined)
    return refuse(`unknown field "${unknown}" (the fields are ${known.map((f) => `"${f}"`).join(', ')}).`);
  if (record.target === undefined)
    return refuse('"target" is missing: give "http://127.0.0.1:PORT" or "container:NAME[:PORT]".');
  if (typeof record.target !== 'string') {
    return refuse(
      `"target" must be a string such as "http://127.0.0.1:5000" or "container:web:80", not ${describe(record.target)}.`,
    );
  }
  // Control characters would break the one-line messages that quote the target.
  if ([...record.target].some((c) => c < ' ' || c === '\u007f'))
    return refuse(`"target" must not contain control characters, as ${describe(record.target)} does.`);
  if (record.tls !== undefined && !TLS_MODES.includes(record.tls as TlsMode)) {
    return refuse(
      `"tls" must be ${TLS_MODES.map((m) => `"${m}"`).join(' or ')} (or left out for "local"), not ${describe(record.tls)}.`,
    );
  }
  let path: string | undefined;
  if (record.path !== undefined) {
    if (typeof record.path !== 'string')
      return refuse(`"path" must be a string such as "/api", not ${describe(record.path)}.`);
    try {
      path = normalizeRoutePath(record.path);
    } catch (err) {
      return refuse(`${errorMessage(err)}`);
    }
  }
  if (record.stripPrefix !== undefined && typeof record.stripPrefix !== 'boolean')
    return refuse(`"stripPrefix" must be true or false, not ${describe(record.stripPrefix)}.`);
  if (record.stripPrefix === true && !path)
    return refuse('"stripPrefix" needs a "path" to strip: give one such as "/api", or leave stripPrefix out.');
  if (
    record.priority !== undefined &&
    (typeof record.priority !== 'number' ||
      !Number.isInteger(record.priority) ||
      record.priority < 1 ||
      record.priority > MAX_PRIORITY)
  )
    return refuse(
      `"priority" must be a whole number from 1 to ${MAX_PRIORITY} (higher is tried first), not ${describe(record.priority)}.`,
    );
  let target: Target;
  try {
    target = parseTarget(record.target);
  } catch (err) {
    return { ok: false, code: 'ETARGET', reason: errorMessage(err) };
  }
  const request: RouteRequest = { target, tls: (record.tls as TlsMode | undefined) ?? 'local' };
  if (path) request.path = path;
  if (record.stripPrefix === true) request.stripPrefix = true;
  if (record.priority !== undefined) request.priority = record.priority as number;
  return { ok: true, value: request };
}

/** The user route a checked request (or a stored one) stands for; `target` as the caller resolved it. */
export function userRecord(host: string, request: RouteRequest, target: string, createdAt: string): RouteRecord {
  const record: RouteRecord = { host, target, tls: request.tls, source: 'user', createdAt };
  if (request.path) record.path = request.path;
  if (request.stripPrefix) record.stripPrefix = true;
  if (request.priority !== undefined) record.priority = request.priority;
  return record;
}

function refuse(reason: string): Checked<never> {
  return { ok: false, code: 'EBODY', reason };
}

/** A JSON value in a few words, for reasons: `the number 7`, `"acmee"`, `an array`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value} ${String(value)}`;
}
