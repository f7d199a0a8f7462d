import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMiddleware, checkMiddleware, runMiddlewares } from '../../proxy-core/src/middlewares/buildMiddleware';
import type { Middleware } from '../../proxy-core/src/middlewares/types';
import { fakeExchange, spec } from './harness';

// The registry: what is reported for types and options, how options are read, and how a
// router's list runs.

describe('checkMiddleware (unit)', () => {
  test('unit: a type Traefik has and the local proxy does not run', () => {
    assert.equal(
      checkMiddleware(spec('forwardAuth', { address: 'http://auth' }, 'auth@docker')),
      'middleware auth@docker is of type forwardAuth, which the local proxy does not implement: its routers are not served',
    );
    assert.match(
      checkMiddleware(spec('ratelimit', {}, 'rl@docker'))!,
      /of type rateLimit, which the local proxy does not implement/,
    );
  });

  test('unit: a type Traefik does not have', () => {
    assert.equal(
      checkMiddleware(spec('stripPrefixes', {}, 'x@docker')),
      'middleware x@docker is of type stripPrefixes, which is not a Traefik middleware type: its routers are not served',
    );
  });

  test('unit: a chain must have been flattened by the route model', () => {
    assert.match(
      checkMiddleware(spec('chain', { middlewares: ['a', 'b'] }, 'c@file'))!,
      /chain, which the route model should have replaced by its members/,
    );
    assert.throws(() => buildMiddleware(spec('chain', {})), /route model/);
  });

  test('unit: an option name that does not exist, with the names that do', () => {
    assert.equal(
      checkMiddleware(spec('stripPrefix', { prefix: '/api' }, 's@docker')),
      'middleware s@docker (stripPrefix): there is no option prefix; the options are prefixes, forceSlash; its routers are not served',
    );
  });

  test('unit: type and option names in any case; values typed or as label strings', () => {
    for (const options of [
      { prefixes: ['/a', '/b'] },
      { PREFIXES: '/a,/b' },
      { Prefixes: '/a, /b', forceslash: 'true' },
    ])
      assert.equal(checkMiddleware(spec('stripprefix', options)), undefined, JSON.stringify(options));
    assert.equal(
      checkMiddleware(spec('REDIRECTSCHEME', { scheme: 'https', port: 8443, permanent: 'True' })),
      undefined,
    );
    assert.equal(
      checkMiddleware(spec('ipAllowList', { SourceRange: '10.0.0.0/8,fd00::/8', ipstrategy: { DEPTH: '2' } })),
      undefined,
    );
  });

  test('unit: wrong values say what they should be', () => {
    assert.match(
      checkMiddleware(spec('redirectScheme', { scheme: 'https', permanent: 'yes' }))!,
      /option permanent must be true or false, not "yes"/,
    );
    assert.match(
      checkMiddleware(spec('redirectScheme', { scheme: 'https', port: 'eighty' }))!,
      /option port "eighty" is not a port number/,
    );
    assert.match(
      checkMiddleware(spec('replacePathRegex', { regex: '(a', replacement: '/' }))!,
      /option regex "\(a": not a valid regular expression/,
    );
    assert.match(checkMiddleware(spec('stripPrefixRegex', { regex: ['(?<=a)b'] }))!, /lookbehind/);
    assert.match(checkMiddleware(spec('stripPrefix', { prefixes: { a: 1 } }))!, /option prefixes must be a list/);
    assert.match(
      checkMiddleware(spec('addPrefix', { prefix: '/a', PREFIX: '/b' }))!,
      /options prefix and PREFIX are the same option/,
    );
    assert.match(checkMiddleware(spec('addPrefix', {}))!, /option prefix is empty/);
  });

  test('unit: buildMiddleware throws the same reason', () => {
    assert.throws(() => buildMiddleware(spec('stripPrefix', {})), /option prefixes is empty/);
  });
});

describe('runMiddlewares (unit)', () => {
  const trace =
    (seen: string[], name: string, result: boolean): Middleware =>
    () => (seen.push(name), result);
  const later =
    (seen: string[], name: string, result: boolean): Middleware =>
    async () => (seen.push(name), result);

  test('unit: synchronous middlewares give a boolean, not a promise', () => {
    const seen: string[] = [];
    assert.equal(runMiddlewares([trace(seen, 'a', true), trace(seen, 'b', true)], fakeExchange()), true);
    assert.equal(runMiddlewares([], fakeExchange()), true);
    assert.deepEqual(seen, ['a', 'b']);
  });

  test('unit: the first that answers stops the rest', () => {
    const seen: string[] = [];
    assert.equal(runMiddlewares([trace(seen, 'a', false), trace(seen, 'b', true)], fakeExchange()), false);
    assert.deepEqual(seen, ['a']);
  });

  test('unit: after an asynchronous one, the rest run in order', async () => {
    const seen: string[] = [];
    const result = runMiddlewares(
      [trace(seen, 'a', true), later(seen, 'b', true), trace(seen, 'c', true)],
      fakeExchange(),
    );
    assert.ok(result instanceof Promise);
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal(await result, true);
    assert.deepEqual(seen, ['a', 'b', 'c']);
    const stopped: string[] = [];
    assert.equal(await runMiddlewares([later(stopped, 'a', false), trace(stopped, 'b', true)], fakeExchange()), false);
    assert.deepEqual(stopped, ['a']);
  });
});
