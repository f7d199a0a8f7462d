import type { CapturedBody } from './types';

/**
 * The first `limit` bytes of a body as it passes, and its whole length. Chunks are copied (never
 * kept): a slice would hold the whole chunk, and the stream's buffer pool, in memory.
 */
export class BodySample {
  size = 0;
  private readonly parts: Buffer[] = [];
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
    this.parts.push(Buffer.from(buf.subarray(0, take)));
    this.kept += take;
  }

  result(): CapturedBody | undefined {
    if (!this.size) return undefined;
    return {
      size: this.size,
      truncated: this.size > this.kept,
      base64: this.parts.length === 1 ? this.parts[0].toString('base64') : Buffer.concat(this.parts).toString('base64'),
    };
  }
}
