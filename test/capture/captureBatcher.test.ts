import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BATCH_BYTES, CaptureBatcher } from '../../proxy-core/src/capture/captureBatcher';
import { CaptureBuffer } from '../../proxy-core/src/capture/captureBuffer';
import type { EncodedRecords } from '../../proxy-core/src/capture/recordCodec';
import type { StoredRecord } from '../../proxy-core/src/capture/types';
import { storedRecord as record } from './storedRecord';

/** A batch as the daemon receives it: a copy of the bytes (the wire form is test/daemon/workerProtocol.test.ts's). */
const overTheChannel = (batch: EncodedRecords): EncodedRecords => ({
  bytes: Buffer.from(batch.bytes),
  lengths: [...batch.lengths],
});

test("a worker's records cross as bytes and read back in the daemon's buffer as the same records; an incomplete one is replaced by id; 'added' listeners get them decoded", () => {
  const batches: EncodedRecords[] = [];
  const batcher = new CaptureBatcher((b) => batches.push(overTheChannel(b)), 60_000, 3);
  const sample = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
  const sent = [
    record('w.1', { complete: false, resSample: sample, router: 'wéb@docker', clientPort: 5000 }),
    record('w.2', { error: { by: 'upstream', kind: 'refused', message: 'connection refused' }, ttfbUs: 12 }),
    record('w.3', { httpVersion: '2', reqSample: 'x'.repeat(BATCH_BYTES + 10) }),
  ];
  for (const r of sent) batcher.publish(r);
  batcher.flush();
  // w.3 does not fit beside the first two: they leave first, and it makes a batch of its own.
  assert.deepEqual(
    batches.map((b) => b.lengths.length),
    [2, 1],
  );
  const buffer = new CaptureBuffer({ maxRequests: 10, maxBytes: 1 << 30 });
  for (const b of batches) buffer.addEncoded(b);
  assert.deepEqual(
    buffer.list(() => true, 10).map((r) => r.id),
    ['w.3', 'w.2', 'w.1'],
  );
  for (const r of sent) assert.deepEqual(buffer.get(r.id), r);

  const added: StoredRecord[] = [];
  buffer.on('added', (r: StoredRecord) => added.push(r));
  const final = record('w.1', { status: 206, resSample: sample });
  batcher.publish(final);
  batcher.flush();
  buffer.addEncoded(batches[2]);
  assert.equal(buffer.stats().count, 3, 'replaced, not added');
  assert.deepEqual(buffer.get('w.1'), final);
  assert.deepEqual(added, [final]);
});

test('a batch leaves when it holds maxBatch records, or everyMs after its first record', async () => {
  const sizes: number[] = [];
  const batcher = new CaptureBatcher((b) => sizes.push(b.lengths.length), 50, 4);
  for (let i = 0; i < 9; i++) batcher.publish(record(`b.${i}`));
  assert.deepEqual(sizes, [4, 4]);
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(sizes, [4, 4, 1]);
  batcher.flush();
  assert.deepEqual(sizes, [4, 4, 1], 'nothing left to send');
});
