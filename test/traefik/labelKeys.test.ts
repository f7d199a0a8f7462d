import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HttpKind,
  ROUTER,
  SERVICE,
  httpKey,
  httpNames,
  isRoutingKey,
  isTcpUdpKey,
  isV1Label,
  parseHttpKey,
  parseV1RoutingKey,
  routerKey,
  serviceKey,
  splitV1Key,
  v1Key,
} from '../../proxy-core/src/traefik/labelKeys';

describe('traefik label keys: v3', () => {
  it('build and parse round trip', () => {
    const cases: Array<[HttpKind, string, string]> = [
      ['routers', 'web', ROUTER.rule],
      ['routers', 'web', ROUTER.certResolver],
      ['services', 'api-1', SERVICE.port],
      ['services', 'api_1', SERVICE.healthcheck('path')],
      ['middlewares', 'web-auth', 'basicauth.users'],
    ];
    for (const [kind, name, option] of cases) {
      const key = httpKey(kind, name, option);
      assert.deepEqual(parseHttpKey(key), { kind, name, option }, key);
    }
  });

  it('the builders spell the keys Traefik reads', () => {
    assert.equal(routerKey('web', ROUTER.rule), 'traefik.http.routers.web.rule');
    assert.equal(routerKey('web', ROUTER.certResolver), 'traefik.http.routers.web.tls.certresolver');
    assert.equal(serviceKey('web', SERVICE.port), 'traefik.http.services.web.loadbalancer.server.port');
  });

  it('parsing is case-sensitive unless asked (the reader is, compose edits are not)', () => {
    assert.equal(parseHttpKey('traefik.HTTP.routers.web.rule'), undefined);
    assert.deepEqual(parseHttpKey('traefik.HTTP.Routers.Web.Rule', true), {
      kind: 'routers',
      name: 'Web',
      option: 'Rule',
    });
    assert.equal(parseHttpKey('traefik.http.routers.web'), undefined);
  });

  it('names in use, by kind', () => {
    const keys = [
      routerKey('a', ROUTER.rule),
      routerKey('a', ROUTER.entrypoints),
      serviceKey('s', SERVICE.port),
      routerKey('b', ROUTER.rule),
    ];
    assert.deepEqual(httpNames(keys, 'routers'), ['a', 'b']);
    assert.deepEqual(httpNames(keys, 'services'), ['s']);
  });

  it('TCP/UDP and routing keys', () => {
    assert.ok(isTcpUdpKey('traefik.tcp.routers.db.rule'));
    assert.ok(!isTcpUdpKey(routerKey('db', ROUTER.rule)));
    assert.ok(isRoutingKey(routerKey('r', ROUTER.rule)));
    assert.ok(isRoutingKey(v1Key('', 'frontend.rule')));
    assert.ok(isRoutingKey(v1Key('admin', 'frontend.rule')));
    assert.ok(!isRoutingKey(serviceKey('s', SERVICE.port)));
  });
});

describe('traefik label keys: v1', () => {
  it('build and parse round trip of the keys the reader routes by', () => {
    for (const segment of ['', 'admin']) {
      for (const option of ['frontend.rule', 'port', 'protocol'] as const) {
        assert.deepEqual(parseV1RoutingKey(v1Key(segment, option)), { segment, option });
      }
    }
  });

  it('v1 and v3 words are never segments', () => {
    for (const word of [
      'http',
      'tcp',
      'udp',
      'docker',
      'frontend',
      'backend',
      'enable',
      'port',
      'protocol',
      'weight',
      'tags',
      'domain',
    ]) {
      assert.equal(parseV1RoutingKey(`traefik.${word}.port`), undefined, word);
    }
  });

  it('v1 labels are told from the ones v3 reads the same way', () => {
    for (const key of [
      'traefik.frontend.rule',
      'traefik.port',
      'traefik.backend',
      'traefik.admin.frontend.rule',
      'Traefik.Frontend.Rule',
    ])
      assert.ok(isV1Label(key), key);
    for (const key of [
      'traefik.enable',
      'traefik.docker.network',
      routerKey('r', ROUTER.rule),
      'traefik.tcp.routers.r.rule',
      'traefik.tls.options.x',
      'other.label',
    ])
      assert.ok(!isV1Label(key), key);
  });

  it('split into segment and rest, round trip with v1Key', () => {
    const cases: Array<[string, string, string]> = [
      ['traefik.frontend.rule', '', 'frontend.rule'],
      ['traefik.port', '', 'port'],
      ['traefik.admin.frontend.rule', 'admin', 'frontend.rule'],
      ['traefik.admin.port', 'admin', 'port'],
      ['traefik.frontend.auth.basic', '', 'frontend.auth.basic'],
    ];
    for (const [key, segment, rest] of cases) {
      assert.deepEqual(splitV1Key(key), { segment, rest }, key);
      assert.equal(v1Key(segment, rest), key);
    }
  });
});
