import * as tls from 'node:tls';

export type ProbeResult =
  /** A TLS handshake verified against our CA: only this state dir's daemon holds that CA's key. */
  | { kind: 'ours' }
  /** Connection refused (or reset before TLS): nothing listens there. */
  | { kind: 'nothing'; detail: string }
  /** Something answered, but not with a certificate of ours (another server, not TLS, a timeout). */
  | { kind: 'other'; detail: string };

export interface ProbeTarget {
  host: string;
  port: number;
  /** A name the proxy always has a certificate for (trust/checkEndpoint.ts CHECK_SERVERNAME). */
  servername: string;
  caPem: string;
  timeoutMs?: number;
}

const NOTHING = new Set(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH', 'EHOSTUNREACH']);

/**
 * One TLS handshake to host:port, verified against our CA alone (`ca` replaces the default
 * roots). The peer certificate is inspected only to say whose it is when it is not ours.
 */
export function probeTls(t: ProbeTarget): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const where = `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const socket = tls.connect({
      host: t.host,
      port: t.port,
      servername: t.servername,
      ca: t.caPem,
      // Checked below with socket.authorized, so a foreign certificate can be named.
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(
      () =>
        done({
          kind: 'other',
          detail: `${where} accepted a connection but no TLS handshake finished within ${(t.timeoutMs ?? 3000) / 1000} s`,
        }),
      t.timeoutMs ?? 3000,
    );
    socket.once('secureConnect', () => {
      if (socket.authorized) return done({ kind: 'ours' });
      const peer = socket.getPeerCertificate();
      const issuer = peer?.issuer?.CN ?? peer?.issuer?.O;
      done({
        kind: 'other',
        detail: `${where} answers with a certificate that is not from this proxy's CA (${socket.authorizationError}${issuer ? `, issued by ${issuer}` : ''})`,
      });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code && NOTHING.has(err.code)) return done({ kind: 'nothing', detail: `nothing listens on ${where}` });
      done({
        kind: 'other',
        detail: `${where} answers, but not with TLS from this proxy (${err.code ?? err.message})`,
      });
    });
  });
}
