import { UserError } from '../errors';

/**
 * An ACME server's problem document (RFC 8555 §6.7), kept whole: acme-client would reduce it
 * to its detail text, and we need the type (accountDoesNotExist, rateLimited) and Retry-After.
 */
export class AcmeProblemError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    detail: string,
    /** Milliseconds the server asked us to wait (Retry-After), if it said. */
    readonly retryAfterMs?: number,
  ) {
    super(detail);
    this.name = 'AcmeProblemError';
  }

  /** The type without its urn:ietf:params:acme:error: prefix, e.g. "rateLimited". */
  get shortType(): string {
    return this.type.replace(/^urn:ietf:params:acme:error:/, '');
  }
}

/** The ACME server could not be reached at all (refused, DNS, TLS, timeout). */
export class AcmeNetworkError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'AcmeNetworkError';
  }
}

/** How long the server wants us to wait before trying again, if it told us. */
export function retryAfterMs(err: unknown): number | undefined {
  if (err instanceof AcmeProblemError) return err.retryAfterMs;
  if (err instanceof AcmeIssueError) return err.retryAfterMs;
  return undefined;
}

/** What the user sees when an order fails: a UserError that still carries Retry-After. */
export class AcmeIssueError extends UserError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message, 'EACME', 502);
  }
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * acme-client reports a network failure after its retries as "TypeError: Cannot read
 * properties of undefined (reading 'config')" (upstream issue #101); say what it means.
 */
export function describeAcmeFailure(err: unknown, directoryUrl: string): string {
  if (err instanceof TypeError && /reading 'config'/.test(err.message)) {
    return `lost the connection to the ACME server ${directoryUrl} during the order; check the network and try again`;
  }
  return err instanceof Error ? err.message : String(err);
}
