import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureBatcher } from '../../proxy-core/src/capture/captureBatcher';
import { CaptureBuffer } from '../../proxy-core/src/capture/captureBuffer';
import type { StoredRecord } from '../../proxy-core/src/capture/types';
import { type FromWorker, recordsFromWire, recordsToWire } from '../../proxy-core/src/daemon/workerProtocol';

test("request records cross the worker channel as bytes in JSON (as Node's IPC sends it) and read back whole, binary samples and UTF-8 alike", () => {
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
  const sent: StoredRecord[] = [
    {
      id: 'p.1',
      startedAtMs: 1_700_000_000_000,
      host: 'app.localhost',
      router: 'wéb@docker',
      clientAddress: '127.0.0.1',
      clientPort: 50123,
      method: 'POST',
      url: '/ünï?q="x"',
      httpVersion: '2',
      reqHead: 'content-type\napplication/octet-stream',
      resHead: 'content-type\ntext/plain',
      status: 201,
      totalUs: 1500,
      ttfbUs: 900,
      bytesIn: 256,
      bytesOut: 2,
      reqSample: binary,
      resSample: 'ok',
      complete: true,
    },
  ];
  const messages: string[] = [];
  const batcher = new CaptureBatcher((records) => {
    const msg: FromWorker = { t: 'capture', records: recordsToWire(records) };
    messages.push(JSON.stringify(msg));
  });
  for (const r of sent) batcher.publish(r);
  batcher.flush();
  assert.equal(messages.length, 1);
  const received = JSON.parse(messages[0]) as FromWorker;
  assert.equal(received.t, 'capture');
  const buffer = new CaptureBuffer({ maxRequests: 10, maxBytes: 1 << 20 });
  if (received.t === 'capture') buffer.addEncoded(recordsFromWire(received.records));
  assert.deepEqual(buffer.get('p.1'), sent[0]);
});
