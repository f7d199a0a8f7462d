import { EventEmitter } from 'node:events';
import {
  alignedEnd,
  decodeComplete,
  decodeId,
  decodeRecord,
  encodedBound,
  encodeRecord,
  type EncodedRecords,
  Slab,
} from './recordCodec';
import type { CaptureSettings, StoredRecord } from './types';

/** Records are written one after another into Buffers of this size (a bigger record gets one of its own). */
export const SLAB_BYTES = 1 << 20;

/**
 * The last requests, in memory only, bounded by count and by bytes, whichever is reached first;
 * the oldest go first. A record published again under the same id (a stream that reached the
 * body limit, then ended) replaces the earlier one in place. Emits 'added' (record) for each.
 *
 * Records are kept as bytes (recordCodec.ts) in 1 MB Buffers, outside the JavaScript heap, and
 * decoded when read: per entry only three numbers in arrays (its slab, offset and length), so a
 * full buffer is no work for the garbage collector (docs/performance.md, "What request capture
 * costs"). Slabs are freed oldest first once no live record is in them; one is kept for reuse.
 * Lookups by id scan the entries (reads are rare, ≤ the count limit); only ids of records still
 * incomplete are in a map, for their replacement.
 */
export class CaptureBuffer extends EventEmitter {
  /** Entry i (from `head`): the absolute number of its slab, its offset there, its length. */
  private slabOf: number[] = [];
  private offsetOf: number[] = [];
  private lengthOf: number[] = [];
  /** The oldest live entry: dropping moves it on, the arrays are compacted now and then (not per request). */
  private head = 0;
  /** The absolute number of entry 0 (ids of incomplete records map to these). */
  private entryBase = 0;
  private slabs: Slab[] = [];
  /** Live records in each slab, by position in `slabs`. */
  private slabRecords: number[] = [];
  /** The absolute number of slabs[0]. */
  private slabBase = 0;
  /** Where the next record goes in the last slab. */
  private used = 0;
  private spare?: Slab;
  private readonly incomplete = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly limits: Pick<CaptureSettings, 'maxRequests' | 'maxBytes'>) {
    super();
  }

  add(record: StoredRecord): void {
    const last = this.room(encodedBound(record));
    const offset = this.used;
    const length = encodeRecord(record, this.slabs[last], offset);
    this.place(last, offset, length, record.id, record.complete);
    this.emit('added', record);
  }

  /** Records a worker encoded (captureBatcher.ts): their bytes copied in, decoded only for an 'added' listener. */
  addEncoded({ bytes, lengths }: EncodedRecords): void {
    let from = 0;
    for (const length of lengths) {
      const last = this.room(length);
      const slab = this.slabs[last];
      const offset = this.used;
      slab.buf.set(bytes.subarray(from, from + length), offset);
      from = alignedEnd(from, length);
      this.place(last, offset, length, decodeId(slab, offset), decodeComplete(slab, offset));
      if (this.listenerCount('added')) this.emit('added', decodeRecord(slab, offset));
    }
  }

  get(id: string): StoredRecord | undefined {
    const i = this.find(id);
    return i === undefined ? undefined : this.decode(i);
  }

  /** Newest first; `before`: only those older than that id. */
  list(filter: (r: StoredRecord) => boolean, limit: number, before?: string): StoredRecord[] {
    const out: StoredRecord[] = [];
    let i = this.slabOf.length - 1;
    if (before !== undefined) {
      const at = this.find(before);
      if (at === undefined) return out;
      i = at - 1;
    }
    for (; i >= this.head && out.length < limit; i--) {
      const r = this.decode(i);
      if (filter(r)) out.push(r);
    }
    return out;
  }

  clear(): number {
    const n = this.slabOf.length - this.head;
    this.entryBase += this.slabOf.length;
    this.slabOf = [];
    this.offsetOf = [];
    this.lengthOf = [];
    this.head = 0;
    this.slabBase += this.slabs.length;
    this.slabs = [];
    this.slabRecords = [];
    this.spare = undefined;
    this.used = 0;
    this.incomplete.clear();
    this.bytes = 0;
    return n;
  }

  stats(): { count: number; bytes: number; maxRequests: number; maxBytes: number } {
    return { count: this.slabOf.length - this.head, bytes: this.bytes, ...this.limits };
  }

  private decode(i: number): StoredRecord {
    return decodeRecord(this.slabs[this.slabOf[i] - this.slabBase], this.offsetOf[i]);
  }

  private find(id: string): number | undefined {
    for (let i = this.slabOf.length - 1; i >= this.head; i--)
      if (decodeId(this.slabs[this.slabOf[i] - this.slabBase], this.offsetOf[i]) === id) return i;
    return undefined;
  }

  /** An entry dropped while a stream's record was still provisional: its id leaves the map (a handful at most, no decoding). */
  private forgetIncomplete(i: number): void {
    const entry = this.entryBase + i;
    for (const [id, at] of this.incomplete) if (at === entry) this.incomplete.delete(id);
  }

  /** The position in `slabs` of the slab the next record of up to `bound` bytes goes in, at `used`. */
  private room(bound: number): number {
    const last = this.slabs.length - 1;
    return last < 0 || this.used + bound > this.slabs[last].length ? this.newSlab(bound) : last;
  }

  /** Enters the record just written at `offset` of slab `last`, in place of an earlier one of the same id if that was incomplete. */
  private place(last: number, offset: number, length: number, id: string, complete: boolean): void {
    this.used = alignedEnd(offset, length);
    this.slabRecords[last]++;
    const slab = this.slabBase + last;
    const earlier = this.incomplete.size ? this.incomplete.get(id) : undefined;
    if (earlier !== undefined) {
      const i = earlier - this.entryBase;
      this.release(this.slabOf[i]);
      this.bytes += length - this.lengthOf[i];
      this.slabOf[i] = slab;
      this.offsetOf[i] = offset;
      this.lengthOf[i] = length;
      if (complete) this.incomplete.delete(id);
    } else {
      if (!complete) this.incomplete.set(id, this.entryBase + this.slabOf.length);
      this.slabOf.push(slab);
      this.offsetOf.push(offset);
      this.lengthOf.push(length);
      this.bytes += length;
    }
    this.trim();
  }

  /** Starts a slab that fits `bound` bytes; returns its position in `slabs`. */
  private newSlab(bound: number): number {
    let slab: Slab;
    if (bound <= SLAB_BYTES && this.spare) {
      slab = this.spare;
      this.spare = undefined;
    } else slab = new Slab(Math.max(SLAB_BYTES, bound));
    this.slabs.push(slab);
    this.slabRecords.push(0);
    this.used = 0;
    return this.slabs.length - 1;
  }

  /** One record less in a slab: leading slabs left empty (but the one being written) are freed. */
  private release(slab: number): void {
    this.slabRecords[slab - this.slabBase]--;
    while (this.slabs.length > 1 && this.slabRecords[0] === 0) {
      const freed = this.slabs.shift()!;
      this.slabRecords.shift();
      this.slabBase++;
      if (freed.length === SLAB_BYTES) this.spare = freed;
    }
  }

  private trim(): void {
    const { maxRequests, maxBytes } = this.limits;
    // The newest record always stays, even one larger than the byte limit on its own.
    while (
      this.slabOf.length - this.head > 1 &&
      (this.slabOf.length - this.head > maxRequests || this.bytes > maxBytes)
    ) {
      const i = this.head++;
      this.bytes -= this.lengthOf[i];
      if (this.incomplete.size) this.forgetIncomplete(i);
      this.release(this.slabOf[i]);
    }
    if (this.head > 1024 && this.head * 2 > this.slabOf.length) {
      this.slabOf = this.slabOf.slice(this.head);
      this.offsetOf = this.offsetOf.slice(this.head);
      this.lengthOf = this.lengthOf.slice(this.head);
      this.entryBase += this.head;
      this.head = 0;
    }
  }
}
