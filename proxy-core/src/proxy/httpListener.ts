import * as http from 'node:http';
import { httpsUrl } from '../routes/hostName';
import { RouteTable } from '../routes/routeTable';
import { listen } from './listen';
import { sendHtml } from './sendHtml';
import { notFoundPage } from './pages';
import { isLoopback, requestHost } from './requestInfo';

/** Answers a request itself (an ACME HTTP-01 challenge) or returns false to pass it on. */
export type HttpResponder = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

export interface HttpListenerOptions {
  table: RouteTable;
  port: number;
  bind: string;
  httpsPort: number;
}

/** The plain-HTTP listener: ACME challenges first, then a redirect to HTTPS for known hosts. */
export class HttpListener {
  readonly server: http.Server;
  private readonly responders: HttpResponder[] = [];

  constructor(private readonly opts: HttpListenerOptions) {
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 5000;
  }

  /** The port redirects point at: the daemon's own, or 443 once `ports setup` redirects it. */
  set httpsPort(port: number) {
    this.opts.httpsPort = port;
  }

  addResponder(responder: HttpResponder): void {
    this.responders.push(responder);
  }

  listen(): Promise<void> {
    return listen(this.server, this.opts.port, this.opts.bind);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    for (const responder of this.responders) if (responder(req, res)) return;
    const host = requestHost(req.headers);
    if (!this.opts.table.get(host)) {
      sendHtml(
        res,
        404,
        notFoundPage(
          host,
          isLoopback(req.socket.remoteAddress) ? this.opts.table.list() : undefined,
          this.opts.httpsPort,
        ),
      );
      return;
    }
    // 308 keeps the method and body; no HSTS, so going back to plain HTTP stays painless.
    res.writeHead(308, { location: httpsUrl(host, this.opts.httpsPort, req.url ?? '/'), 'content-length': '0' });
    res.end();
  }
}
