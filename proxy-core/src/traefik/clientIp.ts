import { BlockList, isIP } from 'node:net';

/**
 * Traefik's ClientIP matcher values: IPv4 or IPv6 addresses and CIDR ranges, compared with the
 * connection's remote address (not X-Forwarded-For). As Go's net.IP, an IPv4 address and its
 * IPv4-mapped IPv6 form (::ffff:a.b.c.d) are the same address.
 */

export type IpCheck = { ok: true; contains: (ip: string) => boolean } | { ok: false; reason: string };

export function ipChecker(values: string[]): IpCheck {
  const list = new BlockList();
  for (const value of values) {
    const slash = value.indexOf('/');
    const addr = slash === -1 ? value : value.slice(0, slash);
    const family = isIP(addr);
    if (!family)
      return { ok: false, reason: `"${value}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)` };
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      list.addAddress(addr, type);
      continue;
    }
    const bits = value.slice(slash + 1);
    const prefix = Number(bits);
    if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128))
      return { ok: false, reason: `"${value}" has an invalid prefix length (0-${family === 4 ? 32 : 128})` };
    list.addSubnet(addr, prefix, type);
  }
  return {
    ok: true,
    contains: (ip) => {
      // A zone (fe80::1%eth0) is not part of the address, as for Go's netip.Addr.As16.
      const zone = ip.indexOf('%');
      const addr = zone === -1 ? ip : ip.slice(0, zone);
      const family = isIP(addr);
      // BlockList compares IPv4 and IPv4-mapped IPv6 forms as one address, as Go does.
      return family !== 0 && list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
