import type * as http from 'node:http';
import type { CertStore } from '../certs/certStore';
import { sendHtml } from '../proxy/sendHtml';
import { unavailablePage } from '../proxy/pages';
import { requestHost } from '../proxy/requestInfo';
import type { RouteTable } from '../routes/routeTable';

/**
 * While a public name has no certificate from the CA yet, redirecting http:// to https:// would
 * only land the browser on a certificate error (nothing trusted can be served for that name
 * before the CA has issued one). So the HTTP listener says what is going on instead, and
 * reloads itself until the certificate is there; from then on it redirects as usual.
 */
export function pendingResponder(
  table: RouteTable,
  store: CertStore,
  isPending: (host: string) => boolean,
  lastError: (host: string) => string | undefined,
  caName: string,
) {
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const host = requestHost(req.headers);
    const route = table.get(host);
    if (!route || route.tls !== 'acme') return false;
    const cert = store.get(host);
    if (cert && cert.meta.issuer === 'acme' && Date.parse(cert.meta.notAfter) > Date.now()) return false;
    const detail = isPending(host)
      ? `${caName} is validating this name and issuing its certificate. This usually takes a few seconds.`
      : `there is no certificate from ${caName} for this name yet${lastError(host) ? ` (last attempt: ${lastError(host)})` : ''}; the daemon keeps trying. See: container-https certs`;
    sendHtml(res, 503, unavailablePage(host, 'Certificate pending', detail), { 'retry-after': '5' });
    return true;
  };
}
