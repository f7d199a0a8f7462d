import * as https from 'node:https';
import { AcmeIssueError } from './acmeErrors';
import { trustedRoots } from '../tlsRoots';
import { networkReason } from './acmeHttp';

/** The parts of an RFC 8555 directory we use. */
export interface AcmeDirectory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
  /** RFC 9773 ACME Renewal Information, when the CA offers it. */
  renewalInfo?: string;
  meta?: { termsOfService?: string; externalAccountRequired?: boolean; website?: string; caaIdentities?: string[] };
}

/**
 * Fetches and sanity-checks the directory before any order, so a wrong URL, an unreachable or
 * untrusted server, or a non-ACME page gives the user a sentence, not a stack trace.
 */
export function checkDirectory(url: string, extraCaPem?: string, timeoutMs = 10_000): Promise<AcmeDirectory> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(new AcmeIssueError(`The ACME directory ${url} ${why}${why.endsWith('?') ? '' : '.'}`));
    const req = https.get(
      url,
      { ca: trustedRoots(extraCaPem), timeout: timeoutMs, headers: { accept: 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          if (body.length > 1 << 20) req.destroy(new Error('the response is larger than 1 MiB'));
        });
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 400) return fail(`answered HTTP ${res.statusCode}: check --acme-directory`);
          let dir: Partial<AcmeDirectory>;
          try {
            dir = JSON.parse(body) as Partial<AcmeDirectory>;
          } catch {
            return fail(
              `did not answer with JSON (HTTP ${res.statusCode}, ${res.headers['content-type'] ?? 'no content type'}): is it really an ACME directory URL?`,
            );
          }
          const missing = (['newNonce', 'newAccount', 'newOrder'] as const).filter((k) => typeof dir[k] !== 'string');
          if (missing.length)
            return fail(`is not an ACME directory (no ${missing.join(', ')}): check --acme-directory`);
          resolve(dir as AcmeDirectory);
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => fail(`cannot be reached: ${networkReason(err)}`));
  });
}
