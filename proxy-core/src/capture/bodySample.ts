/**
 * The first `limit` bytes of a body as it passes, as latin1 (one char per byte, what a
 * StoredRecord keeps), and its whole length. Chunks are decoded (a copy, never kept: a slice
 * would hold the whole chunk, and the stream's buffer pool, in memory); a body of one chunk, the
 * usual case, costs one string and no Buffer.
 */
export class BodySample {
  size = 0;
  private first?: string;
  private parts?: string[];
  private kept = 0;

  constructor(private readonly limit: number) {}

  /** True once the sample holds all it will (the limit reached). */
  get full(): boolean {
    return this.kept >= this.limit && this.size > this.limit;
  }

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.size += buf.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const take = Math.min(room, buf.length);
    const part = buf.toString('latin1', 0, take);
    if (this.first === undefined) this.first = part;
    else (this.parts ??= [this.first]).push(part);
    this.kept += take;
  }

  /** The sample (undefined: no body or nothing kept), flat: a joined string, not a chain of parts. */
  sample(): string | undefined {
    return this.parts ? this.parts.join('') : this.first;
  }
}
