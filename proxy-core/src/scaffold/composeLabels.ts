import { UserError } from '../errors';
import { normalizeHost } from '../routes/hostName';
import { RESOLVER, checkNetwork } from './traefikToml';
import { LabelOptions } from './types';

export type LabelPair = [key: string, value: string];

/**
 * Traefik names become segments of dotted label keys, so dots and anything outside
 * letters, digits, "-" and "_" are replaced.
 */
export function traefikName(name: string): string {
  const n = String(name ?? '').trim().replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  if (!n) throw new UserError(`"${name}" cannot be used as a Traefik router or service name; give a compose service name.`, 'EUSAGE');
  return n;
}

/** ``Host(`a`) || Host(`b`)``: v3 matchers take one value each. */
export function hostRule(hosts: string[]): string {
  if (!hosts.length) throw new UserError('Give at least one host name (--host app.example.com).', 'EUSAGE');
  return hosts.map((h) => `Host(\`${normalizeHost(h)}\`)`).join(' || ');
}

export function labelPairs(opts: LabelOptions): LabelPair[] {
  const router = traefikName(opts.router ?? opts.service);
  const service = traefikName(opts.traefikService ?? opts.service);
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535)) {
    throw new UserError(`Port ${opts.port} is not a port number from 1 to 65535.`, 'EUSAGE');
  }
  const pairs: LabelPair[] = [['traefik.enable', 'true']];
  if (opts.network) pairs.push(['traefik.docker.network', checkNetwork(opts.network)]);
  pairs.push(
    [`traefik.http.routers.${router}.rule`, hostRule(opts.hosts)],
    [`traefik.http.routers.${router}.entrypoints`, opts.entrypoint ?? 'websecure'],
    [`traefik.http.routers.${router}.tls.certresolver`, opts.certResolver ?? RESOLVER],
  );
  // A router whose name differs from its service's needs an explicit link, but only to a service
  // that labels define; otherwise Traefik's default service for the container is the right one.
  if (router !== service && (opts.port !== undefined || opts.traefikService !== undefined)) pairs.push([`traefik.http.routers.${router}.service`, service]);
  if (opts.port !== undefined) pairs.push([`traefik.http.services.${service}.loadbalancer.server.port`, String(opts.port)]);
  return pairs;
}

/** Labels in compose's list form (`key=value`). */
export function generateComposeLabels(opts: LabelOptions): string[] {
  return labelPairs(opts).map(([k, v]) => `${k}=${v}`);
}

/** Splits a list-form label; a label without "=" has an empty value (as compose reads it). */
export function splitLabel(item: string): LabelPair {
  const eq = item.indexOf('=');
  return eq === -1 ? [item, ''] : [item.slice(0, eq), item.slice(eq + 1)];
}
