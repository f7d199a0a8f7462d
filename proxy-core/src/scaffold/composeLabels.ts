import { UserError } from '../errors';
import { normalizeHost } from '../routes/hostName';
import { DOCKER_NETWORK, ENABLE, LabelPair, ROUTER, SERVICE, routerKey, serviceKey } from '../traefik/labelKeys';
import { ENTRY_WEBSECURE, RESOLVER, traefikName } from '../traefik/names';
import { hostsRule } from '../traefik/rules';
import { checkNetwork } from './dockerNetwork';
import { LabelOptions } from './types';

/** ``Host(`a`) || Host(`b`)``: v3 matchers take one value each. */
export function hostRule(hosts: string[]): string {
  if (!hosts.length) throw new UserError('Give at least one host name (--host app.example.com).', 'EUSAGE');
  return hostsRule(hosts.map(normalizeHost));
}

export function labelPairs(opts: LabelOptions): LabelPair[] {
  const router = traefikName(opts.router ?? opts.service);
  const service = traefikName(opts.traefikService ?? opts.service);
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535)) {
    throw new UserError(`Port ${opts.port} is not a port number from 1 to 65535.`, 'EUSAGE');
  }
  const pairs: LabelPair[] = [[ENABLE, 'true']];
  if (opts.network) pairs.push([DOCKER_NETWORK, checkNetwork(opts.network)]);
  pairs.push(
    [routerKey(router, ROUTER.rule), hostRule(opts.hosts)],
    [routerKey(router, ROUTER.entrypoints), opts.entrypoint ?? ENTRY_WEBSECURE],
    [routerKey(router, ROUTER.certResolver), opts.certResolver ?? RESOLVER],
  );
  // A router whose name differs from its service's needs an explicit link, but only to a service
  // that labels define; otherwise Traefik's default service for the container is the right one.
  if (router !== service && (opts.port !== undefined || opts.traefikService !== undefined))
    pairs.push([routerKey(router, ROUTER.service), service]);
  if (opts.port !== undefined) pairs.push([serviceKey(service, SERVICE.port), String(opts.port)]);
  return pairs;
}

/** Labels in compose's list form (`key=value`). */
export function generateComposeLabels(opts: LabelOptions): string[] {
  return labelPairs(opts).map(([k, v]) => `${k}=${v}`);
}
