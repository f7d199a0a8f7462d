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

interface Entry {
  record: StoredRecord;
  bytes: number;
  /** Insertion order across the daemon and its workers: the timeline. */
  seq: number;
}

/**
 * The last requests, in memory only, bounded by count and by bytes, whichever is reached first;
 * the oldest go first. A record published again under the same id (a stream that reached the
 * body limit, then ended) replaces the earlier one in place. Emits 'added' (record) for each.
 */
export class CaptureBuffer extends EventEmitter {
  private entries: Entry[] = [];
  /** The oldest live entry: dropping moves it on, the array is compacted now and then (not per request). */
  private head = 0;
  private readonly byId = new Map<string, Entry>();
  private bytes = 0;
  private seq = 0;

  constructor(private readonly limits: Pick<CaptureSettings, 'maxRequests' | 'maxBytes'>) {
    super();
  }

  add(record: StoredRecord): void {
    const bytes = recordBytes(record);
    const seen = this.byId.get(record.id);
    if (seen) {
      this.bytes += bytes - seen.bytes;
      seen.record = record;
      seen.bytes = bytes;
    } else {
      const entry = { record, bytes, seq: ++this.seq };
      this.entries.push(entry);
      this.byId.set(record.id, entry);
      this.bytes += bytes;
    }
    this.trim();
    this.emit('added', record);
  }

  get(id: string): StoredRecord | undefined {
    return this.byId.get(id)?.record;
  }

  /** Newest first; `before`: only those older than that id. */
  list(filter: (r: StoredRecord) => boolean, limit: number, before?: string): StoredRecord[] {
    const out: StoredRecord[] = [];
    let i = this.entries.length - 1;
    if (before !== undefined) {
      const at = this.byId.get(before);
      if (!at) return out;
      while (i >= this.head && this.entries[i].seq >= at.seq) i--;
    }
    for (; i >= this.head && out.length < limit; i--)
      if (filter(this.entries[i].record)) out.push(this.entries[i].record);
    return out;
  }

  clear(): number {
    const n = this.entries.length - this.head;
    this.entries = [];
    this.head = 0;
    this.byId.clear();
    this.bytes = 0;
    return n;
  }

  stats(): { count: number; bytes: number; maxRequests: number; maxBytes: number } {
    return { count: this.entries.length - this.head, bytes: this.bytes, ...this.limits };
  }

  private trim(): void {
    const { maxRequests, maxBytes } = this.limits;
    // The newest record always stays, even one larger than the byte limit on its own.
    while (
      this.entries.length - this.head > 1 &&
      (this.entries.length - this.head > maxRequests || this.bytes > maxBytes)
    ) {
      const e = this.entries[this.head];
      this.entries[this.head++] = undefined as unknown as Entry;
      this.bytes -= e.bytes;
      this.byId.delete(e.record.id);
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
