import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  build,
  echoed,
  fakeExchange,
  request,
  requestH2,
  responseThrough,
  spec,
  startFront,
  startUpstream,
} from './harness';
import { checkMiddleware } from '../../proxy-core/src/middlewares/buildMiddleware';

// The headers middleware: custom request and response headers, CORS, security headers.

describe('headers (unit)', () => {
  test('unit: custom request headers set, replace and (empty value) remove; Host too', () => {
    const ex = fakeExchange({ headers: { 'x-old': '1', 'x-keep': 'k' } });
    build('headers', {
      customRequestHeaders: { 'X-Added': 'a', 'X-Old': '', Host: 'backend.internal', Connection: 'close' },
    })(ex);
    assert.equal(ex.headers['x-added'], 'a');
    assert.equal(ex.headers['x-old'], undefined);
    assert.equal(ex.headers['x-keep'], 'k');
    assert.equal(ex.headers.host, 'backend.internal');
    // Connection-level headers are the proxy's, as in Traefik, where Go's proxy drops them.
    assert.equal(ex.headers.connection, undefined);
  });

  test('unit: custom response headers set and remove', () => {
    const ex = fakeExchange();
    build('headers', { customResponseHeaders: { 'X-Powered-By': '', 'X-Frame': 'yes' } })(ex);
    const out = responseThrough(ex, 200, { 'x-powered-by': 'php', server: 's' });
    assert.deepEqual(out, { 'x-frame': 'yes', server: 's' });
  });

  test('unit: the first middleware has the last word on a response header', () => {
    const ex = fakeExchange();
    build('headers', { customResponseHeaders: { 'X-Who': 'first' } })(ex);
    build('headers', { customResponseHeaders: { 'X-Who': 'second' } })(ex);
    assert.equal(responseThrough(ex, 200)['x-who'], 'first');
  });

  test('unit: security headers; Strict-Transport-Security over HTTPS only (or forced), none with isDevelopment', () => {
    const options = {
      stsSeconds: '31536000',
      stsIncludeSubdomains: 'true',
      stsPreload: true,
      frameDeny: true,
      contentTypeNosniff: true,
      browserXssFilter: true,
      referrerPolicy: 'same-origin',
      contentSecurityPolicy: "default-src 'self'",
      permissionsPolicy: 'camera=()',
    };
    const https = fakeExchange({ scheme: 'https' });
    build('headers', options)(https);
    assert.deepEqual(responseThrough(https, 200, { 'x-frame-options': 'SAMEORIGIN' }), {
      'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'x-xss-protection': '1; mode=block',
      'referrer-policy': 'same-origin',
      'content-security-policy': "default-src 'self'",
      'permissions-policy': 'camera=()',
    });
    const http = fakeExchange({ scheme: 'http' });
    build('headers', options)(http);
    assert.equal(responseThrough(http, 200)['strict-transport-security'], undefined);
    const forced = fakeExchange({ scheme: 'http' });
    build('headers', { stsSeconds: 60, forceSTSHeader: true })(forced);
    assert.equal(responseThrough(forced, 200)['strict-transport-security'], 'max-age=60');
    const dev = fakeExchange({ scheme: 'https' });
    build('headers', { stsSeconds: 60, isDevelopment: true, customFrameOptionsValue: 'SAMEORIGIN' })(dev);
    assert.deepEqual(responseThrough(dev, 200), { 'x-frame-options': 'SAMEORIGIN' });
  });

  test('unit: a custom response header overrides a security one', () => {
    const ex = fakeExchange();
    build('headers', { frameDeny: true, customResponseHeaders: { 'X-Frame-Options': '' } })(ex);
    assert.deepEqual(responseThrough(ex, 200), {});
  });

  const cors = {
    accessControlAllowOriginList: ['https://a.example'],
    accessControlAllowOriginListRegex: ['^https://[a-z]+\\.dev\\.example$'],
    accessControlAllowMethods: 'GET,POST',
    accessControlAllowHeaders: ['Content-Type', 'Authorization'],
    accessControlExposeHeaders: ['X-Total'],
    accessControlMaxAge: '600',
    addVaryHeader: 'true',
  };

  test('unit: a CORS preflight is answered by the middleware, 200 with no body', () => {
    const ex = fakeExchange({
      method: 'OPTIONS',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(build('headers', cors)(ex), false);
    assert.equal(ex.answered?.status, 200);
    assert.deepEqual(ex.answered?.headers, {
      'access-control-allow-headers': 'Content-Type,Authorization',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-origin': 'https://a.example',
      'access-control-max-age': '600',
      'access-control-expose-headers': 'X-Total',
      'content-length': '0',
    });
  });

  test('unit: an OPTIONS without Access-Control-Request-Method is no preflight', () => {
    const ex = fakeExchange({ method: 'OPTIONS', headers: { origin: 'https://a.example' } });
    assert.equal(build('headers', cors)(ex), true);
  });

  test('unit: CORS on an ordinary response: allowed origins (list and regexp), Vary: Origin', () => {
    for (const [origin, allowed] of [
      ['https://a.example', 'https://a.example'],
      ['https://x.dev.example', 'https://x.dev.example'],
      ['https://evil.example', undefined],
    ] as const) {
      const ex = fakeExchange({ headers: { origin } });
      build('headers', cors)(ex);
      const out = responseThrough(ex, 200, { vary: 'Accept-Encoding' });
      assert.equal(out['access-control-allow-origin'], allowed, origin);
      assert.equal(out['access-control-expose-headers'], 'X-Total');
      assert.equal(out.vary, 'Accept-Encoding,Origin');
    }
  });

  test('unit: a wildcard with credentials echoes the origin, and "*" methods echo the requested one', () => {
    const ex = fakeExchange({
      method: 'OPTIONS',
      headers: {
        origin: 'https://b.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'X-A',
      },
    });
    build('headers', {
      accessControlAllowOriginList: '*',
      accessControlAllowCredentials: true,
      accessControlAllowMethods: '*',
      accessControlAllowHeaders: '*',
    })(ex);
    assert.equal(ex.answered?.headers['access-control-allow-origin'], 'https://b.example');
    assert.equal(ex.answered?.headers['access-control-allow-credentials'], 'true');
    assert.equal(ex.answered?.headers['access-control-allow-methods'], 'PUT');
    assert.equal(ex.answered?.headers['access-control-allow-headers'], 'X-A');
  });

  test('unit: what is reported', () => {
    const check = (options: Record<string, unknown>) => checkMiddleware(spec('headers', options, 'h@docker'));
    assert.match(check({})!, /^middleware h@docker \(headers\): it sets nothing/);
    assert.match(check({ allowedHosts: ['a'] })!, /option allowedHosts is not implemented by the local proxy/);
    assert.match(check({ customRequestHeaders: { 'Bad Name': 'x' } })!, /not a valid header name/);
    assert.match(check({ customResponseHeaders: { 'X-A': 'a\nb' } })!, /characters a header cannot carry/);
    assert.match(check({ accessControlAllowOriginListRegex: ['(?=x)'] })!, /lookahead/);
    assert.match(check({ frameDeny: 'yes' })!, /option frameDeny must be true or false/);
    assert.match(
      check({ customRequestHeader: { a: 'b' } })!,
      /there is no option customRequestHeader; the options are customRequestHeaders/,
    );
    // Deprecated in Traefik v3, where they do nothing: accepted.
    assert.equal(check({ frameDeny: true, sslRedirect: true, featurePolicy: 'x' }), undefined);
  });
});

describe('headers over HTTP', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  before(async () => {
    upstream = await startUpstream();
  });
  after(() => upstream.close());

  const options = {
    customRequestHeaders: { 'X-Script-Name': '/app', 'User-Agent': '' },
    customResponseHeaders: { 'X-Upstream': '', 'X-Served-By': 'local' },
    contentTypeNosniff: true,
    accessControlAllowOriginList: ['https://a.example'],
    accessControlAllowMethods: ['GET'],
  };

  test('the upstream gets the custom request headers; the client the edited response, both cookies kept', async () => {
    const front = await startFront([spec('headers', options)], upstream);
    try {
      const reply = await request(front.port, '/', { headers: { 'user-agent': 'test', origin: 'https://a.example' } });
      assert.equal(reply.status, 200);
      const seen = echoed(reply);
      assert.equal(seen.headers['x-script-name'], '/app');
      assert.equal(seen.headers['user-agent'], undefined);
      assert.equal(reply.headers['x-upstream'], undefined);
      assert.equal(reply.headers['x-served-by'], 'local');
      assert.equal(reply.headers['x-content-type-options'], 'nosniff');
      assert.equal(reply.headers['access-control-allow-origin'], 'https://a.example');
      assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
    } finally {
      await front.close();
    }
  });

  test('a CORS preflight is answered by the proxy; the upstream never sees it', async () => {
    const front = await startFront([spec('headers', options)], upstream);
    try {
      const before = upstream.seen.length;
      const reply = await request(front.port, '/api', {
        method: 'OPTIONS',
        headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' },
      });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['access-control-allow-origin'], 'https://a.example');
      assert.equal(reply.headers['access-control-allow-methods'], 'GET');
      assert.equal(reply.body.length, 0);
      assert.equal(upstream.seen.length, before);
    } finally {
      await front.close();
    }
  });

  test('over HTTP/2 (h2c): the same edits', async () => {
    const front = await startFront([spec('headers', options)], upstream, { h2: true });
    try {
      const reply = await requestH2(front.port, '/');
      assert.equal(reply.status, 200);
      assert.equal(echoed(reply).headers['x-script-name'], '/app');
      assert.equal(reply.headers['x-upstream'], undefined);
      assert.equal(reply.headers['x-served-by'], 'local');
      assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
    } finally {
      await front.close();
    }
  });
});
