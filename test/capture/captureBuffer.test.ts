import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureBuffer, SLAB_BYTES } from '../../proxy-core/src/capture/captureBuffer';
import { encodedLength } from '../../proxy-core/src/capture/recordCodec';
import { captureFilter, parseCaptureQuery } from '../../proxy-core/src/capture/captureQuery';
import { maskHeaders, maskRecord } from '../../proxy-core/src/capture/mask';
import {
  REPLAY_HEADER,
  type StoredRecord,
  packHeaders,
  unpackHeaders,
  summarize,
  unpackRecord,
} from '../../proxy-core/src/capture/types';
import { storedRecord as record } from './storedRecord';

const ids = (b: CaptureBuffer) => b.list(() => true, 1000).map((r) => r.id);

test('the buffer keeps the newest requests up to its count limit, dropping the oldest first', () => {
  const b = new CaptureBuffer({ maxRequests: 3, maxBytes: 1 << 30 });
  for (const id of ['a.1', 'a.2', 'a.3', 'a.4', 'a.5']) b.add(record(id));
  assert.deepEqual(ids(b), ['a.5', 'a.4', 'a.3']);
  assert.equal(b.get('a.1'), undefined);
  assert.equal(b.stats().count, 3);
});

test('the buffer keeps its records within its byte limit, dropping the oldest first, and counts a replaced record once', () => {
  const body = { bytesOut: 10_000, resSample: 'x'.repeat(10_000) };
  const one = encodedLength(record('b.1', body));
  const b = new CaptureBuffer({ maxRequests: 1000, maxBytes: one * 3 + 10 });
  // b.4 is a stream, published first when its body reached the limit (incomplete).
  for (let i = 1; i <= 5; i++) b.add(record(`b.${i}`, { ...body, complete: i !== 4 }));
  assert.deepEqual(ids(b), ['b.5', 'b.4', 'b.3']);
  assert.equal(b.get('b.4')?.complete, false);
  assert.ok(b.stats().bytes <= one * 3 + 10);
  // A stream published at the body limit, then again when it ends: one entry, in its first place.
  b.add(record('b.4', { ...body, status: 206, complete: true }));
  assert.deepEqual(ids(b), ['b.5', 'b.4', 'b.3']);
  assert.equal(b.get('b.4')?.status, 206);
  assert.equal(b.get('b.4')?.complete, true);
  assert.equal(b.stats().bytes, one * 3);
  // One record larger than the whole limit still shows (the newest always stays).
  b.add(record('b.6', { bytesOut: 1, resSample: 'y'.repeat(one * 4) }));
  assert.deepEqual(ids(b), ['b.6']);
  assert.equal(b.clear(), 1);
  assert.deepEqual(ids(b), []);
});

test('queries filter by host, status class or code, method and text, and bad ones are refused in one line', () => {
  const b = new CaptureBuffer({ maxRequests: 100, maxBytes: 1 << 30 });
  b.add(record('c.1', { status: 200, method: 'GET', host: 'a.localhost' }));
  b.add(record('c.2', { status: 503, method: 'POST', host: 'b.localhost' }));
  b.add(record('c.3', { status: 404, method: 'GET', host: 'b.localhost', url: '/missing' }));
  b.add(record('c.4', { status: 0, error: { by: 'client', kind: 'abort', message: 'gone' } }));
  const q = (s: string) => {
    const query = parseCaptureQuery(new URLSearchParams(s));
    return b.list(captureFilter(query), query.limit ?? 100, query.before).map((r) => r.id);
  };
  assert.deepEqual(q('status=5xx'), ['c.2']);
  assert.deepEqual(q('status=4xx,5xx'), ['c.3', 'c.2']);
  assert.deepEqual(q('status=err'), ['c.4']);
  assert.deepEqual(q('host=B.localhost'), ['c.3', 'c.2']);
  assert.deepEqual(q('method=get&host=b.localhost'), ['c.3']);
  assert.deepEqual(q('q=missing'), ['c.3']);
  assert.deepEqual(q('limit=2'), ['c.4', 'c.3']);
  assert.deepEqual(q('before=c.3'), ['c.2', 'c.1']);
  assert.throws(() => parseCaptureQuery(new URLSearchParams('status=6yy')), /status must be a code/);
  assert.throws(() => parseCaptureQuery(new URLSearchParams('limit=0')), /limit must be a whole number/);
});

test('credentials are masked, keeping the scheme and cookie names, and shown only when asked', () => {
  const h = {
    authorization: 'Bearer s3cr3t',
    'proxy-authorization': 'Basic dXNlcjpwYXNz',
    cookie: 'sid=abc123; theme=dark',
    'set-cookie': ['sid=abc123; Path=/; HttpOnly', 'x=1'],
    'x-other': 'visible',
  };
  assert.deepEqual(maskHeaders(h), {
    authorization: 'Bearer ••••••',
    'proxy-authorization': 'Basic ••••••',
    cookie: 'sid=••••••; theme=••••••',
    'set-cookie': ['sid=••••••; Path=/; HttpOnly', 'x=••••••'],
    'x-other': 'visible',
  });
  const r = unpackRecord(record('d.1', { reqHead: 'Authorization\nBearer s3cr3t', resHead: 'Set-Cookie\na=b' }));
  assert.equal(maskRecord(r).responseHeaders!['set-cookie'], 'a=••••••');
  assert.equal(maskRecord(r, true), r);
  assert.equal(r.requestHeaders.authorization, 'Bearer s3cr3t', 'masking copies, the record keeps its values');
  assert.equal(maskRecord(r).requestHeaders.authorization, 'Bearer ••••••');
});

