import * as tls from 'node:tls';

/**
 * Why a route's certificate failed verification. Waiting never fixes these (unlike a refused
 * connection or a 502 from a target that is still starting), so `expose` stops probing at once.
 */
export type VerifyProblem = 'issuer' | 'name' | 'validity';

export interface VerifyFailure {
  problem: VerifyProblem;
  /** OpenSSL's / Node's code, e.g. UNABLE_TO_GET_ISSUER_CERT_LOCALLY. */
  code: string;
  /** Who issued the top certificate of the chain served: the root this machine would have to trust. */
  issuer?: string;
  /** The names the leaf is valid for, and its validity, for the "name" and "validity" wording. */
  names?: string;
  validFrom?: string;
  validTo?: string;
}

const PROBLEM_BY_CODE: Record<string, VerifyProblem> = {
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer',
  UNABLE_TO_GET_ISSUER_CERT: 'issuer',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'issuer',
  SELF_SIGNED_CERT_IN_CHAIN: 'issuer',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'issuer',
  CERT_UNTRUSTED: 'issuer',
  CERT_SIGNATURE_FAILURE: 'issuer',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name',
  CERT_HAS_EXPIRED: 'validity',
  CERT_NOT_YET_VALID: 'validity',
};

/** The problem behind a TLS error, or undefined for errors that waiting may fix. */
export function verifyProblem(err: unknown): VerifyProblem | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code ? PROBLEM_BY_CODE[code] : undefined;
}

/**
 * Reads the chain the proxy serves for `servername` without verifying it (a handshake only, no
 * request is sent), so the failure can name the issuer instead of repeating OpenSSL's code.
 */
export function servedChain(opts: {
  host: string;
  port: number;
  servername: string;
  timeoutMs?: number;
}): Promise<tls.DetailedPeerCertificate | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect(
      {
        host: opts.host,
        port: opts.port,
        servername: opts.servername,
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      },
      () => {
        const cert = socket.getPeerCertificate(true);
        socket.destroy();
        resolve(cert && cert.raw ? cert : undefined);
      },
    );
    socket.setTimeout(opts.timeoutMs ?? 5000, () => socket.destroy());
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => resolve(undefined));
  });
}

/** The issuer CN (or full issuer) of the last certificate in the served chain. */
export function topIssuer(leaf: tls.DetailedPeerCertificate): string {
  let top = leaf;
  const seen = new Set<string>();
  while (top.issuerCertificate && top.issuerCertificate !== top && !seen.has(top.fingerprint256)) {
    seen.add(top.fingerprint256);
    top = top.issuerCertificate;
  }
  return nameOf(top.issuer);
}

function nameOf(name: tls.Certificate | undefined): string {
  if (!name) return 'an unknown issuer';
  if (name.CN) return String(name.CN);
  return (
    Object.entries(name)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ') || 'an unknown issuer'
  );
}

export function describeFailure(
  err: unknown,
  chain: tls.DetailedPeerCertificate | undefined,
): VerifyFailure | undefined {
  const problem = verifyProblem(err);
  if (!problem) return undefined;
  return {
    problem,
    code: (err as NodeJS.ErrnoException).code!,
    issuer: chain && topIssuer(chain),
    names: chain?.subjectaltname,
    validFrom: chain?.valid_from,
    validTo: chain?.valid_to,
  };
}

/**
 * One line for the person at the keyboard: the route is served, what is wrong with the
 * certificate, and what to do. `local`: the probe verified against our own CA file (caFile).
 */
export function verifyFailureMessage(
  f: VerifyFailure,
  route: { url: string; target: string; tls: 'local' | 'acme'; caFile?: string },
): string {
  const head = `Route ${route.url} -> ${route.target} was added and is served, but its certificate failed verification (${f.code})`;
  const tail = 'The route stays; waiting does not fix this.';
  if (f.problem === 'name') {
    return `${head}: it is not valid for this name (it names ${f.names ?? 'no DNS names'}). Expose the route again to get a new one (or renew it from the editor). ${tail}`;
  }
  if (f.problem === 'validity') {
    return `${head}: it is valid from ${f.validFrom ?? '?'} to ${f.validTo ?? '?'}. Check this machine's clock, then expose the route again to get a new certificate. ${tail}`;
  }
  const issuer = f.issuer ? `"${f.issuer}"` : 'its issuer';
  if (route.tls === 'local') {
    return `${head}: it does not chain to the local CA ${route.caFile ?? ''} (the chain ends at ${issuer}). Restart the daemon so it serves certificates from its current CA. ${tail}`;
  }
  return (
    `${head}: its issuer ${issuer} is not trusted by this machine, so browsers and tools here refuse it. ` +
    `Add that root to the system store, or run clients with NODE_EXTRA_CA_CERTS=FILE (a PEM file with that root), or start the daemon with --acme-ca-file FILE so expose checks against it. ${tail}`
  );
}
