import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import type { LocalCa } from '../certs/localCa';
import type { CheckEndpoint } from './trustCheck';
import { loopbackFor } from '../bindAddress';

/**
 * Names no route can take over: the proxy serves its own `localhost` leaf for any name without a
 * route, so a handshake for `localhost` always meets a certificate from our CA.
 */
export const CHECK_SERVERNAME = 'localhost';

/** Where the proxy listens: the `https` field of the daemon's status. */
export interface ProxyListener {
  https: { bind: string; port: number };
}

export function daemonEndpoint(status: ProxyListener): CheckEndpoint {
  return {
    connectTo: loopbackFor(status.https.bind),
    port: status.https.port,
    servername: CHECK_SERVERNAME,
    source: 'the running proxy',
  };
}

/**
 * The running proxy of this state dir when there is one (`running`: the caller asks the daemon,
 * trust/ does not talk to it); otherwise a short-lived TLS server on loopback with a fresh leaf
 * from the same CA, so `ca trust` can verify before `serve` ever ran.
 */
export async function openCheckEndpoint(
  running: ProxyListener | undefined,
  ca: LocalCa,
): Promise<{ endpoint: CheckEndpoint; close: () => Promise<void> }> {
  if (running) return { endpoint: daemonEndpoint(running), close: async () => undefined };
  const leaf = await ca.issueLeaf(CHECK_SERVERNAME);
  const server = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (socket) => socket.end());
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: {
      connectTo: '127.0.0.1',
      port,
      servername: CHECK_SERVERNAME,
      source: 'a temporary check server (the proxy is not running)',
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
