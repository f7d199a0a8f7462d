import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startDaemon } from '../support/daemon';

interface Answer {
  status: number;
  body: { error?: { code: string; message: string }; routes?: unknown[] };
}

/**
 * One raw request on the control socket, body sent as given (no client-side typing). Times out
 * after 3 s so an unanswered request fails the test instead of hanging it.
 */
function raw(socketPath: string, method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method,
        path,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        timeout: 3000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Answer['body']) : {} }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within 3 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('control API: route requests are validated at the boundary', () => {
  let daemon: Daemon;
  let socket: string;
  before(async () => {
    ({ daemon } = await startDaemon());
    socket = daemon.paths.socket;
  });
  after(() => daemon.close());

  const put = (host: string, body: unknown) => raw(socket, 'PUT', `/v1/routes/${host}`, JSON.stringify(body));

  const assertOneLine400 = (a: Answer, code: string, message: RegExp) => {
    assert.equal(a.status, 400, JSON.stringify(a.body));
    assert.equal(a.body.error?.code, code);
    assert.match(a.body.error?.message ?? '', message);
    assert.doesNotMatch(a.body.error?.message ?? '', /\n/);
  };

  test('wrong JSON types are refused with 400 and a reason, nothing is stored', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ target: 12345 }, /"target" must be a string .*not the number 12345\.$/],
      [{ target: ['http://127.0.0.1:5000'] }, /"target" must be a string .*not an array\.$/],
      [{ target: { url: 'http://127.0.0.1:5000' } }, /"target" must be a string .*not an object\.$/],
      [{ target: null }, /"target" must be a string .*not null\.$/],
      [{ target: 'http://127.0.0.1:5000', tls: 7 }, /"tls" must be "local" or "acme" .*not the number 7\.$/],
      [{ target: 'http://127.0.0.1:5000', tls: 'acmee' }, /"tls" must be "local" or "acme" .*not "acmee"\.$/],
      [
        { target: 'http://127.0.0.1:5000', tsl: 'acme' },
        /unknown field "tsl" \(the fields are "target", "tls", "path", "stripPrefix", "priority"\)/,
      ],
      [{}, /"target" is missing/],
      [['http://127.0.0.1:5000'], /expected a JSON object .*not an array\.$/],
      ['http://127.0.0.1:5000', /expected a JSON object .*not "http:\/\/127\.0\.0\.1:5000"\.$/],
      [{ target: 'http://127.0.0.1:5000\nX-Evil: 1' }, /"target" must not contain control characters/],
      [{ target: 'http://127.0.0.1:5000', path: 5 }, /"path" must be a string such as "\/api", not the number 5\.$/],
      [{ target: 'http://127.0.0.1:5000', path: 'api' }, /Invalid route path "api": it must start with \//],
      [{ target: 'http://127.0.0.1:5000', stripPrefix: true }, /"stripPrefix" needs a "path" to strip/],
      [{ target: 'http://127.0.0.1:5000', path: '/a', stripPrefix: 'yes' }, /"stripPrefix" must be true or false/],
      [{ target: 'http://127.0.0.1:5000', path: '/a', priority: 0 }, /"priority" must be a whole number from 1/],
      [{ target: 'http://127.0.0.1:5000', path: '/a', priority: 1.5 }, /"priority" must be a whole number from 1/],
    ];
    for (const [body, message] of cases) {
      assertOneLine400(
        await put('typed.localhost', body),
        'EBODY',
        new RegExp(`^Invalid request body for typed\\.localhost: ${message.source}`),
      );
    }
    assertOneLine400(
      await raw(socket, 'PUT', '/v1/routes/typed.localhost'),
      'EBODY',
      /the body is empty: send a JSON object such as \{"target": /,
    );
    const list = await raw(socket, 'GET', '/v1/routes');
    assert.deepEqual(list.body.routes, []);
  });

  test('a well-typed request still works', async () => {
    const a = await put('typed.localhost', { target: 'http://127.0.0.1:5000', tls: 'local' });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal((await raw(socket, 'DELETE', '/v1/routes/typed.localhost')).status, 200);
  });

  test('port 0 is refused in every target form, like a bare 0', async () => {
    for (const target of ['0', 'http://127.0.0.1:0', 'http://[::1]:0', 'https://localhost:00', 'container:web:0']) {
      const shown = target.replace(/[.[\]]/g, '\\$&');
      assertOneLine400(
        await put('zero.localhost', { target }),
        'ETARGET',
        new RegExp(`^Invalid target "${shown}": port "0+" must be a number from 1 to 65535\\.$`),
      );
    }
    const list = await raw(socket, 'GET', '/v1/routes');
    assert.deepEqual(list.body.routes, []);
  });

  test('malformed percent-encoding in a path parameter answers 400 (it used to get no answer)', async () => {
    const requests: Array<[string, string, string | undefined]> = [
      ['PUT', '/v1/routes/%E0%A4%A', JSON.stringify({ target: 'http://127.0.0.1:5000' })],
      ['DELETE', '/v1/routes/%', undefined],
      ['DELETE', '/v1/routes/%zz.localhost', undefined],
      ['POST', '/v1/certs/%E0%A4/renew', undefined],
    ];
    for (const [method, path, body] of requests) {
      const a = await raw(socket, method, path, body);
      assertOneLine400(a, 'EPATH', /^The host ".*" in the path is not valid percent-encoding .*encodeURIComponent\.$/);
    }
    // The daemon is still there and answers normally.
    assert.equal((await raw(socket, 'GET', '/v1/status')).status, 200);
  });
});
