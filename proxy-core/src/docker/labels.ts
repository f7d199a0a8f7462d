import { errorMessage } from '../errors';
import { normalizeHost } from '../routes/hostName';

/**
 * The one place that reads routing labels off a container: Traefik v1, Traefik v2/v3 and our
 * own `container-https.*`. It only produces data (hosts, ports, problems); the label source
 * turns that into route records. Anything it does not understand becomes a problem, never a
 * guess: a rule with a path matcher is not routed as the whole host.
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
  routes: LabelRoute[];
  problems: string[];
  /** The network to reach the container on (traefik.docker.network, container-https.network). */
  network?: string;
}

const OWN = 'container-https.';
const TRUE = /^(true|1|yes)$/i;
const FALSE = /^(false|0|no)$/i;

export function parseRouteLabels(labels: Record<string, string> | undefined | null): LabelParse {
  const all = labels ?? {};
  const out: LabelParse = { routes: [], problems: [] };
  const own = pick(all, OWN);
  if (own.enable !== undefined && FALSE.test(own.enable)) return out;

  const network = own.network || all['traefik.docker.network'];
  if (network) out.network = network;

  parseOwn(own, out);

  const traefikKeys = Object.keys(all).filter((k) => k.startsWith('traefik.') && k !== 'traefik.enable');
  const enable = all['traefik.enable'];
  if (traefikKeys.length && enable === undefined) {
    if (traefikKeys.some((k) => /^traefik\.(http\.routers|frontend\.rule|[^.]+\.frontend\.rule)/.test(k))) {
      out.problems.push('Traefik labels ignored: add traefik.enable=true (routing from labels is opt-in, as in Traefik with exposedByDefault=false).');
    }
  } else if (enable !== undefined && TRUE.test(enable)) {
    const before = out.problems.length;
    parseTraefikV2(all, out);
    parseTraefikV1(all, out);
    if (!out.routes.some((r) => r.origin.startsWith('traefik')) && out.problems.length === before) {
      out.problems.push('traefik.enable=true but no router rule: Traefik would apply its default rule, which is not used here. Add traefik.http.routers.NAME.rule=Host(`app.localhost`) or container-https.host.');
    }
  } else if (enable !== undefined && !FALSE.test(enable)) {
    out.problems.push(`traefik.enable="${enable}" is neither true nor false: Traefik labels ignored.`);
  }
  dedupe(out);
  return out;
}

/** Keys under a prefix, with the prefix removed. */
function pick(labels: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = String(v ?? '').trim();
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
    if (!['host', 'port', 'tls', 'network', 'enable'].includes(key)) out.problems.push(`Unknown label container-https.${key}: known are container-https.host, .port, .tls, .network and .enable.`);
  }
  if (own.host === undefined) {
    if (own.port !== undefined || own.tls !== undefined) out.problems.push('container-https.port/.tls given without container-https.host: nothing to route.');
    return;
  }
  const port = parsePort(own.port, 'container-https.port', out);
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

function parseTraefikV2(all: Record<string, string>, out: LabelParse): void {
  const routers = new Map<string, Record<string, string>>();
  const services = new Map<string, Record<string, string>>();
  let tcpUdp = false;
  for (const [key, value] of Object.entries(all)) {
    const m = /^traefik\.http\.(routers|services)\.([^.]+)\.(.+)$/.exec(key);
    if (m) {
      const group = m[1] === 'routers' ? routers : services;
      if (!group.has(m[2])) group.set(m[2], {});
      group.get(m[2])![m[3].toLowerCase()] = String(value ?? '').trim();
    } else if (/^traefik\.(tcp|udp)\./.test(key)) {
      tcpUdp = true;
    }
  }
  if (tcpUdp) out.problems.push('Traefik TCP/UDP routers are not routed by the local HTTPS proxy (only traefik.http.* routers are).');

  const servicePort = new Map<string, number | null>();
  for (const [name, keys] of services) {
    const scheme = keys['loadbalancer.server.scheme'];
    if (scheme && scheme.toLowerCase() !== 'http') {
      out.problems.push(`Traefik service "${name}" uses scheme ${scheme}, which container targets do not support (plain HTTP only): its routers are not routed.`);
      servicePort.set(name, null);
      continue;
    }
    const port = parsePort(keys['loadbalancer.server.port'], `traefik.http.services.${name}.loadbalancer.server.port`, out);
    servicePort.set(name, port === null ? null : (port ?? undefined) as number);
  }

  for (const [name, keys] of [...routers].sort(([a], [b]) => a.localeCompare(b))) {
    const origin = `traefik router "${name}"`;
    const rule = keys.rule;
    if (!rule) {
      out.problems.push(`${origin} has no rule: Traefik's default rule is not applied here; add traefik.http.routers.${name}.rule=Host(\`...\`).`);
      continue;
    }
    const hosts = hostsOfRule(rule);
    if (typeof hosts === 'string') {
      out.problems.push(`${origin}: rule ${JSON.stringify(rule)} ${hosts}: not routed.`);
      continue;
    }
    let port: number | undefined;
    const service = keys.service;
    if (service) {
      if (!servicePort.has(service)) {
        out.problems.push(`${origin} names service "${service}", which these labels do not define: not routed.`);
        continue;
      }
      const p = servicePort.get(service);
      if (p === null) continue;
      port = p;
    } else if (services.size === 1) {
      const p = [...servicePort.values()][0];
      if (p === null) continue;
      port = p;
    } else if (services.size > 1) {
      out.problems.push(`${origin} names no service and the labels define ${services.size} (${[...services.keys()].join(', ')}): add traefik.http.routers.${name}.service.`);
      continue;
    }
    addHosts(hosts, { port, origin }, out);
  }
}

