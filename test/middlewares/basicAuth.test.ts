import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import aprMd5 from 'apache-md5';
import * as bcrypt from 'bcryptjs';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkMiddleware } from '../../proxy-core/src/middlewares/buildMiddleware';
import { build, echoed, fakeExchange, request, spec, startFront, startUpstream } from './harness';

// basicAuth with real htpasswd hashes: bcrypt made here with bcryptjs (in htpasswd's $2y$
// spelling too), apr1 with apache-md5, and {SHA} with node:crypto.

const bcryptHash = bcrypt.hashSync('bcrypt-pw', 4);
const users = [
  `bob:${bcryptHash}`,
  `yves:$2y$${bcrypt.hashSync('y-pw', 4).slice(4)}`,
  `alice:${aprMd5('apr-pw')}`,
  `sam:{SHA}${createHash('sha1').update('password').digest('base64')}`,
];
// Fixed hashes of "secret" made by another implementation (`openssl passwd -apr1` and `-1`), so
// the check does not only agree with the library that made the others.
const FIXED = ['apr:$apr1$1Zq4j2tC$eUhCTRYlO9W1r5MfmGpnr/', 'md5:$1$saltsalt$9xy1btjgzLYfb7hivXtC//'];

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function run(options: Record<string, unknown>, authorization?: string) {
  const ex = fakeExchange({ headers: authorization ? { authorization } : {} });
  const go = await build('basicAuth', options)(ex);
  return { go, ex };
}

