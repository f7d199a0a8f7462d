import type * as http from 'node:http';
import * as tls from 'node:tls';
import * as acme from 'acme-client';
import { requestHost } from '../proxy/requestInfo';
import { runDnsHook } from './dnsHook';

export type ChallengeType = 'http-01' | 'tls-alpn-01' | 'dns-01';
export const CHALLENGE_TYPES: ChallengeType[] = ['http-01', 'tls-alpn-01', 'dns-01'];

const HTTP01_PREFIX = '/.well-known/acme-challenge/';
const ACME_TLS_ALPN = 'acme-tls/1';

/**
 * Answers the CA's validation requests while an order is pending:
 * - HTTP-01 on the daemon's HTTP listener, for tokens we are waiting on only;
 * - TLS-ALPN-01 on the HTTPS listener: a self-signed certificate carrying the key
 *   authorization, served to connections that ask for ALPN "acme-tls/1";
 * - DNS-01 through the user's hook command.
 */
export class ChallengeResponder {
  private readonly httpTokens = new Map<string, { host: string; keyAuthorization: string }>();
  private readonly alpnContexts = new Map<string, tls.SecureContext>();

  constructor(private readonly dnsHook?: string) {}

  /** For HttpListener.addResponder: owns /.well-known/acme-challenge/ entirely. */
  readonly httpResponder = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = req.url ?? '';
    if (!url.startsWith(HTTP01_PREFIX)) return false;
    const token = url.slice(HTTP01_PREFIX.length).split('?')[0];
    const entry = this.httpTokens.get(token);
    const host = requestHost(req.headers);
    if (!entry || (host && host !== entry.host)) {
      // Nothing else is ever served from this path: no redirect, no route, no directory listing.
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '20', 'cache-control': 'no-store' });
      res.end('unknown ACME token\n\n');
      return true;
    }
    const body = Buffer.from(entry.keyAuthorization);
    res.writeHead(200, {
      'content-type': 'text/plain',
      'content-length': String(body.length),
      'cache-control': 'no-store',
    });
    res.end(body);
    return true;
  };

  /**
   * The challenge certificate for servername while a TLS-ALPN-01 validation is pending. SNI is
   * decided before ALPN, so for those few seconds it wins over the host's regular certificate.
   */
  contextFor(servername: string): tls.SecureContext | undefined {
    return this.alpnContexts.size ? this.alpnContexts.get(servername) : undefined;
  }

  /** A TLS-ALPN-01 validation is pending: its connections must reach this process (see ConnectionDispatcher). */
  get tlsAlpnPending(): boolean {
    return this.alpnContexts.size > 0;
  }

  /** Our ALPN choice: acme-tls/1 only for a pending challenge, else h2, then HTTP/1.1. */
  readonly alpnCallback = ({
    servername,
    protocols,
  }: {
    servername: string;
    protocols: string[];
  }): string | undefined => {
    if (protocols.includes(ACME_TLS_ALPN) && this.alpnContexts.has(servername)) return ACME_TLS_ALPN;
    if (protocols.includes('h2')) return 'h2';
    if (protocols.includes('http/1.1')) return 'http/1.1';
    return undefined;
  };

  /** Makes the challenge answerable; resolves to the function that withdraws it again. */
  async present(
    type: ChallengeType,
    authz: acme.Authorization,
    keyAuthorization: string,
    token: string,
  ): Promise<() => Promise<void>> {
    const host = authz.identifier.value;
    switch (type) {
      case 'http-01':
        this.httpTokens.set(token, { host, keyAuthorization });
        return async () => void this.httpTokens.delete(token);
      case 'tls-alpn-01': {
        // ECDSA: an RSA challenge key costs most of a second to generate.
        const key = await acme.crypto.createPrivateEcdsaKey('P-256');
        const [, cert] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization, key);
        const context = tls.createSecureContext({ cert, key });
        this.alpnContexts.set(host, context);
        return async () => {
          if (this.alpnContexts.get(host) === context) this.alpnContexts.delete(host);
        };
      }
      case 'dns-01': {
        const hook = this.dnsHook;
        if (!hook) throw new Error('dns-01 needs a hook command: start the daemon with --acme-dns-hook CMD');
        await runDnsHook(hook, 'present', host, keyAuthorization);
        return () => runDnsHook(hook, 'cleanup', host, keyAuthorization).catch(() => undefined);
      }
    }
  }

  /** Whether anything is being validated right now (for status and tests). */
  get active(): number {
    return this.httpTokens.size + this.alpnContexts.size;
  }
}

/**
 * Lets the HTTPS listener answer TLS-ALPN-01: Node picks ALPN from a fixed list unless an
 * ALPNCallback is set, and the two cannot be combined, so the list is replaced by our callback.
 */
export function installAlpnCallback(server: tls.Server, callback: ChallengeResponder['alpnCallback']): void {
  const s = server as unknown as { ALPNProtocols?: unknown; ALPNCallback?: unknown };
  s.ALPNProtocols = undefined;
  s.ALPNCallback = callback;
}
