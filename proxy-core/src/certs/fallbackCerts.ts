import * as tls from 'node:tls';
import { LocalCa } from './localCa';
import { makeContext } from './certStore';
import { isRfc1123Name } from '../routes/hostName';

const MAX_CACHED = 64;

/**
 * Certificates for names that have no route but that the local CA may sign (a typo such as
 * tpyo.localhost): without one the browser shows a certificate error instead of our 404 page that
 * lists the routes. Kept in memory only, a bounded few, never written to certs/.
 */
interface Fallback {
  certPem: string;
  keyPem: string;
  context: tls.SecureContext;
}

export class FallbackCerts {
  private readonly cache = new Map<string, Promise<Fallback | undefined>>();

  constructor(private readonly ca: LocalCa) {}

  async contextFor(host: string): Promise<tls.SecureContext | undefined> {
    return (await this.certFor(host))?.context;
  }

  /** The same certificate as PEM, for a proxy worker (which has no CA key of its own). */
  async pemFor(host: string): Promise<{ host: string; certPem: string; keyPem: string } | undefined> {
    const made = await this.certFor(host);
    return made && { host, certPem: made.certPem, keyPem: made.keyPem };
  }

  private certFor(host: string): Promise<Fallback | undefined> {
    const cached = this.cache.get(host);
    if (cached) return cached;
    // SNI is whatever the client sent; only RFC 1123 names get a certificate.
    if (!this.ca.permits(host) || !isRfc1123Name(host)) return Promise.resolve(undefined);
    const made = this.ca.issueLeaf(host).then(
      (leaf) => ({ certPem: leaf.certPem, keyPem: leaf.keyPem, context: makeContext(leaf.certPem, leaf.keyPem) }),
      () => undefined,
    );
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(host, made);
    return made;
  }
}
