import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MatchRequest, RuleSyntax, compileRule } from '../../proxy-core/src/traefik/matcher';
import { compareRouters, routerPriority, rulePriority } from '../../proxy-core/src/traefik/priority';
import { compileRe2 } from '../../proxy-core/src/traefik/re2';

/**
 * Cases written from Traefik's semantics (its pkg/muxer/http/matcher.go, matcher_v2.go on
 * gorilla/mux, pkg/rules, pkg/ip): a rule, a request that differs from `base` where stated,
 * and whether the rule matches it.
 */

type Req = Partial<Omit<MatchRequest, 'query'>> & { query?: string };

const base: MatchRequest = {
  host: 'app.example.com',
  path: '/',
  method: 'GET',
  headers: {},
  query: new URLSearchParams(),
  clientIp: '192.0.2.10',
};

function request(r: Req): MatchRequest {
  return { ...base, ...r, query: new URLSearchParams(r.query ?? '') };
}

interface MatchCase {
  rule: string;
  syntax?: RuleSyntax;
  req: Req;
  want: boolean;
}

const v3: MatchCase[] = [
  // Host: case-insensitive, one `*` label, `*` alone for any host, a trailing dot either side.
  { rule: 'Host(`app.example.com`)', req: {}, want: true },
  { rule: 'Host(`App.Example.COM`)', req: {}, want: true },
  { rule: 'Host(`other.example.com`)', req: {}, want: false },
  { rule: 'Host(`example.com`)', req: {}, want: false },
  { rule: 'Host(`*.example.com`)', req: {}, want: true },
  { rule: 'Host(`*.example.com`)', req: { host: 'a.b.example.com' }, want: false },
  { rule: 'Host(`*.example.com`)', req: { host: 'example.com' }, want: false },
  { rule: 'Host(`*`)', req: { host: 'anything.test' }, want: true },
  { rule: 'Host(`app.example.com.`)', req: {}, want: true },
  { rule: 'Host(`app.example.com`)', req: { host: 'app.example.com.' }, want: true },
  { rule: 'host(`app.example.com`)', req: {}, want: true },
  { rule: 'HOST(`app.example.com`)', req: {}, want: true },
  { rule: 'Host("app.example.com")', req: {}, want: true },
  // Values are taken as written: not trimmed; "…" decodes Go escapes, backticks are raw.
  { rule: 'Host(` app.example.com`)', req: {}, want: false },
  { rule: 'PathRegexp("^/a\\\\.b$")', req: { path: '/a.b' }, want: true },
  { rule: 'PathRegexp("^/a\\\\.b$")', req: { path: '/axb' }, want: false },
  { rule: 'Header("X-Q", "say \\"hi\\"")', req: { headers: { 'x-q': 'say "hi"' } }, want: true },
  // HostRegexp: RE2, unanchored unless the pattern anchors.
  { rule: 'HostRegexp(`^[a-z]+\\.example\\.com$`)', req: {}, want: true },
  { rule: 'HostRegexp(`^[a-z]+\\.example\\.com$`)', req: { host: 'a1.example.com' }, want: false },
  { rule: 'HostRegexp(`example`)', req: {}, want: true },
  { rule: 'HostRegexp(`^example`)', req: {}, want: false },
  { rule: 'HostRegexp(`(?i)^APP\\.`)', req: {}, want: true },
  { rule: 'Hostregexp(`^app`)', req: {}, want: true },
  // Path: exact and case-sensitive.
  { rule: 'Path(`/api`)', req: { path: '/api' }, want: true },
  { rule: 'Path(`/api`)', req: { path: '/api/' }, want: false },
  { rule: 'Path(`/api`)', req: { path: '/API' }, want: false },
  // PathPrefix: a string prefix without a segment boundary.
  { rule: 'PathPrefix(`/api`)', req: { path: '/api/users' }, want: true },
  { rule: 'PathPrefix(`/api`)', req: { path: '/apix' }, want: true },
  { rule: 'PathPrefix(`/api/`)', req: { path: '/api' }, want: false },
  { rule: 'PathPrefix(`/api`)', req: { path: '/Api' }, want: false },
  { rule: 'PathPrefix(`/`)', req: { path: '/anything' }, want: true },
  // PathRegexp: unanchored.
  { rule: 'PathRegexp(`^/users/[0-9]+$`)', req: { path: '/users/42' }, want: true },
  { rule: 'PathRegexp(`^/users/[0-9]+$`)', req: { path: '/users/42/x' }, want: false },
  { rule: 'PathRegexp(`/v[0-9]+/`)', req: { path: '/api/v2/x' }, want: true },
  { rule: 'PathRegexp(`(?i)^/API`)', req: { path: '/api' }, want: true },
  { rule: 'PathRegexp(`\\.(?:css|js)$`)', req: { path: '/a/app.js' }, want: true },
  // Method: the rule's value is upper-cased, the request's is compared as sent.
  { rule: 'Method(`GET`)', req: {}, want: true },
  { rule: 'Method(`get`)', req: {}, want: true },
  { rule: 'Method(`POST`)', req: {}, want: false },
  { rule: 'Method(`GET`)', req: { method: 'get' }, want: false },
  // Header: name case-insensitive, value exact; any one of repeated values.
  { rule: 'Header(`X-Env`, `prod`)', req: { headers: { 'x-env': 'prod' } }, want: true },
  { rule: 'Header(`x-env`, `prod`)', req: { headers: { 'x-env': 'prod' } }, want: true },
  { rule: 'Header(`X-Env`, `prod`)', req: { headers: { 'x-env': 'Prod' } }, want: false },
  { rule: 'Header(`X-Env`, `prod`)', req: { headers: { 'x-env': ['dev', 'prod'] } }, want: true },
  { rule: 'Header(`X-Env`, `prod`)', req: { headers: {} }, want: false },
  { rule: 'Header(`X-Env`, `prod`)', req: { headers: { 'x-env': 'prod, dev' } }, want: false },
  { rule: 'HeaderRegexp(`X-Env`, `^pr`)', req: { headers: { 'x-env': 'prod' } }, want: true },
  { rule: 'HeaderRegexp(`X-Env`, `od`)', req: { headers: { 'x-env': 'prod' } }, want: true },
  { rule: 'HeaderRegexp(`X-Env`, `^od`)', req: { headers: { 'x-env': ['a', 'b'] } }, want: false },
  // Query: one value means a key with an empty value.
  { rule: 'Query(`debug`, `1`)', req: { query: 'debug=1' }, want: true },
  { rule: 'Query(`debug`, `1`)', req: { query: 'debug=2&debug=1' }, want: true },
  { rule: 'Query(`debug`, `1`)', req: { query: 'debug=2' }, want: false },
  { rule: 'Query(`debug`)', req: { query: 'debug' }, want: true },
  { rule: 'Query(`debug`)', req: { query: 'debug=' }, want: true },
  { rule: 'Query(`debug`)', req: { query: 'debug=1' }, want: false },
  { rule: 'Query(`debug`)', req: { query: '' }, want: false },
  { rule: 'QueryRegexp(`id`, `^[0-9]+$`)', req: { query: 'id=42' }, want: true },
  { rule: 'QueryRegexp(`id`, `^[0-9]+$`)', req: { query: 'id=x&id=7' }, want: true },
  { rule: 'QueryRegexp(`id`, `^[0-9]+$`)', req: { query: 'id=4x' }, want: false },
  { rule: 'QueryRegexp(`id`)', req: { query: 'id' }, want: true },
  // ClientIP: addresses and CIDR, v4 and v6, IPv4-mapped IPv6 as the IPv4 address.
  { rule: 'ClientIP(`192.0.2.10`)', req: {}, want: true },
  { rule: 'ClientIP(`192.0.2.11`)', req: {}, want: false },
  { rule: 'ClientIP(`192.0.2.0/24`)', req: {}, want: true },
  { rule: 'ClientIP(`10.0.0.0/8`)', req: {}, want: false },
  { rule: 'ClientIP(`192.0.2.0/24`)', req: { clientIp: '::ffff:192.0.2.99' }, want: true },
  { rule: 'ClientIP(`::1`)', req: { clientIp: '::1' }, want: true },
  { rule: 'ClientIP(`fd00::/8`)', req: { clientIp: 'fd12:3456::1' }, want: true },
  { rule: 'ClientIP(`fd00::/8`)', req: { clientIp: 'fe80::1' }, want: false },
  { rule: 'ClientIP(`fe80::/10`)', req: { clientIp: 'fe80::1%eth0' }, want: true },
  { rule: 'ClientIP(`192.0.2.0/24`)', req: { clientIp: 'not-an-ip' }, want: false },
  // Operators: && binds tighter than ||, ! binds tightest, parentheses group.
  { rule: 'Host(`app.example.com`) && Path(`/x`)', req: { path: '/x' }, want: true },
  { rule: 'Host(`app.example.com`) && Path(`/x`)', req: { path: '/y' }, want: false },
  { rule: 'Host(`a.test`) || Host(`app.example.com`)', req: {}, want: true },
  { rule: 'Host(`app.example.com`) || Host(`b.test`) && Path(`/x`)', req: { path: '/y' }, want: true },
  { rule: '(Host(`app.example.com`) || Host(`b.test`)) && Path(`/x`)', req: { path: '/y' }, want: false },
  { rule: 'Host(`b.test`) || Host(`app.example.com`) && Path(`/x`)', req: { path: '/y' }, want: false },
  { rule: 'Host(`app.example.com`) && !PathPrefix(`/admin`)', req: { path: '/admin/x' }, want: false },
  { rule: 'Host(`app.example.com`) && !PathPrefix(`/admin`)', req: { path: '/app' }, want: true },
  { rule: '!Host(`a.test`) && Path(`/`)', req: {}, want: true },
  { rule: '!(Host(`app.example.com`) || Path(`/x`))', req: { path: '/y' }, want: false },
  { rule: '!(Host(`a.test`) || Path(`/x`))', req: { path: '/y' }, want: true },
  { rule: '!!Host(`app.example.com`)', req: {}, want: true },
  { rule: '!(Host(`a.test`) && Path(`/`))', req: {}, want: true },
  {
    rule: 'Method(`POST`) && (Header(`X-A`, `1`) || Query(`a`, `1`))',
    req: { method: 'POST', query: 'a=1' },
    want: true,
  },
  { rule: 'Method(`POST`) && (Header(`X-A`, `1`) || Query(`a`, `1`))', req: { method: 'POST' }, want: false },
];

