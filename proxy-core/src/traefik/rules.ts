import { errorMessage } from '../errors';

/**
 * Traefik's router rules: the v3 grammar (`Host(`a`) || Host(`b`)`, `&&`, `!`, parentheses;
 * v2's several values per matcher are read too), its printer, and v1's `Matcher:value;…` rules
 * with their translation to v3. docker/labels.ts reads rules with these, scaffold/ writes them.
 */

export type RuleNode =
  | { kind: 'call'; name: string; args: string[] }
  | { kind: 'or'; items: RuleNode[] }
  | { kind: 'and'; items: RuleNode[] }
  | { kind: 'not'; item: RuleNode };

export const matcher = (name: string, ...args: string[]): RuleNode => ({ kind: 'call', name, args });

/** One node for several: none of `or`/`and` with a single item, as the parser makes them. */
function group(kind: 'or' | 'and', items: RuleNode[]): RuleNode {
  return items.length === 1 ? items[0] : { kind, items };
}

export interface ParseOptions {
  /**
   * Values exactly as Traefik reads them (traefik/matcher.ts): not trimmed, and `"…"` values
   * with Go's escapes (`\"`, `\\`, `\n`, `\t`, `\r`, `\xNN`, `\uNNNN`) decoded. Without it values
   * are trimmed and taken verbatim, as the label reader and the generators expect.
   */
  exact?: boolean;
}

/** Parses a v3 rule; throws an Error saying where it is not one. */
export function parseRule(text: string, options: ParseOptions = {}): RuleNode {
  return new RuleParser(text, options.exact === true).parse();
}

/**
 * Prints a rule as Traefik v3 reads it: values in backticks, parentheses only where the
 * structure needs them, so `parseRule(printRule(n))` gives back `n`.
 */
export function printRule(node: RuleNode): string {
  if (node.kind === 'call') return `${node.name}(${node.args.map((a) => `\`${a}\``).join(', ')})`;
  if (node.kind === 'not')
    return `!${node.item.kind === 'call' || node.item.kind === 'not' ? printRule(node.item) : `(${printRule(node.item)})`}`;
  const inner = (n: RuleNode) => (n.kind === 'or' || n.kind === node.kind ? `(${printRule(n)})` : printRule(n));
  return node.items.map(inner).join(node.kind === 'and' ? ' && ' : ' || ');
}

/** ``Host(`a`) || Host(`b`)``: v3 matchers take one value each. */
export function hostsRule(hosts: string[]): string {
  return printRule(
    group(
      'or',
      hosts.map((h) => matcher('Host', h)),
    ),
  );
}

/**
 * Hosts, and optionally a path with everything below it:
 * ``Host(`a`) && (Path(`/api`) || PathPrefix(`/api/`))``. Traefik's PathPrefix has no segment
 * boundary (`PathPrefix(`/api`)` also takes `/apix`), so "this path and below" says both. The
 * daemon routes a user route's path by it (routes/routerIndex.ts), and `scaffold labels --path`
 * writes it, so labels made for a path serve the same requests as `expose HOST/PATH`.
 */
export function hostPathNode(hosts: string[], path?: string): RuleNode {
  const h = group(
    'or',
    hosts.map((host) => matcher('Host', host)),
  );
  if (!path) return h;
  return { kind: 'and', items: [h, { kind: 'or', items: [matcher('Path', path), matcher('PathPrefix', `${path}/`)] }] };
}

/**
 * Host names of a v2/v3 rule when it is a pure disjunction of Host matchers
 * (`Host(`a`) || Host(`b`)`, v2's `Host(`a`,`b`)`); otherwise why not, as text.
 */
export function hostsOfRule(rule: string): string[] | string {
  let node: RuleNode;
  try {
    node = parseRule(rule);
  } catch (err) {
    return `cannot be parsed (${errorMessage(err)})`;
  }
  const hosts: string[] = [];
  const visit = (n: RuleNode): string | undefined => {
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

function describe(n: RuleNode): string {
  if (n.kind === 'call') return n.name;
  if (n.kind === 'not') return `!${describe(n.item)}`;
  return n.items.map(describe).join(n.kind === 'and' ? ' && ' : ' || ');
}

class RuleParser {
  private readonly tokens: string[];
  private i = 0;

  constructor(
    text: string,
    private readonly exact: boolean,
  ) {
    this.tokens = tokenize(text, exact);
  }

  parse(): RuleNode {
    const node = this.or();
    if (this.i < this.tokens.length) throw new Error(`unexpected "${this.tokens[this.i]}"`);
    return node;
  }

  private or(): RuleNode {
    return this.joined('||', 'or', () => this.and());
  }

  private and(): RuleNode {
    return this.joined('&&', 'and', () => this.unary());
  }

  /** One or more `operand`s separated by `op`: && binds tighter than ||, so `or` joins `and`s. */
  private joined(op: '||' | '&&', kind: 'or' | 'and', operand: () => RuleNode): RuleNode {
    const items = [operand()];
    while (this.peek() === op) {
      this.i++;
      items.push(operand());
    }
    return group(kind, items);
  }

  private unary(): RuleNode {
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
        args.push(this.exact ? unquote(arg) : arg.slice(1, -1).trim());
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

/** The end of a `"…"` value that may hold Go escapes (`\"`): the index of its closing quote, or -1. */
function escapedEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

const GO_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
};

