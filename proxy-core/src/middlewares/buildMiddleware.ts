import { basicAuth } from './basicAuth';
import { compress } from './compress';
import { headers } from './headers';
import { ipAllowList } from './ipAllowList';
import { OptionError, Options } from './options';
import { addPrefix, replacePath, replacePathRegex, stripPrefix, stripPrefixRegex } from './pathRewrite';
import { redirectRegex, redirectScheme } from './redirect';
import type { Exchange, Middleware, MiddlewareSpec } from './types';
import { MIDDLEWARE_TYPES } from '../traefik/middlewareTypes';

/**
 * The middleware types the local proxy runs, by Traefik's names: each compiles its options once
 * (regexps, hashes, files) into a function run per request, or throws an OptionError saying what
 * is wrong with them.
 */
const BUILDERS: Record<string, (options: Options) => Middleware> = {
  stripPrefix,
  stripPrefixRegex,
  addPrefix,
  replacePath,
  replacePathRegex,
  redirectScheme,
  redirectRegex,
  headers,
  basicAuth,
  ipAllowList,
  // Traefik v3 still runs the v2 name (deprecated, same options).
  ipWhiteList: ipAllowList,
  compress,
};

/** Traefik v3's other HTTP middleware types: real ones, which the local proxy does not run (chain is flattened before). */
const NOT_IMPLEMENTED: readonly string[] = MIDDLEWARE_TYPES.filter((t) => !(t in BUILDERS) && t !== 'chain');

const byLowerName = new Map(Object.keys(BUILDERS).map((name) => [name.toLowerCase(), name]));

/**
 * Why the local proxy cannot run this middleware as configured (one line for people), or
 * undefined when it can. The type name ignores case, as Traefik's decoders do.
 *
 * `chain` is never checked here: the route model replaces a chain by its members (and checks
 * those) before a router's list reaches the proxy. One arriving here means it did not, and the
 * members would silently not run, so it is refused.
 */
export function checkMiddleware(spec: MiddlewareSpec): string | undefined {
  try {
    compile(spec);
    return undefined;
  } catch (err) {
    if (err instanceof OptionError) return err.message;
    throw err;
  }
}

/** The middleware for `spec`, compiled once; throws (with checkMiddleware's reason) when it cannot be run. */
export function buildMiddleware(spec: MiddlewareSpec): Middleware {
  return compile(spec);
}

function compile(spec: MiddlewareSpec): Middleware {
  const type = byLowerName.get(spec.type.toLowerCase());
  if (!type) {
    if (spec.type.toLowerCase() === 'chain')
      throw new OptionError(
        `middleware ${spec.name} is a chain, which the route model should have replaced by its members; its routers are not served`,
      );
    const known = NOT_IMPLEMENTED.find((t) => t.toLowerCase() === spec.type.toLowerCase());
    throw new OptionError(
      known
        ? `middleware ${spec.name} is of type ${known}, which the local proxy does not implement: its routers are not served`
        : `middleware ${spec.name} is of type ${spec.type}, which is not a Traefik middleware type: its routers are not served`,
    );
  }
  try {
    return BUILDERS[type](new Options(spec.options ?? {}));
  } catch (err) {
    if (err instanceof OptionError)
      throw new OptionError(`middleware ${spec.name} (${type}): ${err.message}; its routers are not served`);
    throw err;
  }
}

/**
 * Runs a router's middlewares in order until one answers the client (false) or all let the
 * request through (true). Synchronous while they are: a promise only from the first
 * middleware that needs one (basicAuth checking a bcrypt hash).
 */
export function runMiddlewares(list: readonly Middleware[], ex: Exchange): boolean | Promise<boolean> {
  return runFrom(list, 0, ex);
}

function runFrom(list: readonly Middleware[], start: number, ex: Exchange): boolean | Promise<boolean> {
  for (let i = start; i < list.length; i++) {
    const result = list[i](ex);
    if (result === true) continue;
    if (result === false) return false;
    return result.then((go) => (go ? runFrom(list, i + 1, ex) : false));
  }
  return true;
}
