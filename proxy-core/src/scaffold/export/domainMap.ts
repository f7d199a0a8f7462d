import { UserError, errorMessage } from '../../errors';
import { hostMatchesSuffix, normalizeHost } from '../../routes/hostName';
import type { RouteRecord } from '../../routes/types';
import { RuleNode, parseRule, printRule } from '../../traefik/rules';
import type { DomainMapping } from './types';

/**
 * Local names to public ones (`--domain-map .localhost=example.com`): routers keep their rules,
 * only the names inside Host matchers change, so paths, methods, headers and priorities carry
 * over exactly as they were tried on the laptop.
 */

const EXAMPLE = '.localhost=example.com';

function hostPart(text: string, entry: string): string {
  try {
    return normalizeHost(text);
  } catch (err) {
    throw new UserError(`--domain-map "${entry}": ${errorMessage(err)}`, 'EUSAGE');
  }
}

/** `.localhost=example.com,api.localhost=api.example.org` → mappings; a bad entry throws, naming it. */
export function parseDomainMap(text: string): DomainMapping[] {
  const mappings: DomainMapping[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1)
      throw new UserError(`--domain-map "${entry}" is not FROM=TO; for example ${EXAMPLE}`, 'EUSAGE');
    const from = entry.slice(0, eq).trim();
    const to = entry.slice(eq + 1).trim();
    const suffix = from.startsWith('.');
    mappings.push({
      from: hostPart(suffix ? from.slice(1) : from, entry),
      to: hostPart(to.replace(/^\./, ''), entry),
      suffix,
    });
  }
  if (!mappings.length) throw new UserError(`--domain-map is empty; for example ${EXAMPLE}`, 'EUSAGE');
  return mappings;
}

/** The longest local-CA suffix a name is under, or undefined for a public name. */
export function localSuffixOf(host: string, localSuffixes: string[]): string | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  return [...localSuffixes].sort((a, b) => b.length - a.length).find((s) => hostMatchesSuffix(h, s));
}

export function isLocalName(host: string, localSuffixes: string[]): boolean {
  return localSuffixOf(host, localSuffixes) !== undefined;
}

/**
 * One host through the mappings: a whole-name mapping first, then the route's declared public
 * name (`publicHost`, for the host it aliases), then the longest matching suffix.
 */
export function mapHost(mappings: DomainMapping[], host: string, alias?: { host: string; publicHost: string }): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  const exact = mappings.find((m) => !m.suffix && m.from === h);
  if (exact) return exact.to;
  if (alias && alias.host.toLowerCase() === h) return alias.publicHost;
  const suffixes = mappings.filter((m) => m.suffix && hostMatchesSuffix(h, m.from));
  suffixes.sort((a, b) => b.from.length - a.from.length);
  const m = suffixes[0];
  if (!m) return host;
  return h === m.from ? m.to : `${h.slice(0, h.length - m.from.length)}${m.to}`;
}

export interface MappedRule {
  /** The rule with its hosts mapped; as written when nothing changed. */
  rule: string;
  /** Every name in the rule's Host matchers, after mapping. */
  hosts: string[];
  /** What could not be mapped (HostRegexp values, a rule that does not parse), one line each. */
  problems: string[];
}

/** Maps the names in a rule's Host (and v2 HostHeader) matchers; everything else stays as written. */
export function mapRule(
  rule: string,
  mappings: DomainMapping[],
  alias?: { host: string; publicHost: string },
): MappedRule {
  let node: RuleNode;
  try {
    // exact: values as Traefik reads them, so a "…" value with escapes prints back the same.
    node = parseRule(rule, { exact: true });
  } catch (err) {
    return { rule, hosts: [], problems: [`its rule cannot be parsed (${errorMessage(err)}); kept as written`] };
  }
  const hosts: string[] = [];
  const problems: string[] = [];
  let changed = false;
  const visit = (n: RuleNode): RuleNode => {
    if (n.kind === 'not') return { kind: 'not', item: visit(n.item) };
    if (n.kind !== 'call') return { kind: n.kind, items: n.items.map(visit) };
    const name = n.name.toLowerCase();
    if (name === 'hostregexp') {
      problems.push(`${n.name}(\`${n.args.join('`, `')}\`) is a regular expression: kept as written, map it by hand`);
      return n;
    }
    if (name !== 'host' && name !== 'hostheader') return n;
    const args = n.args.map((a) => {
      const mapped = mapHost(mappings, a, alias);
      if (mapped !== a) changed = true;
      hosts.push(mapped.toLowerCase());
      return mapped;
    });
    return { ...n, args };
  };
  const mapped = visit(node);
  if (!changed) return { rule, hosts, problems };
  // The printer writes `…` values; a value holding a backtick would read back differently.
  if (JSON.stringify(mapped).includes('`')) {
    problems.push('a value holds a backtick, so the mapped rule cannot be printed: kept as written, map it by hand');
    return { rule, hosts, problems };
  }
  return { rule: printRule(mapped), hosts, problems };
}

/**
 * The mapping to offer first (the editor's default): each local suffix the routes use, to
 * example.com. Routes with a declared public name need none.
 */
export function suggestDomainMap(routes: RouteRecord[], localSuffixes: string[]): string {
  const counts = new Map<string, number>();
  for (const r of routes) {
    if (r.publicHost) continue;
    const suffix = localSuffixOf(r.host, localSuffixes);
    if (suffix) counts.set(suffix, (counts.get(suffix) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([s]) => `.${s}=example.com`)
    .join(',');
}
