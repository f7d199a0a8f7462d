import type * as tls from 'node:tls';
import type { LocalCa } from './localCa';
import { makeContext } from './certStore';
import { isRfc1123Name } from '../routes/hostName';

const MAX_CACHED = 64;

/** Makes a certificate for a name, or says there is none to make. */
export type LeafSource = (host: string) => Promise<{ certPem: string; keyPem: string } | undefined>;

interface Fallback {
  certPem: string;
  keyPem: string;
  context: tls.SecureContext;
}

/**
 * Certificates for names that have no route but that the local CA may sign (a typo such as
 * tpyo.localhost): without one the browser shows a certificate error instead of our 404 page that
 * lists the routes. Kept in memory only, a bounded few, never written to certs/. The daemon makes
 * them with its CA (forCa); a proxy worker, which holds no CA key, asks the daemon for them.
 */
export class FallbackCerts {
  private readonly cache = new Map<string, Promise<Fallback | undefined>>();

  /** `accepts` filters names before anything is made or cached. */
  constructor(
    private readonly source: LeafSource,
    private readonly accepts: (host: string) => boolean = () => true,
  ) {}

  static forCa(ca: LocalCa): FallbackCerts {
    // SNI is whatever the client sent; only RFC 1123 names the CA may sign get a certificate.
    return new FallbackCerts(
      (host) => ca.issueLeaf(host),
      (host) => ca.permits(host) && isRfc1123Name(host),
    );
  }

  async contextFor(host: string): Promise<tls.SecureContext | undefined> {
    return (await this.certFor(host))?.context;
  }

  /** The same certificate as PEM, for a proxy worker. */
  async pemFor(host: string): Promise<{ host: string; certPem: string; keyPem: string } | undefined> {
    const made = await this.certFor(host);
    return made && { host, certPem: made.certPem, keyPem: made.keyPem };
  }

  private certFor(host: string): Promise<Fallback | undefined> {
    const cached = this.cache.get(host);
    if (cached) return cached;
    if (!this.accepts(host)) return Promise.resolve(undefined);
    const made = this.source(host).then(
      (leaf) => leaf && { certPem: leaf.certPem, keyPem: leaf.keyPem, context: makeContext(leaf.certPem, leaf.keyPem) },
      () => undefined,
    );
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(host, made);
    return made;
  }
}
