import { errorMessage } from '../errors';
import type { RouteRecord, TlsMode } from '../routes/types';
import type { CertManager } from './certManager';
import type { StoredCert } from './certStore';

export interface CertReconcilerOptions {
  certs: CertManager;
  /** Every routed host (the route table's list). */
  routes: () => RouteRecord[];
  /**
   * True when ACME routes are left to the renewal scheduler, which orders with a backoff that
   * respects the CA's limits (acme/renewalScheduler.ts); asking on every table change would not.
   */
  acmeScheduled: () => boolean;
  log: (line: string) => void;
}

/**
 * The one place certificates are asked for when routes appear: it follows the route table and
 * makes sure every routed host has a certificate, once per host and TLS mode while the route
 * exists (expose awaits the same attempt for its host). Renewals and retries are not its job:
 * CertManager's timer renews and re-issues local ones, the ACME scheduler ACME ones.
 */
export class CertReconciler {
  /** `host|tls` of the routes already asked for. */
  private readonly asked = new Set<string>();
  /** One attempt per host and mode at a time, so its failure is logged once. */
  private readonly running = new Map<string, Promise<StoredCert>>();

  constructor(private readonly opts: CertReconcilerOptions) {}

  /** Asks for the certificates of new routes; settles when those attempts have (never rejects). */
  reconcile(): Promise<void> {
    const routed = new Set<string>();
    const attempts: Array<Promise<unknown>> = [];
    for (const r of this.opts.routes()) {
      if (r.tls === 'acme' && this.opts.acmeScheduled()) continue;
      const key = `${r.host}|${r.tls}`;
      routed.add(key);
      if (!this.asked.has(key)) attempts.push(this.ensure(r.host, r.tls, r.container).catch(() => undefined));
    }
    // A route that goes and comes back is asked for again.
    for (const key of this.asked) if (!routed.has(key)) this.asked.delete(key);
    return Promise.all(attempts).then(() => undefined);
  }

  /** A usable certificate for host (CertManager deduplicates the issuance itself). */
  ensure(host: string, tls: TlsMode, container?: string): Promise<StoredCert> {
    const key = `${host}|${tls}`;
    this.asked.add(key);
    const running = this.running.get(key);
    if (running) return running;
    const attempt = this.opts.certs
      .ensure(host, tls)
      .catch((err: unknown) => {
        this.opts.log(`certificate for ${host}${container ? ` (labels on ${container})` : ''}: ${errorMessage(err)}`);
        throw err;
      })
      .finally(() => this.running.delete(key));
    this.running.set(key, attempt);
    return attempt;
  }
}
