import type { IncomingHttpHeaders } from 'node:http';

/**
 * The headers a backend uses to learn who the client is and how it came in. We are the first
 * proxy on the path (a browser on this machine talks to us), so a client's own values are never
 * trusted — as Traefik does without trustedIPs: every one of these is deleted, in the underscore
 * spelling too (servers such as Rack and PHP fold `X_Forwarded_For` onto `X-Forwarded-For`;
 * Puma CVE-2024-45614), and the proxy sets its own.
 */
const CLIENT_INFO = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-uri',
  'x-forwarded-method',
  'x-forwarded-prefix',
  'x-forwarded-tls-client-cert',
  'x-forwarded-tls-client-cert-info',
  'x-real-ip',
]);

/** Whether a (lower-case) header name is one the proxy sets or deletes itself. */
export function isProxyHeader(lowerName: string): boolean {
  return lowerName.charCodeAt(0) === 120 /* 'x' */ && CLIENT_INFO.has(lowerName);
}

/**
 * Replaces the client's forwarding headers with ours, in place: `headers` are the ones about to
 * go to the backend (HTTP requests and WebSocket upgrades alike), with `host` already final.
 */
export function setForwarded(headers: IncomingHttpHeaders, remote: string | undefined, port: number): void {
  for (const key in headers) {
    if (key.charCodeAt(0) !== 120 /* 'x' */) continue;
    if (CLIENT_INFO.has(key.indexOf('_') === -1 ? key : key.replace(/_/g, '-'))) delete headers[key];
  }
  const client = (remote ?? '').replace(/^::ffff:/, '');
  headers['x-forwarded-for'] = client;
  headers['x-forwarded-proto'] = 'https';
  headers['x-forwarded-host'] = headers.host;
  headers['x-forwarded-port'] = String(port);
  headers['x-real-ip'] = client;
}
