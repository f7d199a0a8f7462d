import type * as http from 'node:http';
import { httpsUrl } from '../routes/hostName';
import { requestHost } from '../proxy/requestInfo';
import type { CaShare } from './caShare';
import type { LanGate } from './lanGate';

/**
 * Plain HTTP on the LAN address: the CA page while `ca share` runs, a redirect to HTTPS for a
 * shared name, and a plain 404 (no route list, no names) for everything else.
 */
export function lanHttpHandler(deps: {
  caShare: CaShare;
  gate: LanGate;
  httpsPort: () => number;
}): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    if (deps.caShare.respond(req, res)) return;
    const host = requestHost(req.headers);
    const admitted = deps.gate.admit(req.socket.remoteAddress, host);
    if (admitted && admitted !== 'refuse') {
      // The name the client used (app.local) is the one its certificate also carries.
      res.writeHead(308, { location: httpsUrl(host, deps.httpsPort(), req.url ?? '/'), 'content-length': '0' });
      res.end();
      return;
    }
    notFound(res);
  };
}

export function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end('404 Not Found\n');
}