describe('basicAuth (unit)', () => {
  for (const [user, password] of [
    ['bob', 'bcrypt-pw'],
    ['yves', 'y-pw'],
    ['alice', 'apr-pw'],
    ['sam', 'password'],
  ])
    test(`unit: ${user}'s password passes, a wrong one gets 401`, async () => {
      const ok = await run({ users }, basic(user, password));
      assert.equal(ok.go, true);
      const bad = await run({ users }, basic(user, `${password}x`));
      assert.equal(bad.go, false);
      assert.equal(bad.ex.answered?.status, 401);
    });

  test('unit: an unknown user gets the same answer as a wrong password', async () => {
    const unknown = await run({ users }, basic('mallory', 'bcrypt-pw'));
    const wrong = await run({ users }, basic('bob', 'nope'));
    assert.deepEqual(unknown.ex.answered, wrong.ex.answered);
    assert.deepEqual(unknown.ex.answered, {
      status: 401,
      headers: {
        'www-authenticate': 'Basic realm="traefik"',
        'content-type': 'text/plain; charset=utf-8',
        'content-length': '17',
      },
      body: '401 Unauthorized\n',
    });
  });

  test('unit: no or malformed Authorization: 401 with the realm', async () => {
    for (const header of [undefined, 'Bearer x', 'Basic !!!!', `Basic ${Buffer.from('nocolon').toString('base64')}`]) {
      const { go, ex } = await run({ users, realm: 'dev area' }, header);
      assert.equal(go, false, String(header));
      assert.equal(ex.answered?.headers['www-authenticate'], 'Basic realm="dev area"');
    }
  });

  test('unit: fixed apr1, MD5-crypt and SHA-1 hashes', async () => {
    assert.equal((await run({ users: FIXED }, basic('apr', 'secret'))).go, true);
    assert.equal((await run({ users: FIXED }, basic('md5', 'secret'))).go, true);
    assert.equal((await run({ users: FIXED }, basic('md5', 'Secret'))).go, false);
    // The well-known {SHA} of "password", as htpasswd -nbs writes it.
    assert.equal(users[3], 'sam:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=');
  });

  test('unit: headerField names the user upstream, removeHeader drops Authorization', async () => {
    const { go, ex } = await run(
      { users, headerField: 'X-WebAuth-User', removeHeader: 'true' },
      basic('sam', 'password'),
    );
    assert.equal(go, true);
    assert.equal(ex.headers['x-webauth-user'], 'sam');
    assert.equal(ex.headers.authorization, undefined);
  });

  test('unit: bcrypt is checked once: the same header then passes synchronously, concurrent checks share one', async () => {
    const middleware = build('basicAuth', { users });
    const header = basic('bob', 'bcrypt-pw');
    const first = [0, 1, 2, 3, 4].map(() => middleware(fakeExchange({ headers: { authorization: header } })));
    for (const r of first) assert.ok(r instanceof Promise);
    assert.deepEqual(await Promise.all(first), [true, true, true, true, true]);
    assert.equal(middleware(fakeExchange({ headers: { authorization: header } })), true);
    // A wrong password is not remembered: checked (and refused) every time.
    const wrong = basic('bob', 'wrong');
    assert.equal(await middleware(fakeExchange({ headers: { authorization: wrong } })), false);
    assert.ok(middleware(fakeExchange({ headers: { authorization: wrong } })) instanceof Promise);
  });

  test('unit: usersFile is read once, at build, with comments and blank lines skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'htpasswd-'));
    try {
      const file = join(dir, '.htpasswd');
      writeFileSync(file, `# users\n\n  ${users[3]}  \n`);
      const middleware = build('basicAuth', { usersFile: file });
      rmSync(file);
      assert.equal(await middleware(fakeExchange({ headers: { authorization: basic('sam', 'password') } })), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('unit: what is reported', () => {
    const check = (options: Record<string, unknown>) => checkMiddleware(spec('basicAuth', options, 'auth@docker'));
    assert.equal(
      check({ users: 'bob:plaintext' }),
      "middleware auth@docker (basicAuth): user bob has no htpasswd hash (Traefik takes hashes, not plain-text passwords); generate one with: htpasswd -nbB bob 'the password'; its routers are not served",
    );
    assert.match(check({ users: ['justaname'] })!, /users entry 1 is not name:hash/);
    assert.match(check({ users: ['bob:$2y$05$short'] })!, /user bob has a malformed bcrypt hash/);
    assert.match(check({ users: ['bob:$6$salt$hash'] })!, /SHA-crypt/);
    assert.match(check({})!, /it has no users/);
    assert.match(
      check({ usersFile: '/nonexistent/.htpasswd' })!,
      /cannot read usersFile \/nonexistent\/\.htpasswd \(ENOENT\); the local proxy reads it on this machine/,
    );
    assert.match(check({ users, realm: 'a"b' })!, /option realm has a quote/);
    assert.equal(check({ Users: users.join(','), REALM: 'x', removeheader: 'false' }), undefined);
  });
});

describe('basicAuth over HTTP', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let front: Awaited<ReturnType<typeof startFront>>;
  before(async () => {
    upstream = await startUpstream();
    front = await startFront(
      [spec('basicAuth', { users, realm: 'local', headerField: 'X-User', removeHeader: true })],
      upstream,
    );
  });
  after(async () => {
    await front.close();
    await upstream.close();
  });

  test('no credentials: 401 and WWW-Authenticate, nothing upstream', async () => {
    const reply = await request(front.port, '/');
    assert.equal(reply.status, 401);
    assert.equal(reply.headers['www-authenticate'], 'Basic realm="local"');
    assert.equal(upstream.seen.length, 0);
  });

  test('a bcrypt user: through, named in X-User, without the Authorization header', async () => {
    const reply = await request(front.port, '/x', { headers: { authorization: basic('bob', 'bcrypt-pw') } });
    assert.equal(reply.status, 200);
    const seen = echoed(reply);
    assert.equal(seen.headers['x-user'], 'bob');
    assert.equal(seen.headers.authorization, undefined);
  });

  test('a wrong password over HTTP: 401', async () => {
    const reply = await request(front.port, '/x', { headers: { authorization: basic('alice', 'nope') } });
    assert.equal(reply.status, 401);
  });
});
