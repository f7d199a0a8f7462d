import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { toHar } from '../../proxy-core/src/capture/har';
import type { CaptureRecord } from '../../proxy-core/src/capture/types';
import { harValidator } from './harSchema';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

function sample(): CaptureRecord[] {
  return [
    {
      id: 'ab12.2',
      startedAt: '2026-01-02T03:04:06.000Z',
      host: 'api.localhost',
      router: 'api@docker',
      target: 'container:api',
      upstream: 'http://172.17.0.2:8080',
      client: { address: '127.0.0.1', port: 50000 },
      method: 'POST',
      url: '/items?page=2&q=a%20b',
      httpVersion: '2',
      requestHeaders: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Bearer s3cr3t',
        cookie: 'sid=abc; theme=dark',
      },
      responseHeaders: { 'content-type': 'application/json', 'set-cookie': ['sid=new; HttpOnly', 'x=1'] },
      status: 201,
      timings: { tlsMs: 2.5, connectWaitMs: 0.5, ttfbMs: 10, totalMs: 14 },
      bytesIn: 11,
      bytesOut: 100_000,
      requestBody: { size: 11, truncated: false, base64: b64('name=a&x=1') + '' },
      responseBody: { size: 100_000, truncated: true, base64: b64('{"ok":true') },
      replayOf: 'ab12.1',
      complete: true,
    },
    {
      id: 'ab12.1',
      startedAt: '2026-01-02T03:04:05.000Z',
      host: 'img.localhost',
      client: { address: '127.0.0.1' },
      method: 'GET',
      url: '/logo.png',
      httpVersion: '1.1',
      requestHeaders: { host: 'img.localhost:8443' },
      responseHeaders: { 'content-type': 'image/png' },
      status: 0,
      timings: { totalMs: 3 },
      bytesIn: 0,
      bytesOut: 4,
      responseBody: { size: 4, truncated: false, base64: b64(Buffer.from([0x89, 0x50, 0x4e, 0x47])) },
      error: { by: 'upstream', kind: 'reset', message: 'socket hang up' },
      complete: true,
    },
  ];
}

test('the HAR export validates against the HAR 1.2 JSON Schema, and its fields read back as recorded, secrets masked', () => {
  const har = toHar(sample(), { version: '1.2.3' });
  assert.equal(harValidator()(har), undefined);
  assert.match(
    harValidator()({ log: { version: '1.2', creator: { name: 'x', version: '1' }, entries: [{}] } }) ?? '',
    /required/,
    'the schema does check',
  );
  // What an importer (DevTools, Firefox) reads back, from the JSON text as written to the file.
  const back = JSON.parse(JSON.stringify(har)) as typeof har;
  assert.equal(back.log.creator.version, '1.2.3');
  const [img, api] = back.log.entries;
  assert.deepEqual(
    back.log.entries.map((e) => e._id),
    ['ab12.1', 'ab12.2'],
    'oldest first',
  );
  assert.equal(api.request.method, 'POST');
  assert.equal(api.request.url, 'https://api.localhost/items?page=2&q=a%20b');
  assert.equal(api.request.httpVersion, 'HTTP/2.0');
  assert.deepEqual(api.request.queryString, [
    { name: 'page', value: '2' },
    { name: 'q', value: 'a b' },
  ]);
  assert.deepEqual(api.request.postData?.params, [
    { name: 'name', value: 'a' },
    { name: 'x', value: '1' },
  ]);
  assert.equal(api.request.postData?.text, 'name=a&x=1');
  assert.equal(api.response.status, 201);
  assert.equal(api.response.content.text, '{"ok":true');
  assert.match(api.response.content.comment!, /first 10 of 100000 bytes/);
  assert.equal(api.response.content.size, 100_000);
  assert.equal(api.serverIPAddress, '172.17.0.2');
  assert.equal(api._replayOf, 'ab12.1');
  assert.deepEqual(api.timings, { blocked: 0.5, dns: -1, connect: 2.5, ssl: 2.5, send: 0, wait: 10, receive: 1 });
  assert.equal(api.time, 14);
  const reqHeaders = Object.fromEntries(api.request.headers.map((h) => [h.name, h.value]));
  assert.equal(reqHeaders.authorization, 'Bearer ••••••');
  assert.equal(reqHeaders.cookie, 'sid=••••••; theme=••••••');
  assert.deepEqual(api.request.cookies, [
    { name: 'sid', value: '••••••' },
    { name: 'theme', value: '••••••' },
  ]);
  assert.deepEqual(
    api.response.cookies.map((c) => c.value),
    ['••••••', '••••••'],
  );
  assert.equal(img.request.url, 'https://img.localhost:8443/logo.png');
  assert.equal(img.response.content.encoding, 'base64');
  assert.deepEqual(Buffer.from(img.response.content.text!, 'base64'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  assert.equal(img._error, 'upstream reset: socket hang up');

  const open = toHar(sample(), { version: '1', showSecrets: true });
  assert.equal(harValidator()(open), undefined);
  assert.deepEqual(open.log.entries[1].request.cookies[0], { name: 'sid', value: 'abc' });
});

test('a response sent compressed is exported decoded (text, size, compression), as browsers export it; one that does not decode as sent', () => {
  const json = JSON.stringify({ items: Array.from({ length: 50 }, (_, i) => ({ i, name: `item ${i}` })) });
  const gz = zlib.gzipSync(json);
  const [record] = sample();
  const gzipped: CaptureRecord = {
    ...record,
    id: 'gz.1',
    responseHeaders: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    bytesOut: gz.length,
    responseBody: { size: gz.length, truncated: false, base64: b64(gz) },
  };
  const broken: CaptureRecord = {
    ...gzipped,
    id: 'gz.2',
    responseHeaders: { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' },
    responseBody: { size: 3, truncated: false, base64: b64('abc') },
  };
  const har = toHar([gzipped, broken], { version: '1' });
  assert.equal(harValidator()(har), undefined);
  const entries = (JSON.parse(JSON.stringify(har)) as typeof har).log.entries;
  const good = entries.find((e) => e._id === 'gz.1')!;
  const bad = entries.find((e) => e._id === 'gz.2')!;
  assert.equal(good.response.content.text, json);
  assert.equal(good.response.content.encoding, undefined);
  assert.equal(good.response.content.size, json.length);
  assert.equal(good.response.content.compression, json.length - gz.length);
  assert.equal(good.response.bodySize, gz.length);
  assert.equal(bad.response.content.text, b64('abc'));
  assert.equal(bad.response.content.encoding, 'base64');
  assert.equal(bad.response.content.compression, undefined);
});
