import { domainToASCII } from 'node:url';
import { isRfc1123Name } from '../routes/hostName';
import type { RouteRecord } from '../routes/types';
import { ModeledContainer, tcpPorts } from './containerModel';
import type { AutoDomain } from './types';

/**
 * Automatic container names (serve --auto-domains): every running container of a compose project
 * (and a created one whose port needs no probe) is `<service>.<project>.localhost`, with `all` every other one `<name>.localhost` too. Pure:
 * what the port probes found (docker/httpProbe.ts) comes in as data, and the records go to the
 * route table's 'auto' source, which ranks below every other (routes/routerIndex.ts).
 */
export type AutoDomainsMode = 'off' | 'compose' | 'all';
export const AUTO_DOMAINS_MODES: AutoDomainsMode[] = ['off', 'compose', 'all'];

/** What probing one port found: HTTP, TLS, something else, or nothing (refused, timed out, closed). */
export type ProbeAnswer = 'http' | 'tls' | 'other' | 'none';

export interface ProbeResult {
  answer: ProbeAnswer;
  /** For people: "answered HTTP/1.1 200", "answered with TLS", "connection refused". */
  detail: string;
  /** False while a port that answered nothing is probed again (the server may still be starting). */
  final: boolean;
}

/** Probe results per container id, then per container port. */
export type ProbeResults = ReadonlyMap<string, ReadonlyMap<number, ProbeResult>>;

export interface AutoDomainOptions {
  mode: AutoDomainsMode;
  /** The DNS suffix of the names: `localhost` unless the local CA does not permit it. */
  suffix: string;
  /** True when the local CA may issue for host. */
  permits: (host: string) => boolean;
  /**
   * Hosts that label and file routers serve (derived in the same tick), with who serves them:
   * such a router takes the whole host, so the automatic name stays off it.
   */
  claimed: ReadonlyMap<string, string>;
  /**
   * Set when containers are reached through published host ports only (rootless Docker, Docker
   * Desktop, a remote engine, --docker-address published): why. Then only published ports can
   * get a name.
   */
  publishedOnly?: string;
}

export interface AutoRoutes {
  /** Records for the table's 'auto' source. */
  records: RouteRecord[];
  /** Per container name: its automatic name, or why it has none. Absent: the mode does not cover it. */
  domains: Map<string, AutoDomain>;
  /** Per container name: what the user should fix (a name two containers want, a port label that does nothing). */
  problems: Map<string, string[]>;
  /**
   * Automatic names already known that have no route yet: the container is created (or stopped,
   * or its ports are still being probed). Their certificates are issued now, so the name answers
   * as soon as it is routed instead of waiting for an issuance on its first request.
   */
  upcoming: string[];
}

const MAX_LABEL = 63;

/**
 * A DNS label (RFC 1123) made from a name: lower case, each run of characters that cannot be in
 * a label (`_`, `.`, spaces, anything outside a-z 0-9 -) becomes one `-`, hyphens trimmed at both
 * ends, at most 63 characters. undefined when nothing usable is left (`___`, or a punycode-looking
 * `xn--…` that is not valid punycode).
 */
export function dnsLabel(name: string): string | undefined {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, MAX_LABEL)
    .replace(/-+$/, '');
  if (!label) return undefined;
  // A label with hyphens in positions 3 and 4 is reserved for IDNA: it must decode.
  if (label.slice(2, 4) === '--' && !domainToASCII(`${label}.localhost`)) return undefined;
  return label;
}

/** The automatic name a container would have, whatever its ports say; or why it has none. */
export function autoName(
  c: ModeledContainer,
  mode: AutoDomainsMode,
  suffix: string,
): { host: string } | { reason: string } | undefined {
  if (mode === 'off') return undefined;
  const { info } = c;
  const compose = info.compose;
  if (!compose && mode !== 'all') return undefined;
  if (c.routing.optOut)
    return { reason: 'No automatic name: the container has the label container-https.enable=false.' };
  const parts: string[] = [];
  if (compose) {
    const service = dnsLabel(compose.service);
    if (!service)
      return {
        reason: compose.service
          ? `No automatic name: the compose service name "${compose.service}" has no letters or digits to make a DNS name of.`
          : 'No automatic name: the container has a compose project label but no com.docker.compose.service label.',
      };
    const project = dnsLabel(compose.project);
    if (!project)
      return {
        reason: `No automatic name: the compose project name "${compose.project}" has no letters or digits to make a DNS name of.`,
      };
    parts.push(service, project);
  } else {
    const name = dnsLabel(info.name);
    if (!name) return { reason: `No automatic name: "${info.name}" has no letters or digits to make a DNS name of.` };
    parts.push(name);
  }
  const host = [...parts, suffix].join('.');
  if (!isRfc1123Name(host)) return { reason: `No automatic name: ${host} is longer than a DNS name may be.` };
  return { host };
}

