import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { OptionError, Options } from './options';
import { addHeader, firstHeader } from './respond';
import type { Middleware, ResponseHeaderMap } from './types';

/**
 * Traefik's compress (pkg/middlewares/compress): gzip, br or zstd as the client's Accept-Encoding
 * and the configured order pick, for responses that are not encoded already and whose type is
 * not excluded. Streaming: the body goes through zlib chunk by chunk, never held whole.
 *
 * minResponseBodyBytes: Traefik buffers up to that many bytes before deciding. Here the decision
 * is made on the headers, before any body byte: a Content-Length below the minimum is sent as it
 * is, and a body of unknown length (chunked) is compressed.
 *
 * Each upstream chunk is flushed through the compressor as it comes, so server-sent events and
 * long polls reach the client when sent (Traefik's proxy flushes every 100 ms); the cost is a few
 * bytes per chunk.
 */

const ENCODINGS = ['gzip', 'br', 'zstd'];
const DEFAULT_MIN_BYTES = 1024;
/** andybalholm/brotli's default, which Traefik uses; Node's own default (11) is far too slow to stream. */
const BROTLI_QUALITY = 6;

type ZstdZlib = { createZstdCompress?: (options?: { flush?: number }) => Transform };
/** zstd is in Node's zlib from 22.15; without it, zstd is left out of the choice. */
const zstd = (zlib as unknown as ZstdZlib).createZstdCompress;

interface MediaType {
  type: string;
  params: Map<string, string>;
}

export function compress(o: Options): Middleware {
  const excludedOption = o.list('excludedContentTypes')?.filter((s) => s !== '') ?? [];
  const included = (o.list('includedContentTypes')?.filter((s) => s !== '') ?? []).map((v) =>
    configuredType('includedContentTypes', v),
  );
  const minOption = o.int('minResponseBodyBytes');
  // As Traefik: zero or less means the default.
  const minSize = minOption && minOption > 0 ? minOption : DEFAULT_MIN_BYTES;
  const encodings = o.list('encodings') ?? ENCODINGS;
  const defaultEncoding = o.string('defaultEncoding')?.trim() || undefined;
  o.finish();
  if (excludedOption.length && included.length)
    throw new OptionError('options excludedContentTypes and includedContentTypes cannot be used together; keep one');
  if (encodings.length === 0 || (encodings.length === 1 && encodings[0] === ''))
    throw new OptionError(`option encodings is empty; give some of ${ENCODINGS.join(', ')}`);
  for (const e of encodings)
    if (!ENCODINGS.includes(e))
      throw new OptionError(`option encodings has ${JSON.stringify(e)}; the encodings are ${ENCODINGS.join(', ')}`);
  if (defaultEncoding && !encodings.includes(defaultEncoding))
    throw new OptionError(
      `option defaultEncoding ${defaultEncoding} is not one of encodings (${encodings.join(', ')})`,
    );
  // gRPC frames its own messages: Traefik never compresses it.
  const excluded = [
    { type: 'application/grpc', params: new Map() },
    ...excludedOption.map((v) => configuredType('excludedContentTypes', v)),
  ];
  const usable = encodings.filter((e) => e !== 'zstd' || zstd);
  const usableDefault = defaultEncoding && usable.includes(defaultEncoding) ? defaultEncoding : undefined;

  const compressible = (headers: ResponseHeaderMap): boolean => {
    if (firstHeader(headers, 'content-encoding')) return false;
    if (headers['content-range'] !== undefined) return false;
    const contentType = firstHeader(headers, 'content-type');
    if (contentType) {
      const media = parseMediaType(contentType);
      if (!media) return false;
      if (included.length && !included.some((t) => sameType(t, media))) return false;
      if (excluded.some((t) => sameType(t, media))) return false;
    } else if (included.length) return false;
    const length = firstHeader(headers, 'content-length');
    return length === undefined || Number(length) >= minSize;
  };

  return (ex) => {
    if (ex.req.method === 'HEAD' || ex.bodyTransform) return true;
    // A request of an excluded type (text/event-stream, application/grpc) is answered as is.
    const requestType = parseMediaType(firstHeader(ex.headers, 'content-type') ?? '');
    if (requestType && excluded.some((t) => t.type === requestType.type)) return true;
    const accept = ex.headers['accept-encoding'];
    const encoding = accept === undefined ? usableDefault : chooseEncoding(accept, usable, usableDefault);
    if (!encoding) return true;
    ex.bodyTransform = (status, headers) => {
      addHeader(headers, 'vary', 'Accept-Encoding');
      if (status < 200 || status === 204 || status === 206 || status === 304 || !compressible(headers))
        return undefined;
      const length = firstHeader(headers, 'content-length');
      delete headers['content-length'];
      // Byte ranges of the compressed body would not be the ranges the backend offers.
      delete headers['accept-ranges'];
      headers['content-encoding'] = encoding;
      return compressor(encoding, length === undefined ? undefined : Number(length));
    };
    return true;
  };
}

