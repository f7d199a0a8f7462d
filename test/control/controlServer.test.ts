// ControlServer on its own, on a socket of its own: routing by method and path, parameters,
// the body limit, errors, and the start gate. The daemon's endpoints are tested elsewhere
// (test/control/routeRequests.test.ts, test/control/protocol.test.ts).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControlServer } from '../../proxy-core/src/control/controlServer';
import { UserError } from '../../proxy-core/src/errors';
import { tempDir } from '../support/env';

function send(
  socketPath: string,
  method: string,
  urlPath: string,
  body?: string | Buffer,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${urlPath} within 5 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('ControlServer', () => {
  const dir = tempDir();
  const socket = path.join(dir, 'control.sock');
  const server = new ControlServer(socket);
  const seen: Array<{ params: Record<string, string>; query: string; body: unknown }> = [];

  before(async () => {
    server.on('PUT', '/v1/things/:name', (req) => {
      seen.push({ params: req.params, query: req.query.toString(), body: req.body });
      return { ok: true, name: req.params.name };
    });
    server.on('GET', '/v1/things/:name', (req) => ({ name: req.params.name }));
    server.on('GET', '/v1/refused', () => {
      throw new UserError('No such thing: make it first.', 'ENOTHING', 409);
    });
    server.on('GET', '/v1/broken', () => {
      throw new Error('boom');
    });
    await server.listen();
  });
  after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the socket is 0600 from the start: its mode is the authentication', () => {
    assert.equal(fs.statSync(socket).mode & 0o777, 0o600);
  });

  test('path parameters arrive decoded, the query and JSON body as sent', async () => {
    const r = await send(socket, 'PUT', '/v1/things/a%2Fb%20c?x=1', JSON.stringify({ n: 1 }));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ok: true, name: 'a/b c' });
    assert.deepEqual(seen.at(-1), { params: { name: 'a/b c' }, query: 'x=1', body: { n: 1 } });
  });

  test('an unknown path is 404, a known path with another method is 405, both in the error shape', async () => {
    const notFound = await send(socket, 'GET', '/v1/nothing');
    assert.equal(notFound.status, 404);
    assert.deepEqual(notFound.json, {
      error: { code: 'ENOTFOUND', message: 'GET /v1/nothing is not part of the control API' },
    });
    const wrongMethod = await send(socket, 'DELETE', '/v1/things/x');
    assert.equal(wrongMethod.status, 405);
    assert.equal((wrongMethod.json as { error: { code: string } }).error.code, 'EMETHOD');
  });

  test('a body over 1 MiB is 413, a body that is not JSON is 400; neither reaches the handler', async () => {
    const count = seen.length;
    const big = await send(socket, 'PUT', '/v1/things/big', Buffer.alloc((1 << 20) + 1, 0x20));
    assert.equal(big.status, 413);
    assert.match((big.json as { error: { message: string } }).error.message, /too large \(limit 1 MiB\)/);
    const bad = await send(socket, 'PUT', '/v1/things/bad', '{"n":');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { error: { code: 'EBODY', message: 'Request body is not valid JSON.' } });
    assert.equal(seen.length, count);
  });

  test("a handler's UserError answers with its status and message; any other error is a 500 that points to the log", async () => {
    const refused = await send(socket, 'GET', '/v1/refused');
    assert.equal(refused.status, 409);
    assert.deepEqual(refused.json, { error: { code: 'ENOTHING', message: 'No such thing: make it first.' } });
    const broken = await send(socket, 'GET', '/v1/broken');
    assert.equal(broken.status, 500);
    assert.deepEqual(broken.json, {
      error: { code: 'EINTERNAL', message: 'Internal error in the daemon: boom (see daemon.log)' },
    });
  });

  test('requests during the start wait for it; a failed start answers 503 with the reason', async () => {
    let ready!: () => void;
    server.holdUntil(new Promise<void>((r) => (ready = r)));
    let answered = false;
    const waiting = send(socket, 'GET', '/v1/things/w').then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(answered, false, 'answered before the start was complete');
    ready();
    assert.deepEqual((await waiting).json, { name: 'w' });
    server.holdUntil(Promise.reject(new Error('port 8443 is in use')));
    const failed = await send(socket, 'GET', '/v1/things/w');
    assert.equal(failed.status, 503);
    assert.deepEqual(failed.json, {
      error: { code: 'ENOTSTARTED', message: 'The daemon could not start: port 8443 is in use' },
    });
    server.holdUntil(Promise.resolve());
  });
});
