import type * as net from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * TLS handshake times, for the first request of each new connection. Nothing is stored on the
 * sockets themselves: a property added to a Node socket after construction can turn it into a
 * slow dictionary-mode object for every stream operation that follows. The accepted raw sockets
 * are in a WeakMap; a finished handshake is kept under the connection's client address and port,
 * which an HTTP/2 request can read too (its `req.socket` is a proxy, no key a WeakMap knows).
 */
export class HandshakeTimes {
  private readonly accepted = new WeakMap<net.Socket, number>();
  /** Handshakes whose connection has had no request yet: taken out by the first, so a keep-alive request finds the map empty and builds no key. */
  private readonly secured = new Map<string, number>();

  /** The raw connection was handed to this process's proxy: its TLS handshake starts now. */
  accept(socket: net.Socket): void {
    this.accepted.set(socket, performance.now());
  }

  /** The handshake finished (the server's 'secureConnection'). */
  secure(tlsSocket: net.Socket): void {
    const parent = (tlsSocket as net.Socket & { _parent?: net.Socket })._parent;
    const at = parent && this.accepted.get(parent);
    if (at === undefined) return;
    const key = `${tlsSocket.remoteAddress}|${tlsSocket.remotePort}`;
    this.secured.set(key, performance.now() - at);
    tlsSocket.once('close', () => this.secured.delete(key));
  }

  /** The handshake's time for the first request on a new connection; undefined for the others. */
  take(address: string | undefined, port: number | undefined): number | undefined {
    if (!this.secured.size) return undefined;
    const key = `${address}|${port}`;
    const ms = this.secured.get(key);
    if (ms !== undefined) this.secured.delete(key);
    return ms;
  }
}