const v2: MatchCase[] = [
  { rule: 'Host(`a.test`, `app.example.com`)', req: {}, want: true },
  { rule: 'Host(`a.test`, `b.test`)', req: {}, want: false },
  { rule: 'Host(`APP.example.com`)', req: {}, want: true },
  { rule: 'HostHeader(`app.example.com`)', req: {}, want: true },
  { rule: 'HostRegexp(`{sub:[a-z]+}.example.com`)', req: {}, want: true },
  { rule: 'HostRegexp(`{sub:[a-z]+}.example.com`)', req: { host: 'a1.example.com' }, want: false },
  { rule: 'HostRegexp(`{sub}.example.com`)', req: { host: 'a.b.example.com' }, want: false },
  { rule: 'HostRegexp(`{sub}.example.com`)', req: {}, want: true },
  { rule: 'HostRegexp(`example.com`)', req: {}, want: false },
  { rule: 'HostRegexp(`a.test`, `{x:.+}.example.com`)', req: {}, want: true },
  // A template's literal dot is a dot, not "any character".
  { rule: 'HostRegexp(`app.example.com`)', req: { host: 'appxexample.com' }, want: false },
  { rule: 'Path(`/users/{id:[0-9]+}`)', req: { path: '/users/42' }, want: true },
  { rule: 'Path(`/users/{id:[0-9]+}`)', req: { path: '/users/42/x' }, want: false },
  { rule: 'Path(`/users/{id}`)', req: { path: '/users/a/b' }, want: false },
  { rule: 'Path(`/a`, `/b`)', req: { path: '/b' }, want: true },
  { rule: 'PathPrefix(`/api`, `/v2`)', req: { path: '/v2/x' }, want: true },
  { rule: 'PathPrefix(`/api`)', req: { path: '/apix' }, want: true },
  { rule: 'PathPrefix(`/org/{org}/`)', req: { path: '/org/acme/repos' }, want: true },
  { rule: 'PathPrefix(`/org/{org}/`)', req: { path: '/org/acme' }, want: false },
  { rule: 'Method(`POST`, `get`)', req: {}, want: true },
  { rule: 'Method(`POST`, `PUT`)', req: {}, want: false },
  { rule: 'Headers(`X-Env`, `prod`)', req: { headers: { 'x-env': 'prod' } }, want: true },
  { rule: 'Headers(`X-Env`, `prod`, `X-B`, `1`)', req: { headers: { 'x-env': 'prod' } }, want: false },
  { rule: 'HeadersRegexp(`X-Env`, `^pr`)', req: { headers: { 'x-env': 'prod' } }, want: true },
  { rule: 'HeadersRegexp(`X-Env`, `^dev`)', req: { headers: { 'x-env': 'prod' } }, want: false },
  { rule: 'Query(`a=1`)', req: { query: 'a=1' }, want: true },
  { rule: 'Query(`a=1`)', req: { query: 'a=12' }, want: false },
  { rule: 'Query(`a=1`, `b=2`)', req: { query: 'a=1' }, want: false },
  { rule: 'Query(`a=`)', req: { query: 'a=anything' }, want: true },
  { rule: 'Query(`a=`)', req: { query: 'b=1' }, want: false },
  { rule: 'Query(`id={id:[0-9]+}`)', req: { query: 'id=42' }, want: true },
  // gorilla/mux reads the key's first value only.
  { rule: 'Query(`id={id:[0-9]+}`)', req: { query: 'id=x&id=42' }, want: false },
  { rule: 'ClientIP(`10.0.0.0/8`, `192.0.2.10`)', req: {}, want: true },
  { rule: 'Host(`a.test`) || Path(`/x`)', req: { path: '/x' }, want: true },
];

