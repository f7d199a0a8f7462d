import * as http from 'node:http';
import * as net from 'node:net';
import { listen } from '../proxy/listen';

export interface LanListenerOptions {
  /** Serves a LAN HTTPS connection (paused, nothing read): the daemon's own HttpsProxy, never a worker. */
  https: (socket: net.Socket) => void;
  /** The LAN's plain-HTTP requests (lan/lanHttp.ts). */
  http: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

/**
 * The listeners on the LAN address: the HTTPS port (connections handed to the daemon's proxy,
 * where lan/lanGate.ts admits them) and the HTTP port (CA page, redirects). They exist only
 * while something is shared; stop() also cuts the connections already open, so nothing stays
 * reachable from the LAN after the last unshare.
 */
export class LanListeners {
  private servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private addresses: string[] = [];

  constructor(private readonly opts: LanListenerOptions) {}

  get listening(): boolean {
    return this.servers.length > 0;
  }

  /** Where it listens now (`10.0.0.5:8443`). */
  get bound(): string[] {
    return this.servers.map((s) => {
      const a = s.address() as net.AddressInfo;
      return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
    });
  }

  isOn(addresses: string[]): boolean {
    return this.listening && addresses.join() === this.addresses.join();
  }

  /** Listens on each address; on any failure nothing stays open and the error is thrown. */
  async start(addresses: string[], httpsPort: number, httpPort: number | null): Promise<void> {
    await this.stop();
    this.addresses = addresses;
    try {
      for (const address of addresses) {
        const tlsServer = net.createServer({ pauseOnConnect: true }, (socket) => {
          this.track(socket);
          this.opts.https(socket);
        });
        this.servers.push(tlsServer);
        await listen(tlsServer, httpsPort, address);
        if (httpPort !== null) {
          const plain = http.createServer((req, res) => this.opts.http(req, res));
          plain.keepAliveTimeout = 5000;
          plain.on('connection', (socket: net.Socket) => this.track(socket));
          this.servers.push(plain);
          await listen(plain, httpPort, address);
        }
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    this.addresses = [];
    const closed = servers.map(
      (s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())),
    );
    // close() waits for open connections: cut them, or a phone's keep-alive would hold it open.
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await Promise.all(closed);
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
