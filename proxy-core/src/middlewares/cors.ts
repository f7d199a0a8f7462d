import { compileRe2 } from '../traefik/re2';
import { OptionError, Options } from './options';
import type { Exchange, ResponseHeaderMap } from './types';

/** The CORS part of Traefik's headers middleware (pkg/middlewares/headers/header.go). */
export interface Cors {
  allowCredentials: boolean;
  allowHeaders: string[];
  allowMethods: string[];
  originList: string[];
  originRegexes: RegExp[];
  exposeHeaders: string[];
  maxAge?: number;
  addVary: boolean;
}

/** Reads the CORS options; undefined when none is set (then there is no preflight handling either). */
export function readCors(o: Options): Cors | undefined {
  const cors: Cors = {
    allowCredentials: o.bool('accessControlAllowCredentials') ?? false,
    allowHeaders: o.list('accessControlAllowHeaders') ?? [],
    allowMethods: o.list('accessControlAllowMethods') ?? [],
    originList: o.list('accessControlAllowOriginList') ?? [],
    originRegexes: (o.list('accessControlAllowOriginListRegex') ?? []).map((source) => {
      const compiled = compileRe2(source);
      if (!compiled.ok)
        throw new OptionError(`option accessControlAllowOriginListRegex ${JSON.stringify(source)}: ${compiled.reason}`);
      return compiled.regex;
    }),
    exposeHeaders: o.list('accessControlExposeHeaders') ?? [],
    maxAge: o.int('accessControlMaxAge'),
    addVary: o.bool('addVaryHeader') ?? false,
  };
  const defined =
    cors.allowCredentials ||
    cors.allowHeaders.length > 0 ||
    cors.allowMethods.length > 0 ||
    cors.originList.length > 0 ||
    cors.originRegexes.length > 0 ||
    cors.exposeHeaders.length > 0 ||
    cors.maxAge !== undefined ||
    cors.addVary;
  return defined ? cors : undefined;
}

function single(ex: Exchange, name: string): string {
  const value = ex.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** The Access-Control-Allow-Origin value for `origin`, if it is allowed. */
function matchOrigin(cors: Cors, origin: string): string | undefined {
  for (const item of cors.originList) {
    if (item === origin) return item;
    // A wildcard cannot go with credentials: the origin itself is echoed instead.
    if (item === '*') return cors.allowCredentials ? origin : item;
  }
  for (const regex of cors.originRegexes) if (regex.test(origin)) return origin;
  return undefined;
}

function exposeValue(cors: Cors): string | undefined {
  if (cors.exposeHeaders.length === 0) return undefined;
  if (cors.exposeHeaders.includes('*') && cors.allowCredentials) return undefined;
  return cors.exposeHeaders.join(',');
}

/**
 * The answer to a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method), which
 * the middleware gives itself, or undefined when the request is not one.
 */
export function preflightHeaders(cors: Cors, ex: Exchange): ResponseHeaderMap | undefined {
  const method = single(ex, 'access-control-request-method');
  const origin = single(ex, 'origin');
  if (!method || !origin || ex.req.method !== 'OPTIONS') return undefined;
  const headers: ResponseHeaderMap = {};
  if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
  if (cors.allowHeaders.includes('*') && cors.allowCredentials) {
    const requested = single(ex, 'access-control-request-headers');
    if (requested) headers['access-control-allow-headers'] = requested;
  } else if (cors.allowHeaders.length) headers['access-control-allow-headers'] = cors.allowHeaders.join(',');
  if (cors.allowMethods.includes('*') && cors.allowCredentials) headers['access-control-allow-methods'] = method;
  else if (cors.allowMethods.length) headers['access-control-allow-methods'] = cors.allowMethods.join(',');
  const allowed = matchOrigin(cors, origin);
  if (allowed) headers['access-control-allow-origin'] = allowed;
  if (cors.maxAge !== undefined) headers['access-control-max-age'] = String(cors.maxAge);
  const expose = exposeValue(cors);
  if (expose) headers['access-control-expose-headers'] = expose;
  return headers;
}

/** The CORS headers of an ordinary response; `origin` is the request's Origin ('' when none). */
export function applyCors(cors: Cors, origin: string, headers: ResponseHeaderMap): void {
  const allowed = matchOrigin(cors, origin);
  if (allowed) headers['access-control-allow-origin'] = allowed;
  if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
  const expose = exposeValue(cors);
  if (expose) headers['access-control-expose-headers'] = expose;
  if (!cors.addVary) return;
  const seen = headers.vary;
  const vary = Array.isArray(seen) ? seen.join(',') : (seen ?? '');
  if (vary === 'Origin') return;
  headers.vary = vary ? `${vary},Origin` : 'Origin';
}

export function requestOrigin(ex: Exchange): string {
  return single(ex, 'origin');
}
