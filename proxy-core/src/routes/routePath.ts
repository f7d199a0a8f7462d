import { UserError } from '../errors';
import { normalizeHost } from './hostName';

/**
 * The path part of a user route (`expose app.localhost/api …`): it takes that path and all
 * below it. Normalised to a leading slash and no trailing one; `/` alone means the whole host
 * (undefined). Refused: what the proxy's path cleaning would change (`..`, `//`), a query or
 * fragment, control characters, broken percent-encoding.
 */
export function normalizeRoutePath(input: string): string | undefined {
  const raw = String(input ?? '').trim();
  if (raw === '' || raw === '/') return undefined;
  const bad = (why: string) =>
    new UserError(`Invalid route path "${raw.slice(0, 80)}": ${why}. Give a path such as /api.`, 'EPATH');
  if (!raw.startsWith('/')) throw bad('it must start with /');
  if (/[\p{Cc}\s]/u.test(raw)) throw bad('it has spaces or control characters');
  if (/[?#]/.test(raw)) throw bad('a route path has no query or fragment');
  // Rules quote values in backticks (traefik/rules.ts): one in the path would end the value.
  if (raw.includes('`')) throw bad('it has a backtick, which a Traefik rule cannot quote');
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) throw bad('a % must start a %XX escape');
  const path = raw.replace(/\/+$/, '');
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '' || s === '.' || s === '..' || /^(%2e|\.)+$/i.test(s)))
    throw bad('it has empty, "." or ".." segments, which requests never reach after path cleaning');
  if (path.length > 1024) throw bad('it is longer than 1024 characters');
  return path;
}

/** `app.localhost/api` → host and path; `app.localhost` → the host alone. */
export function parseHostPath(input: string): { host: string; path?: string } {
  const text = String(input ?? '').trim();
  const slash = text.indexOf('/');
  if (slash === -1) return { host: normalizeHost(text) };
  const host = normalizeHost(text.slice(0, slash));
  const path = normalizeRoutePath(text.slice(slash));
  return path ? { host, path } : { host };
}

/** The route's address as people write it: `app.localhost/api`. */
export function hostPath(host: string, path: string | undefined): string {
  return path ? `${host}${path}` : host;
}
