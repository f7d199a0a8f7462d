/**
 * The path arithmetic the path middlewares share, on the exchange's upstream `url` (raw path as
 * sent, plus query). Traefik works on Go's url.URL, where `Path` is decoded and `RawPath` the
 * escaped form; here the raw form is kept and decoded only to compare with a prefix or a regexp.
 */

export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q) };
}

/** Go's url.PathUnescape: %XX decoded (as UTF-8), '+' left alone; undefined for a bad escape. */
export function decodePath(raw: string): string | undefined {
  if (raw.indexOf('%') === -1) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37 /* % */) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else {
      const end = c >= 0xd800 && c <= 0xdbff ? i + 2 : i + 1;
      bytes.push(...Buffer.from(raw.slice(i, end), 'utf8'));
      i = end - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * How many characters of `raw` spell the decoded `prefix` (each %XX is one byte of it), so the
 * raw form can be cut where the decoded one matched.
 */
export function encodedPrefixLength(raw: string, prefix: string): number {
  const wanted = Buffer.byteLength(prefix);
  let decoded = 0;
  let i = 0;
  while (i < raw.length && decoded < wanted) {
    if (raw.charCodeAt(i) === 37 && i + 2 < raw.length) {
      i += 3;
      decoded++;
    } else {
      decoded += Buffer.byteLength(raw[i]);
      i++;
    }
  }
  return i;
}

export function ensureLeadingSlash(path: string): string {
  return path === '' || path.charCodeAt(0) === 47 ? path : `/${path}`;
}

/**
 * Whether `path` is what cleaning it would give (no `//`, no `.` or `..` segment). Traefik
 * re-cleans a path it rewrote and answers 400 when that changes it: a prefix cut in the wrong
 * place must not turn into a walk up the backend's tree.
 */
export function isCleanPath(path: string): boolean {
  if (path.indexOf('//') !== -1) return false;
  for (const segment of path.split('/')) if (segment === '.' || segment === '..') return false;
  return true;
}

/** Characters Go's url.URL keeps as they are in an escaped path (its validEncoded). */
const VALID_ENCODED = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@[\]/]|%[0-9A-Fa-f]{2})*$/;

/** Whether `raw` can be sent as it is: only path characters and well-formed %XX escapes. */
export function isValidEncoded(raw: string): boolean {
  return VALID_ENCODED.test(raw);
}

/** Go's url.PathEscape for a whole path (slashes kept): what the backend gets for a decoded path. */
export function escapePath(decoded: string): string {
  let out = '';
  for (const ch of decoded) {
    if (/^[A-Za-z0-9\-._~$&+,/:;=@]$/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The escaped form of a path that may be written escaped or not (a configured path). */
export function asEscaped(path: string, decoded: string): string {
  return isValidEncoded(path) ? path : escapePath(decoded);
}