describe('traefik matcher: v3 rules', () => {
  for (const c of v3) {
    it(`${c.rule} ${c.want ? 'matches' : 'does not match'} ${JSON.stringify(c.req)}`, () => {
      const compiled = compileRule(c.rule, { syntax: 'v3' });
      assert.ok(compiled.ok, compiled.ok ? '' : compiled.reason);
      assert.equal(compiled.match(request(c.req)), c.want);
    });
  }
});

describe('traefik matcher: v2 rules (ruleSyntax=v2)', () => {
  for (const c of v2) {
    it(`${c.rule} ${c.want ? 'matches' : 'does not match'} ${JSON.stringify(c.req)}`, () => {
      const compiled = compileRule(c.rule, { syntax: 'v2' });
      assert.ok(compiled.ok, compiled.ok ? '' : compiled.reason);
      assert.equal(compiled.match(request(c.req)), c.want);
    });
  }
});

/** Rules Traefik refuses, with what the reason must say. */
const refused: Array<{ rule: string; syntax?: RuleSyntax; reason: RegExp }> = [
  {
    rule: 'Host(`a`, `b`)',
    reason:
      /^v3 matchers take one value: Host\(`a`, `b`\) is v2 syntax; write Host\(`a`\) \|\| Host\(`b`\) or set ruleSyntax=v2$/,
  },
  { rule: 'PathPrefix(`/a`, `/b`)', reason: /PathPrefix\(`\/a`\) \|\| PathPrefix\(`\/b`\) or set ruleSyntax=v2/ },
  {
    rule: 'Headers(`X-A`, `1`)',
    reason: /Headers is v2 syntax; in v3 write Header\(`name`, `value`\) or set ruleSyntax=v2/,
  },
  { rule: 'HostHeader(`a`)', reason: /HostHeader is v2 syntax/ },
  { rule: 'Header(`X-A`, `1`)', syntax: 'v2', reason: /Header is v3 syntax.*Headers\(`name`, `value`\)/ },
  { rule: 'PathRegexp(`^/a`)', syntax: 'v2', reason: /PathRegexp is v3 syntax/ },
  { rule: 'Foo(`a`)', reason: /^unknown matcher Foo; v3 has Host, HostRegexp, Path/ },
  { rule: 'hOST(`a`)', reason: /unknown matcher hOST/ },
  { rule: 'Header(`X-A`)', reason: /Header\(`X-A`\) takes 2 value\(s\), not 1; write Header\(`X-Name`, `value`\)/ },
  { rule: 'Query(`a`, `b`, `c`)', reason: /takes 1 or 2 value\(s\), not 3/ },
  { rule: 'Host()', reason: /Host\(\) has no value; write Host\(`example.com`\)/ },
  { rule: 'Host(``)', reason: /has an empty value/ },
  { rule: 'Path(`api`)', reason: /does not start with "\/"; write \/api/ },
  { rule: 'PathPrefix(`api`)', reason: /does not start with "\/"/ },
  { rule: 'Host(`bücher.test`)', reason: /non-ASCII.*punycode/ },
  { rule: 'ClientIP(`10.0.0.300`)', reason: /not an IP address or CIDR range/ },
  { rule: 'ClientIP(`10.0.0.0/33`)', reason: /invalid prefix length \(0-32\)/ },
  { rule: 'ClientIP(`a`, `b`)', reason: /v3 matchers take one value/ },
  { rule: 'Host(`a`', reason: /cannot be parsed \(expected "\)"\)/ },
  { rule: 'Host(`a`) &&', reason: /cannot be parsed/ },
  { rule: '', reason: /cannot be parsed/ },
  { rule: 'Host(a)', reason: /cannot be parsed \(Host\(\) expects quoted arguments\)/ },
  { rule: 'Host(`a`) Host(`b`)', reason: /cannot be parsed/ },
  { rule: 'HostRegexp(`(?=a)b`)', reason: /lookahead and lookbehind/ },
  { rule: 'PathRegexp(`^/(a)\\1`)', reason: /backreferences \(\\1\)/ },
  { rule: 'HeaderRegexp(`X`, `a++`)', reason: /possessive quantifiers/ },
  { rule: 'PathRegexp(`[a-`)', reason: /missing closing \]/ },
  { rule: 'Query(`a`)', syntax: 'v2', reason: /"a" is not key=value; write Query\(`a=value`\)/ },
  { rule: 'Headers(`X-A`)', syntax: 'v2', reason: /takes name and value pairs/ },
  { rule: 'HostRegexp(`{sub:(a|b)}.test`)', syntax: 'v2', reason: /capturing group; use \(\?:…\)/ },
  { rule: 'HostRegexp(`{sub.test`)', syntax: 'v2', reason: /unbalanced braces/ },
  { rule: 'Path(`/{:[0-9]+}`)', syntax: 'v2', reason: /missing name or pattern/ },
];

