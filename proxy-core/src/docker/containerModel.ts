import { LabelParse, parseRouteLabels, preferredNetworkOf } from './labels';
import { defaultServiceName } from '../traefik/labelConfig';
import type { ContainerInfo } from './types';

/** The fields of the engine's GET /containers/json entries we read (stable since API 1.24). */
export interface RawContainer {
  Id: string;
  Names?: string[];
  Image?: string;
  Created?: number;
  State?: string;
  Status?: string;
  Ports?: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type?: string }>;
  Labels?: Record<string, string> | null;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: {
    Networks?: Record<string, { IPAddress?: string; GlobalIPv6Address?: string; NetworkID?: string } | null> | null;
  };
}

/** A container as the daemon keeps it: what clients see, plus what routing needs. */
export interface ModeledContainer {
  info: ContainerInfo;
  /** "bridge", "host", "none", "container:<id>", or a network name. */
  networkMode: string;
  /** Seconds since the epoch, for stable ordering (older containers win host conflicts). */
  created: number;
  /**
   * The routing labels, parsed once here: a container's labels are fixed for its lifetime and
   * every engine event makes a new model, so deriving routes never parses them again.
   */
  routing: LabelParse;
  /** The network its labels prefer; read by the resolver on every proxied request. */
  preferredNetwork?: string;
  /** The name Traefik's Docker provider gives the service it makes when the labels declare none. */
  serviceName: string;
}

const STATES = new Set<ContainerInfo['state']>([
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]);

export function modelContainer(raw: RawContainer): ModeledContainer {
  const labels = raw.Labels ?? {};
  const status = raw.Status ?? '';
  const state = STATES.has(raw.State as ContainerInfo['state']) ? (raw.State as ContainerInfo['state']) : 'created';
  const info: ContainerInfo = {
    id: raw.Id,
    name: primaryName(raw.Names),
    image: raw.Image ?? '',
    state,
    status,
    networks: Object.entries(raw.NetworkSettings?.Networks ?? {}).map(([name, n]) => {
      const net: ContainerInfo['networks'][number] = { name };
      if (n?.IPAddress) net.ip = n.IPAddress;
      if (n?.GlobalIPv6Address) net.ipv6 = n.GlobalIPv6Address;
      return net;
    }),
    ports: modelPorts(raw.Ports ?? []),
    labels,
  };
  const health = healthOf(status);
  if (health) info.health = health;
  const project = labels['com.docker.compose.project'];
  if (project) {
    info.compose = { project, service: labels['com.docker.compose.service'] ?? '' };
    const wd = labels['com.docker.compose.project.working_dir'];
    const files = labels['com.docker.compose.project.config_files'];
    if (wd) info.compose.workingDir = wd;
    if (files) info.compose.configFiles = files;
  }
  const modeled: ModeledContainer = {
    info,
    networkMode: raw.HostConfig?.NetworkMode ?? 'default',
    created: raw.Created ?? 0,
    routing: parseRouteLabels(labels),
    serviceName: defaultServiceName({ name: info.name, labels }),
  };
  const preferredNetwork = preferredNetworkOf(labels);
  if (preferredNetwork) modeled.preferredNetwork = preferredNetwork;
  return modeled;
}

/** Docker lists names with a leading slash, and links as extra "/other/alias" names. */
function primaryName(names: string[] | undefined): string {
  const plain = (names ?? []).map((n) => n.replace(/^\//, '')).filter((n) => !n.includes('/'));
  return plain[0] ?? (names?.[0] ?? '').replace(/^\//, '');
}

/** The list API only reports health inside the status text: "Up 5 seconds (healthy)". */
function healthOf(status: string): ContainerInfo['health'] | undefined {
  if (/\(healthy\)/.test(status)) return 'healthy';
  if (/\(unhealthy\)/.test(status)) return 'unhealthy';
  if (/\(health: starting\)/.test(status)) return 'starting';
  return undefined;
}

/**
 * One entry per container port and host port: the engine reports a published port once per
 * host address family (0.0.0.0 and ::), which a person reads as one port.
 */
function modelPorts(ports: NonNullable<RawContainer['Ports']>): ContainerInfo['ports'] {
  const out: ContainerInfo['ports'] = [];
  const seen = new Set<string>();
  const sorted = [...ports].sort(
    (a, b) => a.PrivatePort - b.PrivatePort || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || ipRank(a.IP) - ipRank(b.IP),
  );
  for (const p of sorted) {
    const protocol = p.Type === 'udp' ? 'udp' : 'tcp';
    const key = `${p.PrivatePort}/${protocol}/${p.PublicPort ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const port: ContainerInfo['ports'][number] = { containerPort: p.PrivatePort, protocol };
    if (p.PublicPort) {
      port.hostPort = p.PublicPort;
      if (p.IP) port.hostIp = p.IP;
    }
    out.push(port);
  }
  // An exposed port that is also published shows up published only.
  return out.filter(
    (p) =>
      p.hostPort !== undefined ||
      !out.some((q) => q.hostPort !== undefined && q.containerPort === p.containerPort && q.protocol === p.protocol),
  );
}

function ipRank(ip: string | undefined): number {
  return !ip ? 2 : ip.includes(':') ? 1 : 0;
}

/** Distinct TCP container ports, for "the single exposed port" and error messages. */
export function tcpPorts(info: ContainerInfo): number[] {
  return [...new Set(info.ports.filter((p) => p.protocol === 'tcp').map((p) => p.containerPort))].sort((a, b) => a - b);
}
