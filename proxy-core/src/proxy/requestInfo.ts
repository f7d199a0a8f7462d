import type { IncomingHttpHeaders } from 'node:http';

/** The host a request is for, without port, lower case. HTTP/2 carries it in :authority. */
export function requestHost(headers: IncomingHttpHeaders): string {
  const raw = (headers[':authority'] as string | undefined) ?? headers.host ?? '';
  return stripPort(raw).toLowerCase();
}

export function stripPort(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const colon = hostHeader.indexOf(':');
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

export function isLoopback(address: string | undefined): boolean {
  return !!address && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings'];

/**
 * HTTP/2 requests carry pseudo-headers (:path, :authority…) that Node's HTTP/1 client rejects,
 * and Http2ServerRequest derives `url` from :path. Gives the request HTTP/1.1-shaped `headers`
 * and a fixed `url` as own properties, shadowing the compat getters, without copying the body.
 */
export function h2RequestAsH1(req: { headers: IncomingHttpHeaders; url?: string }): void {
  const source = req.headers;
  const headers: IncomingHttpHeaders = {};
  for (const key in source) if (key.charCodeAt(0) !== 58 /* ':' */) headers[key] = source[key];
  if (!headers.host && source[':authority']) headers.host = source[':authority'] as string;
  const url = req.url;
  Object.defineProperty(req, 'headers', { value: headers, writable: true, configurable: true });
  Object.defineProperty(req, 'url', { value: url, writable: true, configurable: true });
}

/**
 * Hop-by-hop request headers (RFC 9110 §7.6.1) belong to the client's connection, not ours to
 * the backend: a client's `Connection: close` forwarded on a pooled keep-alive socket makes the
 * backend close it under the next request. Transfer-Encoding stays: it frames the body we pipe.
 */
export function stripHopByHopRequest(headers: IncomingHttpHeaders): void {
  const listed = headers.connection;
  if (listed) for (const name of String(listed).toLowerCase().split(',')) delete headers[name.trim()];
  delete headers.connection;
  delete headers['keep-alive'];
  delete headers['proxy-connection'];
  delete headers.te;
  delete headers.trailer;
  delete headers['http2-settings'];
  if (headers.upgrade !== undefined) delete headers.upgrade;
}

/** HTTP/2 forbids connection-specific response headers. */
export function stripHopByHop(headers: IncomingHttpHeaders): void {
  for (const key of HOP_BY_HOP) delete headers[key];
}
