import type { CaptureError } from './types';

/** Who failed and how, from the error the upstream client (undici) or a socket gave. */
export function classifyUpstreamError(err: NodeJS.ErrnoException): CaptureError {
  const message = err.message;
  switch (err.code) {
    case 'UND_ERR_ABORTED':
      return { by: 'client', kind: 'abort', message: 'the client went away before the response ended' };
    case 'ECONNREFUSED':
      return { by: 'upstream', kind: 'refused', message };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return { by: 'upstream', kind: 'reset', message };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return { by: 'upstream', kind: 'timeout', message };
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return { by: 'upstream', kind: 'tls', message };
    default:
      return { by: 'upstream', kind: 'other', message };
  }
}

export const CLIENT_ABORT: CaptureError = {
  by: 'client',
  kind: 'abort',
  message: 'the client closed the connection before the response ended',
};
