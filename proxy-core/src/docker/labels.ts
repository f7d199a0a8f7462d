import { errorMessage } from '../errors';
import { normalizeHost } from '../routes/hostName';
import {
  DOCKER_NETWORK,
  ENABLE,
  HTTP_PREFIX,
  ROUTER,
  TRAEFIK_PREFIX,
  V1,
  isRoutingKey,
  isTcpUdpKey,
  parseV1RoutingKey,
  routerKey,
  v1Key,
} from '../traefik/labelKeys';
import type { HttpConfig } from '../traefik/dynamic';
import { decodeLabels } from '../traefik/labelConfig';
import { hostsOfV1Rule, hostsRule } from '../traefik/rules';

/**
 * The one place that reads routing labels off a container: Traefik v1, Traefik v2/v3 and our
 * own `container-https.*`. It only produces data (hosts, ports, decoded Traefik configuration,
 * problems); the label source turns that into route records. Anything it does not understand
 * becomes a problem, never a guess.
 */
export interface LabelRoute {
  host: string;
  /** The container port; undefined lets the resolver pick the single exposed port. */
  port?: number;
  /** Only our own container-https.tls label asks for a certificate kind explicitly. */
  tls?: 'local' | 'acme';
  /** Where it came from, for people: 'container-https.host', 'traefik router "web"', 'traefik v1 frontend'. */
  origin: string;
}

export interface LabelParse {
  /** Routes of our own labels and Traefik v1's (host routes). */
  routes: LabelRoute[];
  /** The traefik.http.* labels (v2/v3), decoded; routers are built across containers. */
  traefik?: HttpConfig;
  problems: string[];
  /** The network to reach the container on (traefik.docker.network, container-https.network). */
  network?: string;
  /**
   * `container-https.port`, when valid: the port of our own host routes and of the container's
   * automatic name (docker/autoDomains.ts), which is why it may stand without a host.
   */
  port?: number;
  /** `container-https.enable=false`: no label of the container is read, and it gets no automatic name. */
  optOut?: true;
}

const OWN = 'container-https.';
const TRUE = /^(true|1|yes)$/i;
const FALSE = /^(false|0|no)$/i;

export function parseRouteLabels(labels: Record<string, string> | undefined | null): LabelParse {
  const all = labels ?? {};
  const out: LabelParse = { routes: [], problems: [] };
  const own = pick(all, OWN);
  if (own.enable !== undefined && FALSE.test(own.enable)) {
    out.optOut = true;
    return out;
  }

  const network = own.network || all[DOCKER_NETWORK];
  if (network) out.network = network;

  parseOwn(own, out);

  const traefikKeys = Object.keys(all).filter((k) => k.startsWith(TRAEFIK_PREFIX) && k !== ENABLE);
  const enable = all[ENABLE];
  if (traefikKeys.length && enable === undefined) {
    if (traefikKeys.some(isRoutingKey)) {
      out.problems.push(
        `Traefik labels ignored: add ${ENABLE}=true (routing from labels is opt-in, as in Traefik with exposedByDefault=false).`,
      );
    }
  } else if (enable !== undefined && TRUE.test(enable)) {
    const before = out.problems.length;
    parseTraefikV2(all, out);
    parseTraefikV1(all, out);
    const routers = Object.keys(out.traefik?.routers ?? {}).length;
    if (!routers && !out.routes.some((r) => r.origin.startsWith('traefik')) && out.problems.length === before) {
      out.problems.push(
        `${ENABLE}=true but no router rule: Traefik would apply its default rule, which is not used here. Add ${routerKey('NAME', ROUTER.rule)}=${hostsRule(['app.localhost'])} or container-https.host.`,
      );
    }
  } else if (enable !== undefined && !FALSE.test(enable)) {
    out.problems.push(`${ENABLE}="${enable}" is neither true nor false: Traefik labels ignored.`);
  }
  dedupe(out);
  return out;
}

/**
 * The network a container's labels ask to be reached on, as written (container-https.network
 * first). The resolver needs it on every proxied request, so the container model reads it once
 * (docker/containerModel.ts).
 */
export function preferredNetworkOf(labels: Record<string, string>): string | undefined {
  return labels[`${OWN}network`] || labels[DOCKER_NETWORK] || undefined;
}

/** Keys under a prefix, with the prefix removed. */
function pick(labels: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels))
    if (k.startsWith(prefix)) out[k.slice(prefix.length)] = String(v ?? '').trim();
  return out;
}

function parsePort(text: string | undefined, what: string, out: LabelParse): number | undefined | null {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    out.problems.push(`${what}="${text}" is not a port number from 1 to 65535.`);
    return null;
  }
  return n;
}

function addHosts(hosts: string[], route: Omit<LabelRoute, 'host'>, out: LabelParse): void {
  for (const raw of hosts) {
    try {
      out.routes.push({ ...route, host: normalizeHost(raw) });
    } catch (err) {
      out.problems.push(`${route.origin}: ${errorMessage(err)}`);
    }
  }
}

