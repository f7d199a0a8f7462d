import * as zlib from 'node:zlib';

/**
 * Decoded bytes are capped: a small compressed sample can expand a thousandfold (a deliberate
 * "zip bomb" far more), and the Inspector decodes on the extension host's thread.
 */
export const MAX_DECODED = 8 * 1024 * 1024;

/**
 * A body as it was before its Content-Encoding (`encoding`: the header's value), decoded as far as
 * its bytes go: a sample cut at the capture limit is a cut stream, which the flush modes below
 * decode up to the cut instead of failing. Undefined when an encoding is unknown (zstd: Node 20's
 * zlib has none), the bytes do not decode, or they expand past MAX_DECODED.
 */
export function decodeContent(bytes: Buffer, encoding: string): Buffer | undefined {
  const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: MAX_DECODED };
  // Listed in the order they were applied: undone last first.
  for (const coding of encoding
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .reverse()) {
    try {
      if (coding === 'gzip' || coding === 'x-gzip') bytes = zlib.gunzipSync(bytes, flush);
      else if (coding === 'br')
        bytes = zlib.brotliDecompressSync(bytes, {
          finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
          maxOutputLength: MAX_DECODED,
        });
      // "deflate" is meant to be zlib-wrapped, but some servers send it raw.
      else if (coding === 'deflate') bytes = inflateEither(bytes, flush);
      else if (coding !== 'identity' && coding !== '') return undefined;
    } catch {
      return undefined;
    }
  }
  return bytes;
}

function inflateEither(bytes: Buffer, opts: zlib.ZlibOptions): Buffer {
  try {
    return zlib.inflateSync(bytes, opts);
  } catch {
    return zlib.inflateRawSync(bytes, opts);
  }
}