/** A quoted token's value: backticks are raw (as in Go), `"…"` decodes Go's escapes. */
function unquote(token: string): string {
  const body = token.slice(1, -1);
  if (token[0] === '`') return body;
  return body.replace(/\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-7]{3}|.)/g, (all, e: string) => {
    if (e.length > 1)
      return String.fromCodePoint(parseInt(/^[0-7]/.test(e) ? e : e.slice(1), /^[0-7]/.test(e) ? 8 : 16));
    const c = GO_ESCAPES[e];
    if (c === undefined)
      throw new Error(`unknown escape \\${e} in ${token}; use a \`backtick\` value for regular expressions`);
    return c;
  });
}

function tokenize(text: string, escapes = false): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '`' || c === '"') {
      const end = escapes && c === '"' ? escapedEnd(text, i) : text.indexOf(c, i + 1);
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

/** A v1 rule's `;`-joined matchers, as written. */
function v1Parts(rule: string): string[] {
  return rule
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** `a, b` → ['a', 'b']: a v1 matcher takes several values. */
function v1Values(text: string): string[] {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** `Host:a,b` — with `;` joining matchers in v1; anything but a lone Host matcher is reported. */
export function hostsOfV1Rule(rule: string): string[] | string {
  const parts = v1Parts(rule);
  if (!parts.length) return 'is empty';
  const hosts: string[] = [];
  for (const part of parts) {
    const m = /^([A-Za-z]+)\s*:\s*(.*)$/.exec(part);
    if (!m) return 'cannot be parsed (expected Matcher:value)';
    if (m[1].toLowerCase() !== 'host') return `uses ${m[1]}, which the local proxy does not route by (only Host)`;
    hosts.push(...v1Values(m[2]));
  }
  if (parts.length > 1) return 'has several matchers joined by ";"; routes here match one host rule only';
  if (!hosts.length) return 'has Host: without a name';
  return hosts;
}

export interface V1Translation {
  /** The v3 rule; undefined when no matcher of the v1 rule becomes a matcher in v3. */
  rule?: string;
  /** [middleware name, "type.option=value"] pairs for what v1 rules did besides matching. */
  middlewares: Array<[name: string, option: string]>;
  problems: string[];
}

const V1_TO_V3: Record<string, string> = {
  host: 'Host',
  path: 'Path',
  pathprefix: 'PathPrefix',
  method: 'Method',
};

/**
 * `Host:a,b;PathPrefix:/x` → ``(Host(`a`) || Host(`b`)) && PathPrefix(`/x`)``, plus the
 * middlewares (named after `router`) that v1 rules implied.
 */
export function translateV1Rule(v1: string, router: string): V1Translation {
  const out: V1Translation = { middlewares: [], problems: [] };
  const parts: RuleNode[] = [];
  for (const part of v1Parts(v1)) {
    const colon = part.indexOf(':');
    if (colon === -1) {
      out.problems.push(`"${part}" is not a v1 matcher (Name:value)`);
      continue;
    }
    const written = part.slice(0, colon);
    const name = written.trim().toLowerCase();
    const values = v1Values(part.slice(colon + 1));
    // A matcher without values would print as an empty rule: report it instead.
    const matchers = (terms: RuleNode[]) =>
      terms.length ? parts.push(group('or', terms)) : out.problems.push(`the v1 matcher "${written}" has no value`);
    const any = (m: string) => matchers(values.map((v) => matcher(m, v)));
    if (V1_TO_V3[name]) any(V1_TO_V3[name]);
    else if (name === 'pathstrip' || name === 'pathprefixstrip') {
      any(name === 'pathstrip' ? 'Path' : 'PathPrefix');
      out.middlewares.push([`${router}-stripprefix`, `stripprefix.prefixes=${values.join(',')}`]);
    } else if (name === 'addprefix') {
      out.middlewares.push([`${router}-addprefix`, `addprefix.prefix=${values[0]}`]);
    } else if (name === 'replacepath') {
      out.middlewares.push([`${router}-replacepath`, `replacepath.path=${values[0]}`]);
    } else if (name === 'headers' && values.length === 2) {
      parts.push(matcher('Header', values[0], values[1]));
    } else if (name === 'query') {
      matchers(
        values
          .map((q) => q.split('='))
          .map(([k, v]) => (v === undefined ? matcher('Query', k) : matcher('Query', k, v))),
      );
    } else {
      out.problems.push(
        `the v1 matcher "${written}" has no direct v3 equivalent (HostRegexp and the *Regex forms take Go regular expressions now)`,
      );
    }
  }
  if (parts.length) out.rule = printRule(group('and', parts));
  return out;
}

/**
 * The path to open for a rule that fixes one (``Host(`a`) && PathPrefix(`/api`)`` → `/api`), for
 * the URL a route shows; undefined when the rule names no single literal path.
 */
export function pathOfRule(rule: string): string | undefined {
  let node: RuleNode;
  try {
    node = parseRule(rule);
  } catch {
    return undefined;
  }
  const items = node.kind === 'and' ? node.items : [node];
  const paths = items.filter(
    (n): n is Extract<RuleNode, { kind: 'call' }> =>
      n.kind === 'call' && /^(path|pathprefix)$/i.test(n.name) && n.args.length === 1 && !n.args[0].includes('{'),
  );
  return paths.length === 1 ? paths[0].args[0] : undefined;
}
