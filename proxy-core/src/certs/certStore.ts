import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { EventEmitter } from 'node:events';
import { UserError } from '../errors';
import { TEMP_MARK, ensureDir, notAFile, readFileIfExists, writeFileAtomic } from '../fsUtil';

export type CertIssuer = 'local' | 'acme';

/** The sidecar JSON beside each certificate: what the editor's status bar shows. */
export interface CertMeta {
  host: string;
  issuer: CertIssuer;
  /** The issuing CA's subject, for display. */
  issuerName: string;
  hosts: string[];
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
  /** When the daemon plans to renew it. */
  renewAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  /** ACME directory the certificate came from. */
  directory?: string;
}

export interface StoredCert {
  meta: CertMeta;
  certPem: string;
  keyPem: string;
  context: tls.SecureContext;
}

const H2_ALPN = ['h2', 'http/1.1'];
const FILE_EXTENSIONS = ['key', 'pem', 'json'] as const;

/**
 * Leaf certificates by host, on disk under certs/ (0600) and in memory as ready TLS contexts
 * for SNI. Both issuers (local CA, ACME) write here; nothing else knows where files live.
 */
export class CertStore extends EventEmitter {
  private readonly byHost = new Map<string, StoredCert>();

  constructor(private readonly dir: string) {
    super();
  }

  /**
   * Loads every certificate on disk; unreadable ones are reported, not deleted. Temp files of
   * writes that never finished are removed: the daemon holds the pid lock, nobody else writes here.
   * A directory where a host's file belongs is left to obstruction(): the route's row reports it.
   */
  loadAll(): string[] {
    const problems: string[] = [];
    if (!fs.existsSync(this.dir)) return problems;
    for (const name of fs.readdirSync(this.dir)) {
      if (name.includes(TEMP_MARK)) {
        fs.rmSync(path.join(this.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith('.pem')) continue;
      const host = name.slice(0, -4);
      if (this.obstruction(host)) continue;
      try {
        const certPem = fs.readFileSync(path.join(this.dir, name), 'utf8');
        const keyPem = fs.readFileSync(path.join(this.dir, `${host}.key`), 'utf8');
        const metaText = readFileIfExists(path.join(this.dir, `${host}.json`));
        const meta = metaText ? (JSON.parse(metaText) as CertMeta) : describe(host, certPem, 'local');
        this.byHost.set(host, { meta, certPem, keyPem, context: makeContext(certPem, keyPem) });
      } catch (err) {
        problems.push(
          `certificate for ${host} in ${this.dir} could not be loaded (${(err as Error).message}); it will be issued again.`,
        );
      }
    }
    return problems;
  }

  get(host: string): StoredCert | undefined {
    return this.byHost.get(host);
  }

  list(): CertMeta[] {
    return [...this.byHost.values()].map((c) => c.meta).sort((a, b) => a.host.localeCompare(b.host));
  }

  /**
   * Why none of host's files can be written, if something that is not a file (a directory) sits
   * where one belongs: one line with the path and what to do. Renaming onto it fails every time.
   */
  obstruction(host: string): string | undefined {
    for (const ext of FILE_EXTENSIONS) {
      const blocked = notAFile(path.join(this.dir, `${host}.${ext}`));
      if (blocked) {
        return `${path.join(path.basename(this.dir), path.basename(blocked))} is a directory, not a file, so the certificate for ${host} cannot be stored: remove it (rm -r '${blocked}'); the certificate is then issued at the next hourly check, or at once by exposing the route again.`;
      }
    }
    return undefined;
  }

  /** Stores a new certificate atomically, replacing the old one only once the new one is on disk. */
  put(host: string, certPem: string, keyPem: string, extra: Partial<CertMeta> & { issuer: CertIssuer }): StoredCert {
    // Before writing anything: a key written beside a certificate that cannot be is a mismatched pair.
    const blocked = this.obstruction(host);
    if (blocked) throw new UserError(blocked, 'ECERTPATH', 409);
    const context = makeContext(certPem, keyPem); // throws before anything is written if they don't match
    const meta: CertMeta = {
      ...describe(host, certPem, extra.issuer),
      ...extra,
      lastError: undefined,
      lastErrorAt: undefined,
    };
    ensureDir(this.dir);
    writeFileAtomic(path.join(this.dir, `${host}.key`), keyPem, 0o600);
    writeFileAtomic(path.join(this.dir, `${host}.pem`), certPem, 0o600);
    writeFileAtomic(path.join(this.dir, `${host}.json`), JSON.stringify(meta, null, 2) + '\n', 0o600);
    const stored = { meta, certPem, keyPem, context };
    this.byHost.set(host, stored);
    this.emit('changed', host);
    return stored;
  }

  /** Records a failed renewal or order without touching the certificate itself. */
  updateMeta(host: string, patch: Partial<CertMeta>): void {
    const stored = this.byHost.get(host);
    if (!stored) return;
    stored.meta = { ...stored.meta, ...patch };
    writeFileAtomic(path.join(this.dir, `${host}.json`), JSON.stringify(stored.meta, null, 2) + '\n', 0o600);
    this.emit('changed', host);
  }

  remove(host: string): void {
    if (!this.byHost.delete(host)) return;
    for (const ext of FILE_EXTENSIONS) fs.rmSync(path.join(this.dir, `${host}.${ext}`), { force: true });
    this.emit('changed', host);
  }
}

export function makeContext(certPem: string, keyPem: string): tls.SecureContext {
  return tls.createSecureContext({ cert: certPem, key: keyPem, ALPNProtocols: H2_ALPN } as tls.SecureContextOptions);
}

export function describe(host: string, certPem: string, issuer: CertIssuer): CertMeta {
  const cert = new crypto.X509Certificate(certPem);
  const hosts = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  return {
    host,
    issuer,
    issuerName:
      cert.issuer
        .split('\n')
        .find((l) => l.startsWith('CN='))
        ?.slice(3) ?? cert.issuer,
    hosts,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
  };
}
