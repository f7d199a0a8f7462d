import type * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { nextCaptureId } from './captureId';
import { hosts } from './intern';
import type { CaptureSink } from './exchangeCapture';
import { CLIENT_ABORT, classifyUpstreamError } from './failure';
import { type CaptureError, type StoredRecord, type WebSocketCapture, packHeaders, toUs } from './types';
import { WsFrameReader, type WsMessage } from './wsFrames';

/** The first messages kept per connection, each at most this long (and all within the body limit). */
const MAX_FRAMES = 50;
const MAX_FRAME_BYTES = 1024;

/**
 * A WebSocket upgrade through the proxy: the handshake as a request with its 101 (or the refusal),
 * then the messages each way counted and the first ones kept, published when the connection closes.
 */
export class WebSocketExchange {
  private readonly started = performance.now();
  private readonly record: StoredRecord;
  private readonly ws: WebSocketCapture = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, frames: [] };
  private kept = 0;
  private error?: CaptureError;
  private done = false;
  private upgradedAt?: number;

  constructor(
    private readonly sink: CaptureSink,
    req: http.IncomingMessage,
    host: string,
    private readonly client: Duplex,
    tlsMs: number | undefined,
  ) {
    this.record = {
      id: nextCaptureId(),
      startedAtMs: Date.now(),
      host: hosts.get(host),
      clientAddress: req.socket.remoteAddress ?? '',
      clientPort: req.socket.remotePort,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      httpVersion: '1.1',
      reqHead: packHeaders(req.rawHeaders),
      status: 0,
      totalUs: 0,
      bytesIn: 0,
      bytesOut: 0,
      websocket: this.ws,
      complete: false,
    };
    if (tlsMs !== undefined) this.record.tlsUs = toUs(tlsMs);
    client.once('close', () => this.finish());
  }

  routed(router: string, target: string, upstream?: string): void {
    this.record.router = router;
    this.record.target = target;
    if (upstream) this.record.upstream = upstream;
  }

  /** The proxy answered the handshake itself (404, 503, a middleware's refusal). */
  answered(status: number): void {
    this.record.status = status;
  }

  /** The upstream's answer to the handshake, when it was not a 101. */
  refused(res: http.IncomingMessage): void {
    this.record.ttfbUs = toUs(performance.now() - this.started);
    this.record.status = res.statusCode ?? 0;
    this.record.resHead = packHeaders(res.rawHeaders);
  }

  /** The 101: from here both sockets are watched (never paused or read for anyone else). */
  upgraded(res: http.IncomingMessage, upstream: Duplex): void {
    this.upgradedAt = performance.now();
    this.record.ttfbUs = toUs(this.upgradedAt - this.started);
    this.record.status = res.statusCode ?? 101;
    this.record.resHead = packHeaders(res.rawHeaders);
    const room = () =>
      this.ws.frames.length < MAX_FRAMES ? Math.min(MAX_FRAME_BYTES, this.sink.bodyBytes - this.kept) : 0;
    const fromClient = new WsFrameReader((m) => this.message('in', m), room);
    const toClient = new WsFrameReader((m) => this.message('out', m), room);
    this.client.on('data', (chunk: Buffer) => {
      this.ws.bytesIn += chunk.length;
      fromClient.push(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      this.ws.bytesOut += chunk.length;
      toClient.push(chunk);
    });
  }

  failed(err: Error): void {
    this.error ??= classifyUpstreamError(err as NodeJS.ErrnoException);
    this.finish();
  }

  private message(dir: 'in' | 'out', m: WsMessage): void {
    if (dir === 'in') this.ws.messagesIn++;
    else this.ws.messagesOut++;
    if (!m.sample.length && m.size) return;
    if (this.ws.frames.length >= MAX_FRAMES) return;
    this.kept += m.sample.length;
    this.ws.frames.push({
      dir,
      atMs: Math.round(performance.now() - (this.upgradedAt ?? this.started)),
      opcode: m.opcode,
      data: m.compressed ? '' : m.opcode === 'text' ? m.sample.toString('utf8') : m.sample.toString('base64'),
      size: m.size,
      truncated: m.sample.length < m.size,
      ...(m.compressed ? { compressed: true } : {}),
    });
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    const r = this.record;
    r.totalUs = toUs(performance.now() - this.started);
    r.bytesIn = this.ws.bytesIn;
    r.bytesOut = this.ws.bytesOut;
    if (this.error) r.error = this.error;
    else if (r.status === 0) r.error = CLIENT_ABORT;
    r.complete = true;
    this.sink.publish(r);
  }
}