type Node = { kind: 'call'; name: string; args: string[] } | { kind: 'or'; items: Node[] } | { kind: 'and'; items: Node[] } | { kind: 'not'; item: Node };

/**
 * Host names of a v2/v3 rule when it is a pure disjunction of Host matchers
 * (`Host(`a`) || Host(`b`)`, v2's `Host(`a`,`b`)`); otherwise why not, as text.
 */
export function hostsOfRule(rule: string): string[] | string {
  let node: Node;
  try {
    node = new RuleParser(rule).parse();
  } catch (err) {
    return `cannot be parsed (${errorMessage(err)})`;
  }
  const hosts: string[] = [];
  const visit = (n: Node): string | undefined => {
    if (n.kind === 'or') {
      for (const item of n.items) {
        const why = visit(item);
        if (why) return why;
      }
      return undefined;
    }
    if (n.kind === 'and') return `combines matchers with && (${describe(n)}); routes here match by host only`;
    if (n.kind === 'not') return 'negates a matcher with !; routes here match by host only';
    if (n.name.toLowerCase() !== 'host') return `uses ${n.name}, which the local proxy does not route by (only Host)`;
    if (!n.args.length) return 'has Host() without a name';
    hosts.push(...n.args);
    return undefined;
  };
  const why = visit(node);
  return why ?? hosts;
}

function describe(n: Node): string {
  if (n.kind === 'call') return n.name;
  if (n.kind === 'not') return `!${describe(n.item)}`;
  return n.items.map(describe).join(n.kind === 'and' ? ' && ' : ' || ');
}

class RuleParser {
  private readonly tokens: string[];
  private i = 0;

  constructor(text: string) {
    this.tokens = tokenize(text);
  }

  parse(): Node {
    const node = this.or();
    if (this.i < this.tokens.length) throw new Error(`unexpected "${this.tokens[this.i]}"`);
    return node;
  }

