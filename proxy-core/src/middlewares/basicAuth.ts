import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { validateHeaderName } from 'node:http';
import { parseHash, Verifier } from './htpasswd';
import { OptionError, Options } from './options';
import { firstHeader, reply } from './respond';
import type { Exchange, Middleware } from './types';

/**
 * Traefik's basicAuth (pkg/middlewares/auth/basic_auth.go): users as `name:hash` from `users`
 * and `usersFile` (read once, when the middleware is built), 401 with WWW-Authenticate otherwise.
 * An unknown user is checked against another user's hash, so it costs the same time and gets
 * the same answer as a wrong password.
 */

/**
 * bcrypt costs milliseconds a check by design, and a page's 50 assets each carry the same
 * Authorization header: a header that passed is remembered for a minute (by its SHA-256, not as
 * written), and checks of one header already under way are shared, as Traefik's singleflight.
 */
const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 256;

export function basicAuth(o: Options): Middleware {
  const inline = o.list('users') ?? [];
  const usersFile = o.string('usersFile');
  const realm = o.string('realm') || 'traefik';
  const removeHeader = o.bool('removeHeader') ?? false;
  const headerField = o.string('headerField')?.trim();
  o.finish();
  if ([...realm].some((ch) => ch < ' ' || ch === '\x7f' || ch === '"' || ch === '\\'))
    throw new OptionError('option realm has a quote, backslash or control character; remove it');
  if (headerField) {
    try {
      validateHeaderName(headerField);
    } catch {
      throw new OptionError(`option headerField ${JSON.stringify(headerField)} is not a valid header name`);
    }
  }

  const lines = [...(usersFile ? readUsersFile(usersFile) : []), ...inline.filter((line) => line !== '')];
  const users = new Map<string, Verifier>();
  lines.forEach((line, i) => {
    const parts = line.split(':');
    // Where the entry came from, not the entry: it may be a password someone pasted.
    if (parts.length !== 2 || !parts[0])
      throw new OptionError(
        `users entry ${i + 1} is not name:hash (one colon); generate one with: htpasswd -nbB name 'the password'`,
      );
    const parsed = parseHash(parts[1], parts[0]);
    if (!parsed.ok) throw new OptionError(parsed.reason);
    users.set(parts[0], parsed.verify);
  });
  if (users.size === 0)
    throw new OptionError(
      `it has no users; give users (name:hash, from htpasswd -nbB name 'the password')${usersFile ? ` or lines in ${usersFile}` : ' or usersFile'}`,
    );
  const decoy = users.values().next().value as Verifier;
  const challenge = `Basic realm="${realm}"`;
  const remembered = new Map<string, { user: string; until: number }>();
  const pending = new Map<string, Promise<string | undefined>>();

  const pass = (ex: Exchange, user: string): true => {
    if (headerField) ex.headers[headerField.toLowerCase()] = user;
    if (removeHeader) delete ex.headers.authorization;
    return true;
  };
  const deny = (ex: Exchange): false => reply(ex, 401, { 'www-authenticate': challenge }, '401 Unauthorized\n');
  const remember = (key: string, user: string) => {
    remembered.delete(key);
    remembered.set(key, { user, until: Date.now() + REMEMBER_MS });
    if (remembered.size > REMEMBER_MAX) remembered.delete(remembered.keys().next().value as string);
  };

  return (ex) => {
    const header = firstHeader(ex.headers, 'authorization');
    if (!header) return deny(ex);
    const key = createHash('sha256').update(header).digest('base64');
    const known = remembered.get(key);
    if (known) {
      if (known.until > Date.now()) return pass(ex, known.user);
      remembered.delete(key);
    }
    let check = pending.get(key);
    if (!check) {
      const credentials = parseBasic(header);
      if (!credentials) return deny(ex);
      const verify = users.get(credentials.user);
      const result = (verify ?? decoy)(credentials.password);
      if (typeof result === 'boolean') {
        if (!result || !verify) return deny(ex);
        remember(key, credentials.user);
        return pass(ex, credentials.user);
      }
      check = result.then(
        (ok) => (ok && verify ? credentials.user : undefined),
        () => undefined,
      );
      const shared = check;
      pending.set(key, shared);
      void shared.then((user) => {
        pending.delete(key);
        if (user !== undefined) remember(key, user);
      });
    }
    return check.then((user) => (user === undefined ? deny(ex) : pass(ex, user)));
  };
}

/** Go's Request.BasicAuth: "Basic " (any case), strict base64, name up to the first colon. */
function parseBasic(header: string): { user: string; password: Buffer } | undefined {
  if (header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const encoded = header.slice(6);
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64');
  const colon = decoded.indexOf(58);
  if (colon === -1) return undefined;
  return { user: decoded.subarray(0, colon).toString('utf8'), password: decoded.subarray(colon + 1) };
}

/** htpasswd lines, as Traefik reads them: trimmed, blank lines and # comments skipped. */
function readUsersFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new OptionError(
      `cannot read usersFile ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the local proxy reads it on this machine: give a path that exists here, or list the users in users`,
    );
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
