import { errorMessage } from '../../errors';
import { RuleNode, parseRule } from '../../traefik/rules';

/**
 * What a standard Kubernetes Ingress can say of a router rule: hosts, and one path (Prefix or
 * Exact). `Host(a) || Host(b)`, optionally `&& PathPrefix(p)` or `&& Path(p)`, fits; any other
 * matcher (Header, Method, Query, ClientIP, regexps), `!` or a path in an `||` does not.
 */
export type IngressShape =
  { ok: true; hosts: string[]; path: { type: 'Prefix' | 'Exact'; value: string } } | { ok: false; reason: string };

const isCall = (n: RuleNode, ...names: string[]): n is Extract<RuleNode, { kind: 'call' }> =>
  n.kind === 'call' && names.includes(n.name.toLowerCase());

function hostsOf(n: RuleNode): string[] | undefined {
  if (isCall(n, 'host', 'hostheader')) return n.args;
  if (n.kind === 'or' && n.items.every((i) => isCall(i, 'host', 'hostheader')))
    return n.items.flatMap((i) => (i as Extract<RuleNode, { kind: 'call' }>).args);
  return undefined;
}

function pathOf(n: RuleNode): { type: 'Prefix' | 'Exact'; value: string } | undefined {
  // `Path(p) || PathPrefix(p/)` (a user route's path) is exactly what an Ingress Prefix p takes: p and below, not px.
  if (n.kind === 'or' && n.items.length === 2) {
    const [a, b] = n.items;
    if (isCall(a, 'path') && isCall(b, 'pathprefix') && a.args.length === 1 && b.args[0] === `${a.args[0]}/`)
      return { type: 'Prefix', value: a.args[0] };
    return undefined;
  }
  if (!isCall(n, 'pathprefix', 'path') || n.args.length !== 1) return undefined;
  return { type: n.name.toLowerCase() === 'path' ? 'Exact' : 'Prefix', value: n.args[0] };
}

function matchers(n: RuleNode): string[] {
  if (n.kind === 'call') return [n.name];
  if (n.kind === 'not') return ['!', ...matchers(n.item)];
  return n.items.flatMap(matchers);
}

export function ingressShape(rule: string): IngressShape {
  let node: RuleNode;
  try {
    node = parseRule(rule, { exact: true });
  } catch (err) {
    return { ok: false, reason: `its rule cannot be parsed (${errorMessage(err)})` };
  }
  const root = { type: 'Prefix' as const, value: '/' };
  const hosts = hostsOf(node);
  if (hosts) return { ok: true, hosts, path: root };
  const path = pathOf(node);
  if (path) return { ok: true, hosts: [], path };
  if (node.kind === 'and' && node.items.length === 2) {
    for (const [a, b] of [node.items, [...node.items].reverse()]) {
      const h = hostsOf(a);
      const p = pathOf(b);
      if (h && p) return { ok: true, hosts: h, path: p };
    }
  }
  const other = [...new Set(matchers(node).filter((m) => !/^(host|hostheader|path|pathprefix)$/i.test(m)))];
  return {
    ok: false,
    reason: other.length
      ? `its rule uses ${other.join(', ')}, which an Ingress cannot match`
      : 'its rule combines hosts and paths in a way an Ingress cannot say (one set of hosts, one path)',
  };
}
