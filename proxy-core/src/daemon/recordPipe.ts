import type { Writable } from 'node:stream';
import type { EncodedRecords } from '../capture/recordCodec';

/**
 * A worker's request records on their way to the daemon, as their bytes, over a pipe of their
 * own: the worker's file descriptor 4 (workerPool.ts forks it so). On the JSON channel a batch
 * went as base64 inside a JSON string, and building and writing that string cost the worker
 * about 3 µs of CPU per request under load (docs/performance.md, "Twelfth pass").
 *
 * Not on Windows, where the records keep to the JSON channel (workerProtocol.ts): whether an extra
 * pipe of a forked child carries data there was not tested, and a record pipe that stays silent
 * would lose the inspector's records of every request the workers serve.
 *
 * A frame: byte length of the records (u32 LE), their count (u32 LE), each one's length (u32 LE),
 * then the records as EncodedRecords lays them out.
 */
export const RECORD_PIPE_FD = 4;

export const recordPipeSupported = (): boolean => process.platform !== 'win32';

/** Frames bigger than this are no frames of ours: a batch is 512 KB, a record at most ~1.2 MB. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const HEAD = 8;

/** Writes one batch as a frame (one writev: the head and the records' bytes, no copy). */
export function writeRecords(out: Writable, { bytes, lengths }: EncodedRecords): void {
  const head = Buffer.allocUnsafe(HEAD + 4 * lengths.length);
  head.writeUInt32LE(bytes.length, 0);
  head.writeUInt32LE(lengths.length, 4);
  for (let i = 0; i < lengths.length; i++) head.writeUInt32LE(lengths[i], HEAD + 4 * i);
  out.cork();
  out.write(head);
  out.write(bytes);
  out.uncork();
}

/** Reads frames back from the pipe's chunks, however the pipe cut them. */
export class RecordFrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private broken = false;

  constructor(
    private readonly onRecords: (records: EncodedRecords) => void,
    /** A frame that cannot be one of ours: the reader stops (the pipe should be closed). */
    private readonly onBadFrame: (why: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.chunks.push(chunk);
    this.have += chunk.length;
    while (this.have >= HEAD) {
      const head = this.peekHead();
      const bytes = head.readUInt32LE(0);
      const count = head.readUInt32LE(4);
      const size = HEAD + 4 * count + bytes;
      if (size > MAX_FRAME_BYTES || count > bytes) {
        this.broken = true;
        this.chunks = [];
        return this.onBadFrame(`a record frame of ${bytes} bytes and ${count} records`);
      }
      if (this.have < size) return;
      const frame = this.take(size);
      const lengths = new Array<number>(count);
      for (let i = 0; i < count; i++) lengths[i] = frame.readUInt32LE(HEAD + 4 * i);
      this.onRecords({ bytes: frame.subarray(HEAD + 4 * count), lengths });
    }
  }

  private peekHead(): Buffer {
    if (this.chunks[0].length < HEAD) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  /** The next `size` bytes, as one Buffer (a copy only when they span chunks). */
  private take(size: number): Buffer {
    this.have -= size;
    const first = this.chunks[0];
    if (first.length >= size) {
      if (first.length === size) this.chunks.shift();
      else this.chunks[0] = first.subarray(size);
      return first.subarray(0, size);
    }
    const all = Buffer.concat(this.chunks);
    this.chunks = all.length > size ? [all.subarray(size)] : [];
    return all.subarray(0, size);
  }
}
