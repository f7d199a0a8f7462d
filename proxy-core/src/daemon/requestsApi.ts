import type * as http from 'node:http';
import type { CaptureBuffer } from '../capture/captureBuffer';
import { nextCaptureId } from '../capture/captureId';
import { captureFilter, DEFAULT_LIMIT, parseCaptureQuery } from '../capture/captureQuery';
import { maskRecord } from '../capture/mask';
import { checkReplayEdits, sendReplay } from '../capture/replay';
import { type StoredRecord, summarize, unpackRecord } from '../capture/types';
import type { ControlServer } from '../control/controlServer';
import { ClearRequests, ReplayRequest, RequestDetail, Requests } from '../control/protocol';
import type { SseStream } from '../control/sse';
import { UserError } from '../errors';

export interface RequestsApiDeps {
  /** Undefined when capture is off (serve --no-capture). */
  buffer?: CaptureBuffer;
  bodyBytes: number;
  /** Where a replay connects: the HTTPS port as bound, reached on loopback, and our CA. */
  replayTarget: () => { address: string; port: number; ca: string; timeoutMs: number };
}

const OFF = () =>
  new UserError(
    'Request capture is off for this daemon (serve --no-capture, or containerHttps.proxy.captureRequests): start it without that to record requests.',
    'ECAPTUREOFF',
    409,
  );

/**
 * The request inspector's endpoints (control/protocol.ts: Requests, RequestDetail, ReplayRequest,
 * ClearRequests). Returns what GET /v1/events?requests=1 adds to a stream: a `request` event per record.
 */
export function registerRequestsApi(
  c: ControlServer,
  deps: RequestsApiDeps,
): (stream: SseStream, query: URLSearchParams, res: http.ServerResponse) => void {
  const { buffer } = deps;
  buffer?.setMaxListeners(0);
  c.handle(Requests, (req) => {
    if (!buffer) throw OFF();
    const q = parseCaptureQuery(req.query);
    const list = buffer.list(captureFilter(q), q.limit ?? DEFAULT_LIMIT, q.before);
    const stats = buffer.stats();
    return {
      requests: list.map(summarize),
      capture: {
        stored: stats.count,
        bytes: stats.bytes,
        maxRequests: stats.maxRequests,
        maxBytes: stats.maxBytes,
        bodyBytes: deps.bodyBytes,
      },
    };
  });
  c.handle(RequestDetail, (req) => {
    if (!buffer) throw OFF();
    return { request: maskRecord(unpackRecord(found(buffer, req.params.id)), req.query.get('secrets') === '1') };
  });
  c.handle(ReplayRequest, async (req) => {
    if (!buffer) throw OFF();
    const original = found(buffer, req.params.id);
    if (original.websocket)
      throw new UserError(`Request ${original.id} is a WebSocket connection: it cannot be replayed.`, 'EREPLAY', 409);
    const edits = checkReplayEdits(req.body);
    const id = nextCaptureId();
    const recorded = recordOf(buffer, id, 5000);
    const { status } = await sendReplay(unpackRecord(original), edits, id, deps.replayTarget());
    const record = await recorded;
    return { id, replayOf: original.id, status, request: record && summarize(record) };
  });
  c.handle(ClearRequests, () => {
    if (!buffer) throw OFF();
    return { cleared: buffer.clear() };
  });
  return (stream, query, res) => {
    const wanted = query.get('requests');
    if (!buffer || (wanted !== '1' && wanted !== 'errors')) return;
    // `errors`: only finished requests that failed on the server's side (5xx, an upstream failure),
    // for a client that counts them (the editor's badge) without taking every request.
    const errorsOnly = wanted === 'errors';
    const send = (r: StoredRecord) => {
      if (errorsOnly && !(r.complete && (r.status >= 500 || r.error?.by === 'upstream'))) return;
      stream.send('request', summarize(r));
    };
    buffer.on('added', send);
    res.once('close', () => buffer.off('added', send));
  };
}

function found(buffer: CaptureBuffer, id: string): StoredRecord {
  const r = buffer.get(id);
  if (!r)
    throw new UserError(
      `No recorded request ${id}: it may have been dropped (the buffer keeps the latest ones) or cleared. List them with: container-https requests`,
      'ENOREQUEST',
      404,
    );
  return r;
}

/** The replay's record once complete (a worker's arrives in its next batch); undefined after `ms`. */
function recordOf(buffer: CaptureBuffer, id: string, ms: number): Promise<StoredRecord | undefined> {
  return new Promise((resolve) => {
    const onAdded = (r: StoredRecord) => {
      if (r.id !== id || !r.complete) return;
      done(r);
    };
    const timer = setTimeout(() => done(undefined), ms);
    const done = (r: StoredRecord | undefined) => {
      clearTimeout(timer);
      buffer.off('added', onAdded);
      resolve(r);
    };
    buffer.on('added', onAdded);
  });
}
