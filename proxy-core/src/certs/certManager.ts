import { EventEmitter } from 'node:events';
import { UserError, errorMessage } from '../errors';
import { TlsMode } from '../routes/types';
import { CertStore, StoredCert } from './certStore';
import { LEAF_RENEW_BEFORE_DAYS, LocalCa } from './localCa';

const DAY = 24 * 3600 * 1000;

/** What an ACME implementation offers the manager; see acme/. */
export interface AcmeIssuer {
  /** Obtains (or renews) a certificate for host and stores it in the CertStore. */
  issue(host: string): Promise<StoredCert>;
  /** When the certificate should be renewed (ARI or one third of its lifetime left). */
  renewalTime(cert: StoredCert): Promise<Date> | Date;
  /** Hosts whose orders are in flight, for the "certificate pending" page. */
  isPending(host: string): boolean;
}

/**
 * Makes sure every routed host has a valid certificate: issues on demand (deduplicated per
 * host), renews ahead of expiry, and never drops a still-valid certificate on failure.
 */
export class CertManager extends EventEmitter {
  private readonly inFlight = new Map<string, Promise<StoredCert>>();
  /** The last failure per host until it gets a certificate: hosts with none yet keep it nowhere else. */
  private readonly failures = new Map<string, string>();
  private acme: AcmeIssuer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private renewalHosts: () => Array<{ host: string; tls: TlsMode }> = () => [];
  /** Names a host's local certificate carries besides its own (a shared route's `.local` name, lan/). */
  private alsoNames: (host: string) => string[] = () => [];

  constructor(
    readonly store: CertStore,
    readonly ca: LocalCa,
    private readonly log: (line: string) => void,
  ) {
    super();
  }

  setAcmeIssuer(acme: AcmeIssuer | undefined): void {
    this.acme = acme;
  }

  setAlsoNames(fn: (host: string) => string[]): void {
    this.alsoNames = fn;
  }

  get acmeIssuer(): AcmeIssuer | undefined {
    return this.acme;
  }

  /** Returns a usable certificate for host, issuing one if there is none or it is due. */
  /** `now` only decides whether the current certificate is due; a new one is always issued for the real clock. */
  ensure(host: string, mode: TlsMode, now = new Date()): Promise<StoredCert> {
    const existing = this.store.get(host);
    if (
      existing &&
      existing.meta.issuer === mode &&
      !this.isDue(existing, now) &&
      this.coversNames(existing, host, mode)
    ) {
      return Promise.resolve(existing);
    }
    return this.issue(host, mode);
  }

  issue(host: string, mode: TlsMode, now = new Date()): Promise<StoredCert> {
    const running = this.inFlight.get(host);
    if (running) return running;
    const job = (async () => {
      if (mode === 'local') {
        const leaf = await this.ca.issueLeaf(host, now, this.alsoNames(host));
        return this.store.put(host, leaf.certPem, leaf.keyPem, {
          issuer: 'local',
          renewAt: new Date(leaf.notAfter.getTime() - LEAF_RENEW_BEFORE_DAYS * DAY).toISOString(),
        });
      }
      return this.assertAcmeConfigured().issue(host);
    })()
      .then(
        (stored) => {
          this.failures.delete(host);
          return stored;
        },
        (err: unknown) => {
          this.failures.set(host, errorMessage(err));
          throw err;
        },
      )
      .finally(() => this.inFlight.delete(host));
    this.inFlight.set(host, job);
    return job;
  }

  assertAcmeConfigured(): AcmeIssuer {
    if (!this.acme) {
      throw new UserError(
        `Let's Encrypt is not configured for this daemon: start it with --acme-email YOU@EXAMPLE.COM (and --acme-directory for a non-default CA), or set containerHttps.acme.email in the editor.`,
        'ENOACME',
      );
    }
    return this.acme;
  }

  /** Why the last attempt for host failed, while it has not succeeded since (route rows show it). */
  lastError(host: string): string | undefined {
    return this.failures.get(host);
  }

  isPending(host: string): boolean {
    return this.inFlight.has(host) || (this.acme?.isPending(host) ?? false);
  }

  private coversNames(cert: StoredCert, host: string, mode: TlsMode): boolean {
    const names = mode === 'local' ? [host, ...this.alsoNames(host)] : [host];
    return names.every((n) => cert.meta.hosts.includes(n));
  }

  private isDue(cert: StoredCert, now: Date): boolean {
    const renewAt = cert.meta.renewAt
      ? Date.parse(cert.meta.renewAt)
      : Date.parse(cert.meta.notAfter) - LEAF_RENEW_BEFORE_DAYS * DAY;
    return now.getTime() >= renewAt;
  }

  /**
   * Local certificates are checked on a slow timer; a missed tick only delays renewal, and
   * 30 days of margin make that harmless. ACME renewals are scheduled by the ACME side.
   */
  startRenewals(hosts: () => Array<{ host: string; tls: TlsMode }>, everyMs = 3600_000): void {
    this.renewalHosts = hosts;
    this.timer = setInterval(() => void this.checkRenewals(), everyMs);
    this.timer.unref();
    void this.checkRenewals();
  }

  /**
   * One renewal check of the local certificates (the timer's tick). A failure is logged when it
   * is new, not at every tick, and a path that blocks every write (obstruction) is not retried
   * until it is cleared.
   */
  async checkRenewals(): Promise<void> {
    for (const { host, tls } of this.renewalHosts()) {
      if (tls !== 'local') continue;
      const cert = this.store.get(host);
      if (cert && !this.isDue(cert, new Date())) continue;
      const blocked = this.store.obstruction(host);
      if (blocked) {
        this.renewalFailed(host, blocked);
        continue;
      }
      const before = this.failures.get(host);
      try {
        await this.issue(host, 'local');
        this.log(`${cert ? 'renewed' : 'issued'} local certificate for ${host}`);
      } catch (err) {
        this.renewalFailed(host, errorMessage(err), before);
      }
    }
  }

  private renewalFailed(host: string, message: string, before = this.failures.get(host)): void {
    this.failures.set(host, message);
    if (before === message) return;
    this.store.updateMeta(host, { lastError: message, lastErrorAt: new Date().toISOString() });
    this.log(`renewal of ${host} failed: ${message}`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
