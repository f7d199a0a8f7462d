import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { LabelOptions, generateComposeLabels } from '../../proxy-core/src/scaffold';
import { validateLabels } from './support';

describe('scaffold: compose labels', () => {
  it('one host, a port and a network: the typical v3 service', () => {
    assert.deepEqual(
      generateComposeLabels({ service: 'app', hosts: ['app.example.com'], port: 5000, network: 'proxy' }),
      [
        'traefik.enable=true',
        'traefik.docker.network=proxy',
        'traefik.http.routers.app.rule=Host(`app.example.com`)',
        'traefik.http.routers.app.entrypoints=websecure',
        'traefik.http.routers.app.tls.certresolver=letsencrypt',
        'traefik.http.services.app.loadbalancer.server.port=5000',
      ],
    );
  });

  const cases: Array<[string, LabelOptions, Record<string, string>]> = [
    [
      'several hosts are joined with ||',
      { service: 'app', hosts: ['a.example.com', 'B.Example.com'] },
      { 'traefik.http.routers.app.rule': 'Host(`a.example.com`) || Host(`b.example.com`)' },
    ],
    [
      'no port: Traefik picks the exposed one, so no service label',
      { service: 'app', hosts: ['a.example.com'] },
      { 'traefik.http.services.app.loadbalancer.server.port': '(absent)' },
    ],
    [
      'a service name with dots becomes a valid Traefik name',
      { service: 'my.app', hosts: ['a.example.com'], port: 80 },
      {
        'traefik.http.routers.my-app.rule': 'Host(`a.example.com`)',
        'traefik.http.services.my-app.loadbalancer.server.port': '80',
      },
    ],
    [
      'another entry point and resolver',
      { service: 'app', hosts: ['a.example.com'], entrypoint: 'https', certResolver: 'le' },
      { 'traefik.http.routers.app.entrypoints': 'https', 'traefik.http.routers.app.tls.certresolver': 'le' },
    ],
    [
      'a router named apart from its service is linked to it',
      { service: 'app', hosts: ['a.example.com'], router: 'web', port: 8000 },
      { 'traefik.http.routers.web.service': 'app', 'traefik.http.services.app.loadbalancer.server.port': '8000' },
    ],
    [
      'an IDN host becomes punycode',
      { service: 'app', hosts: ['bücher.example'] },
      { 'traefik.http.routers.app.rule': 'Host(`xn--bcher-kva.example`)' },
    ],
  ];
  for (const [name, opts, expected] of cases) {
    it(`${name}; the labels validate as v3 dynamic configuration`, () => {
      const labels = generateComposeLabels(opts);
      const map = Object.fromEntries(labels.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      for (const [k, v] of Object.entries(expected)) assert.equal(map[k] ?? '(absent)', v, k);
      validateLabels(labels);
    });
  }

  const refusals: Array<[string, LabelOptions, RegExp]> = [
    ['no host', { service: 'app', hosts: [] }, /at least one host/],
    ['a host with a scheme', { service: 'app', hosts: ['https://a.example.com'] }, /Invalid host name/],
    [
      'a host with a backtick (would break the rule)',
      { service: 'app', hosts: ['a`.example.com'] },
      /Invalid host name/,
    ],
    ['port 0', { service: 'app', hosts: ['a.example.com'], port: 0 }, /not a port number/],
    ['an empty service name', { service: '..', hosts: ['a.example.com'] }, /cannot be used as a Traefik router/],
  ];
  for (const [name, opts, message] of refusals) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => generateComposeLabels(opts),
        (err: Error) => err.name === 'UserError' && message.test(err.message),
      );
    });
  }

  it('the schema check itself catches a misspelled label key', () => {
    assert.throws(() => validateLabels(['traefik.http.routers.app.tls.certresolvr=letsencrypt']), /certresolvr/);
  });
});
