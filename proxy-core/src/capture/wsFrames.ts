/**
 * Counts the messages of one direction of a WebSocket connection (RFC 6455 §5.2) and keeps the
 * start of the first ones, reading only frame headers and the few payload bytes it keeps: the
 * bytes themselves are relayed untouched by whoever pipes the sockets.
 */
export interface WsMessage {
  opcode: 'text' | 'binary';
  /** The first bytes of the message (unmasked), up to what was asked for. */
  sample: Buffer;
  size: number;
  compressed: boolean;
}

export class WsFrameReader {
  messages = 0;
  private head = Buffer.alloc(0);
  private remaining = 0;
  private mask?: Buffer;
  private maskOffset = 0;
  private control = false;
  private fin = false;
  private message?: { opcode: 'text' | 'binary'; parts: Buffer[]; kept: number; size: number; compressed: boolean };
  /** A stream that is not WebSocket framing (or one we misread): stop reading it. */
  private broken = false;

  constructor(
    private readonly onMessage: (m: WsMessage) => void,
    /** How many bytes of the next message to keep (0: only count it). */
    private readonly sampleBytes: () => number,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.broken) {
      if (this.remaining === 0 && !this.inPayload) {
        at = this.readHead(chunk, at);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      if (!this.control && this.message) this.keep(chunk.subarray(at, at + take));
      this.remaining -= take;
      this.maskOffset += take;
      at += take;
      if (this.remaining === 0) this.frameDone();
    }
  }

  private inPayload = false;

  private readHead(chunk: Buffer, at: number): number {
    // The header is at most 14 bytes; gather them across chunks when a frame's header is split.
    const need = 14 - this.head.length;
    const piece = chunk.subarray(at, at + need);
    const head = this.head.length ? Buffer.concat([this.head, piece]) : piece;
    if (head.length < 2) return this.stash(head, at, piece.length);
    const b0 = head[0];
    const b1 = head[1];
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let size = 2;
    if (len === 126) size += 2;
    else if (len === 127) size += 8;
    if (masked) size += 4;
    if (head.length < size) return this.stash(head, at, piece.length);
    if (len === 126) len = head.readUInt16BE(2);
    else if (len === 127) {
      const big = head.readBigUInt64BE(2);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
        this.broken = true;
        return chunk.length;
      }
      len = Number(big);
    }
    this.mask = masked ? Buffer.from(head.subarray(size - 4, size)) : undefined;
    this.maskOffset = 0;
    this.fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    this.control = opcode >= 8;
    if (opcode === 1 || opcode === 2) {
      this.message = {
        opcode: opcode === 1 ? 'text' : 'binary',
        parts: [],
        kept: 0,
        size: 0,
        compressed: (b0 & 0x40) !== 0,
      };
    } else if (opcode !== 0 && !this.control) {
      this.broken = true;
      return chunk.length;
    }
    this.remaining = len;
    const used = size - this.head.length;
    this.head = Buffer.alloc(0);
    this.inPayload = true;
    if (len === 0) this.frameDone();
    return at + used;
  }

  private stash(head: Buffer, at: number, used: number): number {
    this.head = Buffer.from(head);
    return at + used;
  }

  private keep(bytes: Buffer): void {
    const m = this.message!;
    m.size += bytes.length;
    const room = this.sampleBytes() - m.kept;
    if (room <= 0) return;
    const part = Buffer.from(bytes.subarray(0, room));
    if (this.mask) for (let i = 0; i < part.length; i++) part[i] ^= this.mask[(this.maskOffset + i) & 3];
    m.parts.push(part);
    m.kept += part.length;
  }

  private frameDone(): void {
    this.inPayload = false;
    if (this.control || !this.fin || !this.message) return;
    const m = this.message;
    this.message = undefined;
    this.messages++;
    this.onMessage({ opcode: m.opcode, sample: Buffer.concat(m.parts), size: m.size, compressed: m.compressed });
  }
}
