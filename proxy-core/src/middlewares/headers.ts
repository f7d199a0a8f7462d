import { validateHeaderName, validateHeaderValue } from 'node:http';
import { applyCors, preflightHeaders, readCors, requestOrigin } from './cors';
import { OptionError, Options } from './options';
import { reply } from './respond';
import { applySecureHeaders, readSecureHeaders, secureHeadersFor } from './secureHeaders';
import type { Middleware, ResponseHeaderMap } from './types';

/**
 * Traefik's headers middleware: custom request and response headers (an empty value removes
 * the header), CORS (preflights answered here, 200 with no body), and the security headers.
 */

/** Traefik options the local proxy does not implement. */
const NOT_IMPLEMENTED = ['allowedHosts', 'hostsProxyHeaders', 'publicKey'];
/** Deprecated in Traefik v3 and without effect there: accepted and ignored here too. */
const DEPRECATED = ['featurePolicy', 'sslRedirect', 'sslTemporaryRedirect', 'sslHost', 'sslForceHost'];

export function headers(o: Options): Middleware {
  const requestHeaders = headerList(o, 'customRequestHeaders');
  const responseHeaders = headerList(o, 'customResponseHeaders');
  const cors = readCors(o);
  const secure = readSecureHeaders(o);
  for (const name of DEPRECATED) o.string(name);
  o.finish(NOT_IMPLEMENTED);
  if (!requestHeaders.length && !responseHeaders.length && !cors && !secure)
    throw new OptionError(
      'it sets nothing; give it customRequestHeaders, customResponseHeaders, access-control options or security headers',
    );
  if (secure) for (const [name, value] of secure.fixed) checkHeader('a security option', name, value);

  const editResponse = (headers: ResponseHeaderMap, origin: string) => {
    for (const [name, value] of responseHeaders) {
      if (value === '') delete headers[name];
      else headers[name] = value;
    }
    if (cors) applyCors(cors, origin, headers);
  };

  return (ex) => {
    if (cors) {
      const preflight = preflightHeaders(cors, ex);
      if (preflight) return reply(ex, 200, preflight);
    }
    for (const [name, value] of requestHeaders) {
      if (value === '') delete ex.headers[name];
      else ex.headers[name] = value;
    }
    const secureList = secure ? secureHeadersFor(secure, ex) : undefined;
    const custom = responseHeaders.length > 0 || cors !== undefined;
    const origin = cors ? requestOrigin(ex) : '';
    // The security headers are written first and the custom ones last, so that a custom value
    // (or an empty one, removing it) wins, as in Traefik where the security part is innermost.
    if (secureList?.length && custom)
      ex.onResponse.push((_status, headers) => {
        applySecureHeaders(secureList, headers);
        editResponse(headers, origin);
      });
    else if (secureList?.length) ex.onResponse.push((_status, headers) => applySecureHeaders(secureList, headers));
    else if (custom) ex.onResponse.push((_status, headers) => editResponse(headers, origin));
    return true;
  };
}

/**
 * Connection-level headers: Traefik's proxy drops them from what a middleware set (Go's reverse
 * proxy removes hop-by-hop headers after the middlewares ran), and the framing of a message is the
 * proxy's own, so they are left out here too.
 */
const CONNECTION_LEVEL = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
]);

/** A header map option as [lower-case name, value] pairs, names and values checked now. */
function headerList(o: Options, option: string): Array<[string, string]> {
  const map = o.map(option);
  if (!map) return [];
  const list: Array<[string, string]> = [];
  for (const [name, value] of map) {
    checkHeader(option, name, value);
    if (!CONNECTION_LEVEL.has(name.toLowerCase())) list.push([name.toLowerCase(), value]);
  }
  return list;
}

function checkHeader(option: string, name: string, value: string): void {
  try {
    validateHeaderName(name);
  } catch {
    throw new OptionError(
      `option ${option} names the header ${JSON.stringify(name)}, which is not a valid header name`,
    );
  }
  try {
    validateHeaderValue(name, value);
  } catch {
    throw new OptionError(
      `option ${option} gives the header ${name} the value ${JSON.stringify(value)}, which has characters a header cannot carry`,
    );
  }
}
