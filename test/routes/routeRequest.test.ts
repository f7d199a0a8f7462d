import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRouteRequest } from '../../proxy-core/src/routes/routeRequest';

test('checkRouteRequest: a typed value for a good request, tls defaults to local', () => {
  assert.deepEqual(checkRouteRequest({ target: '5000' }), {
    ok: true,
    value: {
      target: { kind: 'url', protocol: 'http:', hostname: '127.0.0.1', port: 5000, href: 'http://127.0.0.1:5000' },
      tls: 'local',
    },
  });
  const acme = checkRouteRequest({ target: 'container:web:80', tls: 'acme' });
  assert.ok(acme.ok);
  assert.equal(acme.value.tls, 'acme');
});

test('checkRouteRequest: extra fields only when the caller names them', () => {
  const record = { host: 'a.localhost', target: '5000', source: 'user' };
  assert.match(JSON.stringify(checkRouteRequest(record)), /unknown field \\"host\\"/);
  assert.equal(checkRouteRequest(record, ['host', 'source']).ok, true);
});

test('checkRouteRequest: wrong types give one-line reasons, target errors keep their code', () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{ target: 12345 }, 'EBODY', /^"target" must be a string .*not the number 12345\.$/],
    [{ target: true }, 'EBODY', /not the boolean true\.$/],
    [{ target: '5000', tls: 'ACME' }, 'EBODY', /^"tls" must be "local" or "acme" .*not "ACME"\.$/],
    [{ target: '5000', tls: null }, 'EBODY', /not null\.$/],
    [42, 'EBODY', /^expected a JSON object .*not the number 42\.$/],
    [
      { target: 'http://[::1]:0' },
      'ETARGET',
      /^Invalid target "http:\/\/\[::1\]:0": port "0" must be a number from 1 to 65535\.$/,
    ],
  ];
  for (const [input, code, reason] of cases) {
    const r = checkRouteRequest(input);
    assert.equal(r.ok, false, JSON.stringify(input));
    if (r.ok) continue;
    assert.equal(r.code, code, JSON.stringify(input));
    assert.match(r.reason, reason);
  }
});
