import type * as net from 'node:net';
import { performance } from 'node:perf_hooks';

// Kept on the sockets themselves: an HTTP/2 request's `req.socket` is a proxy of the session's
// socket that reads properties through (not a key a WeakMap would know).
const ACCEPTED = Symbol('capture.acceptedAt');
const HANDSHAKE = Symbol('capture.handshake');

type Marked = { [ACCEPTED]?: number; [HANDSHAKE]?: { ms: number; taken: boolean } };

/** The raw connection was handed to this process's proxy: its TLS handshake starts now. */
export function markAccepted(socket: net.Socket): void {
  (socket as Marked)[ACCEPTED] = performance.now();
}

/** The handshake finished: its time is kept for the connection's first request. */
export function markSecured(tlsSocket: net.Socket): void {
  const parent = (tlsSocket as net.Socket & { _parent?: Marked })._parent;
  const at = parent?.[ACCEPTED];
  if (at !== undefined) (tlsSocket as Marked)[HANDSHAKE] = { ms: performance.now() - at, taken: false };
}

/** The handshake's time for the first request on a new connection; undefined for the others. */
export function takeHandshakeMs(socket: net.Socket | undefined): number | undefined {
  const h = socket && (socket as Marked)[HANDSHAKE];
  if (!h || h.taken) return undefined;
  h.taken = true;
  return h.ms;
}
