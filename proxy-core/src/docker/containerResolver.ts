import type { Resolution, Upstream } from '../routes/types';
import { ModeledContainer, tcpPorts } from './containerModel';
import type { ContainerInfo } from './types';

/** How to reach a container: its IP on a network, its published host port, or decide per engine. */
export type AddressMode = 'auto' | 'ip' | 'published';

export const ADDRESS_MODES: AddressMode[] = ['auto', 'ip', 'published'];

export interface ResolverContext {
  /** Looks a container up by name, full id or id prefix. */
  find(nameOrId: string): ModeledContainer | undefined;
  driverOf(network: string): string | undefined;
  /** Where published ports live: 127.0.0.1 for a local engine, the engine's host for a remote one. */
  publishedHost: string;
  /** From the engine facts: IPs cannot be reached (Docker Desktop, rootless, remote). */
  ipsUnreachable: boolean;
  ipsUnreachableWhy?: string;
  /** Network a container asked for (traefik.docker.network / container-https.network). */
  preferredNetwork(container: ModeledContainer): string | undefined;
  connected: boolean;
  endpoint: string;
  error?: string;
}

// Drivers whose container addresses the host itself cannot reach (macvlan/ipvlan isolate the
// parent interface; overlay lives in the swarm's VXLAN).
const UNREACHABLE_DRIVERS = new Set(['macvlan', 'ipvlan', 'overlay', 'null', 'none']);

const unavailable = (title: string, detail: string, status = 503): Resolution => ({
  kind: 'unavailable',
  status,
  title,
  detail,
});

/**
 * Turns `container:NAME[:PORT]` into an address now, from the model the watcher keeps current:
 * a container that restarted with a new IP is simply found at its new IP on the next request.
 */
export function resolveContainer(
  ctx: ResolverContext,
  mode: AddressMode,
  name: string,
  port: number | undefined,
): Resolution {
  const c = ctx.find(name);
  if (!c) {
    if (!ctx.connected)
      return unavailable(
        'Docker engine unreachable',
        `The route points at container "${name}", but ${ctx.error ?? `the Docker engine at ${ctx.endpoint} is not connected`}`,
      );
    return unavailable(
      'Container not found',
      `No container named "${name}" exists on ${ctx.endpoint}. Create or start it (docker start ${name}, docker compose up), or change the route.`,
    );
  }
  const info = c.info;
  if (info.state !== 'running') {
    return unavailable(
      `Container ${info.name} is ${info.state}`,
      `Container "${info.name}" (${info.image}) is ${info.state}${info.status ? ` — ${info.status}` : ''}. Start it (docker start ${info.name}); this route serves again as soon as it runs.`,
    );
  }
  const picked = pickPort(info, port);
  if (typeof picked === 'string') return unavailable(`Which port of ${info.name}?`, picked);
  const address = pickAddress(ctx, mode, c, picked);
  if (typeof address === 'string') return unavailable(`Container ${info.name} is not reachable`, address, 502);
  return { kind: 'upstream', upstream: address.upstream, via: address.via };
}

/** The port given, else the single exposed TCP port; otherwise a sentence that lists them. */
export function pickPort(info: ContainerInfo, port: number | undefined): number | string {
  if (port !== undefined) return port;
  const ports = tcpPorts(info);
  if (ports.length === 1) return ports[0];
  if (!ports.length)
    return `Container "${info.name}" exposes no TCP port: give one in the target, e.g. container:${info.name}:8080 (or container-https.port=8080 as a label).`;
  return `Container "${info.name}" exposes ${ports.length} ports (${ports.join(', ')}): give one in the target, e.g. container:${info.name}:${ports[0]} (or container-https.port as a label).`;
}

export function pickAddress(
  ctx: ResolverContext,
  mode: AddressMode,
  c: ModeledContainer,
  port: number,
): { upstream: Upstream; via: string } | string {
  const useIp = mode === 'ip' || (mode === 'auto' && !ctx.ipsUnreachable);
  const first = useIp ? byIp(ctx, c, port) : byPublished(ctx, c, port);
  if (typeof first !== 'string' || mode !== 'auto') return first;
  // auto: if the preferred way has nothing for this container, the other one may.
  const second = useIp ? byPublished(ctx, c, port) : undefined;
  if (second && typeof second !== 'string') return second;
  return first;
}

function upstream(hostname: string, port: number): Upstream {
  const shown = hostname.includes(':') ? `[${hostname}]` : hostname;
  return { protocol: 'http:', hostname, port, href: `http://${shown}:${port}` };
}

function byIp(ctx: ResolverContext, c: ModeledContainer, port: number): { upstream: Upstream; via: string } | string {
  const { info } = c;
  if (c.networkMode === 'host')
    return { upstream: upstream('127.0.0.1', port), via: `${info.name} uses the host network: 127.0.0.1:${port}` };
  const withIp = info.networks.filter((n) => n.ip);
  if (!withIp.length)
    return `Container "${info.name}" has no IP address on any network (network mode ${c.networkMode}). Publish the port (-p ${port}) and use --docker-address published, or attach it to a bridge network.`;
  const preferred = ctx.preferredNetwork(c);
  if (preferred) {
    const project = info.compose?.project;
    const net =
      withIp.find((n) => n.name === preferred) ??
      (project ? withIp.find((n) => n.name === `${project}_${preferred}`) : undefined);
    if (net)
      return {
        upstream: upstream(net.ip!, port),
        via: `${info.name}: ${net.ip}:${port} on network ${net.name} (from its labels)`,
      };
  }
  const reachable = withIp.filter((n) => !UNREACHABLE_DRIVERS.has(ctx.driverOf(n.name) ?? ''));
  // Bridge networks first: on Linux the host has an interface on each of them.
  const ranked = [...reachable].sort(
    (a, b) => rank(ctx.driverOf(a.name)) - rank(ctx.driverOf(b.name)) || a.name.localeCompare(b.name),
  );
  const net = ranked[0];
  if (!net)
    return `Container "${info.name}" is only on networks the host cannot reach (${withIp.map((n) => `${n.name}: ${ctx.driverOf(n.name) ?? '?'}`).join(', ')}). Publish the port and use --docker-address published.`;
  return { upstream: upstream(net.ip!, port), via: `${info.name}: ${net.ip}:${port} on network ${net.name}` };
}

function rank(driver: string | undefined): number {
  return driver === 'bridge' ? 0 : driver ? 1 : 2;
}

function byPublished(
  ctx: ResolverContext,
  c: ModeledContainer,
  port: number,
): { upstream: Upstream; via: string } | string {
  const { info } = c;
  const published = info.ports.filter((p) => p.containerPort === port && p.protocol === 'tcp' && p.hostPort);
  if (!published.length) {
    const why =
      ctx.ipsUnreachable && ctx.ipsUnreachableWhy
        ? ` (${ctx.ipsUnreachableWhy}, so its IP is not reachable from here)`
        : '';
    return `Port ${port} of container "${info.name}" is not published${why}. Publish it (ports: ["${port}"] in compose, or docker run -p ${port}), or use --docker-address ip where container IPs are reachable.`;
  }
  const p = published.find((q) => !q.hostIp || q.hostIp === '0.0.0.0' || q.hostIp === '::') ?? published[0];
  const wildcard = !p.hostIp || p.hostIp === '0.0.0.0' || p.hostIp === '::';
  const host = wildcard ? ctx.publishedHost : p.hostIp!;
  return {
    upstream: upstream(host, p.hostPort!),
    via: `${info.name}: published port ${host.includes(':') ? `[${host}]` : host}:${p.hostPort} (container port ${port})`,
  };
}
