import { basicAuth } from '../middlewares/basicAuth';
import { Options } from '../middlewares/options';
import type { Middleware } from '../middlewares/types';
import type { LanAdmission } from '../proxy/httpsProxy';
import { isLoopback } from '../proxy/requestInfo';
import type { StoredShare } from './lanShareStore';

/**
 * Who may reach what from the LAN. With the default loopback --bind, a client that is not on
 * loopback can only have come in through a LAN listener (lan/lanListeners.ts), so the peer's
 * address is what decides: such a client reaches shared routes only, by their `.local` name or
 * their own, and everything else (other hosts, the route list) is a plain 404. The control API
 * is a unix socket and never on the network at all.
 */
export class LanGate {
  private byName = new Map<string, { share: StoredShare; middlewares: Middleware[] }>();

  /** `active`: false when serve --bind already listens beyond loopback (the user's explicit choice, docs/lan.md). */
  constructor(private readonly active: boolean) {}

  setShares(shares: StoredShare[]): void {
    const next = new Map<string, { share: StoredShare; middlewares: Middleware[] }>();
    for (const share of shares) {
      // The same middleware (and its remembered credentials) while the share is unchanged.
      const before = this.byName.get(share.name);
      const middlewares =
        before && sameAuth(before.share, share)
          ? before.middlewares
          : share.auth
            ? [basicAuth(new Options({ users: [`${share.auth.user}:${share.auth.hash}`], realm: 'Container HTTPS' }))]
            : [];
      const entry = { share, middlewares };
      next.set(share.name, entry);
      next.set(share.host, entry);
    }
    this.byName = next;
  }

  /** Undefined: not a LAN client (served as ever). */
  admit(remoteAddress: string | undefined, host: string): LanAdmission | undefined {
    if (!this.active || isLoopback(remoteAddress)) return undefined;
    const entry = this.byName.get(host);
    if (!entry) return 'refuse';
    return { host: entry.share.host, middlewares: entry.middlewares };
  }

  /** The routed host whose certificate answers for a LAN name (SNI `app.local` → `app.localhost`). */
  certHostFor(servername: string): string | undefined {
    const entry = this.byName.get(servername);
    return entry && entry.share.name === servername ? entry.share.host : undefined;
  }
}

function sameAuth(a: StoredShare, b: StoredShare): boolean {
  return a.auth?.user === b.auth?.user && a.auth?.hash === b.auth?.hash;
}
