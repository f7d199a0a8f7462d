import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMiddleware } from '../../proxy-core/src/middlewares/buildMiddleware';
import { build, fakeExchange, request, spec, startFront, startUpstream } from './harness';

// ipAllowList: the connection's address, or one picked from X-Forwarded-For by ipStrategy.

interface Case {
  title: string;
  options: Record<string, unknown>;
  clientIp?: string;
  xff?: string;
  allowed: boolean;
}

const cases: Case[] = [
  {
    title: 'an address in the range',
    options: { sourceRange: ['127.0.0.1/32'] },
    clientIp: '127.0.0.1',
    allowed: true,
  },
  {
    title: 'its IPv4-mapped IPv6 form',
    options: { sourceRange: '127.0.0.0/8' },
    clientIp: '::ffff:127.0.0.1',
    allowed: true,
  },
  {
    title: 'an address outside',
    options: { sourceRange: ['127.0.0.1/32', '192.168.0.0/16'] },
    clientIp: '10.0.0.1',
    allowed: false,
  },
  { title: 'IPv6', options: { sourceRange: ['fd00::/8'] }, clientIp: 'fd00::5', allowed: true },
  {
    title: 'depth 1: the rightmost X-Forwarded-For',
    options: { sourceRange: ['10.0.0.0/8'], ipStrategy: { depth: '1' } },
    xff: '1.1.1.1, 10.0.0.2',
    allowed: true,
  },
  {
    title: 'depth 2',
    options: { sourceRange: ['10.0.0.0/8'], ipStrategy: { depth: 2 } },
    xff: '1.1.1.1, 10.0.0.2',
    allowed: false,
  },
  {
    title: 'a depth beyond the list: nobody',
    options: { sourceRange: ['0.0.0.0/0'], ipStrategy: { depth: 3 } },
    xff: '1.1.1.1, 10.0.0.2',
    allowed: false,
  },
  {
    title: 'excludedIPs: the rightmost address not excluded',
    options: { sourceRange: ['1.1.1.1'], ipStrategy: { excludedIPs: ['10.0.0.0/8'] } },
    xff: '1.1.1.1, 10.0.0.2, 10.0.0.3',
    allowed: true,
  },
  {
    title: 'excludedIPs: all excluded',
    options: { sourceRange: ['0.0.0.0/0'], ipStrategy: { excludedIPs: '10.0.0.0/8' } },
    xff: '10.0.0.2',
    allowed: false,
  },
  {
    title: 'an empty ipStrategy (label allowEmpty): the connection',
    options: { sourceRange: ['127.0.0.1'], ipStrategy: '' },
    clientIp: '127.0.0.1',
    allowed: true,
  },
];

describe('ipAllowList (unit)', () => {
  for (const c of cases)
    test(`unit: ${c.title}`, () => {
      const ex = fakeExchange({
        clientIp: c.clientIp ?? '192.0.2.1',
        headers: c.xff ? { 'x-forwarded-for': c.xff } : {},
      });
      const go = build('ipAllowList', c.options)(ex);
      assert.equal(go, c.allowed);
      if (!c.allowed) assert.deepEqual([ex.answered?.status, ex.answered?.body], [403, 'Forbidden']);
    });

  test('unit: rejectStatusCode, and the deprecated ipWhiteList name', () => {
    const ex = fakeExchange({ clientIp: '10.0.0.1' });
    assert.equal(build('ipAllowList', { sourceRange: ['127.0.0.1'], rejectStatusCode: '404' })(ex), false);
    assert.equal(ex.answered?.status, 404);
    assert.equal(build('ipWhiteList', { sourceRange: ['10.0.0.1'] })(fakeExchange({ clientIp: '10.0.0.1' })), true);
  });

  test('unit: what is reported', () => {
    const check = (options: Record<string, unknown>) => checkMiddleware(spec('ipAllowList', options, 'lan@file'));
    assert.equal(
      check({ sourceRange: ['10.0.0.0/33'] }),
      'middleware lan@file (ipAllowList): option sourceRange: "10.0.0.0/33" has an invalid prefix length (0-32); its routers are not served',
    );
    assert.match(check({})!, /option sourceRange is empty/);
    assert.match(
      check({ sourceRange: ['1.2.3.4'], ipStrategy: { ipv6Subnet: 64 } })!,
      /option ipStrategy\.ipv6Subnet is not implemented/,
    );
    assert.match(
      check({ sourceRange: ['1.2.3.4'], ipStrategy: { deep: 1 } })!,
      /there is no option ipStrategy\.deep; the options of ipStrategy are depth, excludedIPs, ipv6Subnet/,
    );
    assert.match(check({ sourceRange: ['1.2.3.4'], rejectStatusCode: 299 })!, /not an HTTP status code/);
  });
});

describe('ipAllowList over HTTP', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  before(async () => {
    upstream = await startUpstream();
  });
  after(() => upstream.close());

  test('a client outside sourceRange gets 403; inside, the upstream answers', async () => {
    const outside = await startFront([spec('ipAllowList', { sourceRange: ['10.0.0.0/8'] })], upstream);
    const inside = await startFront([spec('ipAllowList', { sourceRange: ['127.0.0.0/8', '::1'] })], upstream);
    try {
      const refused = await request(outside.port, '/');
      assert.equal(refused.status, 403);
      assert.equal(refused.body.toString(), 'Forbidden');
      assert.equal(upstream.seen.length, 0);
      assert.equal((await request(inside.port, '/')).status, 200);
    } finally {
      await outside.close();
      await inside.close();
    }
  });

  test('depth 1 reads the X-Forwarded-For the proxy wrote, not the client’s', async () => {
    const front = await startFront(
      [spec('ipAllowList', { sourceRange: ['10.0.0.0/8'], ipStrategy: { depth: 1 } })],
      upstream,
    );
    try {
      const reply = await request(front.port, '/', { headers: { 'x-forwarded-for': '10.0.0.9' } });
      assert.equal(reply.status, 403);
    } finally {
      await front.close();
    }
  });
});
