import aprMd5 from 'apache-md5';
import * as bcrypt from 'bcryptjs';
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The htpasswd hashes Traefik's basicAuth accepts (it checks them with go-http-auth): bcrypt
 * ($2y$, $2a$, $2b$, $2x$), MD5-crypt ($apr1$, $1$) and SHA-1 ({SHA}). No plain-text passwords:
 * Traefik compares anything else as an MD5 hash, which never matches, so it is refused here.
 */

/** Checks a password (the bytes the client sent) against one hash. */
export type Verifier = (password: Buffer) => boolean | Promise<boolean>;

export type ParsedHash = { ok: true; verify: Verifier } | { ok: false; reason: string };

const BCRYPT = /^\$2[abxy]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const MD5_CRYPT = /^\$(apr1|1)\$[^$]{1,8}\$[./0-9A-Za-z]{22}$/;
const SHA = /^\{SHA\}[A-Za-z0-9+/]{27}=$/;

export function parseHash(hash: string, user: string): ParsedHash {
  const generate = `generate one with: htpasswd -nbB ${user} 'the password'`;
  if (hash.startsWith('$2')) {
    const m = BCRYPT.exec(hash);
    if (!m || Number(m[1]) < 4 || Number(m[1]) > 31)
      return { ok: false, reason: `user ${user} has a malformed bcrypt hash; ${generate}` };
    // bcryptjs knows $2a$, $2b$ and $2y$; $2x$ is checked as $2y$, as Go's bcrypt does.
    const normal = hash.startsWith('$2x$') ? `$2y$${hash.slice(4)}` : hash;
    return { ok: true, verify: (password) => bcrypt.compare(password.toString('utf8'), normal) };
  }
  if (hash.startsWith('$apr1$') || hash.startsWith('$1$')) {
    if (!MD5_CRYPT.test(hash))
      return { ok: false, reason: `user ${user} has a malformed MD5 ($apr1$) hash; ${generate}` };
    const expected = Buffer.from(hash, 'latin1');
    return {
      ok: true,
      // apache-md5 reads each character as one byte: the password's UTF-8 bytes are passed so.
      verify: (password) => equal(Buffer.from(aprMd5(password.toString('latin1'), hash), 'latin1'), expected),
    };
  }
  if (hash.startsWith('{SHA}')) {
    if (!SHA.test(hash)) return { ok: false, reason: `user ${user} has a malformed {SHA} hash; ${generate}` };
    const expected = Buffer.from(hash.slice(5), 'base64');
    return { ok: true, verify: (password) => equal(createHash('sha1').update(password).digest(), expected) };
  }
  if (hash.startsWith('$5$') || hash.startsWith('$6$'))
    return {
      ok: false,
      reason: `user ${user} has a SHA-crypt hash ($5$/$6$), which Traefik does not accept; ${generate}`,
    };
  return {
    ok: false,
    reason: `user ${user} has no htpasswd hash (Traefik takes hashes, not plain-text passwords); ${generate}`,
  };
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
