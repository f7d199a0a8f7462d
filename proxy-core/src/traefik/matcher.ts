import { errorMessage } from '../errors';
import { ipChecker } from './clientIp';
import { compileRe2 } from './re2';
import { RuleNode, parseRule, printRule } from './rules';

/**
 * Traefik's router rules compiled to request predicates, v3 syntax (the default) or v2's when a
 * router sets ruleSyntax=v2. Everything is checked and compiled up front (regexps included), so
 * matching only reads the request. docs/architecture.md ("Router rules") lists what is supported.
 * Not used by the proxy yet: routes still match by host (route table, traefik/rules.ts hostsOfRule).
 */

export type RuleSyntax = 'v3' | 'v2';

/** What a rule can look at; plain data so that matching needs no node request object. */
export interface MatchRequest {
  /** Lower case, without the port. */
  host: string;
  /** Already cleaned; percent-decoded except reserved characters, as Traefik's routing path. */
  path: string;
  method: string;
  /** Lower-case names; an array when the header came several times. */
  headers: Record<string, string | string[] | undefined>;
  query: URLSearchParams;
  /** The connection's remote address (Traefik's ClientIP ignores X-Forwarded-For). */
  clientIp: string;
}

export type Match = (req: MatchRequest) => boolean;

export type CompiledRule =
  | {
      ok: true;
      match: Match;
      /**
       * The hosts a matching request must have (lower case, no trailing dot), for indexing
       * routers by host; undefined when the rule does not fix them (HostRegexp, wildcards,
       * `Host(a) || Path(/x)`, a negation). `[]` means no host can match (`Host(a) && Host(b)`).
       */
      hosts: string[] | undefined;
    }
  | { ok: false; reason: string };

export interface CompileOptions {
  syntax?: RuleSyntax;
}

interface Built {
  match: Match;
  hosts?: string[];
}

type Builder = (args: string[]) => Built;

interface MatcherDef {
  /** Allowed numbers of values; undefined: one or more (v2). */
  arity?: number[];
  usage: string;
  build: Builder;
}

class RuleError extends Error {}

function fail(what: string): never {
  throw new RuleError(what);
}

const always: Match = () => true;

export function compileRule(text: string, options: CompileOptions = {}): CompiledRule {
  const syntax = options.syntax ?? 'v3';
  let node: RuleNode;
  try {
    node = parseRule(text, { exact: true });
  } catch (err) {
    return {
      ok: false,
      reason: `rule ${JSON.stringify(text)} cannot be parsed (${errorMessage(err)}); write matchers like Host(\`example.com\`) joined by &&, || and !`,
    };
  }
  try {
    const built = build(node, syntax === 'v2' ? V2 : V3, syntax);
    return { ok: true, match: built.match, hosts: built.hosts };
  } catch (err) {
    if (err instanceof RuleError) return { ok: false, reason: err.message };
    throw err;
  }
}

function build(node: RuleNode, defs: Map<string, MatcherDef>, syntax: RuleSyntax): Built {
  if (node.kind === 'not') {
    const inner = build(node.item, defs, syntax).match;
    return { match: (req) => !inner(req) };
  }
  if (node.kind === 'and' || node.kind === 'or') {
    const items = node.items.map((n) => build(n, defs, syntax));
    const ms = items.map((b) => b.match);
    return node.kind === 'and'
      ? { match: all(ms), hosts: intersect(items.map((b) => b.hosts)) }
      : { match: any(ms), hosts: union(items.map((b) => b.hosts)) };
  }
  const call = printRule(node);
  const def = defs.get(node.name);
  if (!def) fail(unknownMatcher(node.name, syntax));
  if (!node.args.length) fail(`${call} has no value; ${def.usage}`);
  if (node.args.some((a) => a === '')) fail(`${call} has an empty value; ${def.usage}`);
  if (def.arity && !def.arity.includes(node.args.length)) {
    if (syntax === 'v3' && def.arity.join() === '1' && V2.has(node.name)) {
      const alternatives = node.args.map((a) => printRule({ kind: 'call', name: node.name, args: [a] })).join(' || ');
      fail(`v3 matchers take one value: ${call} is v2 syntax; write ${alternatives} or set ruleSyntax=v2`);
    }
    fail(`${call} takes ${def.arity.join(' or ')} value(s), not ${node.args.length}; ${def.usage}`);
  }
  try {
    return def.build(node.args);
  } catch (err) {
    if (err instanceof RuleError) fail(`${call}: ${err.message}`);
    throw err;
  }
}

function all(ms: Match[]): Match {
  if (ms.length === 2) {
    const [a, b] = ms;
    return (req) => a(req) && b(req);
  }
  return (req) => {
    for (let i = 0; i < ms.length; i++) if (!ms[i](req)) return false;
    return true;
  };
}

