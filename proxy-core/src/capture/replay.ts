import * as https from 'node:https';
import { UserError } from '../errors';
import { type CaptureRecord, REPLAY_HEADER, replayHeader } from './types';

/** What POST /v1/requests/:id/replay may change; everything left out is sent as recorded. */
export interface ReplayEdits {
  method?: string;
  /** Path and query. */
  path?: string;
  /** Replaces the named headers; `null` removes one. */
  headers?: Record<string, string | null>;
  /** The body as text (UTF-8), or `bodyBase64` for bytes; neither: the recorded body. */
  body?: string;
  bodyBase64?: string;
}

/** Connection-level headers: they described the original connection, not the request. */
const NOT_REPLAYED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'upgrade',
  'http2-settings',
  'content-length',
  REPLAY_HEADER,
]);

/** Checks the edits as they come from the API (JSON), with a one-line reason for each mistake. */
export function checkReplayEdits(body: unknown): ReplayEdits {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new UserError(
      'The replay body must be a JSON object: { method?, path?, headers?, body?, bodyBase64? }.',
      'EBODY',
    );
  const e = body as Record<string, unknown>;
  for (const key of Object.keys(e))
    if (!['method', 'path', 'headers', 'body', 'bodyBase64'].includes(key))
      throw new UserError(`Unknown replay field "${key}": use method, path, headers, body or bodyBase64.`, 'EBODY');
  if (e.method !== undefined && (typeof e.method !== 'string' || !/^[A-Za-z]+$/.test(e.method)))
    throw new UserError('method must be an HTTP method such as GET or POST.', 'EBODY');
  if (e.path !== undefined && (typeof e.path !== 'string' || !e.path.startsWith('/')))
    throw new UserError('path must start with "/", e.g. /api/items?page=2.', 'EBODY');
  if (e.headers !== undefined) {
    if (typeof e.headers !== 'object' || e.headers === null || Array.isArray(e.headers))
      throw new UserError('headers must be an object of name: value (null removes a header).', 'EBODY');
    for (const [k, v] of Object.entries(e.headers))
      if (v !== null && typeof v !== 'string') throw new UserError(`header ${k} must be a string or null.`, 'EBODY');
  }
  if (e.body !== undefined && typeof e.body !== 'string') throw new UserError('body must be a string.', 'EBODY');
  if (e.bodyBase64 !== undefined && typeof e.bodyBase64 !== 'string')
    throw new UserError('bodyBase64 must be a base64 string.', 'EBODY');
  if (e.body !== undefined && e.bodyBase64 !== undefined)
    throw new UserError('Give body or bodyBase64, not both.', 'EBODY');
  return e as ReplayEdits;
}

/** The request a replay sends: the recorded one with the edits applied. */
export function replayRequestOf(
  original: CaptureRecord,
  edits: ReplayEdits,
): { method: string; path: string; headers: Record<string, string | string[]>; body?: Buffer } {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(original.requestHeaders))
    if (!NOT_REPLAYED.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(edits.headers ?? {})) {
    if (v === null) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = v;
  }
  let body: Buffer | undefined;
  if (edits.body !== undefined) body = Buffer.from(edits.body);
  else if (edits.bodyBase64 !== undefined) body = Buffer.from(edits.bodyBase64, 'base64');
  else if (original.bytesIn) {
    if (!original.requestBody || original.requestBody.truncated)
      throw new UserError(
        `Request ${original.id} had a ${original.bytesIn}-byte body and only ${original.requestBody ? Buffer.from(original.requestBody.base64, 'base64').length : 0} bytes of it were captured (serve --capture-body-kb): replay it with an edited body.`,
        'ETRUNCATED',
        409,
      );
    body = Buffer.from(original.requestBody.base64, 'base64');
  }
  if (body?.length) headers['content-length'] = String(body.length);
  return { method: (edits.method ?? original.method).toUpperCase(), path: edits.path ?? original.url, headers, body };
}

/**
 * Sends a replay through the proxy's own HTTPS port, as a client would (TLS verified against our
 * CA, the route's name as SNI), so it takes the same route and is recorded like any request,
 * under `id`, linked to the original. Resolves with the status once the response has ended.
 */
export function sendReplay(
  original: CaptureRecord,
  edits: ReplayEdits,
  id: string,
  to: { address: string; port: number; ca: string; timeoutMs: number },
): Promise<{ status: number }> {
  const r = replayRequestOf(original, edits);
  r.headers[REPLAY_HEADER] = replayHeader(original.id, id);
  r.headers.host ??= to.port === 443 ? original.host : `${original.host}:${to.port}`;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: to.address,
        port: to.port,
        servername: original.host,
        ca: to.ca,
        method: r.method,
        path: r.path,
        headers: r.headers,
        agent: false,
        timeout: to.timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${to.timeoutMs / 1000} s`)));
    req.on('error', (err) =>
      reject(new UserError(`The replay of ${original.id} failed: ${err.message}`, 'EREPLAY', 502)),
    );
    req.end(r.body);
  });
}
