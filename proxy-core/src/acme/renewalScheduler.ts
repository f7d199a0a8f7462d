import type { CertStore, StoredCert } from '../certs/certStore';
import { errorMessage } from '../errors';
import { retryAfterMs } from './acmeErrors';
import type { RenewalPlan } from './acmeIssuer';

export interface RetryPolicy {
  /** First retry after a failure; doubles each time. */
  minMs: number;
  maxMs: number;
}

/**
 * Let's Encrypt allows 5 failed validations per name per hour: 5, 10, 20, 40 min… puts at most
 * four failures in any hour, and nothing ever retries faster than the CA's Retry-After.
 */
export const DEFAULT_RETRY: RetryPolicy = { minMs: 5 * 60_000, maxMs: 6 * 3600_000 };

// Node timers overflow past ~24.8 days; longer waits are re-armed.
const MAX_TIMER = 2 ** 31 - 1;

export interface RenewalSchedulerOptions {
  /** Hosts that want an ACME certificate right now (routes with tls: acme). */
  hosts: () => string[];
  store: CertStore;
  plan: (cert: StoredCert) => Promise<RenewalPlan>;
  /** Issues (deduplicated with any order already running for the host). */
  renew: (host: string) => Promise<StoredCert>;
  log: (line: string) => void;
  /** Called after every recorded event, so clients can be told (SSE). */
  onEvent?: (entry: ScheduleEntry, event: ScheduleEvent) => void;
  retry?: RetryPolicy;
  /** The configured directory: a certificate from another one (staging → production) is replaced. */
  directory?: string;
}

/** What the scheduler decided for one host, for status and tests. */
/** issued: a first certificate; renewed: a replacement; failed: an attempt that did not work. */
export type ScheduleEvent = 'scheduled' | 'issued' | 'renewed' | 'failed';

export interface ScheduleEntry {
  host: string;
  next: string;
  /** How long the scheduler waits until `next` (from `at` in the history). */
  delayMs?: number;
  reason: string;
  failures: number;
  lastError?: string;
}

/**
 * Renews ACME certificates: at the time ARI suggests (or one third of the lifetime left),
 * re-asking ARI when its Retry-After says; failures back off exponentially and honour the
 * CA's Retry-After. A failure only records the error: the valid certificate stays in use.
 */