function parseOwn(own: Record<string, string>, out: LabelParse): void {
  for (const key of Object.keys(own)) {
    if (!['host', 'port', 'tls', 'network', 'enable'].includes(key))
      out.problems.push(
        `Unknown label container-https.${key}: known are container-https.host, .port, .tls, .network and .enable.`,
      );
  }
  const port = parsePort(own.port, 'container-https.port', out);
  if (port) out.port = port;
  if (own.host === undefined) {
    // The port alone picks the automatic name's port; whether the container gets one is for
    // the automatic names to say (docker/autoDomains.ts), so a port that does nothing is reported there.
    if (own.tls !== undefined)
      out.problems.push('container-https.tls given without container-https.host: nothing to route.');
    return;
  }
  if (port === null) return;
  let tls: 'local' | 'acme' | undefined;
  if (own.tls !== undefined && own.tls !== '') {
    if (own.tls !== 'local' && own.tls !== 'acme') {
      out.problems.push(`container-https.tls="${own.tls}" must be "local" or "acme": not routed.`);
      return;
    }
    tls = own.tls;
  }
  const hosts = own.host.split(/[\s,]+/).filter(Boolean);
  if (!hosts.length) out.problems.push('container-https.host is empty.');
  addHosts(hosts, { port, tls, origin: 'container-https.host' }, out);
}

// ---- Traefik v2/v3 -------------------------------------------------------------------------

/**
 * The `traefik.http.*` labels, decoded as Traefik's Docker provider decodes them; the routers
 * are built across all containers (traefik/routerModel.ts). Traefik drops every label of a
 * container when one cannot be decoded, so a container with a bad label routes nothing here either.
 */
function parseTraefikV2(all: Record<string, string>, out: LabelParse): void {
  if (Object.keys(all).some(isTcpUdpKey))
    out.problems.push(
      `Traefik TCP/UDP routers are not routed by the local HTTPS proxy (only ${HTTP_PREFIX}* routers are).`,
    );
  const decoded = decodeLabels(all);
  if (decoded.problems.length) {
    out.problems.push(
      ...decoded.problems,
      `As Traefik does, none of this container's traefik.http labels are used until the label${decoded.problems.length > 1 ? 's' : ''} above ${decoded.problems.length > 1 ? 'are' : 'is'} fixed.`,
    );
    return;
  }
  out.traefik = decoded.config;
}

// ---- Traefik v1 ----------------------------------------------------------------------------

function parseTraefikV1(all: Record<string, string>, out: LabelParse): void {
  // The unnamed frontend (traefik.frontend.rule, traefik.port) and named segments
  // (traefik.<segment>.frontend.rule, traefik.<segment>.port).
  const segments = new Map<string, { rule?: string; port?: string; protocol?: string }>();
  const seg = (name: string) => {
    if (!segments.has(name)) segments.set(name, {});
    return segments.get(name)!;
  };
  for (const [key, raw] of Object.entries(all)) {
    const m = parseV1RoutingKey(key);
    if (!m) continue;
    const value = String(raw ?? '').trim();
    const s = seg(m.segment);
    if (m.option === V1.frontendRule) s.rule = value;
    else if (m.option === V1.port) s.port = value;
    else s.protocol = value;
  }
  const backend = all[v1Key('', V1.backend)];
  for (const [name, s] of [...segments].sort(([a], [b]) => a.localeCompare(b))) {
    const origin = name
      ? `traefik v1 segment "${name}"`
      : `traefik v1 frontend${backend ? ` (backend ${backend})` : ''}`;
    if (!s.rule) {
      // traefik.port alone only picks the port of a v2 router (or a default rule we don't apply).
      if (name) out.problems.push(`${origin} has a port but no ${v1Key(name, V1.frontendRule)}: not routed.`);
      continue;
    }
    if (s.protocol && s.protocol.toLowerCase() !== 'http') {
      out.problems.push(
        `${origin} uses ${v1Key(name, V1.protocol)}=${s.protocol}; container targets are plain HTTP: not routed.`,
      );
      continue;
    }
    const port = parsePort(s.port, v1Key(name, V1.port), out);
    if (port === null) continue;
    const hosts = hostsOfV1Rule(s.rule);
    if (typeof hosts === 'string') {
      out.problems.push(`${origin}: rule ${JSON.stringify(s.rule)} ${hosts}: not routed.`);
      continue;
    }
    addHosts(hosts, { port, origin }, out);
  }
}

/** One route per host: our own labels first, then v1; later duplicates are reported. */
function dedupe(out: LabelParse): void {
  const rank = (r: LabelRoute) => (r.origin.startsWith('container-https') ? 0 : 1);
  const seen = new Map<string, LabelRoute>();
  for (const r of [...out.routes].sort((a, b) => rank(a) - rank(b))) {
    const first = seen.get(r.host);
    if (!first) {
      seen.set(r.host, r);
    } else if (first.port !== r.port && r.port !== undefined) {
      out.problems.push(
        `${r.host} is claimed by ${first.origin} (port ${first.port ?? 'auto'}) and ${r.origin} (port ${r.port}): using ${first.origin}.`,
      );
    }
  }
  out.routes = [...seen.values()];
}