test('headers are kept packed as they came and read back lower-cased, repeats as arrays, without HTTP/2 pseudo-headers or the replay marker', () => {
  const packed = packHeaders([
    ':path',
    '/',
    'Host',
    'a.localhost',
    'Set-Cookie',
    'a=1',
    'set-cookie',
    'b=2',
    REPLAY_HEADER,
    'x.1 y.2',
  ]);
  assert.deepEqual(unpackHeaders(packed), { host: 'a.localhost', 'set-cookie': ['a=1', 'b=2'] });
  assert.deepEqual(unpackHeaders(packHeaders([Buffer.from('X-A'), Buffer.from('1')])), { 'x-a': '1' });
  assert.deepEqual(unpackHeaders(''), {});
});

test('a stored record reads back as the API shape: binary body samples as base64 (truncated when the body was longer), microseconds as milliseconds, the client as an object', () => {
  const bytes = Buffer.from([0, 1, 0x7f, 0x80, 0xc3, 0xff, 10]);
  const stored = record('e.1', {
    reqSample: bytes.toString('latin1'),
    bytesIn: bytes.length,
    resSample: 'ab',
    bytesOut: 5,
    clientPort: 4242,
    tlsUs: 1500,
    totalUs: 12_345,
  });
  // As a worker's record arrives: through JSON.
  const r = unpackRecord(JSON.parse(JSON.stringify(stored)) as StoredRecord);
  assert.deepEqual(r.requestBody, { size: bytes.length, truncated: false, base64: bytes.toString('base64') });
  assert.deepEqual(r.responseBody, { size: 5, truncated: true, base64: Buffer.from('ab').toString('base64') });
  assert.deepEqual(r.timings, { tlsMs: 1.5, totalMs: 12.345 });
  assert.deepEqual(r.client, { address: '127.0.0.1', port: 4242 });
  assert.equal(unpackRecord(record('e.2')).requestBody, undefined);
  assert.equal(summarize(record('e.3', { totalUs: 2500 })).durationMs, 2.5);
  assert.deepEqual(unpackHeaders(packHeaders([Buffer.from('X-B'), Buffer.from('\xe9', 'latin1')])), { 'x-b': '\xe9' });
});

test('the buffer finds, pages and replaces records across its compactions and after a clear', () => {
  const b = new CaptureBuffer({ maxRequests: 10, maxBytes: 1 << 30 });
  // f.2995 is a stream still open (published incomplete at the body limit).
  for (let i = 1; i <= 3000; i++) b.add(record(`f.${i}`, { complete: i !== 2995 }));
  assert.deepEqual(ids(b).slice(0, 3), ['f.3000', 'f.2999', 'f.2998']);
  assert.equal(ids(b).length, 10);
  assert.equal(b.get('f.2990'), undefined);
  assert.equal(b.get('f.2995')?.url, '/f.2995');
  assert.deepEqual(
    b.list(() => true, 3, 'f.2995').map((r) => r.id),
    ['f.2994', 'f.2993', 'f.2992'],
  );
  b.add(record('f.2995', { status: 201 }));
  assert.equal(b.get('f.2995')?.status, 201);
  assert.deepEqual(ids(b).slice(5, 6), ['f.2995'], 'replaced in its place, not added');
  assert.equal(b.stats().count, 10);
  assert.equal(b.clear(), 10);
  b.add(record('g.1'));
  assert.deepEqual(ids(b), ['g.1']);
  assert.equal(b.get('f.3000'), undefined);
});

test('records are kept as bytes in 1 MB slabs: full slabs are freed as their records go, and every record reads back whole', () => {
  const sample = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    .toString('latin1')
    .repeat(200);
  const b = new CaptureBuffer({ maxRequests: 1000, maxBytes: 4 * SLAB_BYTES });
  for (let i = 1; i <= 2000; i++)
    b.add(record(`h.${i}`, { resSample: sample, bytesOut: sample.length * 2, router: 'wéb@docker' }));
  const slabs = (b as unknown as { slabs: unknown[] }).slabs;
  assert.ok(slabs.length <= 5, `${slabs.length} slabs held for a 4 MB limit`);
  assert.ok(b.stats().bytes <= 4 * SLAB_BYTES);
  const kept = b.list(() => true, 1000);
  assert.equal(kept[0].id, 'h.2000');
  for (const r of kept) {
    assert.equal(r.resSample, sample);
    assert.equal(r.router, 'wéb@docker');
  }
  // One record larger than a slab gets a slab of its own.
  const big = 'z'.repeat(SLAB_BYTES + 10);
  b.add(record('h.big', { reqSample: big }));
  assert.equal(b.get('h.big')?.reqSample, big);
  assert.equal(ids(b)[0], 'h.big');
  assert.ok(b.stats().bytes <= 4 * SLAB_BYTES);
});

test('a provisional record dropped before its stream ended is added anew when the stream ends, replacing nothing', () => {
  const b = new CaptureBuffer({ maxRequests: 2, maxBytes: 1 << 30 });
  b.add(record('s.1', { complete: false }));
  b.add(record('s.2'));
  b.add(record('s.3'));
  assert.deepEqual(ids(b), ['s.3', 's.2']);
  b.add(record('s.1', { status: 206 }));
  assert.deepEqual(ids(b), ['s.1', 's.3']);
  assert.equal(b.get('s.1')?.status, 206);
});
