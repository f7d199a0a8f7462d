import type { IncomingHttpHeaders } from 'node:http';
import { isProxyHeader } from './forwardedHeaders';

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

/**
 * HTTP/2 requests carry pseudo-headers (:path, :authority…) that an HTTP/1.1 upstream must not
 * see. Returns HTTP/1.1-shaped headers (a copy: the compat layer's object stays intact), with
 * `host` from :authority. Everything else an h2 client may send is already free of hop-by-hop
 * headers (RFC 9113 §8.2.2), apart from `te: trailers`, which is dropped, and Expect, which the
 * server has already answered.
 */
export function h2HeadersAsH1(source: IncomingHttpHeaders): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const key in source)
    if (key.charCodeAt(0) !== 58 /* ':' */ && key !== 'te' && key !== 'expect') headers[key] = source[key];
  // :authority wins over a host header that says otherwise (RFC 9113 §8.3.1): routing used it.
  if (source[':authority']) headers.host = source[':authority'] as string;
  return headers;
}

/**
 * Hop-by-hop request headers (RFC 9110 §7.6.1) belong to the client's connection, not ours to
 * the backend: a client's `Connection: close` forwarded on a pooled keep-alive socket makes the
 * backend close it under the next request. Transfer-Encoding goes too: the upstream client frames
 * the body itself (chunked unless Content-Length is known). Expect goes because the server has
 * already answered 100-continue to the client.
 */
export function stripHopByHopRequest(headers: IncomingHttpHeaders): void {
  const listed = headers.connection;
  if (listed !== undefined) {
    for (const option of String(listed).toLowerCase().split(',')) {
      const name = option.trim();
      if (mayBeListed(name)) delete headers[name];
    }
    delete headers.connection;
  }
  if (headers['keep-alive'] !== undefined) delete headers['keep-alive'];
  if (headers['proxy-connection'] !== undefined) delete headers['proxy-connection'];
  if (headers['transfer-encoding'] !== undefined) delete headers['transfer-encoding'];
  if (headers.te !== undefined) delete headers.te;
  if (headers.trailer !== undefined) delete headers.trailer;
  if (headers.upgrade !== undefined) delete headers.upgrade;
  if (headers.expect !== undefined) delete headers.expect;
  if (headers['http2-settings'] !== undefined) delete headers['http2-settings'];
}

/**
 * A client's Connection options may remove hop-by-hop fields only. Host routes the request and
 * Content-Length frames its body (dropping it would turn the upload chunked, which some backends
 * refuse with 411), and the forwarding headers are the proxy's own (forwardedHeaders.ts): listing
 * them let a client hide Host and X-Forwarded-Host from the backend (Traefik CVE-2024-45410).
 */
function mayBeListed(name: string): boolean {
  return name !== 'host' && name !== 'content-length' && !isProxyHeader(name);
}

/**
 * Whether the client sent a body to forward: HTTP/1.1 by Content-Length > 0 or Transfer-Encoding
 * (read before stripHopByHopRequest removes it); HTTP/2 when HEADERS did not end the stream.
 */
export function requestHasBody(req: {
  headers: IncomingHttpHeaders;
  httpVersionMajor: number;
  stream?: { endAfterHeaders: boolean };
}): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  if (req.httpVersionMajor === 2) return !req.stream?.endAfterHeaders;
  return req.headers['transfer-encoding'] !== undefined;
}

const HOP_BY_HOP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'http2-settings',
]);

/**
 * Response headers that describe the upstream connection, not the response: our server writes
 * its own framing and connection headers (and HTTP/2 forbids these outright). `listed` are the
 * names the upstream's Connection header declared hop-by-hop.
 */
export function isHopByHopResponseHeader(lowerName: string, listed: string[] | undefined): boolean {
  return HOP_BY_HOP_RESPONSE.has(lowerName) || (listed !== undefined && listed.includes(lowerName));
}
