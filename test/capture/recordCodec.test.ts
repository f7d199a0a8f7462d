import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeId,
  decodeRecord,
  encodedBound,
  encodedLength,
  encodeRecord,
  Slab,
} from '../../proxy-core/src/capture/recordCodec';
import type { StoredRecord } from '../../proxy-core/src/capture/types';

const everything: StoredRecord = {
  id: 'k3f9.1a',
  startedAtMs: 1_796_000_000_123,
  host: 'shop.localhost',
  router: 'wéb-☃-🚀@docker',
  target: 'container:web',
  upstream: 'http://172.17.0.2:8080',
  clientAddress: '::ffff:127.0.0.1',
  clientPort: 54321,
  method: 'POST',
  url: '/caf\u00e9?q=%20',
  httpVersion: '2',
  reqHead: ':path\n/\nhost\nshop.localhost\nx-bin\n\u00ff\u0080',
  resHead: 'content-type\napplication/json',
  status: 503,
  tlsUs: 1234,
  connectWaitUs: 0,
  ttfbUs: 3_000_000_000,
  totalUs: 5_000_000_000_000,
  bytesIn: 6_000_000_000,
  bytesOut: 0,
  reqSample: Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1'),
  resSample: '',
  error: { by: 'upstream', kind: 'reset', message: 'the upstream reset the connection — ECONNRESET' },
  websocket: {
    messagesIn: 2,
    messagesOut: 1,
    bytesIn: 10,
    bytesOut: 5,
    frames: [{ dir: 'in', atMs: 1.5, opcode: 'text', data: 'héllo', size: 6, truncated: false }],
  },
  replayOf: 'k3f9.19',
  complete: false,
};

test('a record reads back from its bytes exactly: every field, UTF-8 names, binary samples, large numbers', () => {
  const slab = new Slab(encodedBound(everything) + 16);
  const n = encodeRecord(everything, slab, 16);
  assert.equal(n, encodedLength(everything));
  assert.ok(n <= encodedBound(everything));
  assert.deepEqual(decodeRecord(slab, 16), everything);
  assert.equal(decodeId(slab, 16), 'k3f9.1a');
});

test('a minimal record reads back without the fields it did not have', () => {
  const minimal: StoredRecord = {
    id: 'a.1',
    startedAtMs: 1,
    host: 'a.localhost',
    clientAddress: '127.0.0.1',
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
    reqHead: '',
    status: 0,
    totalUs: 0,
    bytesIn: 0,
    bytesOut: 0,
    complete: true,
  };
  const slab = new Slab(encodedBound(minimal));
  encodeRecord({ ...minimal, router: undefined, tlsUs: undefined }, slab, 0);
  assert.deepEqual(decodeRecord(slab, 0), minimal);
});
