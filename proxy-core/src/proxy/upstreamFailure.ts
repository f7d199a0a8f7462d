/** Who ended an exchange early, by the error the upstream client (undici) or a socket gave. */
export type UpstreamFailureKind = 'abort' | 'refused' | 'reset' | 'timeout' | 'tls' | 'other';

/**
 * The one list of error codes and what they mean: the 502/504 page (proxy/httpsProxy.ts) and the
 * request inspector's records (capture/failure.ts) both read it, so a failure is named the same
 * in the browser and in the inspector. `abort` is the client's doing, every other kind the
 * upstream's.
 */
export function upstreamFailureKind(code: string | undefined): UpstreamFailureKind {
  switch (code) {
    case 'UND_ERR_ABORTED':
      return 'abort';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'reset';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'tls';
    default:
      return 'other';
  }
}