/**
 * The TCP ports to probe for HTTP: only when the container gets a name, is running, and neither
 * the port label nor a single exposed port decides.
 */
export function portsToProbe(c: ModeledContainer, mode: AutoDomainsMode, publishedOnly?: string): number[] {
  if (c.info.state !== 'running' || c.routing.port) return [];
  const name = autoName(c, mode, 'localhost');
  if (!name || !('host' in name)) return [];
  const ports = candidatePorts(c, publishedOnly);
  return ports.length > 1 ? ports : [];
}

/** The TCP ports that could get the name: all of them, or only the published ones when only those can be reached. */
function candidatePorts(c: ModeledContainer, publishedOnly: string | undefined): number[] {
  if (!publishedOnly) return tcpPorts(c.info);
  const published = c.info.ports.filter((p) => p.protocol === 'tcp' && p.hostPort).map((p) => p.containerPort);
  return [...new Set(published)].sort((a, b) => a - b);
}

type Pick =
  | { port: number; from: 'label' | 'only' | 'probe'; others: number[]; note?: string }
  | { reason: string; pending?: true };

/** Which port gets the name: the label, the only exposed TCP port, else the lowest that speaks HTTP. */
function pickPorts(
  c: ModeledContainer,
  probes: ReadonlyMap<number, ProbeResult> | undefined,
  publishedOnly: string | undefined,
): Pick {
  if (c.routing.port) return { port: c.routing.port, from: 'label', others: [] };
  const ports = candidatePorts(c, publishedOnly);
  if (!ports.length && publishedOnly && tcpPorts(c.info).length)
    return {
      reason: `No automatic name: ${publishedOnly}, so containers are reached through published ports, and none of its TCP ports (${tcpPorts(c.info).join(', ')}) is published. Publish one (ports: ["${tcpPorts(c.info)[0]}"] in compose, or docker run -p ${tcpPorts(c.info)[0]}).`,
    };
  if (!ports.length)
    return {
      reason: `No automatic name: the container exposes no TCP port. Expose one (EXPOSE, ports: or expose: in compose) or add the label container-https.port=PORT.`,
    };
  if (ports.length === 1) return { port: ports[0], from: 'only', others: [] };
  // The lowest port that speaks HTTP gets the name as soon as every port below it has answered:
  // a higher port still being probed gets its `P.` name when it answers.
  const results = probes ?? new Map<number, ProbeResult>();
  const main = ports.find((p) => results.get(p)?.answer === 'http');
  const blocking = ports.filter((p) => !results.has(p) && (main === undefined || p < main));
  if (blocking.length) return { reason: `Finding which of ports ${ports.join(', ')} speaks HTTP…`, pending: true };
  const silent = ports.filter((p) => results.has(p) && results.get(p)!.answer !== 'http');
  const said = silent.map((p) => `${p} ${results.get(p)!.detail}`).join('; ');
  if (main === undefined) {
    const retrying = silent.some((p) => !results.get(p)!.final);
    return {
      reason: `No automatic name${retrying ? ' yet' : ''}: no port answers HTTP (${said})${retrying ? '; asking again while the container starts' : ''}. Pick one with the label container-https.port=PORT.`,
    };
  }
  const others = ports.filter((p) => p !== main && results.get(p)?.answer === 'http');
  const pick: Pick = { port: main, from: 'probe', others };
  if (silent.length) pick.note = `Not HTTP, so not named: ${said}.`;
  return pick;
}

/**
 * The automatic routes of every container the mode covers. Older containers (by creation time,
 * then name) keep a name two of them want; the other is reported. A host that a label or file
 * router serves is left to that router.
 */
