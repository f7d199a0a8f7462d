import * as crypto from 'node:crypto';
import { UserError } from '../errors';

export const LETSENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETSENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

const ALIASES: Record<string, string> = {
  letsencrypt: LETSENCRYPT_PRODUCTION,
  production: LETSENCRYPT_PRODUCTION,
  'letsencrypt-staging': LETSENCRYPT_STAGING,
  staging: LETSENCRYPT_STAGING,
};

/** --acme-directory value → URL: empty means Let's Encrypt production; aliases for staging. */
export function resolveDirectoryUrl(input: string | undefined): string {
  const value = (input ?? '').trim();
  if (!value) return LETSENCRYPT_PRODUCTION;
  const alias = ALIASES[value.toLowerCase()];
  if (alias) return alias;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(
      `--acme-directory must be an https:// URL or one of ${Object.keys(ALIASES).join(', ')}, not "${value}".`,
      'EUSAGE',
    );
  }
  if (url.protocol !== 'https:')
    throw new UserError(`The ACME directory must be served over https:// (RFC 8555 §6.1), not "${value}".`, 'EUSAGE');
  return url.href;
}

/** Short, stable name for per-directory files (acme/account-<hash>.json). */
export function directoryHash(url: string): string {
  return crypto.createHash('sha256').update(url).digest('hex').slice(0, 16);
}

export function isLetsEncrypt(url: string): boolean {
  return url === LETSENCRYPT_PRODUCTION || url === LETSENCRYPT_STAGING;
}
