import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build, echoed, fakeExchange, request, spec, startFront, startUpstream } from './harness';

// stripPrefix, stripPrefixRegex, addPrefix, replacePath, replacePathRegex: the path the upstream
// gets and the headers that tell it what was there before.

interface Case {
  type: string;
  options: Record<string, unknown>;
  url: string;
  /** The upstream-bound url afterwards; undefined: the middleware answered with `status`. */
  want?: string;
  status?: number;
  header?: [string, string | string[] | undefined];
}

const cases: Case[] = [
  {
    type: 'stripPrefix',
    options: { prefixes: ['/api'] },
    url: '/api/users?x=1',
    want: '/users?x=1',
    header: ['x-forwarded-prefix', '/api'],
  },
  {
    type: 'stripPrefix',
    options: { prefixes: ['/api'] },
    url: '/api',
    want: '/',
    header: ['x-forwarded-prefix', '/api'],
  },
  // A plain string prefix, as Traefik: /api also takes /apix.
  { type: 'stripPrefix', options: { prefixes: ['/api'] }, url: '/apix', want: '/x' },
  {
    type: 'stripPrefix',
    options: { prefixes: ['/api'] },
    url: '/other',
    want: '/other',
    header: ['x-forwarded-prefix', undefined],
  },
  {
    type: 'stripPrefix',
    options: { prefixes: '/v1, /api' },
    url: '/api/a',
    want: '/a',
    header: ['x-forwarded-prefix', '/api'],
  },
  {
    type: 'stripPrefix',
    options: { prefixes: ['/a', '/api'] },
    url: '/api/x',
    want: '/pi/x',
    header: ['x-forwarded-prefix', '/a'],
  },
  { type: 'stripPrefix', options: { prefixes: ['/café'] }, url: '/caf%C3%A9/x', want: '/x' },
  { type: 'stripPrefix', options: { prefixes: ['/api/'] }, url: '/api%2Fx%20y', want: '/x%20y' },
  { type: 'stripPrefix', options: { Prefixes: ['/api'], forceSlash: 'false' }, url: '/api/x', want: '/x' },
  // What is left must be a clean path: a prefix cut before "./" is refused, not walked.
  { type: 'stripPrefix', options: { prefixes: ['/a'] }, url: '/a./x', status: 400 },
  {
    type: 'stripPrefixRegex',
    options: { regex: ['/api/[a-z]+'] },
    url: '/api/users/1',
    want: '/1',
    header: ['x-forwarded-prefix', '/api/users'],
  },
  { type: 'stripPrefixRegex', options: { regex: '/api/[a-z]+' }, url: '/x/api/users', want: '/x/api/users' },
  { type: 'stripPrefixRegex', options: { regex: ['^/[0-9]+'] }, url: '/42', want: '/' },
  { type: 'addPrefix', options: { prefix: '/v1' }, url: '/users?q', want: '/v1/users?q' },
  { type: 'addPrefix', options: { prefix: 'v1' }, url: '/users', want: '/v1/users' },
  { type: 'addPrefix', options: { prefix: '/a b' }, url: '/c', want: '/a%20b/c' },
  {
    type: 'replacePath',
    options: { path: '/new' },
    url: '/old?q=1',
    want: '/new?q=1',
    header: ['x-replaced-path', '/old'],
  },
  { type: 'replacePath', options: { path: '/with space' }, url: '/old', want: '/with%20space' },
  {
    type: 'replacePathRegex',
    options: { regex: '^/api/(.*)', replacement: '/v2/$1' },
    url: '/api/users?x',
    want: '/v2/users?x',
    header: ['x-replaced-path', '/api/users'],
  },
  // Go reads $1x as the group named "1x" (empty); ${1}x is group 1 then x.
  { type: 'replacePathRegex', options: { regex: '^/(a)', replacement: '/$1x' }, url: '/a', want: '/' },
  { type: 'replacePathRegex', options: { regex: '^/(a)', replacement: '/${1}x' }, url: '/a', want: '/ax' },
  {
    type: 'replacePathRegex',
    options: { regex: '^/(?P<rest>.*)', replacement: '/r/${rest}/$$' },
    url: '/x',
    want: '/r/x/$',
  },
  {
    type: 'replacePathRegex',
    options: { regex: '^/nomatch', replacement: '/z' },
    url: '/a',
    want: '/a',
    header: ['x-replaced-path', undefined],
  },
  // Every match is replaced, as Go's ReplaceAllString.
  { type: 'replacePathRegex', options: { regex: 'o', replacement: '0' }, url: '/foo/bo', want: '/f00/b0' },
  { type: 'replacePathRegex', options: { regex: '^/a/(.*)', replacement: '/a/../$1' }, url: '/a/b', status: 400 },
];

