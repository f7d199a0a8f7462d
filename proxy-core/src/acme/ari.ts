import * as https from 'node:https';
import * as x509 from '@peculiar/x509';
import { parseRetryAfter } from './acmeErrors';
import { trustedRoots } from '../tlsRoots';
import { networkReason } from './acmeHttp';

/**
 * RFC 9773 certificate identifier: base64url(Authority Key Identifier) "." base64url(serial),
 * the serial as its DER integer bytes.
 */
export function ariCertId(certPem: string): string {
  const cert = new x509.X509Certificate(firstPem(certPem));
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  if (!aki?.keyId) throw new Error('the certificate has no Authority Key Identifier');
  let serial = BigInt(`0x${cert.serialNumber}`).toString(16);
  if (serial.length % 2) serial = `0${serial}`;
  if (parseInt(serial.slice(0, 2), 16) >= 0x80) serial = `00${serial}`;
  return `${Buffer.from(aki.keyId, 'hex').toString('base64url')}.${Buffer.from(serial, 'hex').toString('base64url')}`;
}

export interface RenewalInfo {
  start: Date;
  end: Date;
  explanationURL?: string;
  /** When to ask again (the server's Retry-After, clamped). */
  recheckAt: Date;
}

const MIN_RECHECK = 60_000;
const MAX_RECHECK = 24 * 3600_000;
const DEFAULT_RECHECK = 6 * 3600_000;

/** GET renewalInfo/<certID>: the window in which the CA would like us to renew. */
export function fetchRenewalInfo(
  renewalInfoUrl: string,
  certPem: string,
  extraCaPem?: string,
  now = Date.now(),
): Promise<RenewalInfo> {
  const url = `${renewalInfoUrl.replace(/\/$/, '')}/${ariCertId(certPem)}`;
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: trustedRoots(extraCaPem), timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`renewalInfo ${url} answered HTTP ${res.statusCode}`));
        try {
          const data = JSON.parse(body) as {
            suggestedWindow?: { start?: string; end?: string };
            explanationURL?: string;
          };
          const start = new Date(data.suggestedWindow?.start ?? NaN);
          const end = new Date(data.suggestedWindow?.end ?? NaN);
          if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start)
            throw new Error('no valid suggestedWindow');
          const after = parseRetryAfter(res.headers['retry-after'], now) ?? DEFAULT_RECHECK;
          const recheckAt = new Date(now + Math.min(MAX_RECHECK, Math.max(MIN_RECHECK, after)));
          resolve({ start, end, explanationURL: data.explanationURL, recheckAt });
        } catch (err) {
          reject(new Error(`renewalInfo ${url}: ${(err as Error).message}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => reject(new Error(`renewalInfo ${url}: ${networkReason(err)}`)));
  });
}

function firstPem(pem: string): string {
  const end = '-----END CERTIFICATE-----';
  const i = pem.indexOf(end);
  return i === -1 ? pem : pem.slice(0, i + end.length);
}
