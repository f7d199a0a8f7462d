import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import type * as net from 'node:net';
import type * as tls from 'node:tls';

export interface ConnectionTimeouts {
  /** TLS handshake, then a request's headers (and an HTTP/2 session's first stream), must finish within this. */
  headerTimeoutMs: number;
  /** An HTTP/1.1 connection between requests, or an HTTP/2 session with no open stream, is closed after this. */
  idleTimeoutMs: number;
}

/** nginx's client_header_timeout (60 s) and keepalive_timeout (75 s). */
export const DEFAULT_TIMEOUTS: ConnectionTimeouts = { headerTimeoutMs: 60_000, idleTimeoutMs: 75_000 };

const STATE = Symbol('connectionTimer');

interface Http1State {
  socket: net.Socket;
  /** For the TLS handshake and the first request's headers. */
  header: NodeJS.Timeout | undefined;
  /**
   * Between requests: made once per connection and re-armed with refresh() after each response,
   * so a keep-alive request allocates no timer (docs/performance.md, "Footprint (issue 18)"). It
   * may fire while a request is in progress; it then does nothing, and the response's end arms it.
   */
  idle: NodeJS.Timeout | undefined;
  idleMs: number;
  /** Requests whose response is not done yet (pipelining can make it more than one). */
  busy: number;
}

type TimedSocket = net.Socket & { [STATE]?: Http1State };
type TimedResponse = http.ServerResponse & { [STATE]?: Http1State };

/**
 * Deadlines for connections that never finish. Node's own (headersTimeout, keepAliveTimeout) are
 * checked by a server that listens, and the HTTPS server here never does: the dispatcher hands it
 * sockets (connectionDispatcher.ts). So each connection has one timer, armed only while it waits
 * for the client: for headers, or idle between requests. Nothing runs while a request is in
 * progress, so a WebSocket, a server-sent event stream or a slow upload is never cut; the backend
 * timeout (httpForwarder.ts) covers a backend that does not answer.
 */
export class ConnectionTimer {
  constructor(private readonly timeouts: ConnectionTimeouts) {}

  /** TLS is up (the server's secureConnection). HTTP/2 sessions are timed by session(). */
  secured(socket: tls.TLSSocket): void {
    if (socket.alpnProtocol === 'h2') return;
    const state: Http1State = {
      socket,
      header: setTimeout(() => socket.destroy(), this.timeouts.headerTimeoutMs),
      idle: undefined,
      idleMs: this.timeouts.idleTimeoutMs,
      busy: 0,
    };
    (socket as TimedSocket)[STATE] = state;
    socket.once('close', () => {
      clearTimeout(state.header);
      clearTimeout(state.idle);
    });
  }

  /** An HTTP/1.x request's headers are in: no deadline until its response is done. */
  request(req: http.IncomingMessage, res: http.ServerResponse): void {
    const socket = req.socket as TimedSocket;
    const state = socket[STATE];
    if (!state) return;
    state.busy++;
    if (state.header) state.header = void clearTimeout(state.header);
    // One shared listener rather than a closure per request (the socket may be detached by then).
    (res as TimedResponse)[STATE] = state;
    res.on('close', responseClosed);
  }

  /** The connection is a WebSocket now (or any upgrade): it is the backend's to close. */
  upgraded(socket: net.Socket): void {
    const state = (socket as TimedSocket)[STATE];
    if (!state) return;
    clearTimeout(state.header);
    clearTimeout(state.idle);
    state.busy = Infinity;
  }

  /** An HTTP/2 session: the preface and first stream within the header timeout, then idle only while no stream is open. */
  session(session: http2.ServerHttp2Session): void {
    let open = 0;
    let timer = setTimeout(() => session.destroy(), this.timeouts.headerTimeoutMs);
    session.on('stream', (stream: http2.ServerHttp2Stream) => {
      open++;
      clearTimeout(timer);
      stream.once('close', () => {
        // GOAWAY and close: a client that opens a stream in the meantime is told to retry elsewhere.
        if (--open === 0 && !session.destroyed) timer = setTimeout(() => session.close(), this.timeouts.idleTimeoutMs);
      });
    });
    session.once('close', () => clearTimeout(timer));
  }
}

/** A response is done: the next request's headers must be complete within the idle timeout. */
function responseClosed(this: TimedResponse): void {
  const state = this[STATE];
  if (!state || --state.busy !== 0 || state.socket.destroyed) return;
  if (state.idle) state.idle.refresh();
  else state.idle = setTimeout(idleExpired, state.idleMs, state);
}

function idleExpired(state: Http1State): void {
  if (state.busy === 0) state.socket.destroy();
}
