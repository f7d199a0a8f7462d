import type { Options } from './options';
import type { Exchange, ResponseHeaderMap } from './types';

/**
 * The security headers of Traefik's headers middleware (which hands them to unrolled/secure):
 * computed once, set on every response, replacing the upstream's own.
 */
export interface SecureHeaders {
  /** Set whatever the scheme. */
  fixed: Array<[name: string, value: string]>;
  /** Strict-Transport-Security, sent only over HTTPS (or always with forceSTSHeader). */
  sts?: string;
  forceSts: boolean;
  /** Request headers that, with these values, mean the client came over HTTPS. */
  sslProxyHeaders: Map<string, string>;
}

/** Reads the security options; undefined when none is set. */
export function readSecureHeaders(o: Options): SecureHeaders | undefined {
  const stsSeconds = o.int('stsSeconds');
  const stsIncludeSubdomains = o.bool('stsIncludeSubdomains') ?? false;
  const stsPreload = o.bool('stsPreload') ?? false;
  const forceSts = o.bool('forceSTSHeader') ?? false;
  const frameDeny = o.bool('frameDeny') ?? false;
  const frameOptions = o.string('customFrameOptionsValue') ?? '';
  const nosniff = o.bool('contentTypeNosniff') ?? false;
  const xssFilter = o.bool('browserXssFilter') ?? false;
  const xssValue = o.string('customBrowserXSSValue') ?? '';
  const csp = o.string('contentSecurityPolicy') ?? '';
  const cspReportOnly = o.string('contentSecurityPolicyReportOnly') ?? '';
  const referrerPolicy = o.string('referrerPolicy') ?? '';
  const permissionsPolicy = o.string('permissionsPolicy') ?? '';
  const isDevelopment = o.bool('isDevelopment') ?? false;
  const sslProxyHeaders = o.map('sslProxyHeaders') ?? new Map<string, string>();

  const fixed: Array<[string, string]> = [];
  if (frameOptions) fixed.push(['x-frame-options', frameOptions]);
  else if (frameDeny) fixed.push(['x-frame-options', 'DENY']);
  if (nosniff) fixed.push(['x-content-type-options', 'nosniff']);
  if (xssValue) fixed.push(['x-xss-protection', xssValue]);
  else if (xssFilter) fixed.push(['x-xss-protection', '1; mode=block']);
  if (csp) fixed.push(['content-security-policy', csp]);
  if (cspReportOnly) fixed.push(['content-security-policy-report-only', cspReportOnly]);
  if (referrerPolicy) fixed.push(['referrer-policy', referrerPolicy]);
  if (permissionsPolicy) fixed.push(['permissions-policy', permissionsPolicy]);
  // isDevelopment turns Strict-Transport-Security off, as in unrolled/secure.
  const sts =
    stsSeconds && !isDevelopment
      ? `max-age=${stsSeconds}${stsIncludeSubdomains ? '; includeSubDomains' : ''}${stsPreload ? '; preload' : ''}`
      : undefined;
  const defined =
    stsSeconds !== undefined ||
    stsIncludeSubdomains ||
    stsPreload ||
    forceSts ||
    fixed.length > 0 ||
    frameDeny ||
    xssFilter ||
    isDevelopment ||
    sslProxyHeaders.size > 0;
  if (!defined) return undefined;
  const lowered = new Map([...sslProxyHeaders].map(([name, value]) => [name.toLowerCase(), value]));
  return { fixed, sts, forceSts, sslProxyHeaders: lowered };
}

/** The headers to set on this exchange's response (decided on the request, as unrolled/secure does). */
export function secureHeadersFor(secure: SecureHeaders, ex: Exchange): Array<[string, string]> {
  if (!secure.sts) return secure.fixed;
  let ssl = ex.scheme === 'https' || secure.forceSts;
  if (!ssl)
    for (const [name, value] of secure.sslProxyHeaders) {
      const seen = ex.headers[name];
      if ((Array.isArray(seen) ? seen[0] : seen) === value) ssl = true;
    }
  return ssl ? [...secure.fixed, ['strict-transport-security', secure.sts]] : secure.fixed;
}

export function applySecureHeaders(list: Array<[string, string]>, headers: ResponseHeaderMap): void {
  for (const [name, value] of list) headers[name] = value;
}