function compressor(encoding: string, size: number | undefined): Transform {
  if (encoding === 'br')
    return zlib.createBrotliCompress({
      flush: zlib.constants.BROTLI_OPERATION_FLUSH,
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        ...(size ? { [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size } : {}),
      },
    });
  if (encoding === 'zstd' && zstd) return zstd({ flush: (zlib.constants as Record<string, number>).ZSTD_e_flush });
  return zlib.createGzip({ flush: zlib.constants.Z_SYNC_FLUSH });
}

/**
 * Traefik's choice (compress/acceptencoding.go): the highest q among the encodings it does, ties
 * going to the earlier in `encodings`, `*` to the first one (or defaultEncoding); an empty
 * header, `identity` or nothing acceptable means no compression.
 */
export function chooseEncoding(
  accept: string | string[],
  encodings: readonly string[],
  defaultEncoding?: string,
): string | undefined {
  const lines = Array.isArray(accept) ? accept : [accept];
  if (lines.length === 1 && lines[0] === '') return undefined;
  const priority = (name: string) =>
    name === '*' ? -1 : name === 'identity' ? encodings.length : encodings.indexOf(name);
  let best: { name: string; q: number } | undefined;
  for (const line of lines)
    for (const item of line.replace(/[ \t]/g, '').split(',')) {
      const [name, param] = item.split(';', 2);
      if (priority(name) === -1 && name !== '*') continue;
      let q = 1;
      if (param?.startsWith('q=')) {
        q = Number.parseFloat(param.slice(2)) || 0;
        if (q === 0) continue;
      }
      if (!best || q > best.q || (q === best.q && priority(name) < priority(best.name))) best = { name, q };
    }
  if (!best || best.name === 'identity') return undefined;
  return best.name === '*' ? (defaultEncoding ?? encodings[0]) : best.name;
}

/** Go's mime.ParseMediaType, enough for comparing types: lower-case type and parameter names. */
function parseMediaType(value: string): MediaType | undefined {
  const [head, ...rest] = value.split(';');
  const type = head.trim().toLowerCase();
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+\/[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(type)) return undefined;
  const params = new Map<string, string>();
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq === -1) continue;
    const v = param.slice(eq + 1).trim();
    params.set(param.slice(0, eq).trim().toLowerCase(), v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v);
  }
  return { type, params };
}

function configuredType(option: string, value: string): MediaType {
  const media = parseMediaType(value);
  if (!media)
    throw new OptionError(`option ${option} has ${JSON.stringify(value)}, which is not a media type like text/html`);
  return media;
}

/** A configured type matches any parameters unless it names some; then it needs exactly those. */
function sameType(configured: MediaType, actual: MediaType): boolean {
  if (configured.type !== actual.type) return false;
  if (configured.params.size === 0) return true;
  if (configured.params.size !== actual.params.size) return false;
  for (const [k, v] of configured.params) if (actual.params.get(k) !== v) return false;
  return true;
}