function any(ms: Match[]): Match {
  if (ms.length === 2) {
    const [a, b] = ms;
    return (req) => a(req) || b(req);
  }
  return (req) => {
    for (let i = 0; i < ms.length; i++) if (ms[i](req)) return true;
    return false;
  };
}

/** `&&`: the items that fix hosts narrow each other; the others do not widen them. */
function intersect(lists: Array<string[] | undefined>): string[] | undefined {
  const fixed = lists.filter((l): l is string[] => l !== undefined);
  if (!fixed.length) return undefined;
  return fixed.reduce((acc, l) => acc.filter((h) => l.includes(h)));
}

/** `||`: fixed only when every branch is. */
function union(lists: Array<string[] | undefined>): string[] | undefined {
  if (lists.some((l) => l === undefined)) return undefined;
  return [...new Set((lists as string[][]).flat())];
}

function unknownMatcher(name: string, syntax: RuleSyntax): string {
  if (syntax === 'v3' && V2.has(name)) return `${name} is v2 syntax; ${V2_IN_V3[canonical(name)]} or set ruleSyntax=v2`;
  if (syntax === 'v2' && V3.has(name))
    return `${name} is v3 syntax and this router sets ruleSyntax=v2; write ${V3_IN_V2[canonical(name)]} or drop ruleSyntax=v2`;
  const names = new Set([...(syntax === 'v3' ? V3 : V2).keys()].map(canonical));
  return `unknown matcher ${name}; ${syntax} has ${[...names].join(', ')}`;
}

/** What v3 writes for the v2-only matchers, for the error that names them. */
const V2_IN_V3: Record<string, string> = {
  Headers: 'in v3 write Header(`name`, `value`)',
  HeadersRegexp: 'in v3 write HeaderRegexp(`name`, `regexp`)',
  HostHeader: 'in v3 write Host(`example.com`)',
};
const V3_IN_V2: Record<string, string> = {
  Header: 'Headers(`name`, `value`)',
  HeaderRegexp: 'HeadersRegexp(`name`, `regexp`)',
  PathRegexp: 'Path(`/{name:regexp}`)',
  QueryRegexp: 'Query(`key={name:regexp}`)',
};

const canonicalNames = new Map<string, string>();
function canonical(name: string): string {
  return canonicalNames.get(name) ?? name;
}

/**
 * Traefik accepts each matcher name as written, in lower case, upper case and capitalised
 * (pkg/rules in Traefik: `Host`, `host`, `HOST`, `Host`; `HostRegexp`, `hostregexp`,
 * `HOSTREGEXP`, `Hostregexp`), nothing else.
 */
function table(defs: Record<string, MatcherDef>): Map<string, MatcherDef> {
  const map = new Map<string, MatcherDef>();
  for (const [name, def] of Object.entries(defs)) {
    const lower = name.toLowerCase();
    for (const variant of [name, lower, name.toUpperCase(), lower[0].toUpperCase() + lower.slice(1)]) {
      map.set(variant, def);
      canonicalNames.set(variant, name);
    }
  }
  return map;
}

// ---- values ----------------------------------------------------------------------------------

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function regexp(source: string): RegExp {
  const re = compileRe2(source);
  if (!re.ok) fail(re.reason);
  return re.regex;
}

function path(value: string): string {
  if (!value.startsWith('/')) fail(`the path "${value}" does not start with "/"; write /${value}`);
  return value;
}

/** Whether a header has a value that passes `test`. */
function header(name: string, test: (value: string) => boolean): Match {
  return (req) => {
    const v = req.headers[name];
    if (v === undefined) return false;
    if (typeof v === 'string') return test(v);
    for (let i = 0; i < v.length; i++) if (test(v[i])) return true;
    return false;
  };
}

function clientIp(values: string[]): Built {
  const checker = ipChecker(values);
  if (!checker.ok) fail(checker.reason);
  const contains = checker.contains;
  return { match: (req) => contains(req.clientIp) };
}

/** Host(`example.com`), Host(`*.example.com`) (one label), Host(`*`) (any host). */
function hostExpression(expr: string): Built {
  if (expr === '*') return { match: always };
  if (!isAscii(expr)) fail('non-ASCII host names are not allowed; write the punycode form (xn--…)');
  const e = expr.toLowerCase();
  const bare = e.endsWith('.') ? e.slice(0, -1) : e;
  const test = (host: string) =>
    domainMatches(host, e) ||
    (bare !== e && domainMatches(host, bare)) ||
    (host.endsWith('.') && domainMatches(host.slice(0, -1), e));
  return { match: (req) => test(req.host), hosts: e.startsWith('*') ? undefined : [bare] };
}

