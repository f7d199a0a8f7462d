import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build, fakeExchange, request, spec, startFront, startUpstream } from './harness';

// redirectScheme and redirectRegex: the status Traefik picks (by method and `permanent`) and the
// Location it builds.

interface Case {
  title: string;
  type: string;
  options: Record<string, unknown>;
  scheme?: 'http' | 'https';
  method?: string;
  host?: string;
  url?: string;
  /** undefined: the request goes on. */
  status?: number;
  location?: string;
}

const cases: Case[] = [
  {
    title: 'GET, temporary: 302',
    type: 'redirectScheme',
    options: { scheme: 'https' },
    scheme: 'http',
    url: '/x?y=1',
    status: 302,
    location: 'https://app.localhost/x?y=1',
  },
  {
    title: 'GET, permanent: 301',
    type: 'redirectScheme',
    options: { scheme: 'https', permanent: 'true' },
    scheme: 'http',
    status: 301,
    location: 'https://app.localhost/',
  },
  {
    title: 'POST, temporary: 307',
    type: 'redirectScheme',
    options: { scheme: 'https' },
    scheme: 'http',
    method: 'POST',
    status: 307,
  },
  {
    title: 'POST, permanent: 308',
    type: 'redirectScheme',
    options: { scheme: 'https', permanent: true },
    scheme: 'http',
    method: 'POST',
    status: 308,
  },
  {
    title: 'a port',
    type: 'redirectScheme',
    options: { scheme: 'https', port: '8443' },
    scheme: 'http',
    host: 'app.localhost:8080',
    url: '/p',
    status: 302,
    location: 'https://app.localhost:8443/p',
  },
  {
    title: 'the default port is left out',
    type: 'redirectScheme',
    options: { scheme: 'https', port: 443 },
    scheme: 'http',
    status: 302,
    location: 'https://app.localhost/',
  },
  {
    title: 'already on the scheme: no redirect',
    type: 'redirectScheme',
    options: { scheme: 'https', port: '443' },
    scheme: 'https',
    host: 'app.localhost:8443',
  },
  {
    title: 'regex on the full URL, port included',
    type: 'redirectRegex',
    options: { regex: '^https://app\\.localhost(:\\d+)?/old/(.*)', replacement: 'https://new.localhost${1}/${2}' },
    host: 'app.localhost:8443',
    url: '/old/page?q=1',
    status: 302,
    location: 'https://new.localhost:8443/page?q=1',
  },
  {
    title: 'regex, permanent',
    type: 'redirectRegex',
    options: { regex: '/a$', replacement: '/b', permanent: true },
    url: '/a',
    status: 301,
    location: 'https://app.localhost/b',
  },
  {
    title: 'regex without a match: no redirect',
    type: 'redirectRegex',
    options: { regex: '/nothing', replacement: '/b' },
    url: '/a',
  },
  {
    title: 'regex giving the same URL: no redirect',
    type: 'redirectRegex',
    options: { regex: '^(.*)$', replacement: '$1' },
    url: '/a',
  },
  {
    title: 'non-ASCII in the replacement is escaped',
    type: 'redirectRegex',
    options: { regex: '/a$', replacement: '/é ' },
    url: '/a',
    status: 302,
    location: 'https://app.localhost/%C3%A9%20',
  },
];

describe('redirects (unit)', () => {
  for (const c of cases)
    test(`unit: ${c.type}: ${c.title}`, () => {
      const ex = fakeExchange({ scheme: c.scheme ?? 'https', method: c.method, host: c.host, url: c.url });
      const go = build(c.type, c.options)(ex);
      if (c.status === undefined) {
        assert.equal(go, true);
        assert.equal(ex.answered, undefined);
        return;
      }
      assert.equal(go, false);
      assert.equal(ex.answered?.status, c.status);
      if (c.location) assert.equal(ex.answered?.headers.location, c.location);
    });
});

describe('redirects over HTTP', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  before(async () => {
    upstream = await startUpstream();
  });
  after(() => upstream.close());

  test('redirectScheme: the client gets 301 and the https Location; the upstream sees nothing', async () => {
    const front = await startFront(
      [spec('redirectScheme', { scheme: 'https', port: '8443', permanent: 'true' })],
      upstream,
    );
    try {
      const reply = await request(front.port, '/page?a=b');
      assert.equal(reply.status, 301);
      assert.equal(reply.headers.location, 'https://app.localhost:8443/page?a=b');
      assert.equal(reply.body.toString(), 'Moved Permanently');
      assert.equal(upstream.seen.length, 0);
    } finally {
      await front.close();
    }
  });

  test('redirectRegex: a POST gets 307 with the rewritten Location', async () => {
    const front = await startFront(
      [spec('redirectRegex', { regex: '^http://([^/]+)/v1/(.*)', replacement: 'http://${1}/v2/${2}' })],
      upstream,
    );
    try {
      const reply = await request(front.port, '/v1/items', { method: 'POST', body: 'x=1' });
      assert.equal(reply.status, 307);
      assert.equal(reply.headers.location, `http://app.localhost:${front.port}/v2/items`);
      assert.equal(upstream.seen.length, 0);
    } finally {
      await front.close();
    }
  });
});