export class RenewalScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private readonly entries = new Map<string, ScheduleEntry>();
  private readonly busy = new Set<string>();
  private stopped = false;
  readonly history: Array<ScheduleEntry & { at: string; event: ScheduleEvent }> = [];
  private readonly retry: RetryPolicy;

  constructor(private readonly opts: RenewalSchedulerOptions) {
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  /** Picks up new ACME hosts and forgets removed ones; cheap to call on every table change. */
  sync(): void {
    if (this.stopped) return;
    const wanted = new Set(this.opts.hosts());
    for (const host of [...this.timers.keys()]) {
      if (!wanted.has(host)) this.forget(host);
    }
    for (const host of wanted) {
      if (!this.timers.has(host) && !this.busy.has(host)) void this.check(host);
    }
  }

  schedule(): ScheduleEntry[] {
    return [...this.entries.values()].sort((a, b) => a.host.localeCompare(b.host));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private forget(host: string): void {
    clearTimeout(this.timers.get(host));
    this.timers.delete(host);
    this.failures.delete(host);
    this.entries.delete(host);
  }

  /** Decides what to do for host now: renew, or sleep until the plan says. */
  private async check(host: string): Promise<void> {
    if (this.stopped || this.busy.has(host)) return;
    this.busy.add(host);
    try {
      const cert = this.opts.store.get(host);
      if (!cert || cert.meta.issuer !== 'acme' || !cert.meta.hosts.includes(host)) {
        await this.attempt(host, 'no certificate from the ACME CA yet');
        return;
      }
      if (this.opts.directory && cert.meta.directory && cert.meta.directory !== this.opts.directory) {
        await this.attempt(
          host,
          `the certificate came from ${cert.meta.directory}, the daemon now uses ${this.opts.directory}`,
        );
        return;
      }
      const plan = await this.opts.plan(cert);
      const now = Date.now();
      // A CA that keeps suggesting "now" for fresh certificates must not make us loop.
      const floor =
        Date.parse(cert.meta.notBefore) +
        Math.min(3600_000, (Date.parse(cert.meta.notAfter) - Date.parse(cert.meta.notBefore)) / 10);
      const at = Math.max(plan.at.getTime(), floor);
      if (at <= now) {
        await this.attempt(host, `renewal due (${plan.detail})`);
        return;
      }
      if (cert.meta.renewAt !== new Date(at).toISOString())
        this.opts.store.updateMeta(host, { renewAt: new Date(at).toISOString() });
      const wake = plan.recheckAt ? Math.min(at, plan.recheckAt.getTime()) : at;
      this.arm(
        host,
        wake - now,
        { host, next: new Date(at).toISOString(), reason: plan.detail, failures: this.failures.get(host) ?? 0 },
        'scheduled',
      );
    } catch (err) {
      this.opts.log(`ACME: could not plan the renewal of ${host}: ${errorMessage(err)}`);
      this.arm(
        host,
        this.retry.minMs,
        {
          host,
          next: new Date(Date.now() + this.retry.minMs).toISOString(),
          reason: 'planning failed',
          failures: this.failures.get(host) ?? 0,
        },
        'scheduled',
      );
    } finally {
      this.busy.delete(host);
    }
  }

  private async attempt(host: string, why: string): Promise<void> {
    this.opts.log(`ACME: ordering a certificate for ${host}: ${why}`);
    const had = this.opts.store.get(host)?.meta.issuer === 'acme';
    try {
      await this.opts.renew(host);
      this.failures.delete(host);
      this.record({ host, next: '', reason: why, failures: 0 }, had ? 'renewed' : 'issued');
      this.busy.delete(host);
      await this.check(host);
    } catch (err) {
      if (this.stopped || !this.opts.hosts().includes(host)) return;
      const n = (this.failures.get(host) ?? 0) + 1;
      this.failures.set(host, n);
      const backoff = Math.min(this.retry.maxMs, this.retry.minMs * 2 ** (n - 1));
      const serverWait = retryAfterMs(err);
      const delay = Math.max(backoff, serverWait ?? 0);
      const next = new Date(Date.now() + delay).toISOString();
      const message = errorMessage(err);
      const cert = this.opts.store.get(host);
      // The certificate (if any) stays in use; only the error and the next attempt are recorded.
      if (cert)
        this.opts.store.updateMeta(host, { lastError: message, lastErrorAt: new Date().toISOString(), renewAt: next });
      const basis =
        serverWait !== undefined && serverWait >= backoff
          ? "the CA's Retry-After"
          : `backoff after ${n} failure${n > 1 ? 's' : ''}`;
      this.opts.log(
        `ACME: ${host}: ${message} — next attempt ${next} (${basis})${cert ? `; still serving the certificate valid until ${cert.meta.notAfter}` : ''}`,
      );
      this.arm(
        host,
        delay,
        { host, next, delayMs: delay, reason: basis, failures: n, lastError: message },
        'failed',
        true,
      );
    }
  }

  private arm(
    host: string,
    delayMs: number,
    entry: ScheduleEntry,
    event: 'scheduled' | 'failed',
    retryDirectly = false,
  ): void {
    clearTimeout(this.timers.get(host));
    this.record(entry, event);
    const wait = Math.max(0, delayMs);
    const timer = setTimeout(
      () => {
        this.timers.delete(host);
        if (wait > MAX_TIMER) return this.arm(host, delayMs - MAX_TIMER, entry, event, retryDirectly);
        if (retryDirectly) void this.retryNow(host);
        else void this.check(host);
      },
      Math.min(wait, MAX_TIMER),
    );
    timer.unref();
    this.timers.set(host, timer);
  }

  private async retryNow(host: string): Promise<void> {
    if (this.stopped || this.busy.has(host)) return;
    this.busy.add(host);
    try {
      await this.attempt(host, `retry after ${this.failures.get(host) ?? 0} failed attempt(s)`);
    } finally {
      this.busy.delete(host);
    }
  }

  private record(entry: ScheduleEntry, event: ScheduleEvent): void {
    if (event === 'scheduled' || event === 'failed') this.entries.set(entry.host, entry);
    this.history.push({ ...entry, at: new Date().toISOString(), event });
    if (this.history.length > 200) this.history.shift();
    this.opts.onEvent?.(entry, event);
  }
}
