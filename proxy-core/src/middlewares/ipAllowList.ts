import { ipChecker } from '../traefik/clientIp';
import { OptionError, Options } from './options';
import { reply, statusText } from './respond';
import type { Exchange, Middleware } from './types';

/**
 * Traefik's ipAllowList (and its deprecated name ipWhiteList): requests from outside sourceRange
 * get 403 (or rejectStatusCode). The address is the connection's, or with ipStrategy one taken
 * from X-Forwarded-For as Traefik's pkg/ip/strategy.go does: `depth` counts from the right,
 * `excludedIPs` skips addresses from the right. The X-Forwarded-For read is the one going
 * upstream, which the proxy wrote itself (proxy/forwardedHeaders.ts trusts no client's): it
 * holds the connection's address only, so depth 1 is the client and a deeper one finds nobody.
 */
export function ipAllowList(o: Options): Middleware {
  const sourceRange = o.list('sourceRange')?.filter((s) => s !== '');
  const strategy = o.object('ipStrategy');
  const rejectStatusCode = o.int('rejectStatusCode', 0, 599) || 403;
  o.finish();
  if (!sourceRange?.length)
    throw new OptionError('option sourceRange is empty; give the addresses or CIDR ranges to allow, e.g. 127.0.0.1/32');
  const allowed = ipChecker(sourceRange);
  if (!allowed.ok) throw new OptionError(`option sourceRange: ${allowed.reason}`);
  if (!statusText(rejectStatusCode))
    throw new OptionError(`option rejectStatusCode ${rejectStatusCode} is not an HTTP status code`);
  const clientIp = strategy ? readStrategy(strategy) : (ex: Exchange) => ex.clientIp;
  return (ex) => {
    const ip = withoutPort(clientIp(ex));
    return ip !== '' && allowed.contains(ip) ? true : reply(ex, rejectStatusCode, {}, statusText(rejectStatusCode));
  };
}

function readStrategy(o: Options): (ex: Exchange) => string {
  const depth = o.int('depth', 0) ?? 0;
  const excluded = o.list('excludedIPs')?.filter((s) => s !== '') ?? [];
  o.finish(['ipv6Subnet']);
  if (depth > 0)
    return (ex) => {
      const hops = forwardedFor(ex);
      return hops.length < depth ? '' : hops[hops.length - depth].trim();
    };
  if (excluded.length) {
    const skip = ipChecker(excluded);
    if (!skip.ok) throw new OptionError(`option ipStrategy.excludedIPs: ${skip.reason}`);
    return (ex) => {
      const hops = forwardedFor(ex);
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i].trim();
        if (hop && !skip.contains(withoutPort(hop))) return hop;
      }
      return '';
    };
  }
  return (ex) => ex.clientIp;
}

function forwardedFor(ex: Exchange): string[] {
  const value = ex.headers['x-forwarded-for'];
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).split(',');
}

/** `1.2.3.4:5678` and `[::1]:5678` as addresses (Go's SplitHostPort before its check). */
function withoutPort(ip: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(ip) ?? /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(ip);
  return m ? m[1] : ip;
}
