import type { IncomingMessage } from 'node:http';

/**
 * HTTP/1.1 Host and request-target rules (RFC 9112 §3.2, §3.2.2): the proxy and the backend must
 * agree on which host a request is for, or a request routed to one app reaches another's code
 * with a Host it was never checked against.
 *
 * Returns why the request gets a 400, or undefined; an absolute-form target is rewritten in place
 * to origin-form, with Host set to the target's authority (which the server must use instead of
 * the received Host). Only HTTP/1.x: HTTP/2 takes Host from :authority (requestInfo.ts).
 */
export function checkHttp1Target(req: IncomingMessage): string | undefined {
  // Node's parser keeps the first of two Host lines and drops the second; rawHeaders has both.
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) return 'the request has more than one Host header';
  // HTTP/1.0 predates Host: such a request is answered, for the host it names (usually none: 404).
  if (hosts === 0 && req.httpVersionMinor >= 1) return 'an HTTP/1.1 request without a Host header';
  const url = req.url ?? '';
  if (url.charCodeAt(0) === 47 /* '/' */) return undefined;
  if (url === '*') return req.method === 'OPTIONS' ? undefined : 'the target * is only allowed for OPTIONS';
  const scheme = /^https?:\/\//i.exec(url);
  if (!scheme) return 'the request target is neither a path nor an absolute URL';
  let end = scheme[0].length;
  while (end < url.length && url[end] !== '/' && url[end] !== '?' && url[end] !== '#') end++;
  const authority = url.slice(scheme[0].length, end);
  if (!authority || authority.includes('@')) return 'the absolute URL has no usable host';
  const rest = url.slice(end);
  req.url = rest.startsWith('/') ? rest : `/${rest}`;
  req.headers.host = authority;
  return undefined;
}
