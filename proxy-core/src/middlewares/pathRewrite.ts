import { compileRe2 } from '../traefik/re2';
import { goReplacer } from './goTemplate';
import { OptionError, Options } from './options';
import { addHeader, reply, statusText } from './respond';
import type { Exchange, Middleware } from './types';
import {
  asEscaped,
  decodePath,
  encodedPrefixLength,
  ensureLeadingSlash,
  escapePath,
  isCleanPath,
  isValidEncoded,
  splitUrl,
} from './urlPath';

/**
 * The path middlewares: stripPrefix, stripPrefixRegex, addPrefix, replacePath, replacePathRegex
 * (Traefik's pkg/middlewares of the same names). Prefixes and stripPrefixRegex match the decoded
 * path, replacePathRegex the escaped one, as in Traefik.
 */

const FORWARDED_PREFIX = 'x-forwarded-prefix';
const REPLACED_PATH = 'x-replaced-path';

export function stripPrefix(o: Options): Middleware {
  const prefixes = o.list('prefixes');
  // Deprecated in Traefik v3 and without effect: the stripped path always starts with a slash.
  o.bool('forceSlash');
  o.finish();
  if (!prefixes?.length) throw new OptionError('option prefixes is empty; give the path prefixes to strip, e.g. /api');
  return (ex) => {
    const { path, query } = splitUrl(ex.url);
    const decoded = decodePath(path);
    if (decoded === undefined) return true;
    for (const prefix of prefixes) {
      if (decoded.startsWith(prefix)) return strip(ex, path, query, prefix);
    }
    return true;
  };
}

export function stripPrefixRegex(o: Options): Middleware {
  const sources = o.list('regex');
  o.finish();
  if (!sources?.length)
    throw new OptionError('option regex is empty; give the regular expressions to strip, e.g. /api/[a-z]+');
  const regexes = sources.map((source) => {
    const compiled = compileRe2(source);
    if (!compiled.ok) throw new OptionError(`option regex ${JSON.stringify(source)}: ${compiled.reason}`);
    return compiled.regex;
  });
  return (ex) => {
    const { path, query } = splitUrl(ex.url);
    const decoded = decodePath(path);
    if (decoded === undefined) return true;
    for (const regex of regexes) {
      const m = regex.exec(decoded);
      // A match anywhere but at the start strips nothing: the next regexp gets its turn.
      if (m && m[0].length > 0 && decoded.startsWith(m[0])) return strip(ex, path, query, m[0]);
    }
    return true;
  };
}

function strip(ex: Exchange, path: string, query: string, prefix: string): boolean {
  const stripped = ensureLeadingSlash(path.slice(encodedPrefixLength(path, prefix)));
  if (!isCleanPath(stripped)) return reply(ex, 400, {}, `${statusText(400)}\n`);
  addHeader(ex.headers, FORWARDED_PREFIX, prefix);
  ex.url = (stripped || '/') + query;
  return true;
}

export function addPrefix(o: Options): Middleware {
  const prefix = o.string('prefix');
  o.finish();
  if (!prefix) throw new OptionError('option prefix is empty; give the prefix to add, e.g. /api');
  // The prefix is a decoded path (as Traefik reads it): a literal % or space is escaped.
  const raw = prefix.includes('%') || !isValidEncoded(prefix) ? escapePath(prefix) : prefix;
  return (ex) => {
    const { path, query } = splitUrl(ex.url);
    ex.url = ensureLeadingSlash(raw + path) + query;
    return true;
  };
}

export function replacePath(o: Options): Middleware {
  const path = o.string('path') ?? '';
  o.finish();
  const decoded = decodePath(path);
  if (decoded === undefined)
    throw new OptionError(
      `option path ${JSON.stringify(path)} has a % that starts no %XX escape; write %25 for a literal %`,
    );
  const raw = asEscaped(path, decoded) || '/';
  return (ex) => {
    const { path: current, query } = splitUrl(ex.url);
    addHeader(ex.headers, REPLACED_PATH, current);
    ex.url = raw + query;
    return true;
  };
}

export function replacePathRegex(o: Options): Middleware {
  const regex = (o.string('regex') ?? '').trim();
  const replacement = (o.string('replacement') ?? '').trim();
  o.finish();
  if (!regex) throw new OptionError('option regex is empty; give the regular expression the path must match');
  const { test, replace } = goReplacer(regex, replacement);
  return (ex) => {
    const { path, query } = splitUrl(ex.url);
    if (!test.test(path)) return true;
    addHeader(ex.headers, REPLACED_PATH, path);
    const replaced = replace(path);
    const decoded = decodePath(replaced);
    // Traefik answers 500 when the replacement is not a valid escaped path, 400 when it is not clean.
    if (decoded === undefined) return reply(ex, 500, {}, `invalid URL escape in ${JSON.stringify(replaced)}\n`);
    const raw = asEscaped(replaced, decoded);
    if (!isCleanPath(raw)) return reply(ex, 400, {}, `${statusText(400)}\n`);
    ex.url = (raw || '/') + query;
    return true;
  };
}
