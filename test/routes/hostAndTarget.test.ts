import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeHost } from '../../proxy-core/src/routes/hostName';
import { parseTarget } from '../../proxy-core/src/routes/target';

test('host names are normalised: case, trailing dot, IDN to punycode', () => {
  const cases: Array<[string, string]> = [
    ['App.LocalHost', 'app.localhost'],
    ['app.localhost.', 'app.localhost'],
    ['bücher.localhost', 'xn--bcher-kva.localhost'],
    ['a-b.c1.test', 'a-b.c1.test'],
    ['localhost', 'localhost'],
  ];
  for (const [input, expected] of cases) assert.equal(normalizeHost(input), expected, input);
});

test('bad host names are refused with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['bad_host.localhost', /label "bad_host"/],
    ['-a.localhost', /label "-a"/],
    ['a-.localhost', /label "a-"/],
    ['https://app.localhost', /without scheme/],
    ['app.localhost:8443', /without scheme, port/],
    ['127.0.0.1', /IP addresses/],
    ['a..localhost', /label ""/],
    [`${'a'.repeat(64)}.localhost`, /1-63/],
    [`${'a.'.repeat(127)}localhost`, /253/],
  ];
  for (const [input, message] of cases) assert.throws(() => normalizeHost(input), message, input);
});

test('targets: URLs, bare ports, container references', () => {
  assert.deepEqual(parseTarget('http://127.0.0.1:5000'), {
    kind: 'url',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 5000,
    href: 'http://127.0.0.1:5000',
  });
  assert.equal(parseTarget('5000').href, 'http://127.0.0.1:5000');
  assert.equal(parseTarget('https://backend.internal').href, 'https://backend.internal:443');
  assert.equal(parseTarget('http://[::1]:81').href, 'http://[::1]:81');
  assert.deepEqual(parseTarget('container:web'), { kind: 'container', container: 'web', href: 'container:web' });
  assert.deepEqual(parseTarget('container:web_1:5000'), {
    kind: 'container',
    container: 'web_1',
    port: 5000,
    href: 'container:web_1:5000',
  });
});

test('bad targets are refused with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['ftp://x:21', /scheme must be http or https/],
    ['http://127.0.0.1:5000/app', /no path/],
    ['http://user:pw@127.0.0.1:5000', /credentials/],
    ['70000', /1 to 65535/],
    ['0', /port "0" must be a number from 1 to 65535/],
    ['http://127.0.0.1:0', /port "0" must be a number from 1 to 65535/],
    ['http://[::1]:0', /port "0" must be a number from 1 to 65535/],
    ['container:web:0', /port "0" must be a number from 1 to 65535/],
    ['container:', /container:NAME/],
    ['container:web:http', /port "http"/],
    ['container:web:1:2', /container:NAME/],
    ['not a url', /expected http/],
  ];
  for (const [input, message] of cases) assert.throws(() => parseTarget(input), message, input);
});
