import { type Readable, Transform, type TransformCallback } from 'node:stream';

/** A chunk this big goes on as it is, and held chunks leave once they add up to it. */
export const COALESCE_BYTES = 64 * 1024;

/**
 * A request body on its way upstream, its small chunks merged per turn of the event loop. An
 * HTTP/2 upload arrives as one chunk per DATA frame (16 KB) and an HTTP/1.1 one as one chunk per
 * TLS record (16 KB), several per socket read, and undici writes each chunk to the upstream
 * socket with a system call of its own: merged, a 64 KB read costs one write instead of four
 * (docs/performance.md, "Footprint"). Held chunks leave at the end of the turn they arrived in
 * (setImmediate), or at once when they reach COALESCE_BYTES, so a slow stream (a chunk now and
 * then) is never held back, and backpressure is the pipe's as before.
 */
export function coalescedBody(source: Readable): Readable {
  const out = new Coalescer();
  source.on('error', (err) => out.destroy(err));
  source.pipe(out);
  return out;
}

class Coalescer extends Transform {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private scheduled = false;
  private readonly onTurn = (): void => {
    this.scheduled = false;
    this.release();
  };

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.heldBytes && chunk.length >= COALESCE_BYTES) return done(null, chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes >= COALESCE_BYTES) this.release();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.onTurn);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.release();
    done();
  }

  private release(): void {
    if (!this.heldBytes || this.destroyed) return;
    const merged = this.held.length === 1 ? this.held[0] : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    this.push(merged);
  }
}
