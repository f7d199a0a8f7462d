import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { CaptureBatcher } from '../../proxy-core/src/capture/captureBatcher';
import { CaptureBuffer } from '../../proxy-core/src/capture/captureBuffer';
import type { EncodedRecords } from '../../proxy-core/src/capture/recordCodec';
import type { StoredRecord } from '../../proxy-core/src/capture/types';
import { RecordFrameReader, recordPipeSupported, writeRecords } from '../../proxy-core/src/daemon/recordPipe';
import { DEFAULT_CAPTURE } from '../../proxy-core/src/capture/types';
import { startEchoBackend } from '../support/backends';
import { startDaemon } from '../support/daemon';
import { httpsGet } from '../support/https';
import { until } from '../support/wait';

const record = (i: number, extra: Partial<StoredRecord> = {}): StoredRecord => ({
  id: `w.${i}`,
  startedAtMs: 1_700_000_000_000 + i,
  host: 'app.localhost',
  router: 'app.localhost',
  clientAddress: '127.0.0.1',
  clientPort: 40000 + i,
  method: 'GET',
  url: `/r/${i}?ü=${'x'.repeat(i % 7)}`,
  httpVersion: i % 2 ? '2' : '1.1',
  reqHead: 'host\napp.localhost',
  resHead: 'content-type\ntext/plain',
  status: 200,
  totalUs: 100 + i,
  bytesIn: 0,
  bytesOut: 2,
  resSample: 'ok',
  complete: true,
  ...extra,
});

/** The frames a worker would write for these records (batches of `maxBatch`), as one byte string. */
function framed(records: StoredRecord[], maxBatch: number): { wire: Buffer; batches: number } {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  let batches = 0;
  const batcher = new CaptureBatcher(
    (r) => {
      batches++;
      writeRecords(out, r);
    },
    1000,
    maxBatch,
  );
  for (const r of records) batcher.publish(r);
  batcher.flush();
  return { wire: Buffer.concat(parts), batches };
}

function readBack(chunks: Buffer[]): { got: StoredRecord[]; bad: string[] } {
  const buffer = new CaptureBuffer({ maxRequests: 1000, maxBytes: 32 << 20 });
  const bad: string[] = [];
  const reader = new RecordFrameReader(
    (r: EncodedRecords) => buffer.addEncoded(r),
    (why) => bad.push(why),
  );
  for (const c of chunks) reader.push(c);
  return { got: buffer.list(() => true, 1000).reverse(), bad };
}

test('record frames read back whole however the pipe cuts them: at every byte, and several frames in one chunk', () => {
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
  const records = [record(0, { reqSample: binary, bytesIn: 256, method: 'POST' }), record(1), record(2), record(3)];
  const { wire, batches } = framed(records, 2);
  assert.equal(batches, 2);
  const whole = readBack([wire]);
  assert.deepEqual(whole.got, records);
  assert.deepEqual(whole.bad, []);
  for (let cut = 1; cut < wire.length; cut++) {
    const { got, bad } = readBack([wire.subarray(0, cut), wire.subarray(cut)]);
    assert.deepEqual(got, records, `cut at byte ${cut}`);
    assert.deepEqual(bad, []);
  }
  const bytes = Array.from({ length: wire.length }, (_, i) => wire.subarray(i, i + 1));
  assert.deepEqual(readBack(bytes).got, records, 'one byte per chunk');
});

test('a frame that cannot be ours stops the reader with a reason, once', () => {
  const garbage = Buffer.alloc(16, 0xff);
  const { got, bad } = readBack([garbage, framed([record(0)], 10).wire]);
  assert.deepEqual(got, []);
  assert.equal(bad.length, 1);
  assert.match(bad[0], /a record frame of 4294967295 bytes/);
});

test(
  'a worker’s last records reach the daemon when it stops, over the record pipe (real worker)',
  { skip: !recordPipeSupported() && 'Windows records over the JSON channel' },
  async () => {
    const backend = await startEchoBackend('app');
    const { daemon, ca } = await startDaemon({ workers: 1, capture: DEFAULT_CAPTURE });
    try {
      await until('the worker', () => daemon.status().https.workers?.ready === 1, 10_000);
      await daemon.routes.expose('app.localhost', { target: backend.url });
      // New connections alternate between the daemon and the worker: two requests, one each.
      for (const p of ['/one', '/two'])
        assert.equal((await httpsGet({ host: 'app.localhost', port: daemon.httpsPort, ca, path: p })).status, 200);
    } finally {
      // At once: the worker's record is still in its batch (sent every 100 ms) when it is told to go.
      await daemon.close();
      await backend.close();
    }
    const list = daemon.capture!.list(() => true, 10);
    assert.deepEqual(list.map((r) => r.url).sort(), ['/one', '/two']);
    // One each from the daemon and the worker: their ids have a prefix of their own (capture/captureId.ts).
    assert.equal(new Set(list.map((r) => r.id.split('.')[0])).size, 2, list.map((r) => r.id).join(' '));
  },
);
