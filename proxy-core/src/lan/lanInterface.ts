import * as fs from 'node:fs';
import * as os from 'node:os';
import type { LanInterface } from './types';

/** The answer to serve --lan-interface: the interface, or why none is usable (said in the status and by `share`). */
export type FoundInterface = { ok: true; iface: LanInterface } | { ok: false; reason: string };

/**
 * The interface named by `choice` with its addresses now. `auto` is the interface of the IPv4
 * default route (Linux: /proc/net/route), else the first external interface with an IPv4
 * address: the one a phone on the same Wi-Fi reaches.
 */
export function findLanInterface(
  choice: string,
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
  routeTable: string | undefined = readRouteTable(),
): FoundInterface {
  const external = (name: string) => (interfaces[name] ?? []).filter((a) => !a.internal);
  let name = choice;
  if (choice === 'auto') {
    const viaDefault = routeTable && defaultRouteInterface(routeTable);
    const candidates = viaDefault
      ? [viaDefault]
      : Object.keys(interfaces).filter((n) => external(n).some((a) => a.family === 'IPv4'));
    if (!candidates.length)
      return {
        ok: false,
        reason:
          'no network interface with an IPv4 address and no default route: connect to a network, or name one with serve --lan-interface IF',
      };
    name = candidates[0];
  }
  const addresses = interfaces[name];
  if (!addresses)
    return {
      ok: false,
      reason: `there is no network interface ${name} (found: ${Object.keys(interfaces).join(', ') || 'none'}); pick one with serve --lan-interface IF`,
    };
  const ipv4 = external(name).find((a) => a.family === 'IPv4')?.address;
  if (!ipv4) return { ok: false, reason: `interface ${name} has no IPv4 address right now` };
  const ipv6 = external(name).find((a) => a.family === 'IPv6' && !a.address.toLowerCase().startsWith('fe80'))?.address;
  return { ok: true, iface: { name, ipv4, ...(ipv6 ? { ipv6 } : {}) } };
}

function readRouteTable(): string | undefined {
  try {
    return fs.readFileSync('/proc/net/route', 'utf8');
  } catch {
    return undefined;
  }
}

/** The interface of the 0.0.0.0/0 route with the lowest metric in /proc/net/route's text. */
export function defaultRouteInterface(routeTable: string): string | undefined {
  let best: { name: string; metric: number } | undefined;
  for (const line of routeTable.split('\n').slice(1)) {
    const [name, destination, , , , , metric, mask] = line.trim().split(/\s+/);
    if (destination !== '00000000' || mask !== '00000000') continue;
    const m = Number(metric);
    if (!best || m < best.metric) best = { name, metric: m };
  }
  return best?.name;
}