  private or(): Node {
    const items = [this.and()];
    while (this.peek() === '||') {
      this.i++;
      items.push(this.and());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private and(): Node {
    const items = [this.unary()];
    while (this.peek() === '&&') {
      this.i++;
      items.push(this.unary());
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private unary(): Node {
    const t = this.next();
    if (t === '!') return { kind: 'not', item: this.unary() };
    if (t === '(') {
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (!t || !/^[A-Za-z][A-Za-z0-9]*$/.test(t)) throw new Error(t ? `unexpected "${t}"` : 'unexpected end');
    this.expect('(');
    const args: string[] = [];
    if (this.peek() !== ')') {
      for (;;) {
        const arg = this.next();
        if (!arg || !/^[`"]/.test(arg)) throw new Error(`${t}() expects quoted arguments`);
        args.push(arg.slice(1, -1).trim());
        if (this.peek() === ',') {
          this.i++;
          continue;
        }
        break;
      }
    }
    this.expect(')');
    return { kind: 'call', name: t, args };
  }

  private peek(): string | undefined {
    return this.tokens[this.i];
  }

  private next(): string | undefined {
    return this.tokens[this.i++];
  }

  private expect(t: string): void {
    const got = this.next();
    if (got !== t) throw new Error(got ? `expected "${t}", found "${got}"` : `expected "${t}"`);
  }
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '`' || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end === -1) throw new Error(`unterminated ${c}`);
      tokens.push(text.slice(i, end + 1));
      i = end + 1;
    } else if (text.startsWith('||', i) || text.startsWith('&&', i)) {
      tokens.push(text.slice(i, i + 2));
      i += 2;
    } else if ('()!,'.includes(c)) {
      tokens.push(c);
      i++;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(text.slice(i));
      if (!m) throw new Error(`unexpected "${c}"`);
      tokens.push(m[0]);
      i += m[0].length;
    }
  }
  return tokens;
}

// ---- Traefik v1 ----------------------------------------------------------------------------

const V2_OR_GLOBAL = new Set(['http', 'tcp', 'udp', 'docker', 'frontend', 'backend', 'enable', 'port', 'protocol', 'weight', 'tags', 'domain']);

function parseTraefikV1(all: Record<string, string>, out: LabelParse): void {
  // The unnamed frontend (traefik.frontend.rule, traefik.port) and named segments
  // (traefik.<segment>.frontend.rule, traefik.<segment>.port).
  const segments = new Map<string, { rule?: string; port?: string; protocol?: string }>();
  const seg = (name: string) => {
    if (!segments.has(name)) segments.set(name, {});
    return segments.get(name)!;
  };
  for (const [key, raw] of Object.entries(all)) {
    const value = String(raw ?? '').trim();
    if (key === 'traefik.frontend.rule') seg('').rule = value;
    else if (key === 'traefik.port') seg('').port = value;
    else if (key === 'traefik.protocol') seg('').protocol = value;
    else {
      const m = /^traefik\.([^.]+)\.(frontend\.rule|port|protocol)$/.exec(key);
      if (m && !V2_OR_GLOBAL.has(m[1])) {
        const s = seg(m[1]);
        if (m[2] === 'frontend.rule') s.rule = value;
        else if (m[2] === 'port') s.port = value;
        else s.protocol = value;
      }
    }
  }
  const backend = all['traefik.backend'];
  for (const [name, s] of [...segments].sort(([a], [b]) => a.localeCompare(b))) {
    const origin = name ? `traefik v1 segment "${name}"` : `traefik v1 frontend${backend ? ` (backend ${backend})` : ''}`;
    const prefix = name ? `traefik.${name}.` : 'traefik.';
    if (!s.rule) {
      // traefik.port alone only picks the port of a v2 router (or a default rule we don't apply).
      if (name) out.problems.push(`${origin} has a port but no ${prefix}frontend.rule: not routed.`);
      continue;
    }
    if (s.protocol && s.protocol.toLowerCase() !== 'http') {
      out.problems.push(`${origin} uses ${prefix}protocol=${s.protocol}; container targets are plain HTTP: not routed.`);
      continue;
    }
    const port = parsePort(s.port, `${prefix}port`, out);
    if (port === null) continue;
    const hosts = hostsOfV1Rule(s.rule);
    if (typeof hosts === 'string') {
      out.problems.push(`${origin}: rule ${JSON.stringify(s.rule)} ${hosts}: not routed.`);
      continue;
    }
    addHosts(hosts, { port, origin }, out);
  }
}

/** `Host:a,b` — with `;` joining matchers in v1; anything but a lone Host matcher is reported. */
export function hostsOfV1Rule(rule: string): string[] | string {
  const parts = rule.split(';').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) return 'is empty';
  const hosts: string[] = [];
  for (const part of parts) {
    const m = /^([A-Za-z]+)\s*:\s*(.*)$/.exec(part);
    if (!m) return 'cannot be parsed (expected Matcher:value)';
    if (m[1].toLowerCase() !== 'host') return `uses ${m[1]}, which the local proxy does not route by (only Host)`;
    hosts.push(...m[2].split(',').map((h) => h.trim()).filter(Boolean));
  }
  if (parts.length > 1) return 'has several matchers joined by ";"; routes here match one host rule only';
  if (!hosts.length) return 'has Host: without a name';
  return hosts;
}

/** One route per host: our own labels first, then v2 routers, then v1; later duplicates are reported. */
function dedupe(out: LabelParse): void {
  const rank = (r: LabelRoute) => (r.origin.startsWith('container-https') ? 0 : r.origin.startsWith('traefik router') ? 1 : 2);
  const seen = new Map<string, LabelRoute>();
  for (const r of [...out.routes].sort((a, b) => rank(a) - rank(b))) {
    const first = seen.get(r.host);
    if (!first) {
      seen.set(r.host, r);
    } else if (first.port !== r.port && r.port !== undefined) {
      out.problems.push(`${r.host} is claimed by ${first.origin} (port ${first.port ?? 'auto'}) and ${r.origin} (port ${r.port}): using ${first.origin}.`);
    }
  }
  out.routes = [...seen.values()];
}
