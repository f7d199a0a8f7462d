import { UserError } from '../errors';

/**
 * The names the generated Traefik configuration refers to across files: the static
 * configuration (scaffold/traefikToml.ts) defines them, the labels (scaffold/composeLabels.ts,
 * scaffold/migrateLabels.ts) point at them, so they are spelled once here.
 */

/** The certificates resolver the static configuration defines and routers ask for. */
export const RESOLVER = 'letsencrypt';

/** Entry points: plain HTTP on :80, HTTPS on :443, and Traefik's own for the dashboard. */
export const ENTRY_WEB = 'web';
export const ENTRY_WEBSECURE = 'websecure';
export const ENTRY_DASHBOARD = 'traefik';

/** Traefik's built-in service behind the dashboard and API. */
export const DASHBOARD_SERVICE = 'api@internal';

/** Conventional v3 names for the conventional v1 ones. */
export function entryPointName(v1: string): string {
  const l = v1.toLowerCase();
  return l === 'http' ? ENTRY_WEB : l === 'https' ? ENTRY_WEBSECURE : v1;
}

/**
 * Traefik names become segments of dotted label keys, so dots and anything outside
 * letters, digits, "-" and "_" are replaced.
 */
export function traefikName(name: string): string {
  const n = String(name ?? '')
    .trim()
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!n)
    throw new UserError(
      `"${name}" cannot be used as a Traefik router or service name; give a compose service name.`,
      'EUSAGE',
    );
  return n;
}
