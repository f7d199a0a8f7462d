import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CertStore, StoredCert } from '../certs/certStore';
import { UserError } from '../errors';
import { AcmeAccount } from './acmeAccount';
import { configureAcmeHttp } from './acmeHttp';
import { AcmeOrderIssuer } from './acmeIssuer';
import { ChallengeResponder, ChallengeType } from './challenges';
import { resolveDirectoryUrl } from './directoryUrl';
import { RenewalScheduler, RetryPolicy, ScheduleEntry } from './renewalScheduler';

export interface AcmeSettings {
  directory?: string;
  email?: string;
  caFile?: string;
  challenge?: ChallengeType;
  agreeTos?: boolean;
  eab?: { kid: string; hmacKey: string };
  dnsHook?: string;
  /** Failure backoff; the default suits Let's Encrypt's limits (tests shorten it). */
  retry?: RetryPolicy;
}

/** The ACME part of DaemonStatus. */
export interface AcmeStatus {
  enabled: boolean;
  directory?: string;
  email?: string;
  challenge?: string;
  /** The extra root (--acme-ca-file) ACME certificates chain to, e.g. Pebble's in tests. */
  trustFile?: string;
  accountFile?: string;
  accountUrl?: string;
  termsOfServiceAgreed?: boolean;
  /** Whether the directory offers ACME Renewal Information (RFC 9773). */
  renewalInfo?: boolean;
  /** Per host: next renewal or retry, why, failures, last error. */
  schedule?: ScheduleEntry[];
  /** Durations of the most recent issuances. */
  recentIssuances?: Array<{ host: string; ms: number; at: string }>;
}

/** What the ACME side needs from the daemon; it reaches into nothing else (the daemon's boot wires it in). */
export interface AcmeDeps {
  accountDir: string;
  store: CertStore;
  /** Hosts that want an ACME certificate now (the routes with tls: acme). */
  hosts: () => string[];
  /** Issues through the daemon's CertManager, deduplicated with any order already running. */
  renew: (host: string) => Promise<StoredCert>;
  /** Whether the HTTP listener is on (HTTP-01 needs it). */
  httpListener: boolean;
  log: (line: string) => void;
}

/**
 * Everything ACME in a running daemon, built from its settings: account, issuer, challenges and
 * renewal scheduler. The daemon hooks them into its listeners, certificates and route table
 * (daemon/daemon.ts startAcme). Emits 'changed' when the renewal schedule changes (an order
 * failed, a retry was planned).
 */
export class AcmeService extends EventEmitter {
  readonly challenges: ChallengeResponder;
  readonly issuer: AcmeOrderIssuer;
  readonly scheduler: RenewalScheduler;
  readonly account: AcmeAccount;
  readonly problems: string[] = [];
  private readonly trustFile?: string;

  constructor(
    private readonly settings: AcmeSettings,
    deps: AcmeDeps,
  ) {
    super();
    const directoryUrl = resolveDirectoryUrl(settings.directory);
    const challenge = settings.challenge ?? (settings.dnsHook ? 'dns-01' : 'http-01');
    if (challenge === 'dns-01' && !settings.dnsHook)
      throw new UserError(
        '--acme-challenge dns-01 needs --acme-dns-hook CMD (a command that publishes the TXT record).',
        'EUSAGE',
      );
    if (challenge === 'http-01' && !deps.httpListener)
      throw new UserError(
        '--acme-challenge http-01 needs the HTTP listener: drop --no-http, or use --acme-challenge tls-alpn-01.',
        'EUSAGE',
      );
    let extraCaPem: string | undefined;
    if (settings.caFile) {
      this.trustFile = path.resolve(settings.caFile);
      try {
        extraCaPem = fs.readFileSync(this.trustFile, 'utf8');
      } catch (err) {
        throw new UserError(
          `--acme-ca-file ${this.trustFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
          'EUSAGE',
        );
      }
    }
    configureAcmeHttp(extraCaPem);
    this.account = new AcmeAccount(deps.accountDir, {
      directoryUrl,
      email: settings.email,
      agreeTos: !!settings.agreeTos,
      eab: settings.eab,
    });
    const problem = this.account.load();
    if (problem) this.problems.push(problem);
    this.challenges = new ChallengeResponder(settings.dnsHook);
    this.issuer = new AcmeOrderIssuer({
      directoryUrl,
      challenge,
      account: this.account,
      store: deps.store,
      challenges: this.challenges,
      extraCaPem,
      log: deps.log,
    });
    this.scheduler = new RenewalScheduler({
      hosts: deps.hosts,
      store: deps.store,
      plan: (cert) => this.issuer.renewalPlan(cert),
      renew: deps.renew,
      log: deps.log,
      retry: settings.retry,
      directory: directoryUrl,
      onEvent: () => this.emit('changed'),
    });
  }

  /** Why the last order for host failed, when no certificate exists to carry the error. */
  lastError(host: string): string | undefined {
    return this.scheduler.schedule().find((e) => e.host === host)?.lastError;
  }

  /** Starts ordering and renewing for the ACME routes in the table; cheap to call on every table change. */
  sync(): void {
    this.scheduler.sync();
  }

  stop(): void {
    this.scheduler.stop();
  }

  status(): AcmeStatus {
    return {
      enabled: true,
      directory: this.issuer.opts.directoryUrl,
      email: this.settings.email,
      challenge: this.issuer.opts.challenge,
      trustFile: this.trustFile,
      accountFile: this.account.file,
      accountUrl: this.account.url,
      termsOfServiceAgreed: this.account.termsAgreed,
      renewalInfo: this.issuer.offersAri,
      schedule: this.scheduler.schedule(),
      recentIssuances: this.issuer.timings.slice(-10),
    };
  }
}