export function deriveAutoRoutes(
  containers: ModeledContainer[],
  probes: ProbeResults,
  opts: AutoDomainOptions,
): AutoRoutes {
  const out: AutoRoutes = { records: [], domains: new Map(), problems: new Map(), upcoming: [] };
  const problem = (name: string, line: string) => out.problems.set(name, [...(out.problems.get(name) ?? []), line]);
  /** Per host: the container that has it, and its record (replicas add their servers to it). */
  const owner = new Map<string, { c: ModeledContainer; record: RouteRecord }>();
  const upcoming = (host: string) => {
    if (!opts.claimed.has(host) && opts.permits(host) && !out.upcoming.includes(host)) out.upcoming.push(host);
  };
  const sorted = [...containers].sort((a, b) => a.created - b.created || a.info.name.localeCompare(b.info.name));
  for (const c of sorted) {
    const { info } = c;
    const named = autoName(c, opts.mode, opts.suffix);
    const ownHost = info.labels['container-https.host'] !== undefined;
    if (!named || 'reason' in named) {
      if (named) out.domains.set(info.name, { reason: named.reason });
      if (c.routing.port && !ownHost && !c.routing.optOut)
        problem(
          info.name,
          `container-https.port=${c.routing.port} without container-https.host does nothing here: ${named ? named.reason : `the container gets no automatic name (serve --auto-domains is ${opts.mode}${opts.mode === 'compose' ? ' and it is not part of a compose project' : ''})`}.`,
        );
      continue;
    }
    // A created container whose port is known without a probe is routed already, as a label
    // route is: `docker start` then only changes its state, and the name answers at once.
    const early = info.state === 'created' && (!!c.routing.port || candidatePorts(c, opts.publishedOnly).length === 1);
    if (info.state !== 'running' && !early) {
      out.domains.set(info.name, { reason: `No automatic name while the container is ${info.state}.` });
      if (info.state === 'created' || info.state === 'restarting') upcoming(named.host);
      continue;
    }
    const base = named.host;
    const picked = pickPorts(c, probes.get(info.id), opts.publishedOnly);
    if ('reason' in picked) {
      const domain: AutoDomain = { reason: picked.reason };
      if (picked.pending) {
        domain.pending = true;
        upcoming(base);
      }
      out.domains.set(info.name, domain);
      continue;
    }
    const domain: AutoDomain = {};
    const notes: string[] = [];
    const take = (host: string, port: number): boolean => {
      if (!isRfc1123Name(host)) {
        notes.push(`${host} is longer than a DNS name may be.`);
        return false;
      }
      const router = opts.claimed.get(host);
      if (router) {
        notes.push(`${host} is served by ${router} instead.`);
        return false;
      }
      if (!opts.permits(host)) {
        notes.push(`${host} is outside the local CA's names.`);
        return false;
      }
      const target = `container:${info.name}:${port}`;
      const taken = owner.get(host);
      if (taken && areReplicas(taken.c, c)) {
        // Replicas of one compose service (`docker compose up --scale web=3`) share its name, round robin.
        taken.record.servers = [...(taken.record.servers ?? [taken.record.target]), target];
        return true;
      }
      if (taken) {
        const line = `${host} is already the automatic name of container ${taken.c.info.name} (the older one keeps it): no automatic name here. Rename a service, or give this container a name with container-https.host.`;
        problem(info.name, line);
        notes.push(`${host} belongs to container ${taken.c.info.name}, which is older.`);
        return false;
      }
      const record: RouteRecord = {
        host,
        target,
        tls: 'local',
        source: 'auto',
        container: info.name,
        createdAt: new Date(c.created * 1000).toISOString(),
      };
      owner.set(host, { c, record });
      out.records.push(record);
      return true;
    };
    if (take(base, picked.port)) {
      domain.host = base;
      domain.port = picked.port;
      domain.portFrom = picked.from;
    }
    for (const port of picked.others) {
      const host = `${port}.${base}`;
      if (take(host, port)) (domain.others ??= []).push({ host, port });
    }
    if (picked.note) notes.push(picked.note);
    if (notes.length) domain.reason = notes.join(' ');
    out.domains.set(info.name, domain);
  }
  return out;
}

/**
 * Two containers of one compose service that Compose numbered apart (`--scale`): not a one-off
 * `docker compose run` container, which keeps being reported like any other second claimant.
 */
function areReplicas(a: ModeledContainer, b: ModeledContainer): boolean {
  const ca = a.info.compose;
  const cb = b.info.compose;
  if (!ca || !cb || ca.project !== cb.project || ca.service !== cb.service) return false;
  const number = (c: ModeledContainer) =>
    c.info.labels['com.docker.compose.oneoff']?.toLowerCase() === 'true'
      ? undefined
      : c.info.labels['com.docker.compose.container-number'];
  const na = number(a);
  const nb = number(b);
  return na !== undefined && nb !== undefined && na !== nb;
}