describe('traefik matcher: refused rules say what is wrong and how to fix it', () => {
  for (const c of refused) {
    it(`${JSON.stringify(c.rule)} (${c.syntax ?? 'v3'})`, () => {
      const compiled = compileRule(c.rule, { syntax: c.syntax ?? 'v3' });
      assert.equal(compiled.ok, false);
      if (compiled.ok) return;
      assert.match(compiled.reason, c.reason);
      assert.ok(!compiled.reason.includes('\n'), 'one line');
    });
  }
});

/** The hosts a rule fixes, for indexing routers by host. */
const hosts: Array<{ rule: string; syntax?: RuleSyntax; hosts: string[] | undefined }> = [
  { rule: 'Host(`a.test`)', hosts: ['a.test'] },
  { rule: 'Host(`A.Test.`)', hosts: ['a.test'] },
  { rule: 'Host(`a.test`) || Host(`b.test`)', hosts: ['a.test', 'b.test'] },
  { rule: 'Host(`a.test`) || Host(`a.test`)', hosts: ['a.test'] },
  { rule: 'Host(`a.test`) && PathPrefix(`/api`)', hosts: ['a.test'] },
  { rule: '(Host(`a.test`) || Host(`b.test`)) && Path(`/x`)', hosts: ['a.test', 'b.test'] },
  { rule: '(Host(`a.test`) || Host(`b.test`)) && Host(`b.test`)', hosts: ['b.test'] },
  { rule: 'Host(`a.test`) && Host(`b.test`)', hosts: [] },
  { rule: 'Host(`a.test`) || Path(`/x`)', hosts: undefined },
  { rule: 'HostRegexp(`^a\\.test$`)', hosts: undefined },
  { rule: 'Host(`*.test`)', hosts: undefined },
  { rule: 'Host(`*`)', hosts: undefined },
  { rule: '!Host(`a.test`)', hosts: undefined },
  { rule: 'PathPrefix(`/`)', hosts: undefined },
  { rule: 'Host(`a.test`, `b.test`)', syntax: 'v2', hosts: ['a.test', 'b.test'] },
  { rule: 'HostRegexp(`{x}.test`)', syntax: 'v2', hosts: undefined },
];

