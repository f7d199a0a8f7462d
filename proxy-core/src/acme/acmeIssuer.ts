import * as acme from 'acme-client';
import type { AcmeIssuer } from '../certs/certManager';
import { CertStore, StoredCert, describe } from '../certs/certStore';
import { isUserError } from '../errors';
import { AcmeAccount } from './acmeAccount';
import { AcmeIssueError, AcmeNetworkError, AcmeProblemError, describeAcmeFailure, retryAfterMs } from './acmeErrors';
import { ariCertId, fetchRenewalInfo } from './ari';
import { ChallengeResponder, ChallengeType } from './challenges';
import { AcmeDirectory, checkDirectory } from './directoryCheck';
import { isLetsEncrypt } from './directoryUrl';

export interface AcmeIssuerOptions {
  directoryUrl: string;
  challenge: ChallengeType;
  account: AcmeAccount;
  store: CertStore;
  challenges: ChallengeResponder;
  /** PEM of an extra root to trust for the ACME server itself (--acme-ca-file). */
  extraCaPem?: string;
  log: (line: string) => void;
}

/** When and why a certificate should be renewed. */
export interface RenewalPlan {
  at: Date;
  basis: 'ari' | 'lifetime';
  /** When to look again even if `at` is later (ARI windows can move). */
  recheckAt?: Date;
  detail: string;
}

// Poll quickly at first (a CA usually validates within a second), then ease off to 5 s.
const POLL = { backoffAttempts: 16, backoffMin: 250, backoffMax: 5000 };

/**
 * Orders certificates over ACME (RFC 8555) with acme-client, answering the configured
 * challenge through the daemon's own listeners, and stores them in the CertStore.
 */
export class AcmeOrderIssuer implements AcmeIssuer {
  private readonly pending = new Set<string>();
  private directory: AcmeDirectory | undefined;
  /** ARI: one random point per suggested window, so re-polling does not re-roll it. */
  private readonly ariChoice = new Map<string, { window: string; at: Date }>();
  /** Last issuance durations, for status and the report. */
  readonly timings: Array<{ host: string; ms: number; at: string }> = [];

  constructor(readonly opts: AcmeIssuerOptions) {}

  get caName(): string {
    return isLetsEncrypt(this.opts.directoryUrl) ? "Let's Encrypt" : new URL(this.opts.directoryUrl).host;
  }

  isPending(host: string): boolean {
    return this.pending.has(host);
  }

  async issue(host: string): Promise<StoredCert> {
    this.pending.add(host);
    const started = Date.now();
    try {
      this.directory = await checkDirectory(this.opts.directoryUrl, this.opts.extraCaPem);
      const cert = await this.order(host, this.directory);
      const ms = Date.now() - started;
      this.timings.push({ host, ms, at: new Date().toISOString() });
      if (this.timings.length > 50) this.timings.shift();
      this.opts.log(
        `ACME: certificate for ${host} from ${this.caName} in ${ms} ms by ${this.opts.challenge}, valid until ${cert.meta.notAfter}, renewal planned ${cert.meta.renewAt}`,
      );
      return cert;
    } catch (err) {
      throw this.userFacing(err, host);
    } finally {
      this.pending.delete(host);
    }
  }

  renewalTime(cert: StoredCert): Promise<Date> {
    return this.renewalPlan(cert).then((p) => p.at);
  }

  /** ARI where the directory offers renewalInfo, else one third of the lifetime left. */
  async renewalPlan(cert: StoredCert, now = new Date()): Promise<RenewalPlan> {
    const fallback = lifetimePlan(cert.meta.notBefore, cert.meta.notAfter);
    if (cert.meta.issuer !== 'acme') return fallback;
    if (!this.directory) {
      // After a restart nothing has been ordered yet; ARI support is only known from the directory.
      try {
        await this.refreshDirectory();
      } catch (err) {
        this.opts.log(`ACME: ${(err as Error).message} Planning ${cert.meta.host} by its lifetime for now.`);
        return { ...fallback, recheckAt: new Date(now.getTime() + 3600_000) };
      }
    }
    const renewalInfo = this.directory?.renewalInfo;
    if (!renewalInfo) return fallback;
    try {
      const info = await fetchRenewalInfo(renewalInfo, cert.certPem, this.opts.extraCaPem, now.getTime());
      const windowKey = `${cert.meta.fingerprint256}|${info.start.toISOString()}|${info.end.toISOString()}`;
      let choice = this.ariChoice.get(cert.meta.host);
      if (!choice || choice.window !== windowKey) {
        const span = info.end.getTime() - info.start.getTime();
        choice = { window: windowKey, at: new Date(info.start.getTime() + Math.random() * span) };
        this.ariChoice.set(cert.meta.host, choice);
      }
      const at = info.end <= now ? now : choice.at;
      return {
        at,
        basis: 'ari',
        recheckAt: info.recheckAt,
        detail: `ARI window ${info.start.toISOString()} – ${info.end.toISOString()}${info.explanationURL ? ` (${info.explanationURL})` : ''}`,
      };
    } catch (err) {
      this.opts.log(
        `ACME: renewal information for ${cert.meta.host} unavailable (${(err as Error).message}); using one third of the lifetime`,
      );
      return { ...fallback, recheckAt: new Date(now.getTime() + 3600_000) };
    }
  }