/** A `*` first replaces the host's first label, as Traefik's DomainMatchHostExpression. */
function domainMatches(host: string, expr: string): boolean {
  if (expr[0] !== '*') return host === expr;
  const dot = host.indexOf('.');
  if (dot === -1) return expr.length === 1;
  return host.length - dot === expr.length - 1 && host.endsWith(expr.slice(1));
}

// ---- v3 (Traefik's pkg/muxer/http/matcher.go) ------------------------------------------------

const V3 = table({
  Host: { arity: [1], usage: 'write Host(`example.com`)', build: ([h]) => hostExpression(h) },
  HostRegexp: {
    arity: [1],
    usage: 'write HostRegexp(`^[a-z]+\\.example\\.com$`)',
    build: ([source]) => {
      if (!isAscii(source)) fail('non-ASCII characters are not allowed; write the punycode form (xn--…)');
      const re = regexp(source);
      return { match: (req) => re.test(req.host) };
    },
  },
  Path: {
    arity: [1],
    usage: 'write Path(`/exact/path`)',
    build: ([value]) => {
      const p = path(value);
      return { match: (req) => req.path === p };
    },
  },
  PathPrefix: {
    arity: [1],
    usage: 'write PathPrefix(`/api`)',
    build: ([value]) => {
      // A plain string prefix: `/api` also takes `/apix`, as in Traefik; write `/api/` for the folder.
      const p = path(value);
      return { match: (req) => req.path.startsWith(p) };
    },
  },
  PathRegexp: {
    arity: [1],
    usage: 'write PathRegexp(`^/api/v[0-9]+/`)',
    build: ([source]) => {
      const re = regexp(source);
      return { match: (req) => re.test(req.path) };
    },
  },
  Method: {
    arity: [1],
    usage: 'write Method(`GET`)',
    build: ([value]) => {
      // The rule's value is upper-cased; the request's method is compared as sent (methods are case-sensitive).
      const m = value.toUpperCase();
      return { match: (req) => req.method === m };
    },
  },
  Header: {
    arity: [2],
    usage: 'write Header(`X-Name`, `value`)',
    build: ([name, value]) => ({ match: header(name.toLowerCase(), (v) => v === value) }),
  },
  HeaderRegexp: {
    arity: [2],
    usage: 'write HeaderRegexp(`X-Name`, `^value-[0-9]+$`)',
    build: ([name, source]) => {
      const re = regexp(source);
      return { match: header(name.toLowerCase(), (v) => re.test(v)) };
    },
  },
  Query: {
    arity: [1, 2],
    usage: 'write Query(`key`, `value`) or Query(`key`) for a value-less ?key',
    build: ([key, value = '']) => ({ match: (req) => req.query.getAll(key).includes(value) }),
  },
  QueryRegexp: {
    arity: [1, 2],
    usage: 'write QueryRegexp(`key`, `^[0-9]+$`)',
    build: ([key, source]) => {
      if (source === undefined) return { match: (req) => req.query.getAll(key).includes('') };
      const re = regexp(source);
      const test = (v: string) => re.test(v);
      return { match: (req) => req.query.getAll(key).some(test) };
    },
  },
  ClientIP: { arity: [1], usage: 'write ClientIP(`10.0.0.0/8`)', build: clientIp },
});

// ---- v2 (Traefik's pkg/muxer/http/matcher_v2.go, on gorilla/mux) ------------------------------

type TemplateKind = 'host' | 'path' | 'prefix' | 'query';

const GO_META = /[\\.+*?()|[\]{}^$]/g;

/**
 * A gorilla/mux template (`{sub}.example.com`, `/users/{id:[0-9]+}`) as one regexp: `{name}`
 * takes one label (host), one segment (path) or anything (query value), `{name:re}` takes `re`;
 * the rest is literal. Anchored at both ends, except a prefix at its start only.
 */
function template(tpl: string, kind: TemplateKind): RegExp {
  const fallback = kind === 'host' ? '[^.]+' : kind === 'query' ? '.*' : '[^/]+';
  let pattern = '^';
  let level = 0;
  let start = 0;
  let literalFrom = 0;
  for (let i = 0; i < tpl.length; i++) {
    if (tpl[i] === '{') {
      if (level++ === 0) start = i;
    } else if (tpl[i] === '}') {
      if (--level < 0) fail(`unbalanced braces in "${tpl}"`);
      if (level === 0) {
        const param = tpl.slice(start + 1, i);
        const colon = param.indexOf(':');
        const name = colon === -1 ? param : param.slice(0, colon);
        const patt = colon === -1 ? fallback : param.slice(colon + 1);
        if (!name || !patt) fail(`missing name or pattern in "{${param}}"; write {name} or {name:regexp}`);
        const inner = compileRe2(patt);
        if (!inner.ok) fail(inner.reason);
        if (inner.groups) fail(`{${param}} has a capturing group; use (?:…) in placeholders`);
        pattern += tpl.slice(literalFrom, start).replace(GO_META, '\\$&') + `(?:${patt})`;
        literalFrom = i + 1;
      }
    }
  }
  if (level !== 0) fail(`unbalanced braces in "${tpl}"`);
  pattern += tpl.slice(literalFrom).replace(GO_META, '\\$&');
  if (kind === 'query' && tpl === '') pattern += fallback;
  if (kind !== 'prefix') pattern += '$';
  return regexp(pattern);
}

