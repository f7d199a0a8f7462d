import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** A plain HTTP backend that echoes what it received as JSON, with a WebSocket echo. */
export async function startEchoBackend(
  name = 'backend',
): Promise<{ port: number; url: string; close: () => Promise<void>; requests: number; connections: number }> {
  const state = { requests: 0, connections: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        httpVersion: req.httpVersion,
      });
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-backend': name,
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
      });
      res.end(body);
    });
  });
  server.on('connection', () => state.connections++);
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    ws.send(`hello ${req.headers.host}`);
    ws.on('message', (data) => ws.send(`echo:${data}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((r) => {
        wss.close();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A free TCP port with nothing listening (for 502 tests). */
export async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
