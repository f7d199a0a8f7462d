import * as https from 'node:https';
import * as acme from 'acme-client';
import axios, { AxiosError, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { trustedRoots } from '../tlsRoots';
import { AcmeNetworkError, AcmeProblemError, parseRetryAfter } from './acmeErrors';

let installed = false;

/**
 * Configures acme-client's (process-wide) axios instance:
 * - trusts `extraCaPem` (Pebble's listener in tests, a private CA's ACME server in companies);
 * - turns network failures into AcmeNetworkError instead of acme-client's TypeError;
 * - turns problem documents into AcmeProblemError, so a 429 with Retry-After reaches our
 *   scheduler instead of acme-client sleeping inside the request for as long as it says.
 * acme-client keeps retrying plain 5xx (a flaky server) a few times on its own.
 */
export function configureAcmeHttp(extraCaPem?: string): void {
  const instance = acme.axios;
  instance.defaults.httpsAgent = new https.Agent({ ca: trustedRoots(extraCaPem), keepAlive: true });
  instance.defaults.timeout = 30_000;
  const settings = (instance.defaults as unknown as { acmeSettings: Record<string, number> }).acmeSettings;
  settings.retryMaxAttempts = 3;
  settings.retryDefaultDelay = 2;
  if (installed) return;
  installed = true;
  const httpAdapter = axios.getAdapter('http');
  instance.defaults.adapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
    try {
      return await httpAdapter(config);
    } catch (err) {
      throw translate(err, config);
    }
  };
}

function translate(err: unknown, config: InternalAxiosRequestConfig): unknown {
  const axiosErr = err as AxiosError;
  const response = axiosErr.response;
  if (!response) {
    const code = (axiosErr.code ?? (err as NodeJS.ErrnoException).code) || undefined;
    return new AcmeNetworkError(
      `could not reach the ACME server at ${origin(config.url)}: ${networkReason(err)}`,
      code,
    );
  }
  // acme-client's validateStatus rejects every response so its interceptor sees them all;
  // successes and bad nonces (which it retries itself) go back untouched.
  if (response.status < 400) return err;
  const problem = parseProblem(response.data);
  if (problem?.type === 'urn:ietf:params:acme:error:badNonce') return err;
  const retryAfter = parseRetryAfter(response.headers['retry-after'] as string | undefined);
  if (response.status >= 500 && retryAfter === undefined) return err;
  if (!problem && response.status >= 500) return err;
  const detail = problem ? problemText(problem) : `HTTP ${response.status} from ${config.url}`;
  return new AcmeProblemError(response.status, problem?.type ?? '', detail, retryAfter);
}

interface Problem {
  type?: string;
  detail?: string;
  subproblems?: Array<{ type?: string; detail?: string; identifier?: { value?: string } }>;
}

function parseProblem(data: unknown): Problem | undefined {
  try {
    const obj =
      typeof data === 'string' ? JSON.parse(data) : Buffer.isBuffer(data) ? JSON.parse(data.toString('utf8')) : data;
    return obj && typeof obj === 'object' && ('type' in obj || 'detail' in obj) ? (obj as Problem) : undefined;
  } catch {
    return undefined;
  }
}

function problemText(p: Problem): string {
  const sub = (p.subproblems ?? []).map(
    (s) => `${s.identifier?.value ? `${s.identifier.value}: ` : ''}${s.detail ?? s.type}`,
  );
  const base = p.detail || p.type || 'unknown problem';
  return sub.length && !sub.every((s) => base.includes(s)) ? `${base} (${sub.join('; ')})` : base;
}

function origin(url: string | undefined): string {
  try {
    return new URL(url ?? '').origin;
  } catch {
    return url ?? '(unknown URL)';
  }
}

export function networkReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running, and is the URL right?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve (check the URL and your DNS)';
    case 'ETIMEDOUT':
    case 'ECONNABORTED':
      return 'timed out';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `its TLS certificate is not trusted (${code}); for a test or private CA pass its root with --acme-ca-file (or set NODE_EXTRA_CA_CERTS before the proxy starts)`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'its TLS certificate does not match the host name in the URL';
    default:
      return e.message || String(err);
  }
}
