import { decodeContent } from './contentEncoding';
import { maskRecord } from './mask';
import type { CaptureRecord, CapturedBody, HeaderMap } from './types';

/**
 * HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), the format Chrome DevTools and
 * Firefox import and export. Written from the records as the views show them: credentials masked
 * unless `showSecrets`. Our own fields start with `_`, as the format allows.
 */
export interface Har {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    entries: HarEntry[];
  };
}

interface NameValue {
  name: string;
  value: string;
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: NameValue[];
    headers: NameValue[];
    queryString: NameValue[];
    postData?: { mimeType: string; text: string; params?: NameValue[]; comment?: string };
    headersSize: number;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: NameValue[];
    headers: NameValue[];
    content: {
      size: number;
      compression?: number;
      mimeType: string;
      text?: string;
      encoding?: 'base64';
      comment?: string;
    };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
  };
  cache: Record<string, never>;
  timings: { blocked: number; dns: number; connect: number; ssl: number; send: number; wait: number; receive: number };
  serverIPAddress?: string;
  comment?: string;
  _id: string;
  _router?: string;
  _error?: string;
  _replayOf?: string;
  _websocket?: CaptureRecord['websocket'];
}

export function toHar(records: CaptureRecord[], opts: { version: string; showSecrets?: boolean }): Har {
  return {
    log: {
      version: '1.2',
      creator: { name: 'Container HTTPS', version: opts.version },
      // HAR lists entries oldest first.
      entries: [...records]
        .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
        .map((r) => harEntry(maskRecord(r, opts.showSecrets))),
    },
  };
}

function harEntry(r: CaptureRecord): HarEntry {
  const t = r.timings;
  const ssl = t.tlsMs ?? -1;
  const blocked = t.connectWaitMs ?? -1;
  const wait = t.ttfbMs ?? 0;
  const receive = Math.max(0, t.totalMs - Math.max(ssl, 0) - Math.max(blocked, 0) - wait);
  const httpVersion = r.httpVersion === '2' ? 'HTTP/2.0' : 'HTTP/1.1';
  const url = `https://${r.requestHeaders.host && !Array.isArray(r.requestHeaders.host) ? r.requestHeaders.host : r.host}${r.url}`;
  const reqType = header(r.requestHeaders, 'content-type') ?? 'application/octet-stream';
  const resType = header(r.responseHeaders ?? {}, 'content-type') ?? 'x-unknown';
  const entry: HarEntry = {
    startedDateTime: r.startedAt,
    time: round(Math.max(ssl, 0) + Math.max(blocked, 0) + wait + receive),
    request: {
      method: r.method,
      url,
      httpVersion,
      cookies: requestCookies(r.requestHeaders),
      headers: headerList(r.requestHeaders),
      queryString: queryOf(r.url),
      headersSize: -1,
      bodySize: r.bytesIn,
    },
    response: {
      status: r.status,
      statusText: '',
      httpVersion,
      cookies: responseCookies(r.responseHeaders ?? {}),
      headers: headerList(r.responseHeaders ?? {}),
      content: {
        size: r.bytesOut,
        mimeType: resType,
        ...content(r.responseBody, resType, header(r.responseHeaders ?? {}, 'content-encoding')),
      },
      redirectURL: header(r.responseHeaders ?? {}, 'location') ?? '',
      headersSize: -1,
      bodySize: r.bytesOut,
    },
    cache: {},
    // `connect` includes `ssl` (HAR 1.2): the proxy's own connection is the client's TLS handshake.
    timings: { blocked, dns: -1, connect: ssl, ssl, send: 0, wait: round(wait), receive: round(receive) },
    _id: r.id,
  };
  if (r.requestBody) {
    const body = content(r.requestBody, reqType);
    entry.request.postData = {
      mimeType: reqType,
      // HAR's postData has no encoding: binary bodies are given as base64 with a comment saying so.
      text: body.text ?? '',
      ...(body.encoding || body.comment
        ? { comment: [body.encoding && 'base64', body.comment].filter(Boolean).join('; ') }
        : {}),
    };
    if (reqType.startsWith('application/x-www-form-urlencoded') && !body.encoding)
      entry.request.postData.params = [...new URLSearchParams(body.text ?? '')].map(([name, value]) => ({
        name,
        value,
      }));
  }
  if (r.upstream) entry.serverIPAddress = new URL(r.upstream).hostname;
  if (r.router) entry._router = r.router;
  if (r.error) entry._error = `${r.error.by} ${r.error.kind}: ${r.error.message}`;
  if (r.replayOf) entry._replayOf = r.replayOf;
  if (r.websocket) entry._websocket = r.websocket;
  return entry;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Whether a body of this media type reads as text. */
export function isTextual(mimeType: string): boolean {
  const t = mimeType.split(';')[0].trim().toLowerCase();
  return (
    t.startsWith('text/') ||
    /[/+](json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql|yaml|csv)$/.test(t) ||
    t === 'image/svg+xml'
  );
}

/**
 * A body as HAR gives it: text, or base64 when it is not. A response sent compressed is given
 * decoded, as browsers export it (HAR 1.2: `text` is the decoded body, `size` its length and
 * `compression` the bytes saved), when it decodes (capture/contentEncoding.ts); otherwise as sent.
 */
function content(
  body: CapturedBody | undefined,
  mimeType: string,
  contentEncoding?: string,
): { text?: string; encoding?: 'base64'; comment?: string; size?: number; compression?: number } {
  if (!body) return {};
  let bytes: Buffer = Buffer.from(body.base64, 'base64');
  const sent = bytes.length;
  const decoded = contentEncoding ? decodeContent(bytes, contentEncoding) : undefined;
  if (decoded) bytes = decoded;
  const comment = body.truncated
    ? `the first ${sent} of ${body.size} bytes${decoded ? ` as sent (${contentEncoding}), decoded` : ''} (serve --capture-body-kb)`
    : undefined;
  const out = isTextual(mimeType)
    ? { text: bytes.toString('utf8') }
    : { text: bytes.toString('base64'), encoding: 'base64' as const };
  const sizes = decoded && !body.truncated ? { size: decoded.length, compression: decoded.length - body.size } : {};
  return { ...out, ...sizes, ...(comment ? { comment } : {}) };
}

function header(h: HeaderMap, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function headerList(h: HeaderMap): NameValue[] {
  const out: NameValue[] = [];
  for (const [name, v] of Object.entries(h)) for (const value of Array.isArray(v) ? v : [v]) out.push({ name, value });
  return out;
}

function requestCookies(h: HeaderMap): NameValue[] {
  const v = h.cookie;
  const all = Array.isArray(v) ? v.join('; ') : (v ?? '');
  return all
    .split(';')
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c) => {
      const eq = c.indexOf('=');
      return eq < 0 ? { name: c, value: '' } : { name: c.slice(0, eq), value: c.slice(eq + 1) };
    });
}

function responseCookies(h: HeaderMap): NameValue[] {
  const v = h['set-cookie'];
  return (Array.isArray(v) ? v : v ? [v] : []).map((line) => {
    const first = line.split(';')[0];
    const eq = first.indexOf('=');
    return { name: first.slice(0, eq < 0 ? undefined : eq).trim(), value: eq < 0 ? '' : first.slice(eq + 1).trim() };
  });
}

function queryOf(url: string): NameValue[] {
  const q = url.indexOf('?');
  if (q < 0) return [];
  return [...new URLSearchParams(url.slice(q + 1))].map(([name, value]) => ({ name, value }));
}
