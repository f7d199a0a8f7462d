import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RuleNode,
  hostsOfRule,
  hostsOfV1Rule,
  hostsRule,
  matcher,
  parseRule,
  printRule,
  translateV1Rule,
} from '../../proxy-core/src/traefik/rules';

describe('traefik rules: the v3 grammar', () => {
  // Printed as the generators write them: backticks, ", " between values, parentheses only where needed.
  const canonical = [
    'Host(`a.localhost`)',
    'Host(`a`) || Host(`b`)',
    'Host(`a`, `b`)',
    'Host(`a`) && PathPrefix(`/api`)',
    '(Host(`a`) || Host(`b`)) && Path(`/x`)',
    'Host(`a`) && Path(`/x`) || Host(`b`)',
    'Host(`a`) && !Path(`/admin`)',
    '!(Host(`a`) || Host(`b`))',
    'Header(`X-Env`, `prod`)',
    'Query(`k`)',
    'Host(`{{ normalize .Name }}.example.com`)',
  ];
  for (const text of canonical) {
    it(`parse and print round trip: ${text}`, () => {
      const node = parseRule(text);
      assert.equal(printRule(node), text);
      assert.deepEqual(parseRule(printRule(node)), node);
    });
  }

  it('nested groups of the same kind keep their structure through print and parse', () => {
    const nested: RuleNode = {
      kind: 'or',
      items: [{ kind: 'or', items: [matcher('Host', 'a'), matcher('Host', 'b')] }, matcher('Host', 'c')],
    };
    assert.equal(printRule(nested), '(Host(`a`) || Host(`b`)) || Host(`c`)');
    assert.deepEqual(parseRule(printRule(nested)), nested);
  });

  it('reads what people write: double quotes, no spaces, v2 lists; values are trimmed', () => {
    assert.deepEqual(parseRule('Host("a")||Host( ` b ` )'), {
      kind: 'or',
      items: [matcher('Host', 'a'), matcher('Host', 'b')],
    });
    assert.equal(printRule(parseRule('Host("a","b")')), 'Host(`a`, `b`)');
  });

  it('says where a rule is not one', () => {
    assert.throws(() => parseRule('Host(`a`'), /expected "\)"/);
    assert.throws(() => parseRule('Host(a)'), /expects quoted arguments/);
    assert.throws(() => parseRule('Host(`a`) Host(`b`)'), /unexpected "Host"/);
    assert.throws(() => parseRule('Host(`a)'), /unterminated `/);
  });

  it('hostsRule: one Host matcher per name, joined by ||', () => {
    assert.equal(hostsRule(['a.example.com']), 'Host(`a.example.com`)');
    assert.equal(hostsRule(['a', 'b']), 'Host(`a`) || Host(`b`)');
    assert.deepEqual(hostsOfRule(hostsRule(['a', 'b', 'c'])), ['a', 'b', 'c']);
  });
});

describe('traefik rules: reading hosts', () => {
  it('v2: only a disjunction of Host matchers yields hosts', () => {
    assert.deepEqual(hostsOfRule('Host(`a`)||Host(`b`)'), ['a', 'b']);
    assert.match(hostsOfRule('Host(`a`) && Path(`/x`)') as string, /&&/);
    assert.match(hostsOfRule('Method(`GET`)') as string, /uses Method/);
    assert.match(hostsOfRule('Host()') as string, /without a name/);
  });
  it('v1: Host only, one rule', () => {
    assert.deepEqual(hostsOfV1Rule('Host:a,b'), ['a', 'b']);
    assert.match(hostsOfV1Rule('') as string, /empty/);
    assert.match(hostsOfV1Rule('Host:a;Host:b') as string, /several matchers/);
    assert.match(hostsOfV1Rule('nonsense') as string, /cannot be parsed/);
  });
});

describe('traefik rules: v1 → v3', () => {
  const rules: Array<[string, string | undefined, string[]]> = [
    ['Host:a.com,b.com', 'Host(`a.com`) || Host(`b.com`)', []],
    ['Host:a.com', 'Host(`a.com`)', []],
    ['Host:a.com;PathPrefix:/api', 'Host(`a.com`) && PathPrefix(`/api`)', []],
    ['Host:a.com,b.com;Path:/x', '(Host(`a.com`) || Host(`b.com`)) && Path(`/x`)', []],
    ['Host:a.com;PathPrefixStrip:/api', 'Host(`a.com`) && PathPrefix(`/api`)', ['r-stripprefix']],
    ['Host:a.com;Method:GET,POST', 'Host(`a.com`) && (Method(`GET`) || Method(`POST`))', []],
    ['Headers:X-Env,prod', 'Header(`X-Env`, `prod`)', []],
    ['Host:${DOMAIN},www.${DOMAIN}', 'Host(`${DOMAIN}`) || Host(`www.${DOMAIN}`)', []],
    ['Query:a=1,b', 'Query(`a`, `1`) || Query(`b`)', []],
    ['Host:a.com;AddPrefix:/v1', 'Host(`a.com`)', ['r-addprefix']],
  ];
  for (const [v1, v3, middlewares] of rules) {
    it(`rule ${v1} → ${v3}`, () => {
      const t = translateV1Rule(v1, 'r');
      assert.equal(t.rule, v3);
      assert.deepEqual(
        t.middlewares.map(([m]) => m),
        middlewares,
      );
      assert.deepEqual(t.problems, []);
      // What the migration writes, the label reader parses.
      if (v3) assert.equal(printRule(parseRule(v3)), v3);
    });
  }

  it('a HostRegexp rule is reported, not guessed', () => {
    assert.equal(translateV1Rule('HostRegexp:{sub:[a-z]+}.a.com', 'r').problems.length, 1);
  });

  it('a part without a colon, or a matcher without a value, is reported', () => {
    assert.deepEqual(translateV1Rule('Host:a.com;nonsense', 'r').problems, [
      '"nonsense" is not a v1 matcher (Name:value)',
    ]);
    assert.deepEqual(translateV1Rule('Host:', 'r'), {
      middlewares: [],
      problems: ['the v1 matcher "Host" has no value'],
    });
  });

  it('the hosts the label reader finds in a v1 rule are the hosts of its v3 translation', () => {
    for (const v1 of ['Host:a.com', 'Host:a.com,b.com', 'Host: a.com , b.com']) {
      assert.deepEqual(hostsOfRule(translateV1Rule(v1, 'r').rule!), hostsOfV1Rule(v1));
    }
  });
});