  /** Whether the directory (as last fetched) offers ARI. */
  get offersAri(): boolean {
    return !!this.directory?.renewalInfo;
  }

  async refreshDirectory(): Promise<AcmeDirectory> {
    this.directory = await checkDirectory(this.opts.directoryUrl, this.opts.extraCaPem);
    return this.directory;
  }

  private async order(host: string, directory: AcmeDirectory): Promise<StoredCert> {
    const { account, store, challenges, challenge: type } = this.opts;
    let client = await account.client(directory, POLL);
    const previous = store.get(host);
    const replaces =
      directory.renewalInfo && previous?.meta.issuer === 'acme' && previous.meta.directory === this.opts.directoryUrl
        ? safeCertId(previous.certPem)
        : undefined;
    const request = { identifiers: [{ type: 'dns' as const, value: host }], ...(replaces ? { replaces } : {}) };
    let order: acme.Order;
    try {
      order = await client.createOrder(request);
    } catch (err) {
      if (!(err instanceof AcmeProblemError) || err.shortType !== 'accountDoesNotExist') throw err;
      this.opts.log(`ACME: ${this.caName} no longer knows our account; registering the same key again`);
      account.forgetUrl();
      client = await account.client(directory, POLL);
      order = await client.createOrder(request);
    }
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === 'valid') continue;
      const challenge = authz.challenges.find((c) => c.type === type);
      if (!challenge) {
        const offered = authz.challenges.map((c) => c.type).join(', ') || 'none';
        throw new AcmeIssueError(
          `${this.caName} offers no ${type} challenge for ${authz.identifier.value} (offered: ${offered}); choose one of those with --acme-challenge.`,
        );
      }
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      const withdraw = await challenges.present(type, authz, keyAuthorization, challenge.token);
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      } catch (err) {
        throw new AcmeIssueError(
          `${this.caName} could not validate ${authz.identifier.value} by ${type}: ${describeAcmeFailure(err, this.opts.directoryUrl)}${hint(type)}`,
          retryAfterMs(err),
        );
      } finally {
        await withdraw();
      }
    }
    const keyPem = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
    const [, csr] = await acme.crypto.createCsr({ altNames: [host] }, keyPem);
    const finalized = await client.finalizeOrder(order, csr);
    const chain = await client.getCertificate(finalized);
    const meta = describe(host, chain, 'acme');
    const plan = lifetimePlan(meta.notBefore, meta.notAfter);
    return store.put(host, chain, keyPem, {
      issuer: 'acme',
      directory: this.opts.directoryUrl,
      renewAt: plan.at.toISOString(),
    });
  }

  private userFacing(err: unknown, host: string): Error {
    if (isUserError(err)) return err;
    const what = `Could not get a certificate for ${host} from ${this.caName}`;
    if (err instanceof AcmeProblemError) {
      const wait =
        err.retryAfterMs !== undefined
          ? `; it asks to retry after ${new Date(Date.now() + err.retryAfterMs).toISOString()}`
          : '';
      return new AcmeIssueError(
        `${what}: ${err.message}${wait}${err.shortType === 'rateLimited' ? ' (rate limited: the daemon retries on its own, slowly)' : ''}`,
        err.retryAfterMs,
      );
    }
    if (err instanceof AcmeNetworkError) return new AcmeIssueError(`${what}: ${err.message}`);
    return new AcmeIssueError(`${what}: ${describeAcmeFailure(err, this.opts.directoryUrl)}`);
  }
}

/** Renew when one third of the lifetime is left (60 of 90 days in: 30 days of margin). */
export function lifetimePlan(notBefore: string, notAfter: string): RenewalPlan {
  const start = Date.parse(notBefore);
  const end = Date.parse(notAfter);
  return { at: new Date(end - (end - start) / 3), basis: 'lifetime', detail: 'one third of the lifetime left' };
}

function safeCertId(pem: string): string | undefined {
  try {
    return ariCertId(pem);
  } catch {
    return undefined;
  }
}

function hint(type: ChallengeType): string {
  switch (type) {
    case 'http-01':
      return " (the CA must reach this daemon's HTTP listener on port 80 of that name)";
    case 'tls-alpn-01':
      return " (the CA must reach this daemon's HTTPS listener on port 443 of that name)";
    case 'dns-01':
      return ' (check that your --acme-dns-hook publishes the TXT record before it returns)';
  }
}
