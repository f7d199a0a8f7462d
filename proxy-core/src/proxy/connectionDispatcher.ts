import * as net from 'node:net';
import { listen } from './listen';

/** Takes one accepted, still-paused TCP connection and serves it. */
export type ConnectionTaker = (socket: net.Socket) => void;

export interface DispatcherOptions {
  port: number;
  bind: string;
  /** This process's HTTPS proxy. */
  local: ConnectionTaker;
  /** The proxy workers ready right now (none: everything stays local). */
  workers: () => ConnectionTaker[];
  /** True while connections must stay in this process (a TLS-ALPN-01 validation is pending). */
  keepLocal?: () => boolean;
  /**
   * False: while any worker is ready, this process takes no turn (on-demand workers, so that what
   * a load leaves behind in memory goes away with the worker that served it). Default true.
   */
  localTakesTurns?: boolean;
}

/**
 * Owns the HTTPS port and deals the connections out, round robin, between this process's proxy
 * and its workers. Sockets are accepted paused (nothing read), so a worker that is handed one
 * sees the TLS handshake from its first byte. Dealing per connection rather than letting every
 * process accept on a shared socket keeps the split even: a benchmark or a browser opens its
 * connections in one burst, and the kernel would give most of them to whichever process woke first.
 */
export class ConnectionDispatcher {
  readonly server: net.Server;
  private turn = 0;

  constructor(private readonly opts: DispatcherOptions) {
    // noDelay: a response must not wait for the client's ACK of the previous segment (Nagle); it
    // is a socket option, so connections handed to a worker keep it (nginx: tcp_nodelay on).
    this.server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.dispatch(socket));
  }

  async listen(): Promise<number> {
    await listen(this.server, this.opts.port, this.opts.bind);
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Stops accepting; connections already dealt out are closed by whoever serves them. */
  close(): void {
    if (this.server.listening) this.server.close();
  }

  private dispatch(socket: net.Socket): void {
    const workers = this.opts.keepLocal?.() ? [] : this.opts.workers();
    const local = workers.length === 0 || (this.opts.localTakesTurns ?? true) ? 1 : 0;
    const slot = this.turn++ % (workers.length + local);
    if (this.turn > 1e9) this.turn = 0;
    if (slot < local) this.opts.local(socket);
    else workers[slot - local](socket);
  }
}
