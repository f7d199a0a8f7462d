import { goReplacer } from './goTemplate';
import { OptionError, Options } from './options';
import { reply, statusText } from './respond';
import type { Exchange, Middleware } from './types';

/**
 * redirectScheme and redirectRegex (Traefik's pkg/middlewares/redirect): 302 or, when permanent,
 * 301 for GET; 307 or 308 for other methods, so a POST stays a POST.
 */

export function redirectScheme(o: Options): Middleware {
  const scheme = o.string('scheme')?.trim().toLowerCase();
  const port = o.string('port')?.trim();
  const permanent = o.bool('permanent') ?? false;
  o.finish();
  if (!scheme) throw new OptionError('option scheme is empty; give the scheme to redirect to, e.g. https');
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme))
    throw new OptionError(`option scheme ${JSON.stringify(scheme)} is not a URL scheme; write https or http`);
  if (port && !(/^\d{1,5}$/.test(port) && Number(port) <= 65535))
    throw new OptionError(`option port ${JSON.stringify(port)} is not a port number (1-65535)`);
  const isDefault = (scheme === 'http' && port === '80') || (scheme === 'https' && port === '443');
  const portPart = port && !isDefault ? `:${port}` : '';
  return (ex) => {
    // Traefik also redirects a request already on the scheme when its port differs from the
    // target's (https on :8443 → https on :443). The local proxy's ports are not production's,
    // so that redirect would only send the browser away from it: on the scheme, nothing happens.
    if (ex.scheme === scheme) return true;
    return redirect(ex, `${scheme}://${ex.host}${portPart}${ex.url}`, permanent);
  };
}

export function redirectRegex(o: Options): Middleware {
  const regex = o.string('regex') ?? '';
  const replacement = o.string('replacement') ?? '';
  const permanent = o.bool('permanent') ?? false;
  o.finish();
  if (!regex) throw new OptionError('option regex is empty; give the regular expression the URL must match');
  const { test, replace } = goReplacer(regex, replacement);
  return (ex) => {
    // The URL as Traefik rebuilds it: scheme, Host header (port included), path and query.
    const url = `${ex.scheme}://${ex.headers.host ?? ex.host}${ex.url}`;
    if (!test.test(url)) return true;
    const target = replace(url);
    return target === url ? true : redirect(ex, target, permanent);
  };
}

function redirect(ex: Exchange, location: string, permanent: boolean): false {
  const get = ex.req.method === 'GET';
  const status = permanent ? (get ? 301 : 308) : get ? 302 : 307;
  return reply(ex, status, { location: asHeaderValue(location) }, statusText(status));
}

/** Non-ASCII and spaces percent-encoded (as Go's url.URL.String does), so the value is a valid header. */
function asHeaderValue(url: string): string {
  return url.replace(/[^\x21-\x7e]/gu, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}
