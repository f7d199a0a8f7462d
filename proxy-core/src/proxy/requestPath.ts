/**
 * The request path as Traefik's entry points treat it before routing (sanitizePath, on by
 * default): `.` and `..` segments resolved and repeated slashes merged, a trailing slash kept.
 * The cleaned path is what rules see and what the upstream gets, so `/public/../admin` cannot
 * reach the admin's backend past a router that only takes `/public`. Dot segments written
 * percent-encoded (`%2e%2e`) count as dots: a backend would decode them.
 */

/** The request target with its path cleaned; the same string when nothing needed cleaning. */
export function cleanTarget(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!needsCleaning(path)) return url;
  const cleaned = cleanPath(path);
  return q === -1 ? cleaned : cleaned + url.slice(q);
}

function needsCleaning(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 47 /* / */ && i + 1 < path.length) {
      const n = path.charCodeAt(i + 1);
      if (n === 47 || n === 46 /* . */ || n === 37 /* % */) return true;
    }
  }
  return path.charCodeAt(0) !== 47;
}

function cleanPath(path: string): string {
  const out: string[] = [];
  const segments = path.split('/');
  for (const raw of segments) {
    const seg = raw.replace(/%2e/gi, '.');
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(raw);
  }
  const last = segments[segments.length - 1].replace(/%2e/gi, '.');
  const trailing = path.length > 1 && (last === '' || last === '.' || last === '..');
  const joined = '/' + out.join('/');
  return trailing && joined !== '/' ? joined + '/' : joined;
}

/** The path of a (cleaned) target as rules match it: percent-decoded, except `%2F` stays a character of one segment. */
export function routingPath(target: string): string {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  if (!path.includes('%')) return path;
  return path
    .split(/(%2f)/i)
    .map((part, i) => (i % 2 ? part : safeDecode(part)))
    .join('');
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The raw query of a target, without `?`. */
export function queryOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? '' : target.slice(q + 1);
}
