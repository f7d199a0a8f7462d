import { UserError } from '../errors';
import { normalizeHost } from '../routes/hostName';
import { normalizeRoutePath } from '../routes/routePath';
import { DOCKER_NETWORK, ENABLE, LabelPair, SERVICE, middlewareLabels, serviceKey } from '../traefik/labelKeys';
import { RESOLVER, traefikName } from '../traefik/names';
import { MAX_PRIORITY } from '../traefik/priority';
import { hostPathNode, hostsRule, printRule } from '../traefik/rules';
import { checkNetwork } from './dockerNetwork';
import { composeLabel, routerLabels } from './export/routerLabels';
import { LabelOptions } from './types';

/** ``Host(`a`) || Host(`b`)``: v3 matchers take one value each. */
export function hostRule(hosts: string[]): string {
  if (!hosts.length) throw new UserError('Give at least one host name (--host app.example.com).', 'EUSAGE');
  return hostsRule(hosts.map(normalizeHost));
}

/** The stripprefix middleware `--strip-prefix` defines for a router: named after it. */
export function stripPrefixName(router: string): string {
  return `${router}-stripprefix`;
}

/**
 * A middleware reference as a router's `middlewares` label holds it: a Traefik name, optionally
 * with its provider (`auth`, `auth@docker`, `auth@file`). Commas separate references in the
 * label, dots separate label key segments, so neither can be part of a name defined by labels.
 */
const MIDDLEWARE_REF = /^[A-Za-z0-9_-]+(@[a-z0-9]+)?$/;

function checkPath(opts: LabelOptions): string | undefined {
  const path = opts.path === undefined ? undefined : normalizeRoutePath(opts.path);
  if (path?.includes('`'))
    throw new UserError(`Invalid route path "${path}": a backtick would end the rule's value.`, 'EPATH');
  if (opts.stripPrefix && !path)
    throw new UserError('--strip-prefix needs a path to strip: add --path /api.', 'EUSAGE');
  return path;
}

function checkPriority(priority: number | undefined): number | undefined {
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 1 || priority > MAX_PRIORITY))
    throw new UserError(
      `--priority must be a whole number from 1 to ${MAX_PRIORITY} (higher is tried first), not ${priority}.`,
      'EUSAGE',
    );
  return priority;
}

function checkMiddlewares(refs: string[], own: string | undefined): string[] {
  const seen = new Set<string>(own ? [own.toLowerCase()] : []);
  for (const ref of refs) {
    if (!MIDDLEWARE_REF.test(ref))
      throw new UserError(
        `--middleware "${ref}" is not a middleware name: letters, digits, "-" and "_", optionally @provider (auth, auth@file).`,
        'EUSAGE',
      );
    // Traefik's names ignore case; a bare name is the router's own provider (@docker).
    const key = ref.toLowerCase().replace(/@docker$/, '');
    if (seen.has(key))
      throw new UserError(
        own && key === own.toLowerCase()
          ? `--middleware ${ref} is the stripprefix middleware --strip-prefix defines; leave one of them out.`
          : `--middleware ${ref} is named twice; a router runs each middleware once.`,
        'EUSAGE',
      );
    seen.add(key);
  }
  return refs;
}

/**
 * The labels of one router (and its service's port, and a stripprefix middleware) in the order
 * written. Every option is checked first: what cannot be written as asked is refused with the
 * reason, never left out.
 */
export function labelPairs(opts: LabelOptions): LabelPair[] {
  const router = traefikName(opts.router ?? opts.service);
  const service = traefikName(opts.traefikService ?? opts.service);
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535)) {
    throw new UserError(`Port ${opts.port} is not a port number from 1 to 65535.`, 'EUSAGE');
  }
  if (!opts.hosts.length) throw new UserError('Give at least one host name (--host app.example.com).', 'EUSAGE');
  const hosts = opts.hosts.map(normalizeHost);
  const path = checkPath(opts);
  const priority = checkPriority(opts.priority);
  const strip = opts.stripPrefix ? stripPrefixName(router) : undefined;
  const refs = checkMiddlewares(opts.middlewares ?? [], strip);
  let stripPairs: LabelPair[] = [];
  if (strip) {
    const { pairs, problems } = middlewareLabels(strip, 'stripPrefix', { prefixes: [path] });
    if (problems.length)
      throw new UserError(`--strip-prefix cannot be written as labels: ${problems.join('; ')}.`, 'EUSAGE');
    stripPairs = pairs;
  }

  const pairs: LabelPair[] = [[ENABLE, 'true']];
  if (opts.network) pairs.push([DOCKER_NETWORK, checkNetwork(opts.network)]);
  pairs.push(
    ...routerLabels({
      name: router,
      rule: printRule(hostPathNode(hosts, path)),
      priority,
      entrypoints: opts.entrypoint,
      certResolver: opts.certResolver ?? RESOLVER,
      // The prefix comes off first: the middlewares named see the path the app sees.
      middlewares: strip ? [strip, ...refs] : refs,
      // A router whose name differs from its service's needs an explicit link, but only to a
      // service that labels define; otherwise Traefik's default service for the container is the right one.
      service:
        router !== service && (opts.port !== undefined || opts.traefikService !== undefined) ? service : undefined,
    }),
  );
  if (opts.port !== undefined) pairs.push([serviceKey(service, SERVICE.port), String(opts.port)]);
  pairs.push(...stripPairs);
  return pairs;
}

/** Labels in compose's list form (`key=value`, `$` doubled: compose reads `$` as a variable). */
export function generateComposeLabels(opts: LabelOptions): string[] {
  return labelPairs(opts).map(composeLabel);
}