describe('traefik matcher: the hosts a rule fixes', () => {
  for (const c of hosts) {
    it(`${c.rule} → ${JSON.stringify(c.hosts)}`, () => {
      const compiled = compileRule(c.rule, { syntax: c.syntax ?? 'v3' });
      assert.ok(compiled.ok, compiled.ok ? '' : compiled.reason);
      assert.deepEqual(compiled.hosts, c.hosts);
    });
  }
});

/** Go RE2 patterns as JS reads them: matched (true/false) or refused. */
const re2: Array<{ source: string; input?: string; want: boolean | RegExp }> = [
  { source: '(?i)^abc$', input: 'ABC', want: true },
  { source: '(?is)^a.c$', input: 'A\nC', want: true },
  { source: '^a.c$', input: 'a\nc', want: false },
  { source: '(?m)^b$', input: 'a\nb', want: true },
  { source: '^(?P<id>[0-9]+)$', input: '42', want: true },
  { source: '^(?<id>[0-9]+)$', input: '42', want: true },
  { source: '\\Aab\\z', input: 'ab', want: true },
  { source: '\\Aab\\z', input: 'ab\n', want: false },
  { source: '^\\Qa.b\\E$', input: 'a.b', want: true },
  { source: '^\\Qa.b\\E$', input: 'axb', want: false },
  { source: '^[[:alpha:]]+$', input: 'abc', want: true },
  { source: '^[[:digit:]]+$', input: 'abc', want: false },
  { source: '^[]a]+$', input: ']a', want: true },
  { source: '^a{2}$', input: 'aa', want: true },
  { source: '^a{$', input: 'a{', want: true },
  { source: '^\\x{41}$', input: 'A', want: true },
  { source: '^\\pL+$', input: 'héllo', want: true },
  { source: '^\\p{Greek}+$', input: 'αβ', want: true },
  { source: '^\\s$', input: '\u00a0', want: false },
  { source: '^\\s$', input: '\t', want: true },
  { source: '^\\-\\/$', input: '-/', want: true },
  { source: '^a*?b$', input: 'aab', want: true },
  { source: '(a)\\1', want: /backreferences/ },
  { source: '(?P=x)', want: /backreferences/ },
  { source: 'a(?!b)', want: /lookahead/ },
  { source: '(?<=a)b', want: /lookahead and lookbehind/ },
  { source: '(?<!a)b', want: /lookahead and lookbehind/ },
  { source: '(?>a)', want: /atomic groups/ },
  { source: 'a*+', want: /possessive/ },
  { source: 'a{1,2}+', want: /possessive/ },
  { source: 'a{1001}', want: /above 1000/ },
  { source: 'a(?i)b', want: /only at the very start/ },
  { source: '(?i:a)', want: /only at the very start/ },
  { source: '(?U)a+', want: /ungreedy/ },
  { source: 'a\\Z', want: /\\Z is not RE2/ },
  { source: '\\k<x>', want: /\\k is not an RE2 escape/ },
  { source: 'a)', want: /not a valid regular expression/ },
  { source: '[[:nope:]]', want: /unknown POSIX class/ },
];

