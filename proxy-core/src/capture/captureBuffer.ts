import { EventEmitter } from 'node:events';
import type { CaptureRecord, CaptureSettings, HeaderMap } from './types';

/** What one record costs beyond its strings: the objects and numbers around them (a rough, fixed estimate). */
const RECORD_OVERHEAD = 512;

/** A record's size in memory, roughly: its strings (UTF-16 in V8, counted as one byte each for ASCII) and a fixed overhead. */
export function recordBytes(r: CaptureRecord): number {
  let n = RECORD_OVERHEAD + r.url.length + r.host.length + (r.router?.length ?? 0) + (r.target?.length ?? 0);
  n += headerBytes(r.requestHeaders) + (r.responseHeaders ? headerBytes(r.responseHeaders) : 0);
  n += (r.requestBody?.base64.length ?? 0) + (r.responseBody?.base64.length ?? 0);
  for (const f of r.websocket?.frames ?? []) n += 64 + f.data.length;
  return n;
}

function headerBytes(h: HeaderMap): number {
  let n = 0;
  for (const [k, v] of Object.entries(h)) {
    n += k.length + 16;
    if (Array.isArray(v)) for (const x of v) n += x.length + 8;
    else n += v.length;
  }
  return n;
}

interface Entry {
  record: CaptureRecord;
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
  private readonly byId = new Map<string, Entry>();
  private bytes = 0;
  private seq = 0;

  constructor(private readonly limits: Pick<CaptureSettings, 'maxRequests' | 'maxBytes'>) {
    super();
  }

  add(record: CaptureRecord): void {
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

  get(id: string): CaptureRecord | undefined {
    return this.byId.get(id)?.record;
  }

  /** Newest first; `before`: only those older than that id. */
  list(filter: (r: CaptureRecord) => boolean, limit: number, before?: string): CaptureRecord[] {
    const out: CaptureRecord[] = [];
    let i = this.entries.length - 1;
    if (before !== undefined) {
      const at = this.byId.get(before);
      if (!at) return out;
      while (i >= 0 && this.entries[i].seq >= at.seq) i--;
    }
    for (; i >= 0 && out.length < limit; i--) if (filter(this.entries[i].record)) out.push(this.entries[i].record);
    return out;
  }

  clear(): number {
    const n = this.entries.length;
    this.entries = [];
    this.byId.clear();
    this.bytes = 0;
    return n;
  }

  stats(): { count: number; bytes: number; maxRequests: number; maxBytes: number } {
    return { count: this.entries.length, bytes: this.bytes, ...this.limits };
  }

  private trim(): void {
    let drop = 0;
    let bytes = this.bytes;
    const n = this.entries.length;
    // The newest record always stays, even one larger than the byte limit on its own.
    while (n - drop > 1 && (n - drop > this.limits.maxRequests || bytes > this.limits.maxBytes)) {
      const e = this.entries[drop++];
      bytes -= e.bytes;
      this.byId.delete(e.record.id);
    }
    if (!drop) return;
    this.entries = this.entries.slice(drop);
    this.bytes = bytes;
  }
}