describe('path middlewares (unit)', () => {
  for (const c of cases)
    test(`unit: ${c.type} ${JSON.stringify(c.options)} on ${c.url}`, () => {
      const ex = fakeExchange({ url: c.url });
      const go = build(c.type, c.options)(ex);
      if (c.status) {
        assert.equal(go, false);
        assert.equal(ex.answered?.status, c.status);
        return;
      }
      assert.equal(go, true);
      assert.equal(ex.url, c.want);
      if (c.header) assert.deepEqual(ex.headers[c.header[0]], c.header[1]);
    });

  test('unit: two strips add two X-Forwarded-Prefix values, as Go’s Header.Add', () => {
    const ex = fakeExchange({ url: '/a/b/c' });
    build('stripPrefix', { prefixes: ['/a'] })(ex);
    build('stripPrefix', { prefixes: ['/b'] })(ex);
    assert.equal(ex.url, '/c');
    assert.deepEqual(ex.headers['x-forwarded-prefix'], ['/a', '/b']);
  });
});

describe('path middlewares over HTTP', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  before(async () => {
    upstream = await startUpstream();
  });
  after(() => upstream.close());

  test('stripPrefix then addPrefix: the upstream gets the new path and X-Forwarded-Prefix, not the client’s', async () => {
    const front = await startFront(
      [spec('stripPrefix', { prefixes: ['/api'] }), spec('addPrefix', { prefix: '/v2' })],
      upstream,
    );
    try {
      const reply = await request(front.port, '/api/users?x=1', { headers: { 'x-forwarded-prefix': '/evil' } });
      assert.equal(reply.status, 200);
      const seen = echoed(reply);
      assert.equal(seen.url, '/v2/users?x=1');
      assert.equal(seen.headers['x-forwarded-prefix'], '/api');
    } finally {
      await front.close();
    }
  });

  test('replacePathRegex: the upstream gets the rewritten path and X-Replaced-Path', async () => {
    const front = await startFront(
      [spec('replacePathRegex', { regex: '^/old/(.*)', replacement: '/new/$1' })],
      upstream,
    );
    try {
      const seen = echoed(await request(front.port, '/old/page?q=2'));
      assert.equal(seen.url, '/new/page?q=2');
      assert.equal(seen.headers['x-replaced-path'], '/old/page');
    } finally {
      await front.close();
    }
  });

  test('replacePath: a fixed path, the original in X-Replaced-Path', async () => {
    const front = await startFront([spec('replacePath', { path: '/fixed' })], upstream);
    try {
      const seen = echoed(await request(front.port, '/anything/here?k=v'));
      assert.equal(seen.url, '/fixed?k=v');
      assert.equal(seen.headers['x-replaced-path'], '/anything/here');
    } finally {
      await front.close();
    }
  });

  test('a strip that would leave a dot segment: 400 from the middleware, nothing upstream', async () => {
    const front = await startFront([spec('stripPrefix', { prefixes: ['/a'] })], upstream);
    try {
      const before = upstream.seen.length;
      const reply = await request(front.port, '/a./x');
      assert.equal(reply.status, 400);
      assert.equal(upstream.seen.length, before);
    } finally {
      await front.close();
    }
  });
});