describe('traefik re2: Go regexps in JavaScript', () => {
  for (const c of re2) {
    it(`${c.source} ${typeof c.want === 'boolean' ? `on ${JSON.stringify(c.input)} → ${c.want}` : 'is refused'}`, () => {
      const re = compileRe2(c.source);
      if (typeof c.want === 'boolean') {
        assert.ok(re.ok, re.ok ? '' : re.reason);
        assert.equal(re.regex.test(c.input ?? ''), c.want);
      } else {
        assert.equal(re.ok, false);
        if (!re.ok) assert.match(re.reason, c.want);
      }
    });
  }
});

describe('traefik priority', () => {
  const cases: Array<{ rule: string; explicit?: number; want: number }> = [
    { rule: 'Host(`a.test`)', want: 14 },
    { rule: 'Host(`a.test`) && PathPrefix(`/api`)', want: 36 },
    // Go's len(): UTF-8 bytes, not characters.
    { rule: 'Path(`/é`)', want: 11 },
    { rule: 'Host(`a.test`)', explicit: 100, want: 100 },
    { rule: 'Host(`a.test`)', explicit: 0, want: 14 },
    { rule: 'Host(`a.test`)', explicit: -1, want: -1 },
  ];
  for (const c of cases) {
    it(`${c.rule} (priority ${c.explicit ?? 'unset'}) → ${c.want}`, () => {
      assert.equal(c.explicit === undefined ? rulePriority(c.rule) : routerPriority(c.rule, c.explicit), c.want);
    });
  }

  it('orders by priority, then by router name', () => {
    const routers = [
      { name: 'b', rule: 'Host(`x.test`)' },
      { name: 'long', rule: 'Host(`x.test`) && PathPrefix(`/api`)' },
      { name: 'a', rule: 'Host(`y.test`)' },
      { name: 'pinned', rule: 'Host(`x.test`)', priority: 1000 },
      { name: 'low', rule: 'Host(`x.test`) && PathPrefix(`/api`)', priority: 1 },
    ];
    assert.deepEqual(
      [...routers].sort(compareRouters).map((r) => r.name),
      ['pinned', 'long', 'a', 'b', 'low'],
    );
  });
});
