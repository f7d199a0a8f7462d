import { UserError } from '../errors';
import { hostMatchesSuffix } from '../routes/hostName';

/**
 * The `.local` name a shared host gets on the LAN: its permitted suffix replaced by `local`
 * (`app.localhost`, `app.test` → `app.local`; `app.local` stays). Phones resolve `.local` by
 * mDNS (RFC 6762) and never resolve `.localhost` to anything but themselves.
 */
export function lanNameFor(host: string, suffixes: string[]): string {
  if (hostMatchesSuffix(host, 'local')) return host;
  // The longest suffix first: `home.arpa` before `arpa`.
  const suffix = [...suffixes].sort((a, b) => b.length - a.length).find((s) => hostMatchesSuffix(host, s));
  if (!suffix || suffix === host)
    throw new UserError(
      `${host} cannot be shared on the LAN: only names under the local CA's suffixes (${suffixes.join(', ')}) get a .local name.`,
      'ELANNAME',
    );
  return `${host.slice(0, -suffix.length - 1)}.local`;
}
