import { alignedEnd, encodedBound, encodeRecord, type EncodedRecords, Slab } from './recordCodec';
import type { StoredRecord } from './types';

/** A batch's records are written into a Buffer of this size (a bigger record gets one of its own). */
export const BATCH_BYTES = 512 * 1024;

/**
 * A worker's records on their way to the daemon: gathered for a moment and sent in one IPC
 * message, so a request never waits for the channel and the daemon's loop is woken per batch,
 * not per request. Each record is encoded as it is published (recordCodec.ts, about 0.4 µs a
 * record), so a batch is bytes the daemon copies into its buffer without decoding them
 * (docs/performance.md, "Tenth pass").
 */
export class CaptureBatcher {
  private slab?: Slab;
  private used = 0;
  private lengths: number[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly send: (records: EncodedRecords) => void,
    private readonly everyMs = 100,
    private readonly maxBatch = 200,
  ) {}

  publish(record: StoredRecord): void {
    const bound = encodedBound(record);
    if (this.slab && this.used + bound > this.slab.length) this.flush();
    this.slab ??= new Slab(Math.max(BATCH_BYTES, bound));
    const length = encodeRecord(record, this.slab, this.used);
    this.lengths.push(length);
    this.used = alignedEnd(this.used, length);
    if (this.lengths.length >= this.maxBatch) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.everyMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.slab || !this.lengths.length) return;
    const batch = { bytes: this.slab.buf.subarray(0, this.used), lengths: this.lengths };
    this.slab = undefined;
    this.used = 0;
    this.lengths = [];
    this.send(batch);
  }
}
