import { upstreamFailureKind } from '../proxy/upstreamFailure';
import type { CaptureError } from './types';

/** Who failed and how, from the error the upstream client (undici) or a socket gave. */
export function classifyUpstreamError(err: NodeJS.ErrnoException): CaptureError {
  const kind = upstreamFailureKind(err.code);
  if (kind === 'abort') return { by: 'client', kind, message: 'the client went away before the response ended' };
  return { by: 'upstream', kind, message: err.message };
}

export const UPLOAD_ABORT: CaptureError = {
  by: 'client',
  kind: 'abort',
  message: 'the client went away before its request body ended',
};

export const CLIENT_ABORT: CaptureError = {
  by: 'client',
  kind: 'abort',
  message: 'the client closed the connection before the response ended',
};