function anyOf(res: RegExp[], read: (req: MatchRequest) => string): Match {
  if (res.length === 1) {
    const [re] = res;
    return (req) => re.test(read(req));
  }
  return (req) => {
    const value = read(req);
    for (let i = 0; i < res.length; i++) if (res[i].test(value)) return true;
    return false;
  };
}

/** Headers(`k`, `v`, `k2`, `v2`): name and value pairs, all required. */
function pairs(args: string[], usage: string): Array<[string, string]> {
  if (args.length % 2) fail(`takes name and value pairs, got ${args.length} value(s); ${usage}`);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < args.length; i += 2) out.push([args[i].toLowerCase(), args[i + 1]]);
  return out;
}

function v2Host(hosts: string[]): Built {
  for (const h of hosts) if (!isAscii(h)) fail('non-ASCII host names are not allowed; write the punycode form (xn--…)');
  const names = hosts.map((h) => h.toLowerCase());
  const bare = names.map((h) => (h.endsWith('.') ? h.slice(0, -1) : h));
  return {
    match: (req) => {
      const host = req.host;
      const hostBare = host.endsWith('.') ? host.slice(0, -1) : host;
      for (let i = 0; i < names.length; i++)
        if (host === names[i] || host === bare[i] || hostBare === names[i]) return true;
      return false;
    },
    hosts: [...new Set(bare)],
  };
}

const V2 = table({
  Host: { usage: 'write Host(`a.example.com`, `b.example.com`)', build: v2Host },
  HostHeader: { usage: 'write HostHeader(`example.com`)', build: v2Host },
  HostRegexp: {
    usage: 'write HostRegexp(`{sub:[a-z]+}.example.com`)',
    build: (tpls) => {
      for (const t of tpls)
        if (!isAscii(t)) fail('non-ASCII characters are not allowed; write the punycode form (xn--…)');
      return {
        match: anyOf(
          tpls.map((t) => template(t, 'host')),
          (req) => req.host,
        ),
      };
    },
  },
  Path: {
    usage: 'write Path(`/users/{id:[0-9]+}`)',
    build: (tpls) => ({
      match: anyOf(
        tpls.map((t) => template(path(t), 'path')),
        (req) => req.path,
      ),
    }),
  },
  PathPrefix: {
    usage: 'write PathPrefix(`/api`, `/v2/{org}/`)',
    build: (tpls) => ({
      match: anyOf(
        tpls.map((t) => template(path(t), 'prefix')),
        (req) => req.path,
      ),
    }),
  },
  Method: {
    usage: 'write Method(`GET`, `POST`)',
    build: (methods) => {
      const ms = methods.map((m) => m.toUpperCase());
      return { match: (req) => ms.includes(req.method) };
    },
  },
  Headers: {
    usage: 'write Headers(`X-Name`, `value`)',
    build: (args) => {
      const ps = pairs(args, 'write Headers(`X-Name`, `value`)');
      return { match: all(ps.map(([name, value]) => header(name, (v) => v === value))) };
    },
  },
  HeadersRegexp: {
    usage: 'write HeadersRegexp(`X-Name`, `^value-[0-9]+$`)',
    build: (args) => {
      const ps = pairs(args, 'write HeadersRegexp(`X-Name`, `regexp`)');
      return {
        match: all(
          ps.map(([name, source]) => {
            const re = regexp(source);
            return header(name, (v) => re.test(v));
          }),
        ),
      };
    },
  },
  Query: {
    usage: 'write Query(`key=value`) or Query(`key={id:[0-9]+}`)',
    build: (args) => {
      const checks = args.map((arg): Match => {
        const eq = arg.indexOf('=');
        // Traefik pairs up `=`-less values (Query(`a`, `b`) means a=b); that is surely a slip, so it is refused.
        if (eq <= 0)
          fail(
            `"${arg}" is not key=value; write Query(\`${eq === 0 ? 'key' : arg}=value\`), or Query(\`${arg}=\`) for any value`,
          );
        const key = arg.slice(0, eq);
        const re = template(arg.slice(eq + 1), 'query');
        // The first value of the key, as gorilla/mux; a key without a value reads as "".
        return (req) => {
          const v = req.query.get(key);
          return v !== null && re.test(v);
        };
      });
      return { match: all(checks) };
    },
  },
  ClientIP: { usage: 'write ClientIP(`10.0.0.0/8`, `::1`)', build: clientIp },
});
