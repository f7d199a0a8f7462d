import { EventEmitter } from 'node:events';
import type { CaptureSettings, StoredRecord } from './types';

/** What one record costs beyond its strings: the objects and numbers around them (a rough, fixed estimate). */
const RECORD_OVERHEAD = 512;

/** A record's size in memory, roughly: its strings (one byte a char: V8 keeps ASCII and latin1 strings so) and a fixed overhead. */
export function recordBytes(r: StoredRecord): number {
  let n = RECORD_OVERHEAD + r.url.length + r.host.length + (r.router?.length ?? 0) + (r.target?.length ?? 0);
  n += r.reqHead.length + (r.resHead?.length ?? 0) + (r.upstream?.length ?? 0);
  n += (r.reqSample?.length ?? 0) + (r.resSample?.length ?? 0);
  for (const f of r.websocket?.frames ?? []) n += 64 + f.data.length;
  return n;
}

/**
 * The last requests, in memory only, bounded by count and by bytes, whichever is reached first;
 * the oldest go first. A record published again under the same id (a stream that reached the
 * body limit, then ended) replaces the earlier one in place. Emits 'added' (record) for each.
 *
 * Kept as two parallel arrays (records, their sizes) and an id → sequence number map: no object
 * per entry beside the record itself (docs/performance.md, "What request capture costs"). A
 * record's sequence number is its insertion order across the daemon and its workers (the
 * timeline); its index is `seq - firstSeq`.
 */
export class CaptureBuffer extends EventEmitter {
  private records: Array<StoredRecord | undefined> = [];
  private sizes: number[] = [];
  /** The sequence number of records[0]. */
  private firstSeq = 1;
  /** The oldest live entry: dropping moves it on, the arrays are compacted now and then (not per request). */
  private head = 0;
  private readonly byId = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly limits: Pick<CaptureSettings, 'maxRequests' | 'maxBytes'>) {
    super();
  }

  add(record: StoredRecord): void {
    const bytes = recordBytes(record);
    const seen = this.byId.get(record.id);
    if (seen !== undefined) {
      const i = seen - this.firstSeq;
      this.bytes += bytes - this.sizes[i];
      this.records[i] = record;
      this.sizes[i] = bytes;
    } else {
      this.byId.set(record.id, this.firstSeq + this.records.length);
      this.records.push(record);
      this.sizes.push(bytes);
      this.bytes += bytes;
    }
    this.trim();
    this.emit('added', record);
  }

  get(id: string): StoredRecord | undefined {
    const seq = this.byId.get(id);
    return seq === undefined ? undefined : this.records[seq - this.firstSeq];
  }

  /** Newest first; `before`: only those older than that id. */
  list(filter: (r: StoredRecord) => boolean, limit: number, before?: string): StoredRecord[] {
    const out: StoredRecord[] = [];
    let i = this.records.length - 1;
    if (before !== undefined) {
      const at = this.byId.get(before);
      if (at === undefined) return out;
      i = Math.min(i, at - this.firstSeq - 1);
    }
    for (; i >= this.head && out.length < limit; i--) {
      const r = this.records[i]!;
      if (filter(r)) out.push(r);
    }
    return out;
  }

  clear(): number {
    const n = this.records.length - this.head;
    this.firstSeq += this.records.length;
    this.records = [];
    this.sizes = [];
    this.head = 0;
    this.byId.clear();
    this.bytes = 0;
    return n;
  }

  stats(): { count: number; bytes: number; maxRequests: number; maxBytes: number } {
    return { count: this.records.length - this.head, bytes: this.bytes, ...this.limits };
  }

  private trim(): void {
    const { maxRequests, maxBytes } = this.limits;
    // The newest record always stays, even one larger than the byte limit on its own.
    while (
      this.records.length - this.head > 1 &&
      (this.records.length - this.head > maxRequests || this.bytes > maxBytes)
    ) {
      const r = this.records[this.head]!;
      this.records[this.head] = undefined;
      this.bytes -= this.sizes[this.head++];
      this.byId.delete(r.id);
    }
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.firstSeq += this.head;
      this.head = 0;
    }
  }
}
