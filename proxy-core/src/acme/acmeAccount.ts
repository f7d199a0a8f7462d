import * as fs from 'node:fs';
import * as path from 'node:path';
import * as acme from 'acme-client';
import { readFileIfExists, writeFileAtomic } from '../fsUtil';
import { AcmeIssueError } from './acmeErrors';
import { AcmeDirectory } from './directoryCheck';
import { directoryHash } from './directoryUrl';

/** acme/account-<directory-hash>.json (0600): one account per directory, reused. */
export interface AccountFile {
  version: 1;
  directory: string;
  keyPem: string;
  /** Set once the CA has created the account. */
  url?: string;
  email?: string;
  /** Recorded the first time the user accepted the CA's terms (serve --acme-agree-tos). */
  termsOfService?: { url?: string; agreedAt: string };
  createdAt: string;
}

export interface AccountSettings {
  directoryUrl: string;
  email?: string;
  agreeTos: boolean;
  eab?: { kid: string; hmacKey: string };
}

/**
 * The account key and URL for one directory. A file that cannot be read is moved aside (never
 * deleted: it holds a private key the user may want back) and reported; a new account follows.
 */
export class AcmeAccount {
  readonly file: string;
  private data: AccountFile | undefined;
  /** Orders for several names may start at once; only one of them may create the account. */
  private creating: Promise<unknown> = Promise.resolve();

  constructor(
    accountDir: string,
    private readonly settings: AccountSettings,
  ) {
    this.file = path.join(accountDir, `account-${directoryHash(settings.directoryUrl)}.json`);
  }

  /** Reads the file; returns a problem sentence when it had to be moved aside. */
  load(now = new Date()): string | undefined {
    const text = readFileIfExists(this.file);
    if (text === undefined) return undefined;
    try {
      const parsed = JSON.parse(text) as AccountFile;
      if (typeof parsed.keyPem !== 'string' || !parsed.keyPem.includes('PRIVATE KEY'))
        throw new Error('no private key in it');
      acme.crypto.getPublicKey(parsed.keyPem);
      if (parsed.directory !== this.settings.directoryUrl) throw new Error(`it belongs to ${parsed.directory}`);
      this.data = parsed;
      return undefined;
    } catch (err) {
      const aside = `${this.file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(this.file, aside);
      return `ACME account file ${this.file} could not be read (${(err as Error).message}); moved it to ${aside} and a new account will be created on the next order.`;
    }
  }

  get url(): string | undefined {
    return this.data?.url;
  }

  get termsAgreed(): boolean {
    return !!this.data?.termsOfService || this.settings.agreeTos;
  }

  /** A client bound to this account, creating the key and the account at the CA if needed. */
  client(
    directory: AcmeDirectory,
    backoff: { backoffAttempts: number; backoffMin: number; backoffMax: number },
  ): Promise<acme.Client> {
    const next = this.creating.then(() => this.clientNow(directory, backoff));
    this.creating = next.catch(() => undefined);
    return next;
  }

  private async clientNow(
    directory: AcmeDirectory,
    backoff: { backoffAttempts: number; backoffMin: number; backoffMax: number },
  ): Promise<acme.Client> {
    const { directoryUrl, email, eab } = this.settings;
    const tos = directory.meta?.termsOfService;
    if (!this.data?.url) {
      if (tos && !this.termsAgreed) {
        throw new AcmeIssueError(
          `The CA at ${directoryUrl} asks you to accept its terms of service (${tos}). Read them, then start the daemon once with --acme-agree-tos; the agreement is recorded for this directory.`,
        );
      }
      if (directory.meta?.externalAccountRequired && !eab) {
        throw new AcmeIssueError(
          `The CA at ${directoryUrl} requires External Account Binding: pass the key id and HMAC key it gave you with --acme-eab-kid and --acme-eab-hmac.`,
        );
      }
    }
    this.data ??= {
      version: 1,
      directory: directoryUrl,
      keyPem: (await acme.crypto.createPrivateEcdsaKey('P-256')).toString(),
      createdAt: new Date().toISOString(),
    };
    const client = new acme.Client({
      directoryUrl,
      accountKey: this.data.keyPem,
      accountUrl: this.data.url ?? undefined,
      externalAccountBinding: eab,
      ...backoff,
    });
    if (!this.data.url || (email && email !== this.data.email)) {
      // Same key → same account: a CA that already knows the key answers with the old URL.
      await client.createAccount({ termsOfServiceAgreed: true, contact: email ? [`mailto:${email}`] : [] });
      this.data.url = client.getAccountUrl();
      this.data.email = email;
      this.data.termsOfService ??= { url: tos, agreedAt: new Date().toISOString() };
      this.save();
    }
    return client;
  }

  /** The CA forgot the account (a reset test CA, a deactivated account): register the key again. */
  forgetUrl(): void {
    if (this.data) this.data.url = undefined;
  }

  private save(): void {
    writeFileAtomic(this.file, JSON.stringify(this.data, null, 2) + '\n', 0o600);
  }
}
